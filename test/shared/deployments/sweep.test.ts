import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advanceTarget, STALE_STEP_MS } from '../../../shared/deployments/advance-target';
import type { Deployment, Target } from '../../../shared/deployments/deployment';
import { requestAction } from '../../../shared/deployments/operator-actions';
import { sweepDeployments } from '../../../shared/deployments/sweep';
import type { TargetState } from '../../../shared/deployments/target-machine';
import { appidOf, deploymentOf, memoryDeployEngine, targetOf, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const ID = 'd-1-00000001';
const AFTER_MS = 60_000;
const OLD = T0 - AFTER_MS - 1;
const FRESH = T0 - AFTER_MS + 1_000;

let engine: MemoryDeployEngine;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  engine = memoryDeployEngine();
});
afterEach(() => vi.useRealTimers());

/** A deployment (in the sweeper's index, as created) with one target per entry, tenant appidOf(1), appidOf(2), … */
async function given(deployment: Partial<Deployment>, ...targets: [TargetState, Partial<Target>?][]): Promise<Deployment> {
  const created = deploymentOf({ id: ID, ...deployment });
  await engine.deployments.create(created);
  for (const [i, [state, over]] of targets.entries()) {
    engine.tenants.add(appidOf(i + 1));
    await engine.deployments.addTarget(targetOf(ID, appidOf(i + 1), state, { updatedAtMs: OLD, ...over }));
  }
  return created;
}

const sweep = (options: Parameters<typeof sweepDeployments>[1] = {}) => sweepDeployments(engine, { afterMs: AFTER_MS, ...options });
const redriven = () =>
  engine.deployQueue
    .take('advance')
    .map(({ message }) => message.appid)
    .sort();

describe('sweepDeployments', () => {
  it('re-drives targets with a step due and no activity for longer than the bound, and leaves live ones alone', async () => {
    await given(
      {},
      ['queued'],
      ['committed'],
      ['approved'],
      ['waiting', { waitingFor: 'd-0' }],
      ['queued', { updatedAtMs: FRESH }],
      ['auditing', { submittedAtMs: OLD }],
      ['released'],
      ['failed'],
    );
    const report = await sweep();
    expect(redriven()).toEqual([appidOf(1), appidOf(2), appidOf(3), appidOf(4)]);
    expect(report).toMatchObject({ deployments: 1, targets: 8, redriven: 4, retired: 0 });
  });

  it('re-drives a step in flight only once it is older than the stale window and the bound', async () => {
    await given(
      {},
      ['committing', { stepStartedAtMs: T0 - Math.max(STALE_STEP_MS, AFTER_MS) - 1 }],
      ['submitting', { stepStartedAtMs: T0 - Math.max(STALE_STEP_MS, AFTER_MS) + 1_000 }],
    );
    await sweep();
    expect(redriven()).toEqual([appidOf(1)]);
  });

  it('leaves a target backing off to its delayed message', async () => {
    await given({}, ['committed', { attempts: 2 }], ['committed', { attempts: 2, updatedAtMs: T0 - 16 * 60_000 - 1 }]);
    await sweep();
    expect(redriven()).toEqual([appidOf(2)]);
  });

  it('follows the operator: approved targets of a manual release wait, those of a requested release are re-driven', async () => {
    await given({ release: 'manual' }, ['approved']);
    await sweep();
    expect(redriven()).toEqual([]);
    // The operator's release (its queue side lost): the deployment is back in the index, as requestAction puts it.
    await engine.deployments.update(ID, { releaseRequested: { atMs: OLD } });
    await engine.deployments.activate(ID);
    await sweep();
    expect(redriven()).toEqual([appidOf(1)]);
  });

  it('re-drives the unsettled targets of a cancelled deployment, so they end cancelled', async () => {
    await given({ cancelRequested: true }, ['queued'], ['committed'], ['auditing', { submittedAtMs: OLD }]);
    await sweep();
    expect(redriven()).toEqual([appidOf(1), appidOf(2)]);
  });

  it('a re-driven target runs its step once, however often it is swept', async () => {
    await given({ submitAudit: false }, ['queued']);
    await sweep();
    await sweep();
    const messages = engine.deployQueue.take('advance');
    expect(messages).toHaveLength(2);
    for (const { message } of messages) await advanceTarget(engine, message.deploymentId, message.appid);
    expect(engine.wechat.argsOf('commit', appidOf(1))).toHaveLength(1);
    expect((await engine.deployments.getTarget(ID, appidOf(1)))?.state).toBe('committed');
  });

  it('records when it swept the deployment', async () => {
    await given({}, ['queued']);
    await sweep();
    expect(await engine.deployments.get(ID)).toMatchObject({ lastSweptAtMs: T0, updatedAtMs: 1_000 });
  });

  it('takes a settled deployment out of its index, and puts it back when an operator action gives it work', async () => {
    const deployment = await given({ release: 'manual' }, ['approved'], ['released']);
    expect(await sweep()).toMatchObject({ retired: 1, targets: 0 });
    expect(engine.deployments.active.has(ID)).toBe(false);
    expect(await sweep()).toMatchObject({ deployments: 0 });

    await requestAction(engine, deployment, 'release');
    expect(engine.deployments.active.has(ID)).toBe(true);
    vi.setSystemTime(T0 + AFTER_MS + 1);
    expect(await sweep()).toMatchObject({ deployments: 1, redriven: 1 });
  });

  it('resumes a fan-out untouched for longer than the bound from its cursor, and leaves a live one alone', async () => {
    await given({ fanOutDone: false, fanOutCursor: '500', updatedAtMs: FRESH });
    expect(await sweep()).toMatchObject({ fanOutsResumed: 0 });
    expect(engine.deployQueue.take('fan-out')).toEqual([]);

    vi.setSystemTime(T0 + AFTER_MS);
    expect(await sweep({ nowMs: Date.now() })).toMatchObject({ fanOutsResumed: 1, retired: 0 });
    expect(engine.deployQueue.take('fan-out').map(({ message }) => message)).toEqual([{ kind: 'fan-out', deploymentId: ID, cursor: '500' }]);
  });

  it('sends the first fan-out page of a deployment whose fan-out message was never sent (the send failed after it was stored)', async () => {
    await given({ fanOutDone: false, updatedAtMs: OLD });
    expect(await sweep()).toMatchObject({ fanOutsResumed: 1 });
    expect(engine.deployQueue.take('fan-out').map(({ message }) => message)).toEqual([{ kind: 'fan-out', deploymentId: ID }]);
  });

  it('reads at most its budget of targets per run, and the next run continues where it stopped, least recently swept first', async () => {
    await given({}, ...Array.from({ length: 5 }, () => ['queued'] as [TargetState]));
    await engine.deployments.create(deploymentOf({ id: 'd-2-00000002' }));
    await engine.deployments.addTarget(targetOf('d-2-00000002', appidOf(9), 'queued', { updatedAtMs: OLD }));

    expect(await sweep({ maxTargets: 3 })).toMatchObject({ deployments: 1, targets: 3, redriven: 3 });
    expect(redriven()).toEqual([appidOf(1), appidOf(2), appidOf(3)]);
    // The other deployment was never swept: it comes first now, then the rest of the first.
    expect(await sweep({ maxTargets: 3 })).toMatchObject({ deployments: 2, targets: 3, redriven: 3 });
    expect(redriven()).toEqual([appidOf(4), appidOf(5), appidOf(9)]);
  });

  it('puts deployments created before its index existed into it, once, and re-drives their stranded targets', async () => {
    // An installation upgraded from before the index: the deployment and its target are stored, the index knows nothing.
    await given({}, ['committed'], ['released']);
    await engine.deployments.create(deploymentOf({ id: 'd-2-00000002' }));
    await engine.deployments.addTarget(targetOf('d-2-00000002', appidOf(9), 'released', { updatedAtMs: OLD }));
    engine.deployments.active.clear();

    expect(await sweep()).toMatchObject({ backfilled: 2, deployments: 2, redriven: 1, retired: 1 });
    expect(redriven()).toEqual([appidOf(1)]);
    expect(engine.deployments.backfill).toEqual({ done: true });
    // Done for good: a later run does not read the list again, and the settled one stays out.
    expect(await sweep()).toMatchObject({ backfilled: 0, deployments: 1 });
  });

  it('drops an index entry whose deployment was never stored', async () => {
    vi.setSystemTime(OLD);
    await engine.deployments.activate('d-9-00000009');
    vi.setSystemTime(T0);
    expect(await sweep()).toMatchObject({ retired: 1 });
  });
});
