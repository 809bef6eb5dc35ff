/**
 * The release lifecycle as WeChat enforces it (docs/wechat-protocol.md §8): rollback and its
 * history, phased (gray) release, version info, withdrawn audits and resubmission. Every refusal
 * carries WeChat's errcode and an errmsg ending in a rid.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, authorizeMiniProgram, callApi, startEmulatorWith } from './helpers';
import type { Authorized, CallOptions, WeChatAnswer } from './helpers';

interface HistoryEntry {
  app_version: number;
  user_version: string;
  user_desc: string;
  commit_time: number;
}

describe('release lifecycle', () => {
  let emulator: Emulator;
  let mp: Authorized;
  let nowMs: number;

  beforeEach(async () => {
    nowMs = Date.parse('2025-06-10T04:00:00Z');
    // Audits are decided by /__admin/finish-audit only.
    emulator = await startEmulatorWith(undefined, { auditDelayMs: 600_000, now: () => nowMs });
    mp = await authorizeMiniProgram(emulator);
  });
  afterEach(() => emulator.close());

  const call = (path: string, opts: CallOptions = {}) => callApi(emulator, path, { ...opts, query: { access_token: mp.accessToken, ...opts.query } });
  const commit = (userVersion: string) =>
    call('/wxa/commit', {
      body: {
        template_id: 1,
        ext_json: JSON.stringify({ extEnable: true, extAppid: mp.appid }),
        user_version: userVersion,
        user_desc: `desc ${userVersion}`,
      },
    });
  const submit = (body: Record<string, unknown> = {}) => call('/wxa/submit_audit', { body });
  const finishAudit = () => admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid });
  const state = async () => (await admin(emulator, 'GET', `/__admin/state?appid=${mp.appid}`)).json;
  const online = async () => (await state()).released as { userVersion: string; appVersion: number; rolledBack: boolean } | null;
  const latestStatus = async () => (await call('/wxa/get_latest_auditstatus')).status;

  async function approve(userVersion: string): Promise<void> {
    expect((await commit(userVersion)).errcode).toBe(0);
    expect((await submit()).errcode).toBe(0);
    await finishAudit();
  }
  async function release(userVersion: string): Promise<void> {
    await approve(userVersion);
    expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);
  }
  const history = async () => (await call('/wxa/revertcoderelease', { query: { action: 'get_history_version' } })).version_list as HistoryEntry[];
  const rollback = (appVersion?: number) =>
    call('/wxa/revertcoderelease', appVersion === undefined ? {} : { query: { app_version: String(appVersion) } });
  const gray = (body: Record<string, unknown>) => call('/wxa/grayrelease', { body });
  const plan = async () => (await call('/wxa/getgrayreleaseplan')).gray_release_plan as Record<string, unknown>;

  function expectRefusal(answer: WeChatAnswer, errcode: number, text?: string): void {
    expect(answer.errcode).toBe(errcode);
    expect(answer.errmsg).toMatch(RID_ERRMSG);
    if (text !== undefined) expect(answer.errmsg).toContain(text);
  }

  describe('revertcoderelease', () => {
    it('refuses with 87012 when nothing, or only one version, was ever online', async () => {
      expectRefusal(await rollback(), 87012, 'forbid revert this version release');
      await release('1.0.0');
      expect(await history()).toEqual([]);
      expectRefusal(await rollback(), 87012);
      expect((await online())?.userVersion).toBe('1.0.0');
    });

    it('lists the versions one can roll back to, newest first, without the online one, with the documented fields', async () => {
      await release('1.0.0');
      nowMs += 60_000;
      await release('1.1.0');
      nowMs += 60_000;
      await release('1.2.0');
      const list = await history();
      expect(list.map((v) => v.user_version)).toEqual(['1.1.0', '1.0.0']);
      expect(list[0]).toEqual({ app_version: expect.any(Number), user_version: '1.1.0', user_desc: 'desc 1.1.0', commit_time: Math.floor((nowMs - 60_000) / 1000) });
      expect(Object.keys(list[0]!).sort()).toEqual(['app_version', 'commit_time', 'user_desc', 'user_version']);
    });

    it('rolls back to the previous version, then refuses a second rollback in a row (87012) until a new release', async () => {
      await release('1.0.0');
      await release('1.1.0');
      expect(await rollback()).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(await online()).toMatchObject({ userVersion: '1.0.0', rolledBack: true });
      // "After rolling back, the current version cannot be rolled back again, nor is version information returned."
      expect(await history()).toEqual([]);
      expectRefusal(await rollback(), 87012, 'already a rollback');
      await release('1.2.0');
      expect(await online()).toMatchObject({ userVersion: '1.2.0', rolledBack: false });
      // The version rolled back to is the previous online version now; the one rolled away from is still kept.
      expect((await history()).map((v) => v.user_version)).toEqual(['1.0.0', '1.1.0']);
      expect((await rollback()).errcode).toBe(0);
      expect((await online())?.userVersion).toBe('1.0.0');
    });

    it('rolls back to a named kept version, and refuses the online one or an unknown one (87012)', async () => {
      for (const version of ['1.0.0', '1.1.0', '1.2.0']) await release(version);
      const list = await history();
      const current = (await online())!.appVersion;
      expectRefusal(await rollback(current), 87012, 'is the online version');
      expectRefusal(await rollback(999_999), 87012, 'not among the kept versions');
      expectRefusal(await call('/wxa/revertcoderelease', { query: { app_version: 'latest' } }), 40097);
      const oldest = list.find((v) => v.user_version === '1.0.0')!;
      expect((await rollback(oldest.app_version)).errcode).toBe(0);
      expect(await online()).toMatchObject({ userVersion: '1.0.0', appVersion: oldest.app_version });
      expectRefusal(await rollback(list[0]!.app_version), 87012);
    });

    it('keeps only the 5 most recent versions: an older one can no longer be named', async () => {
      await release('1.0.0');
      await release('1.1.0');
      const first = (await history())[0]!;
      expect(first.user_version).toBe('1.0.0');
      for (let i = 2; i < 7; i++) await release(`1.${i}.0`);
      // 5 kept, the online one (1.6.0) among them.
      expect(emulator.state.get(mp.appid)!.releaseHistory.map((v) => v.userVersion)).toEqual(['1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.6.0']);
      const list = await history();
      expect(list.map((v) => v.user_version)).toEqual(['1.5.0', '1.4.0', '1.3.0', '1.2.0']);
      expectRefusal(await rollback(first.app_version), 87012, 'not among the kept versions');
      expect((await rollback(list.at(-1)!.app_version)).errcode).toBe(0);
      expect((await online())?.userVersion).toBe('1.2.0');
    });

    it('refuses while a phased release runs (87011), and works again once it is reverted', async () => {
      await release('1.0.0');
      await release('1.1.0');
      await approve('1.2.0');
      expect((await gray({ gray_percentage: 10 })).errcode).toBe(0);
      expectRefusal(await rollback(), 87011);
      expect((await call('/wxa/revertgrayrelease')).errcode).toBe(0);
      expect((await rollback()).errcode).toBe(0);
      expect((await online())?.userVersion).toBe('1.0.0');
    });

    it('get_history_version rolls nothing back, even with app_version; another action is refused', async () => {
      await release('1.0.0');
      await release('1.1.0');
      const [older] = await history();
      const answer = await call('/wxa/revertcoderelease', { query: { action: 'get_history_version', app_version: String(older!.app_version) } });
      expect(answer.version_list).toHaveLength(1);
      expect((await online())?.userVersion).toBe('1.1.0');
      expectRefusal(await call('/wxa/revertcoderelease', { query: { action: 'rollback' } }), 40097);
      expect((await online())?.userVersion).toBe('1.1.0');
    });
  });

  describe('grayrelease', () => {
    it('refuses with 85079 when nothing is online and 85080 without an approved, unreleased audit', async () => {
      await approve('1.0.0');
      expectRefusal(await gray({ gray_percentage: 10 }), 85079);
      expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);
      expectRefusal(await gray({ gray_percentage: 10 }), 85080); // already released
      expect((await commit('1.1.0')).errcode).toBe(0);
      expect((await submit()).errcode).toBe(0);
      expectRefusal(await gray({ gray_percentage: 10 }), 85080); // under review
      await admin(emulator, 'POST', '/__admin/audit-outcome', { appid: mp.appid, outcome: 'reject' });
      await finishAudit();
      expectRefusal(await gray({ gray_percentage: 10 }), 85080); // rejected
    });

    it.each([
      ['101', { gray_percentage: 101 }],
      ['-1', { gray_percentage: -1 }],
      ['0 without a members-first flag', { gray_percentage: 0 }],
      ['a fraction', { gray_percentage: 12.5 }],
      ['no percentage', {}],
    ])('refuses a percentage of %s with 85081', async (_case, body) => {
      await release('1.0.0');
      await approve('1.1.0');
      expectRefusal(await gray(body), 85081);
      expect(await plan()).toMatchObject({ status: 0 });
    });

    it('accepts 0 with a members-first flag and 100, as documented', async () => {
      await release('1.0.0');
      await approve('1.1.0');
      expect((await gray({ gray_percentage: 0, support_experiencer_first: true })).errcode).toBe(0);
      expect(await plan()).toMatchObject({ status: 1, gray_percentage: 0, support_experiencer_first: true, support_debuger_first: false });
      expect((await gray({ gray_percentage: 100 })).errcode).toBe(0);
      expect(await plan()).toMatchObject({ status: 1, gray_percentage: 100, support_experiencer_first: true });
    });

    it('widens a running plan only upwards (85082), keeping its creation time', async () => {
      await release('1.0.0');
      await approve('1.1.0');
      expect((await gray({ gray_percentage: 10, support_debuger_first: true })).errcode).toBe(0);
      const created = (await plan()).create_timestamp;
      expect(created).toBe(Math.floor(nowMs / 1000));
      nowMs += 3_600_000;
      expectRefusal(await gray({ gray_percentage: 10 }), 85082);
      expectRefusal(await gray({ gray_percentage: 5 }), 85082);
      expect((await gray({ gray_percentage: 30 })).errcode).toBe(0);
      expect(await plan()).toEqual({ status: 1, create_timestamp: created, gray_percentage: 30, support_debuger_first: true, support_experiencer_first: false });
      // The version online for everyone is still the old one.
      expect((await online())?.userVersion).toBe('1.0.0');
    });

    it('release during a phased release completes it (plan status 3)', async () => {
      await release('1.0.0');
      await approve('1.1.0');
      expect((await gray({ gray_percentage: 20 })).errcode).toBe(0);
      expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);
      expect(await plan()).toMatchObject({ status: 3, gray_percentage: 20 });
      expect((await online())?.userVersion).toBe('1.1.0');
      // A finished plan no longer blocks a rollback.
      expect((await rollback()).errcode).toBe(0);
    });

    it('revertgrayrelease deletes a running plan (status 4) and answers ok when none runs', async () => {
      expect(await call('/wxa/revertgrayrelease')).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(await plan()).toEqual({ status: 0, create_timestamp: 0, gray_percentage: 0, support_debuger_first: false, support_experiencer_first: false });
      await release('1.0.0');
      await approve('1.1.0');
      expect((await gray({ gray_percentage: 20 })).errcode).toBe(0);
      expect(await call('/wxa/revertgrayrelease')).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(await plan()).toMatchObject({ status: 4, gray_percentage: 20 });
      expect((await online())?.userVersion).toBe('1.0.0');
      // The approved version can be phased again: a new plan, which may start lower.
      nowMs += 60_000;
      expect((await gray({ gray_percentage: 5 })).errcode).toBe(0);
      expect(await plan()).toMatchObject({ status: 1, gray_percentage: 5, create_timestamp: Math.floor(nowMs / 1000) });
    });
  });

  describe('getversioninfo', () => {
    it('answers only errcode and errmsg when nothing was committed or released, and needs a {} body (44002)', async () => {
      expect(await call('/wxa/getversioninfo', { body: {} })).toEqual({ errcode: 0, errmsg: 'ok' });
      expectRefusal(await call('/wxa/getversioninfo', { method: 'POST' }), 44002);
    });

    it('reports the experience version, then the online one; during a phased release the old one stays online', async () => {
      expect((await commit('1.0.0')).errcode).toBe(0);
      const committedAt = Math.floor(nowMs / 1000);
      expect(await call('/wxa/getversioninfo', { body: {} })).toEqual({
        errcode: 0,
        errmsg: 'ok',
        exp_info: { exp_time: committedAt, exp_version: '1.0.0', exp_desc: 'desc 1.0.0' },
      });
      expect((await submit()).errcode).toBe(0);
      await finishAudit();
      nowMs += 60_000;
      expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);
      const releasedAt = Math.floor(nowMs / 1000);
      nowMs += 60_000;
      await approve('1.1.0');
      expect((await gray({ gray_percentage: 50 })).errcode).toBe(0);
      expect(await call('/wxa/getversioninfo', { body: {} })).toMatchObject({
        exp_info: { exp_version: '1.1.0', exp_desc: 'desc 1.1.0', exp_time: Math.floor(nowMs / 1000) },
        release_info: { release_time: releasedAt, release_version: '1.0.0', release_desc: 'desc 1.0.0' },
      });
      expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);
      expect(((await call('/wxa/getversioninfo', { body: {} })).release_info as { release_version: string }).release_version).toBe('1.1.0');
    });
  });

  describe('audits: withdrawal and resubmission', () => {
    it('a withdrawn audit reads status 3, blocks release, and frees the tenant to submit again', async () => {
      expect((await commit('1.0.0')).errcode).toBe(0);
      const first = await submit();
      const submittedAt = Math.floor(nowMs / 1000);
      expect(await call('/wxa/undocodeaudit')).toEqual({ errcode: 0, errmsg: 'ok' });
      expect(await call('/wxa/get_latest_auditstatus')).toMatchObject({ auditid: first.auditid, status: 3, user_version: '1.0.0', submit_audit_time: submittedAt });
      expectRefusal(await call('/wxa/release', { body: {} }), 85020);
      nowMs += 60_000;
      const second = await submit();
      expect(second.auditid).toBeGreaterThan(first.auditid as number);
      expect(await call('/wxa/get_latest_auditstatus')).toMatchObject({ auditid: second.auditid, status: 2, submit_audit_time: submittedAt + 60 });
    });

    it('undocodeaudit with nothing under review (none, approved or rejected) answers 87012, and does not use the quota', async () => {
      expectRefusal(await call('/wxa/undocodeaudit'), 87012, 'forbid revert this version release');
      await admin(emulator, 'POST', '/__admin/audit-outcome', { appid: mp.appid, outcome: 'reject' });
      expect((await commit('1.0.0')).errcode).toBe(0);
      expect((await submit()).errcode).toBe(0);
      await finishAudit();
      expect(await latestStatus()).toBe(1);
      expectRefusal(await call('/wxa/undocodeaudit'), 87012);
      expect(emulator.state.get(mp.appid)!.undoQuota.dayCount).toBe(0);
    });

    it('resubmits the same committed code after a rejection, with feedback for the reviewer', async () => {
      await admin(emulator, 'POST', '/__admin/audit-outcome', { appid: mp.appid, outcome: 'reject' });
      expect((await commit('1.0.0')).errcode).toBe(0);
      const rejected = await submit();
      await finishAudit();
      expect(await call('/wxa/get_latest_auditstatus')).toMatchObject({ auditid: rejected.auditid, status: 1, reason: expect.stringMatching(/\S/) });
      await admin(emulator, 'POST', '/__admin/audit-outcome', { appid: mp.appid, outcome: 'approve' });
      const again = await submit({ feedback_info: '已按审核意见修改名称 / name fixed', feedback_stuff: 'media_1|media_2' });
      expect(again.errcode).toBe(0);
      expect(again.auditid).toBeGreaterThan(rejected.auditid as number);
      await finishAudit();
      expect(await call('/wxa/get_latest_auditstatus')).toMatchObject({ auditid: again.auditid, status: 0, user_version: '1.0.0' });
      expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);
    });

    it.each([
      ['feedback_info that is not a string', { feedback_info: 42 }],
      ['feedback_info over 200 characters', { feedback_info: '改'.repeat(201) }],
      ['feedback_stuff that is not a string', { feedback_stuff: ['media_1'] }],
      ['feedback_stuff with more than 5 media ids', { feedback_stuff: 'a|b|c|d|e|f' }],
    ])('refuses %s with 47001 (and takes no quota)', async (_case, body) => {
      expect((await commit('1.0.0')).errcode).toBe(0);
      const rest = (await call('/wxa/queryquota')).rest;
      expectRefusal(await submit(body), 47001);
      expect((await call('/wxa/queryquota')).rest).toBe(rest);
      expect((await submit({ feedback_info: '改'.repeat(200), feedback_stuff: 'a|b|c|d|e' })).errcode).toBe(0);
    });
  });
});
