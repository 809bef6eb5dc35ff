import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { advanceTarget, MAX_ATTEMPTS, STALE_STEP_MS } from '../../../shared/deployments/advance-target';
import { batchReads } from '../../../shared/deployments/batch-reads';
import { deploymentStatus, type Deployment, type Target } from '../../../shared/deployments/deployment';
import type { TargetState } from '../../../shared/deployments/target-machine';
import { logger } from '../../../shared/logger';
import { TenantUnusableError } from '../../../shared/tokens/errors';
import { WeChatApiError } from '../../../shared/wechat/errors';
import { appidOf, deferred, deploymentOf, memoryDeployEngine, targetOf, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const MINUTE = 60_000;
const A = appidOf(0xa);
const ID = 'd-1-00000001';
/** WeChat stamps submissions in epoch seconds. */
const seconds = (ms: number) => Math.floor(ms / 1000);

const wechatError = (code: number, path: string, errmsg = `errcode ${code}`) => new WeChatApiError({ code, errmsg, path });

let engine: MemoryDeployEngine;
let warn: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  engine = memoryDeployEngine();
  engine.tenants.add(A, { nickName: 'Tea House' });
  // Every stopped target logs a warning; the tests assert on the outcome instead.
  warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A deployment created an hour ago (auto release unless said otherwise) with one target for tenant A. */
async function given(state: TargetState, deployment: Partial<Deployment> = {}, target: Partial<Target> = {}): Promise<void> {
  await engine.deployments.create(deploymentOf({ id: ID, createdAtMs: T0 - 60 * MINUTE, ...deployment }));
  await engine.deployments.addTarget(targetOf(ID, A, state, target));
}

const advance = () => advanceTarget(engine, ID, A);
const target = async () => (await engine.deployments.getTarget(ID, A))!;
const sent = () => engine.deployQueue.sent.map(({ message, delaySeconds }) => ({ ...message, delaySeconds }));
const advanceIn = (delaySeconds: number) => ({ kind: 'advance', deploymentId: ID, appid: A, delaySeconds });

describe('the steps, run inline', () => {
  it('commits and submits in one message, pointing the tenant’s audit pushes at the deployment first', async () => {
    await given('queued');
    let pointedAtSubmit: string | undefined;
    engine.wechat.script('submitAudit', async () => {
      pointedAtSubmit = (await engine.tenants.get(A))?.auditingDeployment;
      return { auditid: 555 };
    });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit']);
    const [commit] = engine.wechat.argsOf('commit', A)[0] as [{ template_id: number; ext_json: string; user_version: string; user_desc: string }];
    expect(commit).toMatchObject({ template_id: 7, user_version: '1.2.0', user_desc: 'settings page' });
    expect(JSON.parse(commit.ext_json)).toMatchObject({ extEnable: true, extAppid: A });
    expect(engine.wechat.argsOf('submitAudit', A)).toEqual([[{ version_desc: 'settings page' }]]);
    expect(pointedAtSubmit).toBe(ID);
    expect(await target()).toMatchObject({ state: 'auditing', auditId: 555, committedAtMs: T0, submittedAtMs: T0, attempts: 0 });
    expect((await engine.tenants.get(A))?.lastDeployment).toBe(ID);
    expect(sent()).toEqual([]); // the audit result comes by push (or the reconciler)
  });

  it('sets the server and webview domains before the commit, and commits the tenant’s own ext_json', async () => {
    engine.tenants.add(A, { config: { ext: { shopName: 'Tea House' } } });
    await given('queued', {
      submitAudit: false,
      domains: { requestdomain: ['https://api.example.com'] },
      webviewDomains: ['https://h5.example.com'],
      ext: { ext: { theme: 'green' } },
    });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['modifyDomain', 'setWebviewDomain', 'commit']);
    expect(engine.wechat.argsOf('modifyDomain', A)).toEqual([[{ action: 'set', requestdomain: ['https://api.example.com'] }]]);
    expect(engine.wechat.argsOf('setWebviewDomain', A)).toEqual([[{ action: 'set', webviewdomain: ['https://h5.example.com'] }]]);
    const [commit] = engine.wechat.argsOf('commit', A)[0] as [{ ext_json: string }];
    expect(JSON.parse(commit.ext_json).ext).toEqual({ theme: 'green', shopName: 'Tea House' });
  });

  it('stops at committed when the deployment does not submit for audit', async () => {
    await given('queued', { submitAudit: false });
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['commit']);
    expect((await target()).state).toBe('committed');
    expect((await engine.tenants.get(A))?.auditingDeployment).toBeUndefined();
  });

  it('does not submit while the deployment is paused', async () => {
    await given('committed', { pausedReason: '85085' });
    await advance();
    expect(engine.wechat.calls).toEqual([]);
    expect((await target()).state).toBe('committed');
  });

  it('releases an approved target at once in auto mode and records the version on the tenant', async () => {
    await given('approved');
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['release']);
    expect(await target()).toMatchObject({ state: 'released', releasedAtMs: T0 });
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.2.0');
  });

  it('leaves an approved target alone in manual mode until the operator asks', async () => {
    await given('approved', { release: 'manual' });
    await advance();
    expect(engine.wechat.calls).toEqual([]);
    expect((await target()).state).toBe('approved');
    expect(sent()).toEqual([]);
  });

  it('releases fully when the operator asks without a percentage', async () => {
    await given('approved', { release: 'manual', releaseRequested: { atMs: T0 } });
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['release']);
    expect(await target()).not.toHaveProperty('grayPercentage');
  });

  it('gray-releases to the percentage the operator asked for, as WeChat’s gray plan confirms it', async () => {
    await given('approved', { release: 'manual', releaseRequested: { atMs: T0, grayPercentage: 20 } });
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['grayRelease', 'getGrayReleasePlan']);
    expect(engine.wechat.argsOf('grayRelease', A)).toEqual([[{ gray_percentage: 20 }]]);
    expect(await target()).toMatchObject({ state: 'gray', grayPercentage: 20, step: 'gray' });
    expect((await engine.tenants.get(A))?.releasedVersion).toBeUndefined(); // not fully online yet
  });

  it('rolls a released target back only when the operator asked for it, to the version before it', async () => {
    engine.tenants.add(A, { releasedVersion: '1.2.0' });
    Object.assign(engine.wechat.miniProgram(A), { online: '1.2.0', history: [{ app_version: 5, user_version: '1.1.0', user_desc: 'older', commit_time: 0 }] });
    await given('released');
    await advance();
    expect(engine.wechat.calls).toEqual([]);

    await engine.deployments.update(ID, { rollbackRequested: true });
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['getHistoryVersion', 'getVersionInfo', 'revertCodeRelease']);
    expect(engine.wechat.argsOf('revertCodeRelease', A)).toEqual([[5]]);
    expect(await target()).toMatchObject({ state: 'rolled_back', rolledBackAtMs: T0, rollbackTo: { appVersion: 5, userVersion: '1.1.0' } });
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.1.0');
  });

  it('settles a waiting target of a cancelled deployment without calling WeChat', async () => {
    await given('committed', { cancelRequested: true });
    await advance();
    expect(engine.wechat.calls).toEqual([]);
    expect((await target()).state).toBe('cancelled');
  });
});

describe('a gray release', () => {
  const manual = (grayPercentage?: number): Partial<Deployment> => ({ release: 'manual', releaseRequested: { atMs: T0, ...(grayPercentage !== undefined ? { grayPercentage } : {}) } });

  it('goes gray, widens to a larger share, then completes: only then is the version the tenant’s', async () => {
    await given('approved', manual(10));
    await advance();
    expect(await target()).toMatchObject({ state: 'gray', grayPercentage: 10, step: 'gray' });

    await engine.deployments.update(ID, manual(50));
    await advance();
    expect(await target()).toMatchObject({ state: 'gray', grayPercentage: 50, step: 'widen' });
    expect((await engine.tenants.get(A))?.releasedVersion).toBeUndefined();

    vi.setSystemTime(T0 + MINUTE);
    await engine.deployments.update(ID, manual());
    await advance();
    expect(await target()).toMatchObject({ state: 'released', releasedAtMs: T0 + MINUTE, step: 'complete' });
    expect(engine.wechat.methods(A)).toEqual(['grayRelease', 'getGrayReleasePlan', 'grayRelease', 'getGrayReleasePlan', 'release']);
    expect(engine.wechat.argsOf('grayRelease', A)).toEqual([[{ gray_percentage: 10 }], [{ gray_percentage: 50 }]]);
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.2.0');
  });

  it('lands a gray release WeChat already has at that share (85082: our earlier call landed)', async () => {
    await given('approved', manual(10));
    engine.wechat.script('grayRelease', wechatError(85082, '/wxa/grayrelease', 'gray_percentage must be higher'));
    engine.wechat.miniProgram(A).gray = { status: 1, percentage: 10 };
    await advance();
    expect(await target()).toMatchObject({ state: 'gray', grayPercentage: 10 });
  });

  it('fails a gray release WeChat’s plan does not show', async () => {
    await given('approved', manual(10));
    engine.wechat.script('getGrayReleasePlan', { gray_release_plan: { status: 0, create_timestamp: 0, gray_percentage: 0 } });
    await advance();
    expect(await target()).toMatchObject({
      state: 'failed',
      resumeFrom: 'approved',
      error: { code: 'gray_not_running', message: "WeChat's gray release plan is at 0% (status 0), not 10%" },
    });
  });

  it('reverts a gray release back to approved, where it waits for the operator', async () => {
    await given('gray', { release: 'manual', revertGrayRequested: true }, { grayPercentage: 10 });
    engine.wechat.miniProgram(A).gray = { status: 1, percentage: 10 };
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['revertGrayRelease']);
    expect(await target()).toMatchObject({ state: 'approved', step: 'revert_gray' });
    expect(engine.wechat.miniProgram(A).gray?.status).toBe(4);
  });

  it('takes a gray release WeChat already reverted as reverted, whatever revertgrayrelease answered', async () => {
    await given('gray', { release: 'manual', revertGrayRequested: true }, { grayPercentage: 10 });
    engine.wechat.script('revertGrayRelease', wechatError(-1, '/wxa/revertgrayrelease', 'system busy'));
    engine.wechat.miniProgram(A).gray = { status: 4, percentage: 10 };
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['revertGrayRelease', 'getGrayReleasePlan']);
    expect(await target()).toMatchObject({ state: 'approved' });
  });

  it('leaves the target gray, with the refusal as its error, when WeChat will not revert a running gray release', async () => {
    await given('gray', { release: 'manual', revertGrayRequested: true }, { grayPercentage: 10 });
    engine.wechat.script('revertGrayRelease', wechatError(40097, '/wxa/revertgrayrelease', 'invalid args'));
    engine.wechat.miniProgram(A).gray = { status: 1, percentage: 10 };
    await advance();
    expect(await target()).toMatchObject({ state: 'gray', grayPercentage: 10, error: { code: 40097, message: 'invalid args' } });
    expect(warn).toHaveBeenCalledWith('WeChat refused the step; the target stays as it was', expect.objectContaining({ step: 'revert_gray' }));
  });

  it('rolls a gray target back by reverting its gray release: the version online stays the tenant’s', async () => {
    engine.tenants.add(A, { releasedVersion: '1.1.0' });
    await given('gray', { ...manual(10), rollbackRequested: true }, { grayPercentage: 10 });
    engine.wechat.miniProgram(A).gray = { status: 1, percentage: 10 };
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['revertGrayRelease']);
    expect(await target()).toMatchObject({ state: 'rolled_back', rolledBackAtMs: T0, step: 'rollback_gray' });
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.1.0');
  });

  it('leaves a gray target gray, with the refusal as its error, when WeChat will not revert its gray release', async () => {
    await given('gray', { ...manual(10), rollbackRequested: true }, { grayPercentage: 10 });
    engine.wechat.script('revertGrayRelease', wechatError(40097, '/wxa/revertgrayrelease', 'invalid args'));
    engine.wechat.miniProgram(A).gray = { status: 1, percentage: 10 };
    await advance();
    expect(await target()).toMatchObject({ state: 'gray', error: { code: 40097 } });
  });
});

describe('a rollback', () => {
  const OLDER = { app_version: 5, user_version: '1.1.0', user_desc: 'older', commit_time: 0 };
  beforeEach(() => {
    engine.tenants.add(A, { releasedVersion: '1.2.0' });
  });

  it.each([
    ['reverts to it when ours is still online', '1.2.0', ['getVersionInfo', 'revertCodeRelease']],
    ['lands without reverting when the pinned version is already online', '1.1.0', ['getVersionInfo']],
  ])('keeps the version pinned before a crash and %s', async (_, online, calls) => {
    await given('rolling_back', { rollbackRequested: true }, { step: 'rollback', stepStartedAtMs: T0 - STALE_STEP_MS - 1, rollbackTo: { appVersion: 5, userVersion: '1.1.0' } });
    Object.assign(engine.wechat.miniProgram(A), { online, history: [OLDER] });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(calls);
    expect(await target()).toMatchObject({ state: 'rolled_back', rollbackTo: { appVersion: 5, userVersion: '1.1.0' } });
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.1.0');
  });

  it.each([
    ['no earlier version', { online: '1.2.0', history: [] }, undefined, { code: 87012, message: 'no earlier version to roll back to: this was the first release WeChat keeps' }],
    ['our version no longer online', { online: '1.3.0', history: [OLDER] }, undefined, { code: 'not_online', message: 'version 1.3.0 is online, not 1.2.0: there is nothing of this deployment to roll back' }],
    [
      'a gray release running (87011)',
      { online: '1.2.0', history: [OLDER] },
      wechatError(87011, '/wxa/revertcoderelease', 'gray release in progress'),
      { code: 87011, message: 'a gray release is running: complete it or revert it first (WeChat: gray release in progress)' },
    ],
    [
      'WeChat finding no earlier version (87012)',
      { online: '1.2.0', history: [OLDER] },
      wechatError(87012, '/wxa/revertcoderelease', 'no earlier version'),
      { code: 87012, message: 'no earlier version to roll back to (WeChat: no earlier version)' },
    ],
  ])('is refused for %s: the target stays released, with the refusal as its error', async (_, wechat, answer, error) => {
    await given('released', { rollbackRequested: true });
    Object.assign(engine.wechat.miniProgram(A), wechat);
    if (answer) engine.wechat.script('revertCodeRelease', answer);

    await advance();

    expect(await target()).toMatchObject({ state: 'released', error, attempts: 0 });
    expect(await target()).not.toHaveProperty('stepStartedAtMs');
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.2.0');
    expect(sent()).toEqual([]);
  });

  // A refusal is recorded (`refused`), so the step is not due again until the operator asks again.
  it('settles the deployment once its rollback was refused', async () => {
    await given('released', { rollbackRequested: true });
    Object.assign(engine.wechat.miniProgram(A), { online: '1.3.0', history: [OLDER] });
    await advance();
    expect(deploymentStatus((await engine.deployments.get(ID))!, await engine.deployments.tally(ID))).toBe('completed');
  });
});

describe('withdrawing an audit', () => {
  beforeEach(async () => {
    await engine.tenants.hold(A, ID);
  });

  it('withdraws the audit of a cancelled deployment when asked: the target ends cancelled and lets go of the tenant', async () => {
    await given('auditing', { cancelRequested: true, withdrawAudits: true }, { auditId: 31, submittedAtMs: T0 - MINUTE });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['undoCodeAudit']);
    expect(await target()).toMatchObject({
      state: 'cancelled',
      auditOutcome: 'withdrawn',
      auditId: 31,
      error: { code: 'audit_withdrawn', message: 'the deployment was cancelled: its audit was withdrawn (undocodeaudit)' },
    });
    expect((await engine.tenants.get(A))?.heldBy).toBeUndefined();
  });

  it('leaves the audit running when WeChat allows no more withdrawals (87013), and does not ask again', async () => {
    await given('auditing', { cancelRequested: true, withdrawAudits: true }, { auditId: 31, submittedAtMs: T0 - MINUTE });
    engine.wechat.script('undoCodeAudit', wechatError(87013, '/wxa/undocodeaudit', 'quota used up'));

    await advance();
    await advance();

    expect(engine.wechat.methods(A)).toEqual(['undoCodeAudit']);
    expect(await target()).toMatchObject({
      state: 'auditing',
      refused: 'withdraw',
      error: { code: 87013, message: 'WeChat allows no more audit withdrawals for now: the audit continues, and its result settles the target (WeChat: quota used up)' },
    });
    expect((await engine.tenants.get(A))?.heldBy).toBe(ID);
  });

  it('keeps the audit under review when WeChat is busy during the withdrawal', async () => {
    await given('auditing', { cancelRequested: true, withdrawAudits: true }, { auditId: 31, submittedAtMs: T0 - MINUTE });
    engine.wechat.script('undoCodeAudit', wechatError(-1, '/wxa/undocodeaudit', 'system busy'));
    await advance();
    expect(await target()).toMatchObject({ state: 'auditing', error: { code: -1 } });
  });
});

describe('a landing that claims the next step', () => {
  it('lands the commit and claims the submit in one write, then submits without claiming again', async () => {
    await given('queued');
    const claims = vi.spyOn(engine.deployments, 'claimStep');
    const chained = vi.spyOn(engine.deployments, 'landAndClaim');

    await advance();

    expect(claims.mock.calls.map((call) => call[2])).toEqual(['commit']);
    expect(chained).toHaveBeenCalledTimes(1);
    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit']);
    expect(await target()).toMatchObject({ state: 'auditing', committedAtMs: T0, submittedAtMs: T0, attempts: 0 });
  });

  it('claims nothing on landing when the submit is not due: the target rests committed', async () => {
    await given('queued', { submitAudit: false });
    const chained = vi.spyOn(engine.deployments, 'landAndClaim');

    await advance();

    expect(chained).not.toHaveBeenCalled();
    expect(await target()).toMatchObject({ state: 'committed' });
    expect(await target()).not.toHaveProperty('stepStartedAtMs');
  });

  it('a cancel recorded while the commit ran stops the submit it claimed: no audit is submitted', async () => {
    await given('queued');
    engine.wechat.script('commit', async () => {
      await engine.deployments.update(ID, { cancelRequested: true }); // the operator, during the commit call
      return {};
    });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['commit']);
    expect(await target()).toMatchObject({ state: 'cancelled', step: 'submit', committedAtMs: T0 });
    expect((await engine.tenants.get(A))?.heldBy).toBeUndefined();
  });

  it('records of one batch share their checks, and a cancel recorded while their commits ran stops every submit', async () => {
    const B = appidOf(0xb);
    engine.tenants.add(B, { nickName: 'Noodle Bar' });
    await given('queued');
    await engine.deployments.addTarget(targetOf(ID, B, 'queued'));
    const read = vi.spyOn(engine.deployments, 'get');
    let cancelled = false;
    engine.wechat.script('commit', async () => {
      if (!cancelled) await engine.deployments.update(ID, { cancelRequested: true }); // the operator, during the commits
      cancelled = true;
      return {};
    });

    const batch = batchReads();
    await Promise.all([advanceTarget(engine, ID, A, batch), advanceTarget(engine, ID, B, batch)]);

    expect([engine.wechat.methods(A), engine.wechat.methods(B)]).toEqual([['commit'], ['commit']]);
    expect([await engine.deployments.getTarget(ID, A), await engine.deployments.getTarget(ID, B)]).toMatchObject([{ state: 'cancelled' }, { state: 'cancelled' }]);
    // The batch's read, one check after the commit claims and one after the submit claims.
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('a fault of our own in the submit it claimed this way puts the target back at committed; the redelivery submits', async () => {
    await given('queued');
    engine.wechat.script('submitAudit', async () => {
      throw new Error('DynamoDB unreachable');
    });
    await expect(advance()).rejects.toThrow('DynamoDB unreachable');
    // Our own fault puts the step back where it starts: the redelivery submits.
    expect(await target()).toMatchObject({ state: 'committed', error: { code: 'internal' } });
    engine.wechat.script('submitAudit', async () => ({ auditid: 77 }));

    await advance();

    expect(await target()).toMatchObject({ state: 'auditing', auditId: 77 });
  });
});

describe('a cancel and a step being claimed', () => {
  it('stops the WeChat call of a step claimed just before the cancel was recorded', async () => {
    await given('queued');
    const claim = engine.deployments.claimStep.bind(engine.deployments);
    vi.spyOn(engine.deployments, 'claimStep').mockImplementation(async (...args) => {
      const claimed = await claim(...args);
      await engine.deployments.update(ID, { cancelRequested: true }); // the operator, between the claim and the call
      return claimed;
    });

    await advance();

    expect(engine.wechat.calls).toEqual([]);
    expect(await target()).toMatchObject({ state: 'cancelled', step: 'commit' });
    expect(await target()).not.toHaveProperty('stepStartedAtMs');
    expect((await engine.tenants.get(A))?.heldBy).toBeUndefined();
  });

  it('runs a rollback all the same: a cancel never stops one', async () => {
    engine.tenants.add(A, { releasedVersion: '1.2.0' });
    Object.assign(engine.wechat.miniProgram(A), { online: '1.2.0', history: [{ app_version: 5, user_version: '1.1.0', user_desc: '', commit_time: 0 }] });
    await given('released', { rollbackRequested: true, cancelRequested: true });
    await advance();
    expect(await target()).toMatchObject({ state: 'rolled_back' });
  });
});

describe('a submit that may have landed', () => {
  const stale = { stepStartedAtMs: T0 - STALE_STEP_MS - 1, step: 'submit' as const, auditsOursSinceMs: T0 - 10 * MINUTE };

  it('adopts, on a takeover, the audit of our version WeChat has had since our commit, instead of submitting twice', async () => {
    await given('submitting', {}, stale);
    engine.wechat.script('getLatestAuditStatus', { auditid: 88, status: 2, user_version: '1.2.0', submit_audit_time: seconds(T0 - STALE_STEP_MS) });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['getLatestAuditStatus']);
    expect(await target()).toMatchObject({ state: 'auditing', auditId: 88, submittedAtMs: seconds(T0 - STALE_STEP_MS) * 1000 });
  });

  it('submits again when the audit of our version WeChat has was submitted before our commit', async () => {
    await given('submitting', {}, stale);
    engine.wechat.script('getLatestAuditStatus', { auditid: 66, status: 1, user_version: '1.2.0', submit_audit_time: seconds(T0 - 30 * MINUTE) });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['getLatestAuditStatus', 'submitAudit']);
    expect(await target()).toMatchObject({ state: 'auditing', auditId: 1001 });
  });

  it('looks up a submit whose last attempt answered an error before submitting again', async () => {
    await given('committed', {}, { attempts: 1, error: { code: 'network', message: 'WeChat could not be reached: ETIMEDOUT' }, auditsOursSinceMs: T0 - 10 * MINUTE });
    engine.wechat.script('getLatestAuditStatus', { auditid: 89, status: 2, user_version: '1.2.0', submit_audit_time: seconds(T0 - MINUTE) });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['getLatestAuditStatus']);
    expect(await target()).toMatchObject({ state: 'auditing', auditId: 89 });
    expect(await target()).not.toHaveProperty('error');
  });

  it('resubmits a rejected target with the operator’s feedback and audit items; a first submission uses the deployment’s', async () => {
    const B = appidOf(0xb);
    engine.tenants.add(B);
    const items = [{ address: 'pages/index/index', tag: 'shop', first_class: '商家自营' }];
    await given('committed', { auditItems: [{ address: 'pages/home/home' }], resubmission: { atMs: T0, feedbackInfo: 'the icon is sharp now', auditItems: items } }, { previousRejection: 'the icon is blurry' });
    await engine.deployments.addTarget(targetOf(ID, B, 'committed'));

    await advance();
    await advanceTarget(engine, ID, B);

    expect(engine.wechat.argsOf('submitAudit', A)).toEqual([[{ item_list: items, version_desc: 'settings page', feedback_info: 'the icon is sharp now' }]]);
    expect(engine.wechat.argsOf('submitAudit', B)).toEqual([[{ item_list: [{ address: 'pages/home/home' }], version_desc: 'settings page' }]]);
  });
});

describe('redelivery', () => {
  it('makes each WeChat call once when the same message arrives twice', async () => {
    await given('queued');
    await advance();
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit']);
    expect(sent()).toEqual([]);
  });

  it('makes each WeChat call once when two deliveries run at the same time', async () => {
    await given('queued');
    await Promise.all([advance(), advance()]);
    expect(engine.wechat.methods(A)).toEqual(['commit', 'submitAudit']);
    expect((await target()).state).toBe('auditing');
  });

  it('does not release twice', async () => {
    await given('approved');
    await advance();
    await advance();
    expect(engine.wechat.methods(A)).toEqual(['release']);
  });
});

describe('takeover of an in-flight step', () => {
  it('leaves a step that is not yet stale alone and looks again once it would be', async () => {
    await given('committing', {}, { stepStartedAtMs: T0 - 30_000 });

    await advance();

    expect(engine.wechat.calls).toEqual([]);
    expect(await target()).toMatchObject({ state: 'committing', stepStartedAtMs: T0 - 30_000 });
    expect(sent()).toEqual([advanceIn((STALE_STEP_MS - 30_000) / 1000 + 1)]);
  });

  it('re-claims a stale step and runs it again', async () => {
    await given('submitting', {}, { stepStartedAtMs: T0 - STALE_STEP_MS - 1 });

    await advance();

    // The abandoned submit may have landed: WeChat is asked first (nothing was submitted).
    expect(engine.wechat.methods(A)).toEqual(['getLatestAuditStatus', 'submitAudit']);
    expect(await target()).toMatchObject({ state: 'auditing', auditId: 1001 });
    expect(await target()).not.toHaveProperty('stepStartedAtMs');
  });

  it('ignores the abandoned worker when its call finally answers', async () => {
    await given('queued', { submitAudit: false });
    const hung = deferred<void>();
    engine.wechat.script('commit', () => hung.promise);

    const abandoned = advance();
    await vi.waitFor(() => expect(engine.wechat.calls).toHaveLength(1));
    vi.setSystemTime(T0 + STALE_STEP_MS + 1_000);
    await advance();
    const taken = await target();
    hung.resolve();
    await abandoned;

    expect(taken).toMatchObject({ state: 'committed', committedAtMs: T0 + STALE_STEP_MS + 1_000 });
    expect(await target()).toEqual(taken);
    expect(engine.wechat.methods(A)).toEqual(['commit', 'commit']);
  });
});

describe('recoveries of the submit step', () => {
  it('waits a minute for the privacy scan (61039), and says so', async () => {
    await given('committed');
    engine.wechat.script('submitAudit', wechatError(61039, '/wxa/submit_audit', 'privacy scan pending'));

    await advance();

    expect(await target()).toMatchObject({ state: 'committed', attempts: 1, error: { code: 61039, message: 'privacy scan pending' } });
    expect(sent()).toEqual([advanceIn(60)]);
  });

  it('gives up on the privacy scan after 20 waits', async () => {
    await given('committed');
    engine.wechat.script('submitAudit', wechatError(61039, '/wxa/submit_audit'), { times: Infinity });

    for (let i = 0; i < 21; i++) await advance();

    expect(engine.wechat.argsOf('submitAudit', A)).toHaveLength(21);
    expect(sent()).toHaveLength(20);
    expect(await target()).toMatchObject({ state: 'failed', resumeFrom: 'committed', error: { code: 61039 } });
  });

  it('commits again when WeChat has no commit for the version (85086), at most 3 times', async () => {
    await given('committed');
    engine.wechat.script('submitAudit', wechatError(85086, '/wxa/submit_audit'));

    await advance();
    expect(await target()).toMatchObject({ state: 'queued', recommits: 1, error: { code: 85086 } });
    expect(sent()).toEqual([advanceIn(0)]);

    await advance();
    expect(engine.wechat.methods(A)).toEqual(['submitAudit', 'commit', 'submitAudit']);
    expect(await target()).toMatchObject({ state: 'auditing', recommits: 1 });
  });

  it('fails on the fourth 85086', async () => {
    await given('committed', {}, { recommits: 3 });
    engine.wechat.script('submitAudit', wechatError(85086, '/wxa/submit_audit'));
    await advance();
    expect(await target()).toMatchObject({ state: 'failed', resumeFrom: 'committed', error: { code: 85086 } });
    expect(sent()).toEqual([]);
  });

  it.each([
    [2, false],
    [4, true],
  ])('adopts our own version already under audit (85009, latest status %i)', async (status, delayed) => {
    await given('committed');
    engine.wechat.script('submitAudit', wechatError(85009, '/wxa/submit_audit'));
    engine.wechat.script('getLatestAuditStatus', { auditid: 77, status, user_version: '1.2.0', submit_audit_time: seconds(T0 - MINUTE) });

    await advance();

    expect(engine.wechat.methods(A)).toEqual(['submitAudit', 'getLatestAuditStatus']);
    expect(await target()).toMatchObject({ state: 'auditing', auditId: 77, submittedAtMs: T0 - MINUTE, auditDelayed: delayed });
    expect(await target()).not.toHaveProperty('error');
  });

  it('fails, naming it, when another version is under audit (85009)', async () => {
    await given('committed');
    engine.wechat.script('submitAudit', wechatError(85009, '/wxa/submit_audit'));
    engine.wechat.script('getLatestAuditStatus', { auditid: 77, status: 2, user_version: '1.1.0', submit_audit_time: seconds(T0 - MINUTE) }, { times: 2 });

    await advance();

    expect(await target()).toMatchObject({
      state: 'failed',
      resumeFrom: 'committed',
      error: { code: 85009, message: 'another version (1.1.0, auditid 77) is already under audit: withdraw it or wait for its result, then retry' },
    });
  });

  it('adopts our audit already decided (85009) and applies its result at once', async () => {
    await given('committed', { release: 'manual' }, { auditsOursSinceMs: T0 - 10 * MINUTE });
    engine.wechat.script('submitAudit', wechatError(85009, '/wxa/submit_audit', 'already submitted'));
    engine.wechat.script('getLatestAuditStatus', { auditid: 77, status: 0, user_version: '1.2.0', submit_audit_time: seconds(T0 - 5 * MINUTE) });

    await advance();

    expect(await target()).toMatchObject({ state: 'approved', auditId: 77, submittedAtMs: T0 - 5 * MINUTE });
    expect(engine.wechat.methods(A)).toEqual(['submitAudit', 'getLatestAuditStatus']);
  });

  it('pauses the whole deployment when the audit quota is used up (85085)', async () => {
    const B = appidOf(0xb);
    engine.tenants.add(B);
    await given('committed', {}, { attempts: 2 });
    await engine.deployments.addTarget(targetOf(ID, B, 'committed'));
    engine.wechat.script('submitAudit', wechatError(85085, '/wxa/submit_audit', 'quota used up'));

    await advance();
    await advanceTarget(engine, ID, B);

    expect((await engine.deployments.get(ID))?.pausedReason).toBe('WeChat refused further audit submissions this month (85085): quota used up');
    expect(await target()).toMatchObject({ state: 'committed', attempts: 2, error: { code: 85085 } });
    expect(engine.wechat.methods()).toEqual(['submitAudit']); // B is not submitted
    expect(sent()).toEqual([]); // resumes when the operator retries
  });
});

describe('recoveries of the release step', () => {
  it('takes "already released" (85052) as released', async () => {
    await given('approved');
    engine.wechat.script('release', wechatError(85052, '/wxa/release'));
    await advance();
    expect(await target()).toMatchObject({ state: 'released', releasedAtMs: T0 });
    expect(await target()).not.toHaveProperty('error');
    expect((await engine.tenants.get(A))?.releasedVersion).toBe('1.2.0');
  });
});

describe('WeChat errors by class', () => {
  it('skips a tenant that revoked the authorization (61003) and marks it revoked', async () => {
    await given('queued');
    engine.wechat.script('commit', wechatError(61003, '/wxa/commit', 'component not authorized'));

    await advance();

    expect(await target()).toMatchObject({ state: 'skipped', resumeFrom: 'queued', error: { code: 61003, message: 'component not authorized' } });
    expect(await engine.tenants.get(A)).toMatchObject({ status: 'revoked', statusReason: 'WeChat answered 61003: authorization revoked' });
    expect(sent()).toEqual([]);
  });

  it('fails a target whose tenant must re-authorize (61007) and marks the tenant', async () => {
    await given('committed');
    engine.wechat.script('submitAudit', wechatError(61007, '/wxa/submit_audit', 'api unauthorized'));

    await advance();

    expect(await target()).toMatchObject({ state: 'failed', resumeFrom: 'committed', error: { code: 61007 } });
    expect(await engine.tenants.get(A)).toMatchObject({ status: 'needs_reauth', statusReason: 'WeChat answered 61007: api unauthorized' });
    expect(warn).toHaveBeenCalledWith('tenant needs re-authorization', { appid: A, code: 61007 });
  });

  it(`retries a busy WeChat with exponential backoff, and fails on attempt ${MAX_ATTEMPTS}`, async () => {
    await given('queued');
    engine.wechat.script('commit', wechatError(-1, '/wxa/commit', 'system busy'), { times: Infinity });

    for (let i = 0; i < MAX_ATTEMPTS; i++) await advance();

    expect(engine.wechat.methods(A)).toEqual(Array(MAX_ATTEMPTS).fill('commit'));
    expect(sent()).toEqual([advanceIn(2), advanceIn(4), advanceIn(8), advanceIn(16)]);
    expect(await target()).toMatchObject({ state: 'failed', attempts: MAX_ATTEMPTS - 1, resumeFrom: 'queued', error: { code: -1, message: 'system busy' } });
  });

  it.each([
    ['an expired token (42001)', 42001, 2],
    ['the daily quota (45009)', 45009, 16],
    ['a frequency limit (45011)', 45011, 2],
    ['an expired ticket (61005)', 61005, 2],
    ['an invalid ticket (61006)', 61006, 2],
  ])('reverts the step and retries later on %s', async (_, code, delay) => {
    await given('approved');
    engine.wechat.script('release', wechatError(code, '/wxa/release'));

    await advance();

    expect(await target()).toMatchObject({ state: 'approved', attempts: 1, error: { code } });
    expect(await target()).not.toHaveProperty('stepStartedAtMs');
    expect(sent()).toEqual([advanceIn(delay)]);
  });

  it('reports a network failure as "network"', async () => {
    await given('queued');
    engine.wechat.script('commit', new WeChatApiError({ code: -1, errmsg: 'ECONNRESET', path: '/wxa/commit', network: true }));
    await advance();
    expect(await target()).toMatchObject({ state: 'queued', attempts: 1, error: { code: 'network', message: 'WeChat could not be reached: ECONNRESET' } });
  });

  it('fails at once on a permanent error, resuming at the step that failed', async () => {
    await given('approved');
    engine.wechat.script('release', wechatError(85020, '/wxa/release', 'status not allowed'));
    await advance();
    expect(await target()).toMatchObject({ state: 'failed', resumeFrom: 'approved', error: { code: 85020, message: 'status not allowed' } });
    expect(sent()).toEqual([]);
  });

  it('explains a refusal the operator can act on, keeping WeChat’s own words', async () => {
    await given('approved', { release: 'manual', releaseRequested: { atMs: T0, grayPercentage: 10 } });
    engine.wechat.script('grayRelease', wechatError(85079, '/wxa/grayrelease', 'no online version rid: 1-2-3'));
    await advance();
    expect(await target()).toMatchObject({
      state: 'failed',
      resumeFrom: 'approved',
      error: { code: 85079, message: 'nothing is online yet, so this first release cannot be gray: release it fully (WeChat: no online version rid: 1-2-3)' },
    });
  });
});

describe('errors that are not WeChat’s answer', () => {
  it.each([
    ['revoked', 'skipped'],
    ['needs_reauth', 'failed'],
  ] as const)('stops the target when the tenant’s token cannot be used (%s)', async (reason, state) => {
    await given('queued');
    engine.wechat.script('commit', new TenantUnusableError(A, reason));
    await advance();
    expect(await target()).toMatchObject({ state, error: { code: `tenant_${reason}` } });
  });

  it('fails a target whose ext_json cannot be built, without calling WeChat', async () => {
    await given('queued', { templateType: 1, ext: { directCommit: true } });
    await advance();
    expect(engine.wechat.calls).toEqual([]);
    expect(await target()).toMatchObject({ state: 'failed', resumeFrom: 'queued', error: { code: 'invalid_ext_json' } });
    expect((await target()).error?.message).toContain('directCommit');
  });

  it('puts the target back at the step’s start and rethrows our own fault, so SQS delivers again', async () => {
    await given('queued');
    engine.wechat.script('commit', new Error('DynamoDB throttled'));

    await expect(advance()).rejects.toThrow('DynamoDB throttled');

    expect(await target()).toMatchObject({ state: 'queued', attempts: 0, error: { code: 'internal', message: 'DynamoDB throttled' } });
    expect(sent()).toEqual([]);
    // The redelivery runs the step again.
    await advance();
    expect(await target()).toMatchObject({ state: 'auditing' });
  });

  it('treats a failure of the bookkeeping before the submit the same way', async () => {
    await given('committed');
    vi.spyOn(engine.tenants, 'pointAuditAt').mockRejectedValueOnce(new Error('tenant table unavailable'));

    await expect(advance()).rejects.toThrow('tenant table unavailable');

    expect(engine.wechat.calls).toEqual([]);
    expect(await target()).toMatchObject({ state: 'committed', error: { code: 'internal' } });
  });
});
