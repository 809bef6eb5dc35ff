/**
 * Issue #17, staged rollouts through the local runtime against the emulator: a 100-tenant
 * deployment in waves of 5 / 25 / 100 % commits a wave only after the one before it was released
 * and the operator advanced; an audit rejection share over the halt threshold halts it after the
 * first wave with nothing committed or submitted for the later ones, and resume (after the fix)
 * completes it; `advance: {afterMinutes}` moves on by itself after the soak.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { authorizeTenants, startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let fleet: string[];

beforeAll(async () => {
  process.env.DEPLOY_WAVE_CHECK_SECONDS = '1';
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  t = await startTestStack({ emulator: { miniPrograms: 100, auditDelayMs: 200 } });
  fleet = await authorizeTenants(t, 100);
}, 180_000);
afterAll(async () => {
  await t?.close();
  delete process.env.DEPLOY_WAVE_CHECK_SECONDS;
  delete process.env.DEPLOY_BACKOFF_BASE_SECONDS;
});

const view = async (id: string): Promise<DeploymentView> => (await (await t.operator(`/api/deployments/${id}?limit=500`)).json()) as DeploymentView;
const create = async (body: Record<string, unknown>): Promise<string> => {
  const response = await t.operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userDesc: 'staged', ...body }) });
  expect(response.status, await response.clone().text()).toBe(202);
  return ((await response.json()) as { id: string }).id;
};
/** Waits for the deployment to satisfy `done`; on a timeout the error shows where it stood. */
async function waitFor(id: string, done: (d: DeploymentView) => boolean, timeoutMs: number): Promise<DeploymentView> {
  let last: DeploymentView | undefined;
  try {
    return await t.until(async () => {
      last = await view(id);
      return done(last) ? last : undefined;
    }, timeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${JSON.stringify({ status: last?.status, counts: last?.counts, rollout: last?.rollout, pendingAction: last?.pendingAction })}`, { cause: error });
  }
}
const action = (id: string, name: string) => t.operator(`/api/deployments/${id}/${name}`, { method: 'POST' });
/** Appids WeChat (the emulator) saw a successful call of `path` for, since `sinceMs`. */
const calledFor = async (path: string, sinceSeq: number) =>
  new Set((await t.calls({ path })).filter((c) => c.kind === 'api' && c.errcode === 0 && c.seq > sinceSeq).map((c) => c.appid));
const lastSeq = async () => Math.max(0, ...(await t.calls()).map((c) => c.seq));
const wavesOf = (d: DeploymentView) => {
  const byWave = new Map<number, string[]>();
  for (const target of d.targets) byWave.set(target.wave ?? 0, [...(byWave.get(target.wave ?? 0) ?? []), target.appid]);
  return byWave;
};

describe('a staged rollout', () => {
  it('refuses malformed waves with a 400 naming the field, creating nothing', async () => {
    const before = (await (await t.operator('/api/deployments')).json()) as { deployments: unknown[] };
    for (const waves of [[{ percent: 50 }], [{ percent: 30 }, { percent: 20 }, { percent: 100 }], [{ percent: 100 }, { tenants: [fleet[0]] }], [{ tenants: ['wx0000000000000000'] }, { percent: 100 }], []]) {
      const response = await t.operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '0.0.1', userDesc: 'bad', waves }) });
      expect(response.status, JSON.stringify(waves)).toBe(400);
    }
    expect((await t.operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '0.0.1', userDesc: 'bad', haltWhen: { failedOrRejectedPercent: 10 } }) })).status).toBe(400);
    expect(((await (await t.operator('/api/deployments')).json()) as { deployments: unknown[] }).deployments).toHaveLength(before.deployments.length);
  });

  it('commits each wave of 5 / 25 / 100 % only after the one before was released and the operator advanced', async () => {
    const since = await lastSeq();
    const id = await create({ userVersion: '1.0.0', waves: [{ percent: 5 }, { percent: 25 }, { percent: 100 }] });
    // Advancing before the wave settled is refused with why.
    expect(await (await action(id, 'advance')).json()).toMatchObject({ error: { code: 'wave_not_settled' } });
    const firstWave = await t.until(async () => {
      const d = await view(id);
      return d.rollout?.waves[0]?.state === 'settled' && d.status === 'paused' ? d : undefined;
    }, 60_000);
    const waves = wavesOf(firstWave);
    expect([waves.get(0)!.length, waves.get(1)!.length, waves.get(2)!.length]).toEqual([5, 20, 75]);
    expect(firstWave.rollout).toMatchObject({ openWave: 0, waitingFor: { kind: 'advance', wave: 1 }, waves: [{ state: 'settled', counts: { released: 5 } }, { state: 'pending', counts: { queued: 20 } }, { state: 'pending' }] });
    // WeChat saw commits for the first wave only.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await calledFor('/wxa/commit', since)).toEqual(new Set(waves.get(0)));
    expect((await action(id, 'advance')).status).toBe(202);
    const second = await t.until(async () => {
      const d = await view(id);
      return d.rollout?.waves[1]?.state === 'settled' ? d : undefined;
    }, 60_000);
    expect(second.rollout?.waves[2]?.state).toBe('pending');
    expect(await calledFor('/wxa/commit', since)).toEqual(new Set([...waves.get(0)!, ...waves.get(1)!]));
    expect(await calledFor('/wxa/release', since)).toEqual(new Set([...waves.get(0)!, ...waves.get(1)!]));

    expect((await action(id, 'advance')).status).toBe(202);
    const done = await waitFor(id, (d) => d.status === 'completed', 120_000);
    expect(done.counts).toEqual({ released: 100 });
    expect(await calledFor('/wxa/submit_audit', since)).toEqual(new Set(fleet));
    // Every wave is open: nothing left to advance.
    expect(await (await action(id, 'advance')).json()).toMatchObject({ error: { code: 'last_wave_open' } });
  }, 240_000);

  it('advances by itself after the soak time', async () => {
    const id = await create({ userVersion: '1.1.0', tenants: fleet.slice(0, 10), waves: [{ tenants: [fleet[9]] }, { percent: 50 }, { percent: 100 }], advance: { afterMinutes: 0.02 } });
    const done = await t.until(async () => {
      const d = await view(id);
      return d.status === 'completed' ? d : undefined;
    }, 90_000);
    expect(done.counts).toEqual({ released: 10 });
    const waves = wavesOf(done);
    expect(waves.get(0)).toEqual([fleet[9]]);
    expect([waves.get(1)!.length, waves.get(2)!.length]).toEqual([5, 4]);
    // Each wave released before the next one's first commit.
    const targets = await Promise.all(done.targets.map(async (target) => ({ wave: target.wave ?? 0, ...(await services().deployments.getTarget(id, target.appid))! })));
    for (const wave of [1, 2]) {
      const lastReleaseBefore = Math.max(...targets.filter((x) => x.wave === wave - 1).map((x) => x.releasedAtMs!));
      const firstCommit = Math.min(...targets.filter((x) => x.wave === wave).map((x) => x.committedAtMs!));
      expect(firstCommit).toBeGreaterThan(lastReleaseBefore);
    }
  }, 120_000);

  it('halts after the first wave when 40 % of audits are rejected (threshold 20 %), with nothing committed or submitted for later waves; resume after the fix completes it', async () => {
    await t.admin('/audit-outcome', { rejectPercent: 40 });
    const since = await lastSeq();
    // Soak 0: without the halt every wave would follow at once.
    const id = await create({ userVersion: '2.0.0', waves: [{ percent: 5 }, { percent: 25 }, { percent: 100 }], haltWhen: { failedOrRejectedPercent: 20 }, advance: { afterMinutes: 0 } });
    const halted = await t.until(async () => {
      const d = await view(id);
      return d.rollout?.halt && d.rollout.waves[0]!.state === 'halted' && (d.rollout.waves[0]!.counts.auditing ?? 0) === 0 ? d : undefined;
    }, 60_000);
    expect(halted.status).toBe('paused');
    expect(halted.rollout).toMatchObject({ waitingFor: { kind: 'resume', wave: 0 }, halt: { wave: 0, total: 5 } });
    expect(halted.rollout!.halt!.percent).toBeGreaterThanOrEqual(20);
    const waves = wavesOf(halted);
    const later = [...waves.get(1)!, ...waves.get(2)!];
    // Advancing a halted rollout is refused with the numbers; the later waves never reached WeChat.
    expect(await (await action(id, 'advance')).json()).toMatchObject({ error: { code: 'rollout_halted' } });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const path of ['/wxa/commit', '/wxa/submit_audit']) {
      const touched = await calledFor(path, since);
      expect(later.filter((appid) => touched.has(appid)), path).toEqual([]);
    }

    // The fix: WeChat approves again; the operator resumes and resubmits the rejected.
    await t.admin('/audit-outcome', { rejectPercent: 0 });
    expect((await action(id, 'resume')).status).toBe(202);
    expect((await action(id, 'retry')).status).toBe(202);
    const done = await waitFor(id, (d) => d.status === 'completed', 150_000);
    expect(done.counts).toEqual({ released: 100 });
  }, 240_000);

  it('holds the next wave, visibly, while the audit quota cannot cover it, and opens it once it can', async () => {
    await t.admin('/quota', { limit: 1000, used: 998 });
    const tenants = fleet.slice(10, 20);
    const id = await create({ userVersion: '2.1.0', tenants, waves: [{ tenants: [tenants[0]] }, { percent: 100 }], advance: { afterMinutes: 0 } });
    const waiting = await t.until(async () => {
      const d = await view(id);
      return d.rollout?.waitingFor?.kind === 'quota' ? d : undefined;
    }, 60_000);
    expect(waiting.rollout).toMatchObject({ openWave: 0, waitingFor: { kind: 'quota', wave: 1, needed: 9, left: 1 }, waves: [{ state: 'settled' }, { state: 'pending', quotaNeeded: 9 }] });
    expect(waiting.status).toBe('paused');
    await t.admin('/quota', { used: 0 });
    const done = await t.until(async () => {
      const d = await view(id);
      return d.status === 'completed' ? d : undefined;
    }, 90_000);
    expect(done.counts).toEqual({ released: 10 });
  }, 150_000);
});
