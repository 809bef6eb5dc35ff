import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advanceTarget } from '../../../shared/deployments/advance-target';
import type { Deployment, Target } from '../../../shared/deployments/deployment';
import { requestAction, runBulkAction } from '../../../shared/deployments/operator-actions';
import type { TargetState } from '../../../shared/deployments/target-machine';
import { Conflict } from '../../../shared/errors';
import { appidOf, deploymentOf, memoryDeployEngine, targetOf, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const ID = 'd-1-00000001';

let engine: MemoryDeployEngine;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  engine = memoryDeployEngine();
});
afterEach(() => vi.useRealTimers());

/** A deployment with one target per entry, tenant appidOf(1), appidOf(2), … */
async function given(deployment: Partial<Deployment>, ...targets: [TargetState, Partial<Target>?][]): Promise<Deployment> {
  const created = deploymentOf({ id: ID, ...deployment });
  await engine.deployments.create(created);
  for (const [i, [state, over]] of targets.entries()) {
    engine.tenants.add(appidOf(i + 1));
    await engine.deployments.addTarget(targetOf(ID, appidOf(i + 1), state, over));
  }
  return created;
}

const states = async () => (await engine.deployments.listTargets(ID, 1_000)).targets.map((t) => t.state);
const advanced = () =>
  engine.deployQueue
    .take('advance')
    .map(({ message }) => message.appid)
    .sort();

describe('requestAction', () => {
  it.each([
    ['release', { release: 'auto' }, 'release_is_automatic'],
    ['retry', { cancelRequested: true }, 'deployment_cancelled'],
  ] as const)('refuses %s with 409 %s, recording and sending nothing', async (action, over, code) => {
    const deployment = await given(over);

    const refused = requestAction(engine, deployment, action);

    await expect(refused).rejects.toBeInstanceOf(Conflict);
    await expect(refused).rejects.toMatchObject({ code });
    expect(await engine.deployments.get(ID)).toEqual(deployment);
    expect(engine.deployQueue.sent).toEqual([]);
  });

  it('records a gray release request and hands the work to the queue', async () => {
    const deployment = await given({ release: 'manual' });

    await requestAction(engine, deployment, 'release', { grayPercentage: 10 });

    expect(await engine.deployments.get(ID)).toMatchObject({ pendingAction: 'release', releaseRequested: { atMs: T0, grayPercentage: 10 } });
    expect(engine.deployQueue.sent).toEqual([{ message: { kind: 'bulk', deploymentId: ID, action: 'release' }, delaySeconds: 0 }]);
  });

  it.each([
    ['rollback', { rollbackRequested: true }],
    ['cancel', { cancelRequested: true }],
  ] as const)('records the %s intent, so targets that get there later follow it too', async (action, intent) => {
    const deployment = await given({});
    await requestAction(engine, deployment, action);
    expect(await engine.deployments.get(ID)).toMatchObject({ pendingAction: action, ...intent });
  });

  it('lifts an audit-quota pause on retry', async () => {
    const deployment = await given({ pausedReason: 'WeChat refused further audit submissions this month (85085)' });
    await requestAction(engine, deployment, 'retry');
    const stored = await engine.deployments.get(ID);
    expect(stored).toMatchObject({ pendingAction: 'retry' });
    expect(stored).not.toHaveProperty('pausedReason');
  });
});

describe('runBulkAction', () => {
  it('retries each failed target from the step that failed and re-drives every target with work left', async () => {
    await given(
      { pendingAction: 'retry' },
      ['failed', { resumeFrom: 'committed', attempts: 4, error: { code: -1, message: 'busy' } }],
      ['failed', { error: { code: 'audit_withdrawn', message: 'the audit was withdrawn' } }],
      ['failed', { resumeFrom: 'approved', error: { code: 85013, message: 'bad' } }],
      ['rejected', { reason: 'icon' }],
      ['skipped', { error: { code: 'tenant_revoked', message: 'revoked' } }],
      ['auditing'],
      ['released'],
    );

    await runBulkAction(engine, ID, 'retry');

    expect(await states()).toEqual(['committed', 'queued', 'approved', 'rejected', 'skipped', 'auditing', 'released']);
    expect(await engine.deployments.getTarget(ID, appidOf(1))).toMatchObject({ attempts: 0 });
    expect(await engine.deployments.getTarget(ID, appidOf(1))).not.toHaveProperty('error');
    expect(advanced()).toEqual([appidOf(1), appidOf(2), appidOf(3), appidOf(6)]);
    expect(await engine.deployments.get(ID)).not.toHaveProperty('pendingAction');
  });

  it('runs only the failed step again: a failed submit is submitted, not committed again', async () => {
    await given({ pendingAction: 'retry' }, ['failed', { resumeFrom: 'committed', error: { code: 85013, message: 'bad' } }]);

    await runBulkAction(engine, ID, 'retry');
    for (const { message } of engine.deployQueue.take('advance')) await advanceTarget(engine, ID, message.appid);

    expect(engine.wechat.methods()).toEqual(['submitAudit']);
    expect(await states()).toEqual(['auditing']);
  });

  it('submits the committed targets of a deployment paused by the audit quota once the operator retries', async () => {
    const deployment = await given({ pausedReason: '85085' }, ['committed', { error: { code: 85085, message: 'quota' } }], ['committed']);

    await requestAction(engine, deployment, 'retry');
    const [bulk] = engine.deployQueue.take('bulk');
    await runBulkAction(engine, ID, bulk!.message.action);
    for (const { message } of engine.deployQueue.take('advance')) await advanceTarget(engine, ID, message.appid);

    expect(engine.wechat.methods()).toEqual(['submitAudit', 'submitAudit']);
    expect(await states()).toEqual(['auditing', 'auditing']);
  });

  it('cancels what has not reached WeChat’s audit and lets in-flight steps finish', async () => {
    await given({ cancelRequested: true, pendingAction: 'cancel', release: 'manual' }, ['queued'], ['committed'], ['committing', { stepStartedAtMs: T0 }], ['auditing'], ['approved']);

    await runBulkAction(engine, ID, 'cancel');

    expect(await states()).toEqual(['cancelled', 'cancelled', 'committing', 'auditing', 'approved']);
    expect(advanced()).toEqual([appidOf(3), appidOf(4)]);
    expect(await engine.deployments.get(ID)).not.toHaveProperty('pendingAction');
  });

  it('re-drives the approved targets of a requested release, and only those', async () => {
    await given({ release: 'manual', releaseRequested: { atMs: T0 }, pendingAction: 'release' }, ['approved'], ['rejected'], ['approved'], ['released']);

    await runBulkAction(engine, ID, 'release');

    expect(await states()).toEqual(['approved', 'rejected', 'approved', 'released']);
    expect(advanced()).toEqual([appidOf(1), appidOf(3)]);
  });

  it('re-drives the released targets of a requested rollback', async () => {
    await given({ rollbackRequested: true, pendingAction: 'rollback' }, ['released'], ['failed'], ['released']);
    await runBulkAction(engine, ID, 'rollback');
    expect(advanced()).toEqual([appidOf(1), appidOf(3)]);
  });

  it('sends every target once however many there are', async () => {
    await given({ pendingAction: 'retry' }, ...Array.from({ length: 250 }, (): [TargetState] => ['failed']));

    await runBulkAction(engine, ID, 'retry');

    const appids = advanced();
    expect(appids).toHaveLength(250);
    expect(new Set(appids).size).toBe(250);
  });

  it('leaves a newer pending action in place', async () => {
    await given({ pendingAction: 'retry' }, ['failed']);
    await engine.deployments.update(ID, { pendingAction: 'cancel', cancelRequested: true });

    await runBulkAction(engine, ID, 'retry');

    expect(await engine.deployments.get(ID)).toMatchObject({ pendingAction: 'cancel' });
  });

  it('does nothing for a deployment that does not exist', async () => {
    await runBulkAction(engine, 'd-404', 'retry');
    expect(engine.deployQueue.sent).toEqual([]);
  });
});
