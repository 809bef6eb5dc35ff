/**
 * Helpers for the fault matrix (test/functions/fault-matrix-*.test.ts): drive fleet deployments
 * through the local stack while the WeChat emulator misbehaves, and check the promises mpfleet
 * makes under faults — every target lands, no WeChat step succeeds twice, no refresh token is lost.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { LocalStackOptions } from '../../local/stack';
import { dynamo } from '../../shared/db/client';
import { refreshReadiness } from '../../shared/readiness/refresh-readiness';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from './stack';

export const COMMIT = '/wxa/commit';
export const SUBMIT_AUDIT = '/wxa/submit_audit';
export const RELEASE = '/wxa/release';
export const AUTHORIZER_TOKEN = '/cgi-bin/component/api_authorizer_token';
export const COMPONENT_TOKEN = '/cgi-bin/component/api_component_token';

/** One row's fault: an injected errcode or latency (`times` calls per rule), or WeChat revoking a token itself. */
export type MatrixFault =
  | { name: string; kind: 'errcode'; errcode: number; times: number }
  | { name: string; kind: 'latency'; latencyMs: number; times: number }
  | { name: string; kind: 'revoke' };

export const MATRIX_FAULTS: readonly MatrixFault[] = [
  { name: 'system busy -1 ×2', kind: 'errcode', errcode: -1, times: 2 },
  { name: 'frequency limit 45011 ×2', kind: 'errcode', errcode: 45011, times: 2 },
  { name: 'daily quota 45009 ×1', kind: 'errcode', errcode: 45009, times: 1 },
  { name: 'invalid token 40001 ×1', kind: 'errcode', errcode: 40001, times: 1 },
  { name: 'server-side token revocation', kind: 'revoke' },
  { name: 'latency spike 1500 ms ×2', kind: 'latency', latencyMs: 1500, times: 2 },
];

/** A call-log entry as /__admin/calls returns it (the stack helper's type omits `fault`). */
export interface LoggedCall {
  seq: number;
  kind: 'api' | 'push';
  path: string;
  appid?: string;
  errcode?: number;
  /** Id of the fault rule that answered or slowed the call. */
  fault?: string;
}

export interface DeploymentView {
  id: string;
  status: string;
  counts: Record<string, number>;
  total: number;
  pausedReason?: string;
  targets: { appid: string; state: string; attempts: number; error?: { code: number | string; message: string } }[];
}

/**
 * A stack for the matrix: retry backoff shortened to a 1 s base (read when the deploy worker is
 * first loaded, so it must be set before any deploy), the first ticket in, and `tenants` of the
 * seeded mini-programs authorized.
 */
export async function startMatrixStack(tenants: number, options: LocalStackOptions = {}): Promise<{ t: TestStack; appids: string[] }> {
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  const t = await startTestStack({ ...options, emulator: { miniPrograms: tenants, auditDelayMs: 200, ...options.emulator } });
  try {
    await t.until(async () => services().tickets.latest());
    const appids = (await t.seededAppids()).slice(0, tenants);
    await authorize(t, appids);
    return { t, appids };
  } catch (error) {
    await t.close();
    throw error;
  }
}

/**
 * Authorizes the mini-programs (as if each merchant consented), waits until each is an active
 * tenant, and makes sure its release gates were checked (the check an authorization queues runs
 * here for any it has not reached yet): a row's faults then meet the deploy's own calls, not a
 * readiness read of the fan-out.
 */
export async function authorize(t: TestStack, appids: string[]): Promise<void> {
  await Promise.all(appids.map((appid) => t.admin('/authorize', { appid })));
  await t.until(async () => {
    const tenants = await Promise.all(appids.map((appid) => services().tenants.get(appid)));
    return tenants.every((tenant) => tenant?.status === 'active') || undefined;
  }, 30_000);
  for (const appid of appids) {
    if (!(await services().tenants.get(appid))?.readiness) await refreshReadiness(services(), appid);
  }
}

export async function deploy(t: TestStack, body: Record<string, unknown>): Promise<string> {
  const response = await t.operator('/api/deployments', {
    method: 'POST',
    body: JSON.stringify({ templateId: 1, userDesc: 'fault matrix', submitAudit: true, release: 'auto', ...body }),
  });
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

export async function view(t: TestStack, id: string): Promise<DeploymentView> {
  return (await (await t.operator(`/api/deployments/${id}`)).json()) as DeploymentView;
}

export async function settle(t: TestStack, id: string, done: (v: DeploymentView) => boolean, timeoutMs = 45_000): Promise<DeploymentView> {
  try {
    return await t.until(async () => {
      const current = await view(t, id);
      return done(current) ? current : undefined;
    }, timeoutMs);
  } catch (error) {
    // Say where the deployment got stuck, not only that it did.
    throw new Error(`deployment ${id} did not settle: ${JSON.stringify(await view(t, id))}`, { cause: error });
  }
}

/** Adds an emulator fault rule and returns its id. */
export async function addFault(t: TestStack, rule: { path: string; appid?: string; errcode?: number; latencyMs?: number; times?: number }): Promise<string> {
  return (await t.admin<{ id: string }>('/faults', rule)).id;
}

/** Removes rules that were not used up (a latency rule on a path called once per tenant, say). */
export async function removeFaults(t: TestStack, ids: string[]): Promise<void> {
  const { faults } = await t.admin<{ faults: { id: string }[] }>('/faults');
  const left = new Set(faults.map((r) => r.id));
  for (const id of ids) if (left.has(id)) await t.admin(`/faults/${id}`, undefined, 'DELETE');
}

export async function callsOf(t: TestStack, filter: { path: string; appid?: string }): Promise<LoggedCall[]> {
  const query = new URLSearchParams({ kind: 'api', path: filter.path, ...(filter.appid ? { appid: filter.appid } : {}) });
  return (await t.admin<{ calls: LoggedCall[] }>(`/calls?${query}`)).calls;
}

export const successes = async (t: TestStack, path: string, appid: string) => (await callsOf(t, { path, appid })).filter((c) => c.errcode === 0);

/** The emulator kills every access token of the tenant (as WeChat does when it invalidates one). */
export const revokeTenantTokenAtWeChat = (t: TestStack, appid: string) => t.admin('/invalidate-token', { appid });
export const revokeComponentTokenAtWeChat = (t: TestStack) => t.admin('/invalidate-token', {});

/** Drops our stored (and cached) access token, as if it had expired: the next use refreshes it. */
export async function expireStoredAuthorizerToken(appid: string): Promise<void> {
  const token = services().authorizerTokens.forTenant(appid);
  await token.invalidate(await token.get());
}

export async function expireStoredComponentToken(): Promise<void> {
  const token = services().componentToken;
  await token.invalidate(await token.get());
}

/**
 * Waits until each tenant's target is in `state` (its WeChat call held by a latency fault) and
 * then runs `act` for it — e.g. WeChat revoking the token the call is about to be checked with.
 */
export async function whileInFlight(t: TestStack, id: string, appids: string[], state: string, act: (appid: string) => Promise<unknown>): Promise<void> {
  const pending = new Set(appids);
  await t.until(async () => {
    const current = await view(t, id);
    for (const target of current.targets) {
      if (pending.has(target.appid) && target.state === state) {
        pending.delete(target.appid);
        await act(target.appid);
      }
    }
    return pending.size === 0 || undefined;
  }, 15_000);
}

/** Exactly one successful commit, submit_audit and release per tenant: nothing lost, nothing done twice. */
export async function expectEachStepOnce(t: TestStack, appids: string[]): Promise<void> {
  for (const appid of appids) {
    for (const path of [COMMIT, SUBMIT_AUDIT, RELEASE]) {
      expect(await successes(t, path, appid), `${path} for ${appid}`).toHaveLength(1);
    }
  }
}

export function expectAllReleased(done: DeploymentView, appids: string[]): void {
  expect(done.status).toBe('completed');
  expect(done.counts).toEqual({ released: appids.length });
  expect(done.targets.map((x) => x.appid).sort()).toEqual([...appids].sort());
}

async function storedRefreshToken(appid: string): Promise<unknown> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: `TENANT#${appid}`, sk: 'AUTHORIZER_TOKEN' }, ConsistentRead: true }),
  );
  return Item?.refreshToken;
}

/**
 * The refresh token is the one credential that needs the merchant to replace: ours must be the one
 * WeChat currently honours (not one it rotated away and we would have to fish back out of
 * api_get_authorizer_list), and a refresh with it must work.
 */
export async function expectRefreshTokenKept(t: TestStack, appid: string): Promise<void> {
  const atWeChat = () => t.stack.emulator!.state.get(appid)!.authorization?.refreshToken;
  expect(await storedRefreshToken(appid), `stored refresh token of ${appid}`).toBe(atWeChat());
  await expect(services().authorizerTokens.forTenant(appid).refreshNow()).resolves.toEqual(expect.any(String));
  expect(await storedRefreshToken(appid), `refresh token of ${appid} after a refresh`).toBe(atWeChat());
  expect((await callsOf(t, { path: AUTHORIZER_TOKEN, appid })).filter((c) => c.errcode === 61023), `61023 for ${appid}`).toEqual([]);
  expect((await services().tenants.get(appid))?.status).toBe('active');
}
