import { beforeEach, describe, expect, it } from 'vitest';
import { advanceTarget } from '../../../shared/deployments/advance-target';
import { applyAuditOutcome, applyAuditPush } from '../../../shared/deployments/audit-results';
import type { Deployment, Target } from '../../../shared/deployments/deployment';
import type { TargetState } from '../../../shared/deployments/target-machine';
import { appidOf, deferred, deploymentOf, memoryDeployEngine, targetOf, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

const A = appidOf(0xa);
const ID = 'd-1-00000001';
const OLDER = 'd-0-00000000';

let engine: MemoryDeployEngine;
beforeEach(() => {
  engine = memoryDeployEngine();
  engine.tenants.add(A);
});

async function given(state: TargetState, target: Partial<Target> = {}, deployment: Partial<Deployment> = {}, id = ID): Promise<void> {
  await engine.deployments.create(deploymentOf({ id, ...deployment }));
  await engine.deployments.addTarget(targetOf(id, A, state, target));
}

const target = async (id = ID) => (await engine.deployments.getTarget(id, A))!;
const advanceMessages = () => engine.deployQueue.take('advance').map(({ message }) => message.deploymentId);

describe('applyAuditOutcome', () => {
  it('approves an auditing target and hands its release to the queue', async () => {
    await given('auditing', { auditId: 9, auditDelayed: true });

    const moved = await applyAuditOutcome(engine, ID, A, { status: 'approved' });

    expect(moved).toMatchObject({ state: 'approved', auditId: 9 });
    expect(moved).not.toHaveProperty('auditDelayed');
    expect(engine.deployQueue.sent).toEqual([{ message: { kind: 'advance', deploymentId: ID, appid: A }, delaySeconds: 0 }]);
  });

  it('moves the target once when the result is reported again, and sends its release again', async () => {
    await given('auditing');
    await applyAuditOutcome(engine, ID, A, { status: 'approved' });
    const approved = await target();
    expect(advanceMessages()).toEqual([ID]);

    // A push retry or the reconciler: the earlier send may have failed after the transition.
    expect(await applyAuditOutcome(engine, ID, A, { status: 'approved' })).toBeUndefined();

    expect(await target()).toEqual(approved);
    // (Today a repeat sends it twice, harmlessly; the count is not what matters here.)
    expect(new Set(advanceMessages())).toEqual(new Set([ID]));
  });

  it('keeps the reason and screenshots of a rejection, and sends nothing', async () => {
    await given('auditing');
    await applyAuditOutcome(engine, ID, A, { status: 'rejected', reason: 'the icon is blurry', screenshot: 'm1|m2' });
    expect(await target()).toMatchObject({ state: 'rejected', reason: 'the icon is blurry', screenshot: 'm1|m2', error: { code: 'audit_rejected', message: 'the icon is blurry' } });
    expect(engine.deployQueue.sent).toEqual([]);
  });

  it('marks a delayed audit as delayed and keeps it auditing', async () => {
    await given('auditing');
    await applyAuditOutcome(engine, ID, A, { status: 'delayed', reason: 'public holiday' });
    expect(await target()).toMatchObject({ state: 'auditing', auditDelayed: true, delayReason: 'public holiday' });
    expect(engine.deployQueue.sent).toEqual([]);
  });

  it('fails a target whose audit was withdrawn', async () => {
    await given('auditing');
    await applyAuditOutcome(engine, ID, A, { status: 'withdrawn' });
    expect(await target()).toMatchObject({ state: 'failed', error: { code: 'audit_withdrawn', message: 'the audit was withdrawn' } });
  });

  it.each<TargetState>(['committed', 'approved', 'released', 'rejected'])('ignores a result for a target that is %s', async (state) => {
    await given(state);
    const before = await target();
    expect(await applyAuditOutcome(engine, ID, A, { status: 'rejected', reason: 'late' })).toBeUndefined();
    expect(await target()).toEqual(before);
  });

  describe('a cancelled deployment’s audit', () => {
    it.each([
      [{ status: 'approved' } as const, { auditOutcome: 'approved', error: { code: 'deployment_cancelled', message: 'the deployment was cancelled; its audit ended approved' } }],
      [
        { status: 'rejected', reason: 'icon', screenshot: 'm1' } as const,
        { auditOutcome: 'rejected', reason: 'icon', screenshot: 'm1', error: { code: 'deployment_cancelled', message: 'the deployment was cancelled; its audit ended rejected: icon' } },
      ],
    ])('ends cancelled when its result arrives, keeping the result (%o), releasing nothing and letting go of the tenant', async (outcome, kept) => {
      await given('auditing', { auditId: 9 }, { cancelRequested: true });
      await engine.tenants.hold(A, ID);

      const moved = await applyAuditOutcome(engine, ID, A, outcome);

      expect(moved).toMatchObject({ state: 'cancelled', auditId: 9, ...kept });
      expect(engine.deployQueue.sent).toEqual([]);
      expect((await engine.tenants.get(A))?.heldBy).toBeUndefined();
    });

    it('ends cancelled when the audit was decided while its withdrawal was in flight', async () => {
      await given('withdrawing', { stepStartedAtMs: 1, step: 'withdraw' }, { cancelRequested: true, withdrawAudits: true });
      expect(await applyAuditOutcome(engine, ID, A, { status: 'approved' })).toMatchObject({ state: 'cancelled', auditOutcome: 'approved' });
    });

    it('stays under audit on a delay', async () => {
      await given('auditing', {}, { cancelRequested: true });
      expect(await applyAuditOutcome(engine, ID, A, { status: 'delayed', reason: 'holiday' })).toMatchObject({ state: 'auditing', auditDelayed: true });
    });
  });

  it('lets go of the tenant when the audit rejects the target, and wakes the deployment waiting for it', async () => {
    await given('auditing');
    await engine.tenants.hold(A, ID);
    await engine.tenants.waitFor(A, 'd-2-00000002');

    await applyAuditOutcome(engine, ID, A, { status: 'rejected', reason: 'icon' });

    expect((await engine.tenants.get(A))?.heldBy).toBeUndefined();
    expect(advanceMessages()).toEqual(['d-2-00000002']);
  });

  describe('a result that arrives before submit_audit answers', () => {
    it('is parked on the submitting target', async () => {
      await given('submitting', { stepStartedAtMs: 1 });

      expect(await applyAuditOutcome(engine, ID, A, { status: 'approved' })).toBeUndefined();

      expect(await target()).toMatchObject({ state: 'submitting', earlyAuditOutcome: { status: 'approved' } });
      expect(engine.deployQueue.sent).toEqual([]);
    });

    it.each([
      [{ status: 'approved' } as const, 'approved'],
      [{ status: 'rejected', reason: 'icon' } as const, 'rejected'],
    ])('is applied when the submit lands (%o)', async (outcome, state) => {
      await given('committed');
      const answer = deferred<{ auditid: number }>();
      engine.wechat.script('submitAudit', () => answer.promise);

      const submitting = advanceTarget(engine, ID, A);
      await waitUntil(async () => (await target()).state === 'submitting' && engine.wechat.calls.length === 1);
      await applyAuditOutcome(engine, ID, A, outcome);
      answer.resolve({ auditid: 31 });
      await submitting;

      const settled = await target();
      expect(settled).toMatchObject({ state, auditId: 31 });
      expect(settled).not.toHaveProperty('earlyAuditOutcome');
      expect(advanceMessages()).toEqual(state === 'approved' ? [ID] : []);
      expect(engine.wechat.methods(A)).toEqual(['submitAudit']);
    });
  });
});

describe('applyAuditPush', () => {
  const push = (Event: string, extra: Record<string, string> = {}) => applyAuditPush(engine, A, { MsgType: 'event', Event, ...extra });

  it('applies the push to the deployment the tenant’s audit belongs to', async () => {
    await given('auditing');
    await engine.tenants.pointAuditAt(A, ID);

    await push('weapp_audit_success', { SuccTime: '1700000000' });

    expect((await target()).state).toBe('approved');
    expect(advanceMessages()).toEqual([ID]);
  });

  it('reads the reason and screenshot of a rejection push', async () => {
    await given('auditing');
    await engine.tenants.pointAuditAt(A, ID);
    await push('weapp_audit_fail', { Reason: 'the icon is blurry', ScreenShot: 'm1|m2' });
    expect(await target()).toMatchObject({ state: 'rejected', reason: 'the icon is blurry', screenshot: 'm1|m2' });
  });

  it('says "rejected by WeChat" when the rejection push carries no reason', async () => {
    await given('auditing');
    await engine.tenants.pointAuditAt(A, ID);
    await push('weapp_audit_fail');
    expect(await target()).toMatchObject({ state: 'rejected', reason: 'rejected by WeChat' });
  });

  it('marks a delay push on the target', async () => {
    await given('auditing');
    await engine.tenants.pointAuditAt(A, ID);
    await push('weapp_audit_delay', { Reason: 'public holiday' });
    expect(await target()).toMatchObject({ state: 'auditing', auditDelayed: true, delayReason: 'public holiday' });
  });

  it('ignores a push for a tenant with no deployment under audit, and events that are not audit results', async () => {
    await given('auditing');
    await push('weapp_audit_success');
    await engine.tenants.pointAuditAt(A, ID);
    await push('wxa_nickname_audit');
    expect((await target()).state).toBe('auditing');
    expect(engine.deployQueue.sent).toEqual([]);
  });

  it('applies the push to the previous deployment when the newer one’s submit was refused (85009)', async () => {
    await given('auditing', {}, { createdAtMs: 500 }, OLDER);
    await engine.tenants.pointAuditAt(A, OLDER);
    await given('failed', { resumeFrom: 'committed', error: { code: 85009, message: 'version 1.1.0 is already under audit' } });
    await engine.tenants.pointAuditAt(A, ID);

    await push('weapp_audit_success');

    expect((await target(OLDER)).state).toBe('approved');
    expect((await target(ID)).state).toBe('failed');
    expect(advanceMessages()).toEqual([OLDER]);
  });

  it('applies the push to the previous deployment when it arrives after the newer one’s hold, before its submit', async () => {
    await given('auditing', {}, { createdAtMs: 500 }, OLDER);
    await engine.tenants.pointAuditAt(A, OLDER);
    await given('committing');
    // The newer deployment's hold pointed the tenant's audits at it; its commit is still in flight.
    await engine.tenants.hold(A, ID, Date.now(), { pointAudit: true });

    await push('weapp_audit_success');

    expect((await target(OLDER)).state).toBe('approved');
    expect((await target(ID)).state).toBe('committing');
    expect(advanceMessages()).toEqual([OLDER]);
  });

  it('carries a deployment from submit to release through the push', async () => {
    await given('queued');
    await advanceTarget(engine, ID, A);
    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit']);

    await push('weapp_audit_success');
    for (const message of engine.deployQueue.take('advance')) await advanceTarget(engine, message.message.deploymentId, message.message.appid);

    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit', 'release']);
    expect(await target()).toMatchObject({ state: 'released' });
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.2.0');
  });
});

/** Lets the engine run until `done` holds (its work is promise chains, no timers). */
async function waitUntil(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await done()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the engine did not get there');
}
