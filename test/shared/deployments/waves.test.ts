import { describe, expect, it } from 'vitest';
import type { Deployment, WaveSpec } from '../../../shared/deployments/deployment';
import { dueStep } from '../../../shared/deployments/due-step';
import { checkWaveRequest, haltTrips, planWaves, progressWaves, waveNumbers, waveOfIndex } from '../../../shared/deployments/waves';
import { InvalidInput } from '../../../shared/errors';
import { appidOf, deploymentOf, memoryDeployEngine, targetOf } from '../../support/memory-deploy-engine';

const fleet = (n: number) => Array.from({ length: n }, (_, i) => appidOf(i + 1));

describe('checkWaveRequest', () => {
  it.each([
    [[{ percent: 50 }], /last percentage wave must be 100/],
    [[{ percent: 30 }, { percent: 20 }, { percent: 100 }], /cumulative/],
    [[{ percent: 100 }, { tenants: [appidOf(1)] }], /come before/],
    [[{ tenants: [appidOf(1)] }, { tenants: [appidOf(1)] }, { percent: 100 }], /named in two waves/],
  ] as [WaveSpec[], RegExp][])('refuses %j', (waves, message) => {
    expect(() => checkWaveRequest({ waves })).toThrow(message);
  });

  it('accepts pilots then shares, and refuses advance or haltWhen without waves', () => {
    expect(() => checkWaveRequest({ waves: [{ tenants: [appidOf(1)] }, { percent: 5 }, { percent: 100 }], advance: { afterMinutes: 30 }, haltWhen: { failedOrRejectedPercent: 10 } })).not.toThrow();
    expect(() => checkWaveRequest({ haltWhen: { failedOrRejectedPercent: 10 } })).toThrow(InvalidInput);
  });
});

describe('planWaves', () => {
  it('cuts 100 tenants at 5 / 25 / 100 % into 5, 20 and 75, the same way every time', () => {
    const plan = planWaves('d-1', fleet(100), [{ percent: 5 }, { percent: 25 }, { percent: 100 }]);
    expect(plan.waveEnds).toEqual([5, 25, 100]);
    expect(new Set(plan.tenants)).toEqual(new Set(fleet(100)));
    expect(planWaves('d-1', [...fleet(100)].reverse(), [{ percent: 5 }, { percent: 25 }, { percent: 100 }])).toEqual(plan);
    // A sample spread by the hash, not the first appids; another deployment draws another sample.
    expect(plan.tenants.slice(0, 5)).not.toEqual(fleet(5));
    expect(planWaves('d-2', fleet(100), [{ percent: 5 }, { percent: 25 }, { percent: 100 }]).tenants.slice(0, 5)).not.toEqual(plan.tenants.slice(0, 5));
  });

  it('puts named pilots first, and refuses a pilot the deployment does not reach or tenants left in no wave', () => {
    const plan = planWaves('d-1', fleet(10), [{ tenants: [appidOf(7), appidOf(3)] }, { percent: 50 }, { percent: 100 }]);
    expect(plan.tenants.slice(0, 2)).toEqual([appidOf(7), appidOf(3)]);
    expect(plan.waveEnds).toEqual([2, 6, 10]);
    expect(() => planWaves('d-1', fleet(10), [{ tenants: [appidOf(99)] }, { percent: 100 }])).toThrow(/does not reach/);
    expect(() => planWaves('d-1', fleet(10), [{ tenants: [appidOf(1)] }])).toThrow(/in no wave/);
  });

  it('gives each index its wave', () => {
    const deployment = { waveEnds: [2, 6, 10] };
    expect([0, 1, 2, 5, 6, 9, 12].map((i) => waveOfIndex(deployment, i))).toEqual([0, 0, 1, 1, 2, 2, 2]);
    expect(waveOfIndex({}, 3)).toBeUndefined();
  });
});

describe('a wave settles and halts by its numbers', () => {
  const deployment = deploymentOf({ waves: [{ percent: 5 }, { percent: 100 }], waveEnds: [5, 100], haltWhen: { failedOrRejectedPercent: 20 } });
  it('settles once every target is released or ended, counting skipped tenants out of its size', () => {
    expect(waveNumbers(deployment, { released: 3, auditing: 1, skipped: 1 })).toMatchObject({ total: 4, settled: false });
    expect(waveNumbers(deployment, { released: 3, rejected: 1, skipped: 1 })).toMatchObject({ total: 4, rejected: 1, settled: true });
    expect(waveNumbers({ submitAudit: false }, { committed: 4 })).toMatchObject({ settled: true });
  });
  it('trips at the threshold, not below, and not for a wave the operator resumed', () => {
    expect(haltTrips(deployment, 0, waveNumbers(deployment, { released: 4, rejected: 1 }))).toBe(true);
    expect(haltTrips(deployment, 0, waveNumbers(deployment, { released: 9, failed: 1 }))).toBe(false);
    expect(haltTrips({ ...deployment, waveProgress: { version: 1, openWave: 0, haltOverridden: [0] } }, 0, waveNumbers(deployment, { rejected: 5 }))).toBe(false);
  });
});

describe('dueStep in a staged rollout', () => {
  const staged = deploymentOf({ waves: [{ percent: 50 }, { percent: 100 }], waveEnds: [1, 2], waveProgress: { version: 1, openWave: 0 } });
  it('commits only targets of an open wave, and nothing is committed or submitted while halted', () => {
    expect(dueStep(staged, { state: 'queued', wave: 0 })).toBe('commit');
    expect(dueStep(staged, { state: 'queued', wave: 1 })).toBeUndefined();
    expect(dueStep({ ...staged, waveProgress: { version: 2, openWave: 1 } }, { state: 'queued', wave: 1 })).toBe('commit');
    const halted: Deployment = { ...staged, waveProgress: { version: 2, openWave: 0, halt: { wave: 0, failed: 1, rejected: 0, total: 1, percent: 100, atMs: 1 } } };
    expect(dueStep(halted, { state: 'queued', wave: 0 })).toBeUndefined();
    expect(dueStep(halted, { state: 'committed', wave: 0 })).toBeUndefined();
    // What is already approved still releases: the halt keeps the next waves out.
    expect(dueStep(halted, { state: 'approved', wave: 0 })).toBe('release');
  });
});

describe('progressWaves', () => {
  async function staged(over: Partial<Deployment> = {}) {
    const engine = memoryDeployEngine();
    const tenants = fleet(4);
    const deployment = deploymentOf({ tenants, waves: [{ percent: 50 }, { percent: 100 }], waveEnds: [2, 4], advance: 'manual', ...over });
    await engine.deployments.create(deployment);
    for (const [i, appid] of tenants.entries()) await engine.deployments.addTarget(targetOf(deployment.id, appid, i < 2 ? 'released' : 'queued', { wave: i < 2 ? 0 : 1 }));
    return { engine, deployment };
  }

  it('waits for the operator after the wave settled, then opens the next and sends its targets their first step', async () => {
    const { engine, deployment } = await staged();
    expect(await progressWaves(engine, deployment.id, 10_000)).toMatchObject({ watch: true });
    expect(await progressWaves(engine, deployment.id, 11_000)).toMatchObject({ watch: false, why: expect.stringContaining('advance') });
    expect(engine.deployQueue.take('advance')).toEqual([]);

    const { version, ...progress } = (await engine.deployments.get(deployment.id))!.waveProgress!;
    await engine.deployments.saveWaveProgress(deployment.id, { ...progress, advanceRequested: 1 }, version);
    await progressWaves(engine, deployment.id, 12_000);
    expect((await engine.deployments.get(deployment.id))!.waveProgress).toMatchObject({ openWave: 1 });
    expect(engine.deployQueue.take('advance').map((m) => m.message.appid).sort()).toEqual([appidOf(3), appidOf(4)]);
  });

  it('opens the next wave by itself after the soak', async () => {
    const { engine, deployment } = await staged({ advance: { afterMinutes: 10 } });
    await progressWaves(engine, deployment.id, 0);
    expect(await progressWaves(engine, deployment.id, 60_000)).toEqual({ watch: true, inSeconds: 540 });
    await progressWaves(engine, deployment.id, 600_000);
    expect((await engine.deployments.get(deployment.id))!.waveProgress).toMatchObject({ openWave: 1 });
  });

  it('keeps the next wave closed, visibly, while the audit quota cannot cover it', async () => {
    const { engine, deployment } = await staged({ advance: { afterMinutes: 0 } });
    engine.wechat.script('queryQuota', { errcode: 0, rest: 1, limit: 20, speedup_rest: 0, speedup_limit: 0 }, { times: 5 });
    await progressWaves(engine, deployment.id, 0);
    await progressWaves(engine, deployment.id, 1);
    expect((await engine.deployments.get(deployment.id))!.waveProgress).toMatchObject({ openWave: 0, quotaWait: { wave: 1, needed: 2, left: 1 } });
    expect(engine.deployQueue.take('advance')).toEqual([]);
  });

  it('halts when the open wave fails over the threshold, committing nothing more', async () => {
    const engine = memoryDeployEngine();
    const deployment = deploymentOf({ tenants: fleet(4), waves: [{ percent: 50 }, { percent: 100 }], waveEnds: [2, 4], haltWhen: { failedOrRejectedPercent: 50 } });
    await engine.deployments.create(deployment);
    await engine.deployments.addTarget(targetOf(deployment.id, appidOf(1), 'rejected', { wave: 0 }));
    await engine.deployments.addTarget(targetOf(deployment.id, appidOf(2), 'auditing', { wave: 0 }));
    expect(await progressWaves(engine, deployment.id, 5)).toEqual({ watch: false, why: 'halted' });
    expect((await engine.deployments.get(deployment.id))!.waveProgress?.halt).toEqual({ wave: 0, failed: 0, rejected: 1, total: 2, percent: 50, atMs: 5 });
  });
});

describe('ending a staged rollout', () => {
  it('a rollback of a halted rollout ends the targets that never released, and the halt no longer pauses it', async () => {
    const { requestAction, runBulkAction } = await import('../../../shared/deployments/operator-actions');
    const { deploymentStatus } = await import('../../../shared/deployments/deployment');
    const engine = memoryDeployEngine();
    const tenants = fleet(4);
    const deployment = deploymentOf({ tenants, waves: [{ percent: 50 }, { percent: 100 }], waveEnds: [2, 4], haltWhen: { failedOrRejectedPercent: 50 } });
    await engine.deployments.create(deployment);
    await engine.deployments.addTarget(targetOf(deployment.id, appidOf(1), 'released', { wave: 0 }));
    await engine.deployments.addTarget(targetOf(deployment.id, appidOf(2), 'rejected', { wave: 0 }));
    for (const appid of [appidOf(3), appidOf(4)]) await engine.deployments.addTarget(targetOf(deployment.id, appid, 'queued', { wave: 1 }));
    await progressWaves(engine, deployment.id);
    let stored = (await engine.deployments.get(deployment.id))!;
    expect(deploymentStatus(stored, await engine.deployments.tally(deployment.id))).toBe('paused');

    engine.wechat.miniProgram(appidOf(1)).history = [{ app_version: 1, user_version: '1.0.0' }] as never;
    await requestAction(engine, stored, 'rollback');
    await runBulkAction(engine, { deploymentId: deployment.id, action: 'rollback' });
    expect((await engine.deployments.getTarget(deployment.id, appidOf(3)))).toMatchObject({ state: 'cancelled', error: { code: 'rollout_rolled_back' } });
    stored = (await engine.deployments.get(deployment.id))!;
    expect(await engine.deployments.counts(deployment.id)).toMatchObject({ cancelled: 2, rejected: 1 });
    expect(deploymentStatus(stored, await engine.deployments.tally(deployment.id))).not.toBe('paused');
  });
});
