import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advanceTarget } from '../../../shared/deployments/advance-target';
import type { Deployment, Target } from '../../../shared/deployments/deployment';
import { LETS_GO_OF_TENANT, type TargetState } from '../../../shared/deployments/target-machine';
import { letGoIfSettled } from '../../../shared/deployments/tenant-turns';
import { logger } from '../../../shared/logger';
import { WeChatApiError } from '../../../shared/wechat/errors';
import { appidOf, deploymentOf, memoryDeployEngine, targetOf, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

/**
 * One tenant, one deployment at a time: a deployment holds the tenant from its commit until its
 * target lets go; another deployment's target waits (or supersedes the holder when asked to).
 */

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const A = appidOf(0xa);
/** The deployment holding tenant A, and the newer one that wants it. */
const OLDER = 'd-1-00000001';
const NEWER = 'd-2-00000002';

let engine: MemoryDeployEngine;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  engine = memoryDeployEngine();
  engine.tenants.add(A);
  // Refused withdrawals log a warning; the tests assert on the outcome instead.
  vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A deployment with a target for tenant A. */
async function given(id: string, state: TargetState, deployment: Partial<Deployment> = {}, target: Partial<Target> = {}): Promise<void> {
  await engine.deployments.create(deploymentOf({ id, createdAtMs: T0 - 60_000, ...deployment }));
  await engine.deployments.addTarget(targetOf(id, A, state, target));
}

/** The older deployment's target, in `state`, holding tenant A. */
async function holding(state: TargetState, deployment: Partial<Deployment> = {}, target: Partial<Target> = {}): Promise<void> {
  await given(OLDER, state, deployment, target);
  await engine.tenants.hold(A, OLDER);
}

const targetOfDeployment = async (id: string) => (await engine.deployments.getTarget(id, A))!;
const heldBy = async () => (await engine.tenants.get(A))?.heldBy;
const advanced = () => engine.deployQueue.take('advance').map(({ message, delaySeconds }) => ({ deploymentId: message.deploymentId, delaySeconds }));

describe('waiting for the tenant', () => {
  it('lets a second deployment’s target wait its turn, visibly, and look again later', async () => {
    await holding('auditing');
    await given(NEWER, 'queued');

    await advanceTarget(engine, NEWER, A);

    expect(engine.wechat.calls).toEqual([]);
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'waiting', waitingFor: OLDER });
    expect(await heldBy()).toBe(OLDER);
    expect(engine.tenants.waitingFor(A)).toEqual([NEWER]);
    // A wake-up could be lost: it looks again after SQS's longest delay.
    expect(advanced()).toEqual([{ deploymentId: NEWER, delaySeconds: 900 }]);

    await advanceTarget(engine, NEWER, A); // that look, while the tenant is still held
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'waiting', waitingFor: OLDER });
    expect(engine.wechat.calls).toEqual([]);
  });

  it('wakes the waiting deployment when the holder lets go, and it starts from the commit', async () => {
    await holding('approved');
    await given(NEWER, 'queued');
    await advanceTarget(engine, NEWER, A);
    engine.deployQueue.take();

    const separately = [vi.spyOn(engine.tenants, 'recordRelease'), vi.spyOn(engine.tenants, 'letGo')];
    await advanceTarget(engine, OLDER, A); // released: the older deployment is done with the tenant
    expect(await targetOfDeployment(OLDER)).toMatchObject({ state: 'released' });
    expect(advanced()).toEqual([{ deploymentId: NEWER, delaySeconds: 0 }]);
    // The release recorded and the tenant let go of in one write.
    expect(await engine.tenants.get(A)).toMatchObject({ releasedVersion: '1.2.0' });
    for (const spy of separately) expect(spy).not.toHaveBeenCalled();

    await advanceTarget(engine, NEWER, A);
    expect(engine.wechat.methods(A)).toEqual(['release', 'commit', 'submitAudit']);
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'auditing' });
    expect(await targetOfDeployment(NEWER)).not.toHaveProperty('waitingFor');
    expect(await heldBy()).toBe(NEWER);
  });

  it('starts at once when the holder let go between its hold and its wait (no wake-up would come)', async () => {
    await holding('auditing');
    await given(NEWER, 'queued');
    const waitFor = engine.tenants.waitFor.bind(engine.tenants);
    vi.spyOn(engine.tenants, 'waitFor').mockImplementation(async (appid, id) => {
      await engine.tenants.letGo(appid, OLDER); // the older target settled meanwhile, waking nobody
      return waitFor(appid, id);
    });

    await advanceTarget(engine, NEWER, A);

    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit']);
    expect(await heldBy()).toBe(NEWER);
  });

  it('finishes the let-go of a holder whose worker died after landing its release: the release is recorded and the tenant taken', async () => {
    await holding('approved');
    await given(NEWER, 'queued');
    vi.setSystemTime(T0 + 1000);
    // The older target's release lands; its worker dies before the write that records it and lets go.
    for (const method of ['recordReleaseAndLetGo', 'recordRelease', 'letGo'] as const) vi.spyOn(engine.tenants, method).mockRejectedValueOnce(new Error('killed'));
    await expect(advanceTarget(engine, OLDER, A)).rejects.toThrow('killed');
    expect(await targetOfDeployment(OLDER)).toMatchObject({ state: 'released' });
    expect(await heldBy()).toBe(OLDER);
    vi.restoreAllMocks();

    await advanceTarget(engine, NEWER, A);

    expect(await engine.tenants.get(A)).toMatchObject({ releasedVersion: '1.2.0', heldBy: NEWER });
    expect(engine.wechat.methods(A)).toEqual(['release', 'commit', 'submitAudit']);
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'auditing' });
  });

  it('leaves the hold to a holder whose settled target the operator retried (held again since it settled)', async () => {
    await given(OLDER, 'failed', {}, { updatedAtMs: T0 - 5000 });
    await engine.tenants.hold(A, OLDER); // the retry's hold, before the target moves on
    await given(NEWER, 'queued');

    await advanceTarget(engine, NEWER, A);

    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'waiting', waitingFor: OLDER });
    expect(await heldBy()).toBe(OLDER);
    expect(engine.wechat.calls).toEqual([]);
  });

  it('cancels a waiting target of a cancelled deployment without taking the tenant', async () => {
    await holding('auditing');
    await given(NEWER, 'waiting', { cancelRequested: true }, { waitingFor: OLDER });

    await advanceTarget(engine, NEWER, A);

    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'cancelled' });
    expect(await heldBy()).toBe(OLDER);
  });
});

describe('superseding the holder', () => {
  it.each<TargetState>(['queued', 'committed', 'approved'])('cancels an older target that is %s and takes the tenant over', async (state) => {
    await holding(state, { release: 'manual' });
    await given(NEWER, 'queued', { supersede: true });

    await advanceTarget(engine, NEWER, A);

    expect(await targetOfDeployment(OLDER)).toMatchObject({ state: 'cancelled', error: { code: 'superseded', message: `superseded by deployment ${NEWER}` } });
    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit']);
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'auditing' });
    expect(await heldBy()).toBe(NEWER);
  });

  it('withdraws an older audit under review, then takes the tenant over', async () => {
    await holding('auditing', {}, { auditId: 31, submittedAtMs: T0 - 60_000 });
    await given(NEWER, 'queued', { supersede: true });

    await advanceTarget(engine, NEWER, A);

    expect(engine.wechat.methods(A)).toEqual(['undoCodeAudit', 'commit', 'submitAudit']);
    expect(await targetOfDeployment(OLDER)).toMatchObject({
      state: 'cancelled',
      auditOutcome: 'withdrawn',
      error: { code: 'audit_withdrawn', message: 'a newer deployment superseded this one: its audit was withdrawn (undocodeaudit)' },
    });
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'auditing' });
    expect(await heldBy()).toBe(NEWER);
  });

  it('waits when WeChat refuses to withdraw the older audit (87013)', async () => {
    await holding('auditing', {}, { auditId: 31, submittedAtMs: T0 - 60_000 });
    await given(NEWER, 'queued', { supersede: true });
    engine.wechat.script('undoCodeAudit', new WeChatApiError({ code: 87013, errmsg: 'quota used up', path: '/wxa/undocodeaudit' }));

    await advanceTarget(engine, NEWER, A);

    expect(await targetOfDeployment(OLDER)).toMatchObject({ state: 'auditing', refused: 'withdraw' });
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'waiting', waitingFor: OLDER });
    expect(await heldBy()).toBe(OLDER);
  });

  it.each<[TargetState, Partial<Target>]>([
    ['committing', { stepStartedAtMs: T0 }],
    ['releasing', { stepStartedAtMs: T0, step: 'release' }],
    ['gray', { grayPercentage: 10 }],
    ['auditing', { refused: 'withdraw' }],
  ])('leaves an older target that is %s to finish, and waits', async (state, over) => {
    await holding(state, {}, over);
    const before = await targetOfDeployment(OLDER);
    await given(NEWER, 'queued', { supersede: true });

    await advanceTarget(engine, NEWER, A);

    expect(engine.wechat.calls).toEqual([]);
    expect(await targetOfDeployment(OLDER)).toEqual(before);
    expect(await targetOfDeployment(NEWER)).toMatchObject({ state: 'waiting', waitingFor: OLDER });
  });
});

describe('letGoIfSettled', () => {
  const settles: [string, TargetState, Partial<Deployment>][] = [
    ...[...LETS_GO_OF_TENANT].map((state): [string, TargetState, Partial<Deployment>] => [state, state, {}]),
    ['committed, submitting nothing', 'committed', { submitAudit: false }],
  ];

  it.each(settles)('lets go of the tenant at %s and wakes the deployments waiting for it', async (_, state, over) => {
    await holding(state, over);
    await engine.tenants.waitFor(A, NEWER);

    await letGoIfSettled(engine, deploymentOf({ id: OLDER, ...over }), await targetOfDeployment(OLDER));

    expect(await heldBy()).toBeUndefined();
    expect(engine.tenants.waitingFor(A)).toEqual([]);
    expect(advanced()).toEqual([{ deploymentId: NEWER, delaySeconds: 0 }]);
  });

  it.each<TargetState>(['queued', 'waiting', 'committing', 'committed', 'submitting', 'auditing', 'withdrawing', 'approved', 'releasing', 'gray', 'reverting_gray', 'rolling_back'])(
    'keeps the tenant at %s',
    async (state) => {
      await holding(state);
      await engine.tenants.waitFor(A, NEWER);

      await letGoIfSettled(engine, deploymentOf({ id: OLDER }), await targetOfDeployment(OLDER));

      expect(await heldBy()).toBe(OLDER);
      expect(advanced()).toEqual([]);
    },
  );

  it('lets go only of a tenant this deployment holds', async () => {
    await holding('auditing');
    await given(NEWER, 'failed');

    await letGoIfSettled(engine, deploymentOf({ id: NEWER }), await targetOfDeployment(NEWER));

    expect(await heldBy()).toBe(OLDER);
  });
});
