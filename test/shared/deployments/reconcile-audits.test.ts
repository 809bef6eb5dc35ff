import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Target } from '../../../shared/deployments/deployment';
import { reconcileAudits } from '../../../shared/deployments/reconcile-audits';
import { logger } from '../../../shared/logger';
import { WeChatApiError } from '../../../shared/wechat/errors';
import { appidOf, deploymentOf, memoryDeployEngine, targetOf, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const MINUTE = 60_000;
const ID = 'd-1-00000001';

let engine: MemoryDeployEngine;
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  engine = memoryDeployEngine();
  await engine.deployments.create(deploymentOf({ id: ID }));
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Tenant `n`'s target, auditing since `ageMinutes` ago under auditid 100 + n. */
async function auditing(n: number, ageMinutes: number, over: Partial<Target> = {}): Promise<string> {
  const appid = appidOf(n);
  await engine.deployments.addTarget(targetOf(ID, appid, 'auditing', { auditId: 100 + n, submittedAtMs: T0 - ageMinutes * MINUTE, ...over }));
  return appid;
}

const target = async (appid: string) => (await engine.deployments.getTarget(ID, appid))!;

describe('reconcileAudits', () => {
  it('applies what get_auditstatus answers: approved, rejected, withdrawn, delayed, still under review', async () => {
    const [approved, rejected, withdrawn, delayed, reviewing] = (await Promise.all([1, 2, 3, 4, 5].map((n) => auditing(n, 12)))) as [string, string, string, string, string];
    engine.wechat
      .script('getAuditStatus', { status: 0 }, { appid: approved })
      .script('getAuditStatus', { status: 1, reason: 'the icon is blurry', screenshot: 'm1|m2' }, { appid: rejected })
      .script('getAuditStatus', { status: 3 }, { appid: withdrawn })
      .script('getAuditStatus', { status: 4 }, { appid: delayed })
      .script('getAuditStatus', { status: 2 }, { appid: reviewing });

    const report = await reconcileAudits(engine);

    expect(report).toEqual({ checked: 5, resolved: 3 });
    expect(engine.wechat.argsOf('getAuditStatus', approved)).toEqual([[101]]);
    expect((await target(approved)).state).toBe('approved');
    expect(await target(rejected)).toMatchObject({ state: 'rejected', reason: 'the icon is blurry', screenshot: 'm1|m2' });
    expect(await target(withdrawn)).toMatchObject({ state: 'failed', error: { code: 'audit_withdrawn' } });
    expect(await target(delayed)).toMatchObject({ state: 'auditing', auditDelayed: true });
    expect(await target(reviewing)).toMatchObject({ state: 'auditing' });
    expect(await target(reviewing)).not.toHaveProperty('auditDelayed');
    // The approved one's release goes through the queue.
    expect(engine.deployQueue.sent).toEqual([{ message: { kind: 'advance', deploymentId: ID, appid: approved }, delaySeconds: 0 }]);
  });

  it('polls an audit whose withdrawal is in flight, and settles its target cancelled', async () => {
    await engine.deployments.update(ID, { cancelRequested: true, withdrawAudits: true });
    const appid = await auditing(1, 12);
    await engine.deployments.claimStep(ID, appid, 'withdraw', T0 - 5 * MINUTE);
    engine.wechat.script('getAuditStatus', { status: 0 });

    expect(await reconcileAudits(engine)).toEqual({ checked: 1, resolved: 1 });

    expect(await target(appid)).toMatchObject({ state: 'cancelled', auditOutcome: 'approved' });
    expect(engine.deployQueue.sent).toEqual([]); // nothing is released
  });

  it('says "rejected by WeChat" when the rejection carries no reason', async () => {
    const appid = await auditing(1, 12);
    engine.wechat.script('getAuditStatus', { status: 1 });
    await reconcileAudits(engine);
    expect(await target(appid)).toMatchObject({ state: 'rejected', reason: 'rejected by WeChat' });
  });

  it('polls only audits whose poll is due: after 10, 20 and 40 minutes, then hourly', async () => {
    await auditing(1, 5); // too young to be listed
    const due10 = await auditing(2, 12);
    await auditing(3, 16); // polled at 10, next at 20
    const due20 = await auditing(4, 22);
    const hourly = await auditing(5, 3 * 60 + 2);
    await auditing(6, 3 * 60 + 30);

    const report = await reconcileAudits(engine);

    expect(engine.wechat.calls.map((c) => c.appid).sort()).toEqual([due10, due20, hourly].sort());
    expect(report).toEqual({ checked: 3, resolved: 0 });
  });

  it('cannot poll an audit without its auditid', async () => {
    await auditing(1, 12, { auditId: undefined });
    expect(await reconcileAudits(engine)).toEqual({ checked: 0, resolved: 0 });
    expect(engine.wechat.calls).toEqual([]);
  });

  it('logs a failed poll and goes on with the others', async () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const failing = await auditing(1, 12);
    const fine = await auditing(2, 12);
    engine.wechat.script('getAuditStatus', new WeChatApiError({ code: -1, errmsg: 'system busy', path: '/wxa/get_auditstatus' }), { appid: failing });
    engine.wechat.script('getAuditStatus', { status: 0 }, { appid: fine });

    expect(await reconcileAudits(engine)).toEqual({ checked: 2, resolved: 1 });

    expect((await target(failing)).state).toBe('auditing');
    expect((await target(fine)).state).toBe('approved');
    expect(warn).toHaveBeenCalledWith('audit status poll failed', expect.objectContaining({ deploymentId: ID, appid: failing }));
  });

  it('stops polling when its time budget is spent, oldest audits first', async () => {
    const oldest = await auditing(1, 22);
    await auditing(2, 12);
    engine.wechat.script(
      'getAuditStatus',
      () => {
        vi.setSystemTime(Date.now() + 2 * MINUTE); // a slow answer
        return { status: 2 };
      },
      { times: Infinity },
    );

    expect(await reconcileAudits(engine, { budgetMs: MINUTE })).toEqual({ checked: 1, resolved: 0 });
    expect(engine.wechat.calls.map((c) => c.appid)).toEqual([oldest]);
  });

  it('uses the time it is given to pick what is due', async () => {
    const appid = await auditing(1, 0);
    engine.wechat.script('getAuditStatus', { status: 0 });
    expect(await reconcileAudits(engine, { nowMs: T0 + 11 * MINUTE })).toEqual({ checked: 1, resolved: 1 });
    expect((await target(appid)).state).toBe('approved');
  });
});
