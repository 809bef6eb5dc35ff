/**
 * The fault matrix, part 2: faults on api_component_token. The component token is one per
 * platform and its calls carry no appid, so these rows run one after another.
 *
 * The deploy API itself needs the component token (it reads the template library), so each row
 * lets the deployment start, holds its commits at WeChat, and only then makes the component token
 * need a refresh: WeChat revokes the tenants' access tokens (the commits answer 40001 and the
 * worker must refresh them, which takes the component token) and our component token expires (or
 * WeChat revokes it too). The refresh then meets the row's fault.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addFault,
  AUTHORIZER_TOKEN,
  callsOf,
  COMMIT,
  COMPONENT_TOKEN,
  deploy,
  expectAllReleased,
  expectEachStepOnce,
  expectRefreshTokenKept,
  expireStoredComponentToken,
  MATRIX_FAULTS,
  removeFaults,
  revokeComponentTokenAtWeChat,
  revokeTenantTokenAtWeChat,
  settle,
  startMatrixStack,
  successes,
  whileInFlight,
  type MatrixFault,
} from '../support/fault-matrix';
import type { TestStack } from '../support/stack';

const TENANTS_PER_ROW = 3;
const ROWS = MATRIX_FAULTS.map((fault, index) => ({ fault, index, label: `api_component_token × ${fault.name}` }));
const HOLD_MS = 1500;

let t: TestStack;
let pool: string[];

beforeAll(async () => {
  ({ t, appids: pool } = await startMatrixStack(ROWS.length * TENANTS_PER_ROW, { emulator: { rotateRefreshToken: true } }));
}, 120_000);
afterAll(() => t?.close());

/** Makes the component token need a refresh that meets `fault`; returns the injected rule. */
async function breakComponentToken(fault: MatrixFault): Promise<string | undefined> {
  if (fault.kind === 'revoke') {
    await revokeComponentTokenAtWeChat(t);
    return undefined;
  }
  const rule = await addFault(t, {
    path: COMPONENT_TOKEN,
    times: fault.times,
    ...(fault.kind === 'errcode' ? { errcode: fault.errcode } : { latencyMs: fault.latencyMs }),
  });
  await expireStoredComponentToken();
  return rule;
}

describe('fault matrix: the component token under WeChat faults', () => {
  it.each(ROWS)('$label → all released, each step once, refresh token kept', { timeout: 45_000 }, async ({ fault, index }) => {
    const fleet = pool.slice(index * TENANTS_PER_ROW, (index + 1) * TENANTS_PER_ROW);
    const componentRefreshesBefore = (await callsOf(t, { path: COMPONENT_TOKEN })).filter((c) => c.errcode === 0).length;
    const holds = await Promise.all(fleet.map((appid) => addFault(t, { path: COMMIT, appid, latencyMs: HOLD_MS, times: 1 })));

    const id = await deploy(t, { userVersion: `8.${index}.0`, tenants: fleet });
    let rule: string | undefined;
    let broken = false;
    await whileInFlight(t, id, fleet, 'committing', async (appid) => {
      if (!broken) {
        broken = true;
        rule = await breakComponentToken(fault);
      }
      await revokeTenantTokenAtWeChat(t, appid);
    });

    const done = await settle(t, id, (v) => ['completed', 'paused', 'cancelled'].includes(v.status));
    await removeFaults(t, [...holds, ...(rule ? [rule] : [])]);
    expectAllReleased(done, fleet);

    // The setup did what it claims: every held commit met the revoked token and was refreshed...
    for (const appid of fleet) {
      expect((await callsOf(t, { path: COMMIT, appid })).filter((c) => c.errcode === 40001), `commit 40001 for ${appid}`).toHaveLength(1);
      expect(await successes(t, AUTHORIZER_TOKEN, appid), `refreshes of ${appid}`).toHaveLength(1);
    }
    // ...through a component-token refresh that met the fault, and then got through.
    const componentCalls = await callsOf(t, { path: COMPONENT_TOKEN });
    expect(componentCalls.filter((c) => c.errcode === 0).length).toBeGreaterThan(componentRefreshesBefore);
    const hit = componentCalls.filter((c) => rule !== undefined && c.fault === rule);
    if (fault.kind === 'errcode') expect(hit.map((c) => c.errcode)).toEqual(Array(fault.times).fill(fault.errcode));
    if (fault.kind === 'latency') expect(hit.length).toBeGreaterThanOrEqual(1);
    if (fault.kind === 'revoke') {
      const refused = await Promise.all(fleet.map(async (appid) => (await callsOf(t, { path: AUTHORIZER_TOKEN, appid })).filter((c) => c.errcode === 40001)));
      expect(refused.flat().length, 'api_authorizer_token refused the revoked component token').toBeGreaterThanOrEqual(1);
    }

    await expectEachStepOnce(t, fleet);
    for (const appid of fleet) await expectRefreshTokenKept(t, appid);
  });
});
