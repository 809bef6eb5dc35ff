/**
 * The fault matrix, part 1: every fault class on the three deploy steps (commit, submit_audit,
 * release) and on the authorizer-token refresh they depend on. Each row deploys to its own three
 * tenants, with faults scoped to those appids, so the rows run concurrently on one stack.
 * api_component_token has no appid to scope a fault by: its rows run one at a time in
 * fault-matrix-component-token.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addFault,
  AUTHORIZER_TOKEN,
  callsOf,
  COMMIT,
  deploy,
  expectAllReleased,
  expectEachStepOnce,
  expectRefreshTokenKept,
  expireStoredAuthorizerToken,
  MATRIX_FAULTS,
  RELEASE,
  removeFaults,
  revokeTenantTokenAtWeChat,
  settle,
  startMatrixStack,
  SUBMIT_AUDIT,
  successes,
  whileInFlight,
  type MatrixFault,
} from '../support/fault-matrix';
import type { TestStack } from '../support/stack';

const TENANTS_PER_ROW = 3;
const APIS = [COMMIT, SUBMIT_AUDIT, RELEASE, AUTHORIZER_TOKEN] as const;
type Api = (typeof APIS)[number];
const ROWS = APIS.flatMap((api) => MATRIX_FAULTS.map((fault) => ({ api, fault }))).map((row, index) => ({
  ...row,
  index,
  label: `${row.api.split('/').pop()} × ${row.fault.name}`,
}));
/** Long enough to revoke the token while WeChat still holds the call. */
const HOLD_MS = 1000;

let t: TestStack;
let pool: string[];

beforeAll(async () => {
  // Rotation on: every refresh under a fault must keep the newest refresh token.
  ({ t, appids: pool } = await startMatrixStack(ROWS.length * TENANTS_PER_ROW, { emulator: { rotateRefreshToken: true } }));
}, 120_000);
afterAll(() => t?.close());

/** The tenant-facing step whose call is in flight while WeChat holds it, for a revocation mid-call. */
const IN_FLIGHT_STATE: Partial<Record<Api, string>> = { [SUBMIT_AUDIT]: 'submitting', [RELEASE]: 'releasing' };

async function injectFault(api: Api, fault: MatrixFault, fleet: string[]): Promise<string[]> {
  const rules: string[] = [];
  for (const appid of fleet) {
    if (fault.kind === 'errcode') rules.push(await addFault(t, { path: api, appid, errcode: fault.errcode, times: fault.times }));
    if (fault.kind === 'latency') rules.push(await addFault(t, { path: api, appid, latencyMs: fault.latencyMs, times: fault.times }));
    // The token API is only called on a refresh: the stored token "expires" first.
    if (api === AUTHORIZER_TOKEN && fault.kind !== 'revoke') await expireStoredAuthorizerToken(appid);
    if (fault.kind === 'revoke') {
      // Commit (and the token refresh it triggers) meet a token WeChat revoked right before the
      // deploy; submit_audit and release are held so WeChat revokes it while they are in flight.
      if (IN_FLIGHT_STATE[api]) rules.push(await addFault(t, { path: api, appid, latencyMs: HOLD_MS, times: 1 }));
      else await revokeTenantTokenAtWeChat(t, appid);
    }
  }
  return rules;
}

/** The call log shows the fault hit every tenant: the row tested what it claims to. */
async function expectFaultFired(api: Api, fault: MatrixFault, fleet: string[], rules: string[]): Promise<void> {
  for (const appid of fleet) {
    if (fault.kind === 'revoke') {
      // The revoked token was refused by the step itself (the refresh path: by the commit). No
      // rule injects 40001 in these rows (a hold only slows the call), so this was WeChat's own check.
      const refusedOn = api === AUTHORIZER_TOKEN ? COMMIT : api;
      const refused = (await callsOf(t, { path: refusedOn, appid })).filter((c) => c.errcode === 40001);
      expect(refused, `${refusedOn} 40001 for ${appid}`).toHaveLength(1);
      if (api === AUTHORIZER_TOKEN) expect(await successes(t, AUTHORIZER_TOKEN, appid), `refreshes of ${appid}`).toHaveLength(1);
      continue;
    }
    const hit = (await callsOf(t, { path: api, appid })).filter((c) => c.fault !== undefined && rules.includes(c.fault));
    if (fault.kind === 'errcode') expect(hit.map((c) => c.errcode), `${api} faults for ${appid}`).toEqual(Array(fault.times).fill(fault.errcode));
    else expect(hit.length, `${api} slowed for ${appid}`).toBeGreaterThanOrEqual(1);
  }
}

describe.concurrent('fault matrix: deploy steps and the authorizer token under WeChat faults', () => {
  it.each(ROWS)('$label → all released, each step once, refresh token kept', { timeout: 75_000 }, async ({ api, fault, index }) => {
    const fleet = pool.slice(index * TENANTS_PER_ROW, (index + 1) * TENANTS_PER_ROW);
    const rules = await injectFault(api, fault, fleet);
    const id = await deploy(t, { userVersion: `9.${index}.0`, tenants: fleet });
    const inFlight = IN_FLIGHT_STATE[api];
    if (fault.kind === 'revoke' && inFlight) await whileInFlight(t, id, fleet, inFlight, (appid) => revokeTenantTokenAtWeChat(t, appid));

    const done = await settle(t, id, (v) => ['completed', 'paused', 'cancelled'].includes(v.status), 60_000);
    await removeFaults(t, rules);

    expectAllReleased(done, fleet);
    await expectFaultFired(api, fault, fleet, rules);
    await expectEachStepOnce(t, fleet);
    for (const appid of fleet) await expectRefreshTokenKept(t, appid);
  });
});
