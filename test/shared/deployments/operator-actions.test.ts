import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advanceTarget } from '../../../shared/deployments/advance-target';
import type { BulkAction, Deployment, Target } from '../../../shared/deployments/deployment';
import { fanOutPage } from '../../../shared/deployments/fan-out';
import { requestAction, runBulkAction, type ActionOptions } from '../../../shared/deployments/operator-actions';
import type { TargetState } from '../../../shared/deployments/target-machine';
import { Conflict } from '../../../shared/errors';
import { appidOf, deploymentOf, memoryDeployEngine, targetOf, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const ID = 'd-1-00000001';
const OTHER = 'd-2-00000002';

let engine: MemoryDeployEngine;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  engine = memoryDeployEngine();
});
afterEach(() => vi.useRealTimers());

/**
 * A deployment with one target per entry, tenant appidOf(1), appidOf(2), … Each tenant was last
 * held by this deployment (and let go of), so what it left at WeChat is still there.
 */
async function given(deployment: Partial<Deployment>, ...targets: [TargetState, Partial<Target>?][]): Promise<Deployment> {
  const created = deploymentOf({ id: ID, ...deployment });
  await engine.deployments.create(created);
  for (const [i, [state, over]] of targets.entries()) {
    engine.tenants.add(appidOf(i + 1));
    await engine.tenants.hold(appidOf(i + 1), ID);
    await engine.tenants.letGo(appidOf(i + 1), ID);
    await engine.deployments.addTarget(targetOf(ID, appidOf(i + 1), state, over));
  }
  return created;
}

/** The queue side of the action, as the worker runs it for the bulk message that was sent. */
async function runSentBulk(): Promise<void> {
  for (const { message } of engine.deployQueue.take('bulk')) await runBulkAction(engine, message);
}

const states = async () => (await engine.deployments.listTargets(ID, 1_000)).targets.map((t) => t.state);
const advanced = () =>
  engine.deployQueue
    .take('advance')
    .map(({ message }) => message.appid)
    .sort();

describe('requestAction', () => {
  const HISTORY = [{ app_version: 5, user_version: '1.1.0', user_desc: 'older', commit_time: 0 }];

  it.each<[string, Partial<Deployment>, [TargetState, Partial<Target>?][], BulkAction, ActionOptions, string, string]>([
    ['a release of an auto deployment', { release: 'auto' }, [['approved']], 'release', {}, 'release_is_automatic', 'this deployment releases approved targets automatically'],
    ['a release of a cancelled deployment', { release: 'manual', cancelRequested: true }, [['approved']], 'release', {}, 'deployment_cancelled', 'a cancelled deployment releases nothing: create a new one'],
    ['a release of a rolled back deployment', { release: 'manual', rollbackRequested: true }, [['approved']], 'release', {}, 'deployment_rolled_back', 'this deployment was rolled back: create a new one to release again'],
    ['a release with nothing approved', { release: 'manual' }, [['auditing'], ['auditing'], ['rejected']], 'release', {}, 'nothing_to_release', 'no target is approved or in a gray release (2 auditing, 1 rejected)'],
    [
      'a gray release no wider than the running one',
      { release: 'manual', releaseRequested: { atMs: 1, grayPercentage: 20 } },
      [['gray', { grayPercentage: 20 }]],
      'release',
      { grayPercentage: 20 },
      'gray_not_wider',
      'targets are gray at 20%: a gray release only widens (ask for more than 20%) or completes (ask without a percentage)',
    ],
    ['a gray revert with nothing gray', { release: 'manual' }, [['approved']], 'revert-gray', {}, 'no_gray_release', 'no target is in a gray release (1 approved)'],
    ['a rollback with nothing released', {}, [['approved']], 'rollback', {}, 'nothing_to_roll_back', 'no target is released or in a gray release (1 approved)'],
    ['a second rollback', { rollbackRequested: true }, [['rolled_back']], 'rollback', {}, 'nothing_to_roll_back', 'this deployment was already rolled back'],
    ['a rollback with no earlier version at WeChat', {}, [['released']], 'rollback', {}, 'no_earlier_version', `no earlier version to roll back to: WeChat keeps no version before 1.2.0 for ${appidOf(1)}`],
    ['a cancel with every target settled', {}, [['released'], ['failed']], 'cancel', {}, 'nothing_to_cancel', 'every target has settled (1 released, 1 failed)'],
    ['a retry of a cancelled deployment', { cancelRequested: true }, [['failed']], 'retry', {}, 'deployment_cancelled', 'a cancelled deployment cannot be retried: create a new one'],
    ['a retry with nothing failed, blocked or rejected', {}, [['released']], 'retry', {}, 'nothing_to_retry', 'no target failed, was blocked or was rejected (1 released)'],
  ])('refuses %s with 409 %s, recording and sending nothing', async (_, over, targets, action, options, code, message) => {
    const deployment = await given(over, ...targets);

    const refused = requestAction(engine, deployment, action, options);

    await expect(refused).rejects.toBeInstanceOf(Conflict);
    await expect(refused).rejects.toMatchObject({ code, message });
    expect(await engine.deployments.get(ID)).toEqual(deployment);
    expect(engine.deployQueue.sent).toEqual([]);
  });

  it('records a gray release request, with its time, and hands the work to the queue', async () => {
    const deployment = await given({ release: 'manual' }, ['approved']);

    await requestAction(engine, deployment, 'release', { grayPercentage: 10 });

    expect(await engine.deployments.get(ID)).toMatchObject({ pendingAction: { action: 'release', atMs: T0 }, releaseRequested: { atMs: T0, grayPercentage: 10 } });
    expect(engine.deployQueue.sent).toEqual([{ message: { kind: 'bulk', deploymentId: ID, action: 'release', requestedAtMs: T0 }, delaySeconds: 0 }]);
  });

  it.each([
    ['widens a gray release to a larger share', { grayPercentage: 30 }, { atMs: T0, grayPercentage: 30 }],
    ['completes a gray release asked without a percentage', {}, { atMs: T0 }],
  ])('%s, and forgets an earlier gray revert', async (_, options, releaseRequested) => {
    const deployment = await given({ release: 'manual', releaseRequested: { atMs: 1, grayPercentage: 20 }, revertGrayRequested: true }, ['gray', { grayPercentage: 20 }]);

    await requestAction(engine, deployment, 'release', options);

    const stored = await engine.deployments.get(ID);
    expect(stored?.releaseRequested).toEqual(releaseRequested);
    expect(stored).not.toHaveProperty('revertGrayRequested');
  });

  it('records a gray revert and forgets the release request: reverted targets wait for the next one', async () => {
    const deployment = await given({ release: 'manual', releaseRequested: { atMs: 1, grayPercentage: 20 } }, ['gray', { grayPercentage: 20 }]);

    await requestAction(engine, deployment, 'revert-gray');

    const stored = await engine.deployments.get(ID);
    expect(stored).toMatchObject({ revertGrayRequested: true, pendingAction: { action: 'revert-gray', atMs: T0 } });
    expect(stored).not.toHaveProperty('releaseRequested');
  });

  it.each([
    ['rollback', ['released'], { rollbackRequested: true }],
    ['cancel', ['queued'], { cancelRequested: true }],
  ] as const)('records the %s intent, so targets that get there later follow it too', async (action, [state], intent) => {
    Object.assign(engine.wechat.miniProgram(appidOf(1)), { online: '1.2.0', history: HISTORY });
    const deployment = await given({}, [state]);
    await requestAction(engine, deployment, action);
    expect(await engine.deployments.get(ID)).toMatchObject({ pendingAction: { action, atMs: T0 }, ...intent });
  });

  it('asks WeChat whether a rollback is possible, and is satisfied by one released target that can make it', async () => {
    Object.assign(engine.wechat.miniProgram(appidOf(2)), { online: '1.2.0', history: HISTORY });
    const deployment = await given({}, ['released'], ['released']);

    await requestAction(engine, deployment, 'rollback');

    expect(engine.wechat.methods().sort()).toEqual(['getHistoryVersion', 'getHistoryVersion']);
    expect(await engine.deployments.get(ID)).toMatchObject({ rollbackRequested: true });
  });

  it('records a cancel that withdraws audits, and accepts one while targets are still being recorded', async () => {
    const deployment = await given({ fanOutDone: false });
    await requestAction(engine, deployment, 'cancel', { withdrawAudits: true });
    expect(await engine.deployments.get(ID)).toMatchObject({ cancelRequested: true, withdrawAudits: true });
  });

  it('lifts an audit-quota pause on retry', async () => {
    const deployment = await given({ pausedReason: 'WeChat refused further audit submissions this month (85085)' });
    await requestAction(engine, deployment, 'retry');
    const stored = await engine.deployments.get(ID);
    expect(stored).toMatchObject({ pendingAction: { action: 'retry', atMs: T0 } });
    expect(stored).not.toHaveProperty('pausedReason');
  });

  it('resumes an interrupted fan-out from its cursor on retry, though no recorded target failed', async () => {
    const deployment = await given({ fanOutDone: false, fanOutCursor: '1', tenants: [appidOf(1), appidOf(2), appidOf(3)] }, ['committing', { stepStartedAtMs: T0 }]);
    engine.tenants.add(appidOf(2));
    engine.tenants.add(appidOf(3));
    await requestAction(engine, deployment, 'retry');
    expect(engine.deployQueue.take('fan-out').map(({ message }) => message)).toEqual([{ kind: 'fan-out', deploymentId: ID, cursor: '1' }]);
    // The resumed page records the rest, and the fan-out ends.
    await fanOutPage(engine, ID, '1');
    expect(await states()).toEqual(['committing', 'queued', 'queued']);
    expect(advanced()).toEqual([appidOf(2), appidOf(3)]);
    expect(await engine.deployments.get(ID)).toMatchObject({ fanOutDone: true });
    expect(await engine.deployments.get(ID)).not.toHaveProperty('fanOutCursor');
  });

  it('resumes a fan-out that never recorded a target (its first message lost) from the start', async () => {
    const deployment = await given({ fanOutDone: false });
    await requestAction(engine, deployment, 'retry');
    expect(engine.deployQueue.take('fan-out').map(({ message }) => message)).toEqual([{ kind: 'fan-out', deploymentId: ID }]);
    expect(engine.deployQueue.take('bulk')).toHaveLength(1);
  });

  it('sends no fan-out on retry once the fan-out is done', async () => {
    const deployment = await given({}, ['failed', { resumeFrom: 'queued' }]);
    await requestAction(engine, deployment, 'retry');
    expect(engine.deployQueue.take('fan-out')).toEqual([]);
  });

  it('records what a retry resubmits rejected targets with', async () => {
    const deployment = await given({}, ['rejected', { reason: 'icon' }]);
    await requestAction(engine, deployment, 'retry', { feedbackInfo: 'the icon is sharp now', auditItems: [{ address: 'pages/index/index' }] });
    expect(await engine.deployments.get(ID)).toMatchObject({ resubmission: { atMs: T0, feedbackInfo: 'the icon is sharp now', auditItems: [{ address: 'pages/index/index' }] } });
  });
});

describe('runBulkAction', () => {
  it('retries each failed target from the step that failed and re-drives every target with work left', async () => {
    await given(
      { pendingAction: { action: 'retry', atMs: T0 } },
      ['failed', { resumeFrom: 'committed', attempts: 4, error: { code: -1, message: 'busy' } }],
      ['failed', { error: { code: 'audit_withdrawn', message: 'the audit was withdrawn' } }],
      ['failed', { resumeFrom: 'approved', error: { code: 85013, message: 'bad' } }],
      ['rejected', { reason: 'icon' }],
      ['skipped', { error: { code: 'tenant_revoked', message: 'revoked' } }],
      ['auditing'],
      ['released'],
    );

    await runBulkAction(engine, { deploymentId: ID, action: 'retry', requestedAtMs: T0 });

    // The rejected target is resubmitted.
    expect(await states()).toEqual(['committed', 'queued', 'approved', 'committed', 'skipped', 'auditing', 'released']);
    expect(await engine.deployments.getTarget(ID, appidOf(1))).toMatchObject({ attempts: 0 });
    expect(await engine.deployments.getTarget(ID, appidOf(1))).not.toHaveProperty('error');
    expect(await engine.deployments.getTarget(ID, appidOf(4))).toMatchObject({ previousRejection: 'icon', auditsOursSinceMs: T0 });
    expect(advanced()).toEqual([appidOf(1), appidOf(2), appidOf(3), appidOf(4), appidOf(6)]);
    // Each tenant it resumes on is held again.
    for (const n of [1, 2, 3, 4]) expect((await engine.tenants.get(appidOf(n)))?.heldBy).toBe(ID);
    expect(await engine.deployments.get(ID)).not.toHaveProperty('pendingAction');
  });

  it('runs only the failed step again: a failed submit is submitted, not committed again', async () => {
    await given({ pendingAction: { action: 'retry', atMs: T0 } }, ['failed', { resumeFrom: 'committed', error: { code: 85013, message: 'bad' } }]);

    await runBulkAction(engine, { deploymentId: ID, action: 'retry' });
    for (const { message } of engine.deployQueue.take('advance')) await advanceTarget(engine, ID, message.appid);

    expect(engine.wechat.methods()).toEqual(['submitAudit']);
    expect(await states()).toEqual(['auditing']);
  });

  it('submits the committed targets of a deployment paused by the audit quota once the operator retries', async () => {
    const deployment = await given({ pausedReason: '85085' }, ['committed', { error: { code: 85085, message: 'quota' } }], ['committed']);

    await requestAction(engine, deployment, 'retry');
    await runSentBulk();
    for (const { message } of engine.deployQueue.take('advance')) await advanceTarget(engine, ID, message.appid);

    // The one refused with 85085 is looked up first: its submission may have landed.
    expect(engine.wechat.methods()).toEqual(['getLatestAuditStatus', 'submitAudit', 'submitAudit']);
    expect(await states()).toEqual(['auditing', 'auditing']);
    expect(await engine.deployments.get(ID)).not.toHaveProperty('pendingAction');
  });

  it('starts again from the commit a target whose tenant another deployment used since', async () => {
    await given({}, ['failed', { resumeFrom: 'approved', error: { code: 85013, message: 'bad' } }], ['rejected', { reason: 'icon' }]);
    for (const n of [1, 2]) {
      await engine.tenants.hold(appidOf(n), OTHER);
      await engine.tenants.letGo(appidOf(n), OTHER);
    }

    await runBulkAction(engine, { deploymentId: ID, action: 'retry' });

    expect(await states()).toEqual(['queued', 'queued']);
    expect(await engine.deployments.getTarget(ID, appidOf(2))).toMatchObject({ previousRejection: 'icon' });
  });

  it('resubmits a rejected target with the feedback the operator gave, once it is retried', async () => {
    const deployment = await given({}, ['rejected', { reason: 'the icon is blurry', auditId: 31 }]);

    await requestAction(engine, deployment, 'retry', { feedbackInfo: 'the icon is sharp now' });
    await runSentBulk();
    for (const { message } of engine.deployQueue.take('advance')) await advanceTarget(engine, ID, message.appid);

    expect(engine.wechat.argsOf('submitAudit')).toEqual([[{ version_desc: 'settings page', feedback_info: 'the icon is sharp now' }]]);
    expect(await engine.deployments.getTarget(ID, appidOf(1))).toMatchObject({ state: 'auditing', auditId: 1001, previousRejection: 'the icon is blurry' });
  });

  it('cancels what has not reached WeChat’s audit and lets in-flight steps finish', async () => {
    const pendingAction = { action: 'cancel' as const, atMs: T0 };
    await given({ cancelRequested: true, pendingAction, release: 'manual' }, ['queued'], ['committed'], ['committing', { stepStartedAtMs: T0 }], ['auditing'], ['approved']);
    for (const n of [1, 2, 3, 4, 5]) await engine.tenants.hold(appidOf(n), ID);

    await runBulkAction(engine, { deploymentId: ID, action: 'cancel', requestedAtMs: T0 });

    // Approved targets are cancelled too: nothing is released. The audit's result will settle its target.
    expect(await states()).toEqual(['cancelled', 'cancelled', 'committing', 'auditing', 'cancelled']);
    expect(advanced()).toEqual([appidOf(3)]);
    expect((await Promise.all([1, 2, 3, 4, 5].map((n) => engine.tenants.get(appidOf(n))))).map((t) => t?.heldBy)).toEqual([undefined, undefined, ID, ID, undefined]);
    expect(await engine.deployments.get(ID)).not.toHaveProperty('pendingAction');
  });

  it('re-drives the audits under review of a cancel that withdraws them, a withdrawal WeChat refused included: the operator asked again', async () => {
    await given({ cancelRequested: true, withdrawAudits: true }, ['auditing'], ['auditing', { refused: 'withdraw', error: { code: 87013, message: 'no quota' } }]);
    await runBulkAction(engine, { deploymentId: ID, action: 'cancel' });
    expect(advanced()).toEqual([appidOf(1), appidOf(2)]);
    const reconsidered = await engine.deployments.getTarget(ID, appidOf(2));
    expect(reconsidered).toMatchObject({ state: 'auditing' });
    expect(reconsidered).not.toHaveProperty('refused');
    expect(reconsidered).not.toHaveProperty('error');
  });

  it('re-drives the approved targets of a requested release, and only those', async () => {
    await given({ release: 'manual', releaseRequested: { atMs: T0 }, pendingAction: { action: 'release', atMs: T0 } }, ['approved'], ['rejected'], ['approved'], ['released'], ['gray', { grayPercentage: 10 }]);

    await runBulkAction(engine, { deploymentId: ID, action: 'release', requestedAtMs: T0 });

    expect(await states()).toEqual(['approved', 'rejected', 'approved', 'released', 'gray']);
    expect(advanced()).toEqual([appidOf(1), appidOf(3), appidOf(5)]);
  });

  it('re-drives the released targets of a requested rollback', async () => {
    await given({ rollbackRequested: true, pendingAction: { action: 'rollback', atMs: T0 } }, ['released'], ['failed'], ['released'], ['gray', { grayPercentage: 10 }]);
    await runBulkAction(engine, { deploymentId: ID, action: 'rollback', requestedAtMs: T0 });
    expect(advanced()).toEqual([appidOf(1), appidOf(3), appidOf(4)]);
  });

  it('sends every target once however many there are', async () => {
    await given({ pendingAction: { action: 'retry', atMs: T0 } }, ...Array.from({ length: 250 }, (): [TargetState] => ['failed']));

    await runBulkAction(engine, { deploymentId: ID, action: 'retry', requestedAtMs: T0 });

    const appids = advanced();
    expect(appids).toHaveLength(250);
    expect(new Set(appids).size).toBe(250);
  });

  it.each([
    ['another action', { action: 'cancel' as const, atMs: T0 + 1 }],
    ['the same action asked again', { action: 'retry' as const, atMs: T0 + 1 }],
  ])('leaves a newer pending action in place: %s', async (_, newer) => {
    await given({ pendingAction: { action: 'retry', atMs: T0 } }, ['failed']);
    await engine.deployments.update(ID, { pendingAction: newer });

    await runBulkAction(engine, { deploymentId: ID, action: 'retry', requestedAtMs: T0 });

    expect(await engine.deployments.get(ID)).toMatchObject({ pendingAction: newer });
  });

  it('does nothing for a deployment that does not exist', async () => {
    await runBulkAction(engine, { deploymentId: 'd-404', action: 'retry' });
    expect(engine.deployQueue.sent).toEqual([]);
  });
});
