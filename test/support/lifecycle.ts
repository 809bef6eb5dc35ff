/**
 * Helpers for the release-lifecycle scenarios (test/functions/release-lifecycle*.test.ts): a stack
 * whose WeChat audits are decided only when a test says so, the operator's view of a deployment
 * and of a tenant, and WeChat's own view of a mini-program (the emulator's state).
 */
import { expect } from 'vitest';
import type { LocalStackOptions } from '../../local/stack';
import type { DeploymentView, TargetView, TenantView } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { authorize } from './fault-matrix';
import { startTestStack, type TestStack } from './stack';
import { recordWire, type Wire } from './wechat-wire';

export type { DeploymentView, TargetView };

export interface LifecycleStack {
  t: TestStack;
  wire: Wire;
  /** Authorized tenants, handed out a few at a time so no scenario shares one with another. */
  take(count: number): string[];
  close(): Promise<void>;
}

/**
 * The whole platform with `tenants` authorized mini-programs. WeChat decides no audit by itself
 * (the review "takes an hour"): a scenario decides each one with `decideAudits`.
 */
export async function startLifecycleStack(tenants: number, options: LocalStackOptions = {}): Promise<LifecycleStack> {
  const t = await startTestStack({ ...options, emulator: { miniPrograms: tenants, auditDelayMs: 3_600_000, ...options.emulator } });
  let wire: Wire | undefined;
  try {
    await t.until(async () => services().tickets.latest());
    const appids = (await t.seededAppids()).slice(0, tenants);
    await authorize(t, appids);
    wire = recordWire(t);
    let next = 0;
    const recorded = wire;
    return {
      t,
      wire: recorded,
      take: (count) => {
        const taken = appids.slice(next, next + count);
        if (taken.length < count) throw new Error(`only ${appids.length} tenants authorized`);
        next += count;
        return taken;
      },
      close: async () => {
        recorded.restore();
        await t.close();
      },
    };
  } catch (error) {
    wire?.restore();
    await t.close();
    throw error;
  }
}

export async function deploy(t: TestStack, body: Record<string, unknown>): Promise<string> {
  const response = await t.operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userDesc: 'release lifecycle', ...body }) });
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

/** POST /api/deployments/{id}/{action}, with a JSON body when given. */
export function act(t: TestStack, id: string, action: string, body?: unknown): Promise<Response> {
  return t.operator(`/api/deployments/${id}/${action}`, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** The action is accepted (202). */
export async function accepted(t: TestStack, id: string, action: string, body?: unknown): Promise<void> {
  const response = await act(t, id, action, body);
  expect(response.status, `${action}: ${await response.clone().text()}`).toBe(202);
}

/** The action is refused with 409 and this code; answers the message. */
export async function refused(t: TestStack, id: string, action: string, code: string, body?: unknown): Promise<string> {
  const response = await act(t, id, action, body);
  const answer = (await response.json()) as { error: { code: string; message: string } };
  expect(response.status, `${action}: ${JSON.stringify(answer)}`).toBe(409);
  expect(answer.error.code).toBe(code);
  return answer.error.message;
}

export async function view(t: TestStack, id: string): Promise<DeploymentView> {
  const response = await t.operator(`/api/deployments/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as DeploymentView;
}

export async function settle(t: TestStack, id: string, done: (v: DeploymentView) => boolean, timeoutMs = 20_000): Promise<DeploymentView> {
  try {
    return await t.until(async () => {
      const current = await view(t, id);
      return done(current) ? current : undefined;
    }, timeoutMs);
  } catch (error) {
    throw new Error(`deployment ${id} did not get there: ${JSON.stringify(await view(t, id))}`, { cause: error });
  }
}

export function targetOf(v: DeploymentView, appid: string): TargetView {
  const target = v.targets.find((x) => x.appid === appid);
  if (!target) throw new Error(`no target ${appid} in ${v.id}`);
  return target;
}

/** Every target of `appids` is in `state`. */
export const allIn = (appids: string[], state: string) => (v: DeploymentView) => appids.every((appid) => v.targets.find((x) => x.appid === appid)?.state === state);

/** The tenant as the operator sees it (GET /api/tenants/{appid}). */
export async function tenant(t: TestStack, appid: string): Promise<TenantView> {
  const response = await t.operator(`/api/tenants/${appid}`);
  expect(response.status).toBe(200);
  return (await response.json()) as TenantView;
}

/** The mini-program as WeChat has it (the emulator's admin view). */
export interface AtWeChat {
  committed: { userVersion: string } | null;
  audit: { auditid: number; status: number; underReview: boolean; userVersion: string; released: boolean; reason?: string } | null;
  released: { appVersion: number; userVersion: string; rolledBack: boolean } | null;
  gray: { status: number; gray_percentage: number } | null;
}

export const atWeChat = (t: TestStack, appid: string) => t.admin<AtWeChat>(`/state?appid=${appid}`);

/**
 * The version WeChat serves to everyone, and the one mpfleet recorded for the tenant: the same. The
 * tenant's record is the write after the target's (a release lands, then is recorded with the let-go),
 * so a view may show the target settled a moment before it: given a moment to catch up.
 */
export async function expectOnline(t: TestStack, appid: string, version: string | null): Promise<void> {
  expect((await atWeChat(t, appid)).released?.userVersion ?? null, `online at WeChat for ${appid}`).toBe(version);
  const recorded = async () => (await tenant(t, appid)).releasedVersion ?? null;
  await t.until(async () => (await recorded()) === version || undefined, 2000).catch(() => undefined);
  expect(await recorded(), `recorded releasedVersion of ${appid}`).toBe(version);
}

/**
 * Decides the audit of each tenant's target in deployment `id` once it is under review
 * (approve, or the outcome given per tenant): WeChat pushes the result to mpfleet.
 */
export async function decideAudits(t: TestStack, id: string, outcomes: Record<string, 'approve' | 'reject'>, reason?: string): Promise<void> {
  const appids = Object.keys(outcomes);
  await settle(t, id, allIn(appids, 'auditing'));
  for (const appid of appids) {
    await t.admin('/audit-outcome', { appid, outcome: outcomes[appid], ...(reason && outcomes[appid] === 'reject' ? { reason } : {}) });
    await t.admin('/finish-audit', { appid });
  }
}

export const approve = (appids: string[]) => Object.fromEntries(appids.map((appid) => [appid, 'approve' as const]));

/** Releases `version` to the tenants through an automatic deployment (commit, audit, release). */
export async function releaseThrough(t: TestStack, appids: string[], version: string): Promise<string> {
  const id = await deploy(t, { userVersion: version, tenants: appids });
  await decideAudits(t, id, approve(appids));
  await settle(t, id, (v) => v.status === 'completed' && v.counts.released === appids.length);
  for (const appid of appids) await expectOnline(t, appid, version);
  return id;
}

/** The emulator's call log (api calls), optionally of one path and tenant, since a moment. */
export async function weChatLog(t: TestStack, filter: { path?: string; appid?: string; since?: number } = {}) {
  const query = new URLSearchParams({ kind: 'api', ...(filter.path ? { path: filter.path } : {}), ...(filter.appid ? { appid: filter.appid } : {}), ...(filter.since ? { since: String(filter.since) } : {}) });
  return (await t.admin<{ calls: { seq: number; time: number; path: string; appid?: string; errcode: number; fault?: string }[] }>(`/calls?${query}`)).calls;
}
