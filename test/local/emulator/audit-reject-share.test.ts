/**
 * A platform-wide reject share (`POST /__admin/audit-outcome {rejectPercent, reason?}`), so a
 * rollout's halt can be demonstrated: exactly that share of the audits decided from then on is
 * rejected — deterministically, the k-th when floor(k × percent / 100) goes up — and the rest
 * follow the global outcome; an appid's own outcome wins. Audits go through the WeChat API
 * (commit, submit_audit) and are decided by the admin API or the review timer, as a rollout's are.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SHARE_REJECT_REASON } from '../../../local/emulator/audits';
import type { Emulator, EmulatorOptions } from '../../../local/emulator/server';
import { admin, authorizeMiniProgram, callApi, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Authorized, Receiver } from './helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Whether the k-th audit decided under `percent` is rejected (what the emulator promises). */
const rejectedAt = (k: number, percent: number) => Math.floor((k * percent) / 100) > Math.floor(((k - 1) * percent) / 100);

describe('a platform-wide share of rejected audits', () => {
  let receiver: Receiver | undefined;
  let emulator: Emulator | undefined;

  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    await receiver?.close();
    receiver = undefined;
  });

  /** Audits stay under review until finished through the admin API, unless `auditDelayMs` says otherwise. */
  async function start(opts: EmulatorOptions = {}): Promise<Emulator> {
    receiver ??= await startReceiver();
    emulator = await startEmulatorWith(receiver, { auditDelayMs: 3_600_000, miniPrograms: 5, ...opts });
    return emulator;
  }

  async function authorizeAll(count: number): Promise<Authorized[]> {
    const mps: Authorized[] = [];
    for (let i = 0; i < count; i++) mps.push(await authorizeMiniProgram(emulator!, i));
    return mps;
  }

  const as = (mp: Authorized, apiPath: string, body?: unknown) =>
    callApi(emulator!, apiPath, { query: { access_token: mp.accessToken }, ...(body === undefined ? {} : { body }) });

  async function submitAudit(mp: Authorized): Promise<number> {
    expect(await as(mp, '/wxa/commit', { template_id: 1, ext_json: '{}', user_version: '1.0.0', user_desc: 'share' })).toMatchObject({ errcode: 0 });
    const submitted = await as(mp, '/wxa/submit_audit', {});
    expect(submitted).toMatchObject({ errcode: 0 });
    return submitted.auditid as number;
  }

  /** Submits and finishes one audit the way the configured outcome decides it; → its status (0 approved, 1 rejected). */
  async function audit(mp: Authorized): Promise<{ status: number; reason?: string }> {
    const auditid = await submitAudit(mp);
    const finished = await admin(emulator!, 'POST', '/__admin/finish-audit', { appid: mp.appid });
    expect(finished.status).toBe(200);
    const answer = await as(mp, '/wxa/get_auditstatus', { auditid });
    return { status: answer.status as number, ...(typeof answer.reason === 'string' ? { reason: answer.reason } : {}) };
  }

  const setShare = (body: Record<string, unknown>) => admin(emulator!, 'POST', '/__admin/audit-outcome', body);
  const shareInState = async () => (await admin(emulator!, 'GET', '/__admin/state')).json.auditRejectShare;

  it('40% of 5 audits rejects exactly 2 (the 3rd and the 5th), with a realistic default reason and the fail push', async () => {
    await start();
    const mps = await authorizeAll(5);
    const set = await setShare({ rejectPercent: 40 });
    expect(set).toMatchObject({ status: 200, json: { ok: true, scope: 'global', rejectPercent: 40, reason: DEFAULT_SHARE_REJECT_REASON, decided: 0, rejected: 0 } });
    expect(set.json.since).toEqual(expect.any(Number));

    const results = [];
    for (const mp of mps) results.push(await audit(mp));
    expect(results.map((r) => r.status)).toEqual([0, 0, 1, 0, 1]);
    expect(results.filter((r) => r.status === 1).map((r) => r.reason)).toEqual([DEFAULT_SHARE_REJECT_REASON, DEFAULT_SHARE_REJECT_REASON]);
    expect(DEFAULT_SHARE_REJECT_REASON).toMatch(/^1:.+<br>\(1\):/);

    const push = await receiver!.waitFor((r) => r.path === `/wechat/callback/${mps[2]!.appid}` && isPushOf('weapp_audit_fail')(r));
    expect(openReceivedPush(push).fields).toMatchObject({ Event: 'weapp_audit_fail', Reason: DEFAULT_SHARE_REJECT_REASON });
    expect(await shareInState()).toMatchObject({ rejectPercent: 40, decided: 5, rejected: 2 });
  });

  it('40% of 100 audits rejects exactly 40, and every prefix holds floor(n × 40%)', async () => {
    await start({ miniPrograms: 10 });
    const mps = await authorizeAll(10);
    await setShare({ rejectPercent: 40, reason: '演示驳回 / demo rejection' });
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (const mp of mps) statuses.push((await audit(mp)).status);
    }
    expect(statuses.filter((s) => s === 1)).toHaveLength(40);
    expect(statuses).toEqual(statuses.map((_, i) => (rejectedAt(i + 1, 40) ? 1 : 0)));
    expect(await shareInState()).toMatchObject({ rejectPercent: 40, reason: '演示驳回 / demo rejection', decided: 100, rejected: 40 });
  }, 60_000);

  it('applies to audits the review timer decides, and the rest follow the global outcome', async () => {
    await start({ auditDelayMs: 20 });
    const mps = await authorizeAll(4);
    await admin(emulator!, 'POST', '/__admin/audit-outcome', { outcome: 'silent' });
    await setShare({ rejectPercent: 50, reason: '页面加载失败 / a page failed to load' });
    const statuses: number[] = [];
    for (const mp of mps) {
      await submitAudit(mp);
      let answer = await as(mp, '/wxa/get_latest_auditstatus');
      for (let i = 0; i < 100 && answer.status === 2; i++) {
        await sleep(20);
        answer = await as(mp, '/wxa/get_latest_auditstatus');
      }
      statuses.push(answer.status as number);
    }
    expect(statuses).toEqual([0, 1, 0, 1]);
    // The others were approved silently (the global outcome): only the rejections were pushed.
    await receiver!.waitFor((r) => r.path === `/wechat/callback/${mps[3]!.appid}` && isPushOf('weapp_audit_fail')(r));
    await sleep(100);
    const pushed = receiver!.requests.filter((r) => r.path.startsWith('/wechat/callback/')).map((r) => openReceivedPush(r).fields);
    expect(pushed.map((f) => f.Event)).toEqual(['weapp_audit_fail', 'weapp_audit_fail']);
    expect(pushed[0]!.Reason).toBe('页面加载失败 / a page failed to load');
  });

  it("an appid's own outcome, and an audit's own decision, win over the share and are not counted in it", async () => {
    await start();
    const [own, other, third] = await authorizeAll(3);
    await admin(emulator!, 'POST', '/__admin/audit-outcome', { appid: own!.appid, outcome: 'approve' });
    await setShare({ rejectPercent: 100 });
    expect((await audit(own!)).status).toBe(0);
    await submitAudit(other!);
    expect((await admin(emulator!, 'POST', '/__admin/finish-audit', { appid: other!.appid, outcome: 'approve' })).json).toMatchObject({ status: 0 });
    expect(await shareInState()).toMatchObject({ decided: 0, rejected: 0 });
    expect((await audit(third!)).status).toBe(1);
    expect(await shareInState()).toMatchObject({ decided: 1, rejected: 1 });
  });

  it('setting it again starts the count over; rejectPercent 0 turns it off', async () => {
    await start();
    const mps = await authorizeAll(3);
    await setShare({ rejectPercent: 50 });
    expect((await audit(mps[0]!)).status).toBe(0);
    // A new share counts from its own start: 50% again, so the next audit is its first (approved).
    await setShare({ rejectPercent: 50 });
    expect((await audit(mps[1]!)).status).toBe(0);
    expect((await audit(mps[2]!)).status).toBe(1);

    expect(await setShare({ rejectPercent: 0 })).toMatchObject({ status: 200, json: { ok: true, scope: 'global', rejectPercent: 0 } });
    expect(await shareInState()).toBeNull();
    for (const mp of mps) expect((await audit(mp)).status).toBe(0);
  });

  it('survives a restart with its counts, and carries on exactly', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-reject-share-'));
    dirs.push(stateDir);
    await start({ stateDir });
    const mps = await authorizeAll(5);
    await setShare({ rejectPercent: 40, reason: '重启前设置 / set before the restart' });
    const statuses: number[] = [];
    for (const mp of mps.slice(0, 3)) statuses.push((await audit(mp)).status);

    await emulator!.close();
    await start({ stateDir });
    expect(await shareInState()).toMatchObject({ rejectPercent: 40, reason: '重启前设置 / set before the restart', decided: 3, rejected: 1 });
    for (const mp of mps.slice(3)) statuses.push((await audit(mp)).status);
    expect(statuses).toEqual([0, 0, 1, 0, 1]);

    // Off stays off after a restart too.
    await setShare({ rejectPercent: 0 });
    await emulator!.close();
    await start({ stateDir });
    expect(await shareInState()).toBeNull();
  });

  it('refuses bad input with a clear 400 and keeps the share it had', async () => {
    await start();
    const [mp] = await authorizeAll(1);
    await setShare({ rejectPercent: 30 });
    for (const rejectPercent of [40.5, -1, 101, '40%', 'forty', '', null, true, [40]]) {
      const answer = await setShare({ rejectPercent });
      expect(answer.status, JSON.stringify(rejectPercent)).toBe(400);
      expect(answer.json.error).toContain('rejectPercent must be a whole number from 0 to 100');
    }
    const withAppid = await setShare({ appid: mp!.appid, rejectPercent: 40 });
    expect(withAppid).toMatchObject({ status: 400, json: { error: expect.stringContaining('platform-wide') } });
    expect((await setShare({ rejectPercent: 40, outcome: 'reject' })).status).toBe(400);
    expect(await setShare({ rejectPercent: 40, reason: 7 })).toMatchObject({ status: 400, json: { error: 'reason must be a string' } });
    expect(await setShare({})).toMatchObject({ status: 400, json: { error: expect.stringContaining('rejectPercent') } });
    expect(await shareInState()).toMatchObject({ rejectPercent: 30, decided: 0 });

    // What the dashboard's prompt sends: digits as a string.
    expect(await setShare({ rejectPercent: ' 60 ' })).toMatchObject({ status: 200, json: { rejectPercent: 60 } });
  });

  it('the dashboard shows it, sets it through a prompt and turns it off', async () => {
    await start();
    const page = async () => (await (await fetch(`${emulator!.url}/__admin`)).text()).replace(/&quot;/g, '"');
    let html = await page();
    expect(html).toContain('>Reject a share of audits…</button>');
    expect(html).toMatch(/data-path="\/__admin\/audit-outcome" data-body="\{\}" data-prompt="[^"]+" data-prompt-field="rejectPercent"/);
    expect(html).not.toContain('Stop rejecting a share');

    // The page's script puts the typed answer into the body under data-prompt-field.
    expect((await setShare({ rejectPercent: '25' })).status).toBe(200);
    html = await page();
    expect(html).toContain('25% rejected');
    expect(html).toContain('(0 of 0 decided since');
    expect(html).toMatch(/data-body="\{"rejectPercent":0\}"[^>]*>Stop rejecting a share<\/button>/);
    expect((await setShare({ rejectPercent: 0 })).status).toBe(200);
    expect(await page()).not.toContain('% rejected');
  });
});
