import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, authorizeMiniProgram, callApi, startEmulatorWith } from './helpers';
import type { Authorized, CallOptions } from './helpers';

describe('code management', () => {
  let emulator: Emulator;
  let mp: Authorized;

  beforeEach(async () => {
    emulator = await startEmulatorWith(undefined, { auditDelayMs: 60_000 });
    mp = await authorizeMiniProgram(emulator);
  });
  afterEach(() => emulator.close());

  const call = (path: string, opts: CallOptions = {}) => callApi(emulator, path, { ...opts, query: { access_token: mp.accessToken, ...opts.query } });
  const validCommit = () => ({
    template_id: 1,
    ext_json: JSON.stringify({ extEnable: true, extAppid: mp.appid, ext: { shopName: '小店' } }),
    user_version: '1.0.0',
    user_desc: 'first',
  });
  const commit = (overrides: Record<string, unknown> = {}) => call('/wxa/commit', { body: { ...validCommit(), ...overrides } });
  const submit = (body: Record<string, unknown> = {}) => call('/wxa/submit_audit', { body });
  const finishAudit = () => admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid });

  it('accepts a valid commit and reports its pages', async () => {
    expect(await commit()).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await call('/wxa/get_page')).page_list).toEqual(['pages/index/index', 'pages/about/about', 'pages/profile/profile']);
  });

  it.each([
    ['ext_json as an object instead of a string', { ext_json: { extAppid: 'x' } }, 47001],
    ['ext_json that is not JSON', { ext_json: '{not json' }, 85013],
    ['ext_json that is not an object', { ext_json: '[1,2]' }, 85013],
    ['an extAppid of another mini-program', { ext_json: JSON.stringify({ extAppid: 'wx0000000000000000' }) }, 85013],
    ['a user_version longer than 64 characters', { user_version: 'v'.repeat(65) }, 47001],
    ['a missing user_version', { user_version: undefined }, 47001],
    ['an unknown template_id', { template_id: 999 }, 85043],
    ['an empty pages list', { ext_json: JSON.stringify({ pages: [] }) }, 85047],
    ['a page the template lacks', { ext_json: JSON.stringify({ pages: ['pages/nope/nope'] }) }, 85045],
    ['extPages naming a missing page', { ext_json: JSON.stringify({ extPages: { 'pages/nope/nope': {} } }) }, 85045],
    ['a tabBar item without pagePath', { ext_json: JSON.stringify({ tabBar: { list: [{ text: 'x' }] } }) }, 85046],
    ['a standard template given extra keys', { template_id: 2, ext_json: JSON.stringify({ ext: {}, pages: ['pages/index/index'] }) }, 85013],
  ])('refuses %s', async (_case, overrides, errcode) => {
    const answer = await commit(overrides);
    expect(answer.errcode).toBe(errcode);
    expect(answer.errmsg).toMatch(RID_ERRMSG);
  });

  it('accepts exactly 64 characters of user_version and a standard template with extAppid, ext, window', async () => {
    expect((await commit({ user_version: 'v'.repeat(64) })).errcode).toBe(0);
    expect((await commit({ template_id: 2, ext_json: JSON.stringify({ extAppid: mp.appid, ext: {}, window: {} }) })).errcode).toBe(0);
  });

  it('answers 44002 for an empty body and 47001 for malformed JSON', async () => {
    expect((await call('/wxa/commit', { method: 'POST' })).errcode).toBe(44002);
    expect((await call('/wxa/commit', { rawBody: '{"template_id":' })).errcode).toBe(47001);
  });

  it('requires a commit before submit_audit (85086)', async () => {
    expect((await submit()).errcode).toBe(85086);
  });

  it('refuses a second submission while one is under audit (85009) and more than 5 items (85023)', async () => {
    await commit();
    const item = { address: 'pages/index/index', tag: '工具', first_class: '工具', second_class: '效率', first_id: 287, second_id: 612 };
    expect((await submit({ item_list: new Array(6).fill(item) })).errcode).toBe(85023);
    const first = await submit({ item_list: [item] });
    expect(first.auditid).toEqual(expect.any(Number));
    expect((await submit()).errcode).toBe(85009);
    const status = await call('/wxa/get_auditstatus', { body: { auditid: first.auditid } });
    expect(status).toMatchObject({ errcode: 0, status: 2 });
    expect((await call('/wxa/get_auditstatus', { body: { auditid: 1 } })).errcode).toBe(85012);
  });

  it('releases only an approved audit, with a body of exactly {}', async () => {
    await commit();
    const release = (body: unknown) => call('/wxa/release', { body });
    expect((await release({})).errcode).toBe(85019);
    await submit();
    expect((await release({})).errcode).toBe(85020);
    await finishAudit();
    expect((await call('/wxa/get_latest_auditstatus')).status).toBe(0);
    expect((await release({ any: 1 })).errcode).toBe(47001);
    expect((await call('/wxa/release', { method: 'POST' })).errcode).toBe(44002);
    expect(await release({})).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await release({})).errcode).toBe(85052);
  });

  it('keeps the release history for revertcoderelease', async () => {
    for (const version of ['1.0.0', '1.1.0']) {
      await commit({ user_version: version });
      await submit();
      await finishAudit();
      await call('/wxa/release', { body: {} });
    }
    const history = await call('/wxa/revertcoderelease', { query: { action: 'get_history_version' } });
    // The versions one can roll back to: the online 1.1.0 is not among them.
    expect((history.version_list as { user_version: string }[]).map((v) => v.user_version)).toEqual(['1.0.0']);
    expect((await call('/wxa/revertcoderelease')).errcode).toBe(0);
    expect((await admin(emulator, 'GET', `/__admin/state?appid=${mp.appid}`)).json.released).toMatchObject({ userVersion: '1.0.0' });
    // No second rollback in a row (more in release.test.ts).
    expect((await call('/wxa/revertcoderelease')).errcode).toBe(87012);
  });

  it('counts submissions against the platform quota (85085 when used up)', async () => {
    await admin(emulator, 'POST', '/__admin/quota', { limit: 1, used: 0 });
    await commit();
    expect((await submit()).errcode).toBe(0);
    await finishAudit();
    expect((await call('/wxa/queryquota'))).toMatchObject({ rest: 0, limit: 1 });
    expect((await submit()).errcode).toBe(85085);
  });

  it('withdraws an audit with undocodeaudit, at most 5 times a day (87013)', async () => {
    await commit();
    expect((await call('/wxa/undocodeaudit')).errcode).toBe(87012); // nothing under review
    for (let i = 0; i < 5; i++) {
      await submit();
      expect((await call('/wxa/undocodeaudit')).errcode).toBe(0);
    }
    expect((await call('/wxa/get_latest_auditstatus')).status).toBe(3);
    await submit();
    expect((await call('/wxa/undocodeaudit')).errcode).toBe(87013);
  });

  it('answers get_qrcode with JPEG bytes', async () => {
    const response = await fetch(`${emulator.url}/wxa/get_qrcode?access_token=${encodeURIComponent(mp.accessToken)}&path=pages%2Findex%2Findex`);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect([...bytes.subarray(-2)]).toEqual([0xff, 0xd9]);
  });

  it('runs a phased (gray) release only for an approved, unreleased version over a released one', async () => {
    await commit();
    expect((await call('/wxa/grayrelease', { body: { gray_percentage: 10 } })).errcode).toBe(85079);
    await submit();
    await finishAudit();
    await call('/wxa/release', { body: {} });
    await commit({ user_version: '1.1.0' });
    await submit();
    await finishAudit();
    expect((await call('/wxa/grayrelease', { body: { gray_percentage: 0 } })).errcode).toBe(85081);
    expect((await call('/wxa/grayrelease', { body: { gray_percentage: 20 } })).errcode).toBe(0);
    expect((await call('/wxa/grayrelease', { body: { gray_percentage: 10 } })).errcode).toBe(85082);
    expect((await call('/wxa/getgrayreleaseplan')).gray_release_plan).toMatchObject({ status: 1, gray_percentage: 20 });
    expect((await call('/wxa/revertcoderelease')).errcode).toBe(87011);
  });
});
