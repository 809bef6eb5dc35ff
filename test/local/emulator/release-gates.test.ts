/**
 * WeChat's release gates as the emulator enforces them: the code privacy scan after a commit
 * (61039, then without_auth_list / without_conf_list), submit_audit's refusals in WeChat's order
 * (61039, 61040 guide / undeclared / ungranted, 86002, 85008, then the item checks), release of an
 * unfiled mini-program (85020), per-mini-program categories, basic info, privacy interfaces, the
 * admin API's changes and their pushes, what a restart keeps, and the realistic demo fleet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { createEmulator } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, authorizeMiniProgram, callApi, componentToken, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Authorized, CallOptions, Receiver, WeChatAnswer } from './helpers';

const FOOD = { first_class: '餐饮服务', second_class: '点餐平台', first_id: 220, second_id: 688 };
const TOOLS = { first_class: '工具', second_class: '效率', first_id: 287, second_id: 612 };

describe('release gates', () => {
  let emulator: Emulator;
  let receiver: Receiver;
  let mp: Authorized;
  let nowMs: number;

  beforeEach(async () => {
    nowMs = Date.parse('2026-03-02T04:00:00Z');
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver, { auditDelayMs: 600_000, privacyScanMs: 2000, now: () => nowMs, miniPrograms: 3 });
    mp = await authorizeMiniProgram(emulator);
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  const call = (path: string, opts: CallOptions = {}) => callApi(emulator, path, { ...opts, query: { access_token: mp.accessToken, ...opts.query } });
  const adminOk = async (path: string, body: Record<string, unknown>) => {
    const answer = await admin(emulator, 'POST', path, body);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json;
  };
  const commit = (ext: Record<string, unknown> = {}, templateId = 1) =>
    call('/wxa/commit', { body: { template_id: templateId, ext_json: JSON.stringify({ extAppid: mp.appid, ...ext }), user_version: '2.0.0', user_desc: 'gates' } });
  const submit = (body: Record<string, unknown> = {}) => call('/wxa/submit_audit', { body });
  const refused = (answer: WeChatAnswer, errcode: number, errmsg?: RegExp) => {
    expect(answer.errcode).toBe(errcode);
    expect(answer.errmsg).toMatch(RID_ERRMSG);
    if (errmsg !== undefined) expect(answer.errmsg).toMatch(errmsg);
  };

  it('refuses submit_audit gate by gate, in WeChat\'s order, until every gate passes', async () => {
    await adminOk('/__admin/code-privacy', { templateId: 1, privacyApis: ['wx.getLocation', 'wx.chooseImage', 'wx.chooseAddress'], requiredPrivateInfos: ['getLocation'] });
    await adminOk('/__admin/privacy-interface', { appid: mp.appid, api: 'wx.chooseAddress', granted: false });
    await adminOk('/__admin/privacy-guide', { appid: mp.appid, action: 'delete' });
    await adminOk('/__admin/basic-info', { appid: mp.appid, signature: '' });
    await adminOk('/__admin/categories', { appid: mp.appid, categories: [] });

    expect((await commit()).errcode).toBe(0);
    refused(await call('/wxa/security/get_code_privacy_info'), 61039);
    refused(await submit(), 61039);

    nowMs += 2000; // the scan is done
    expect(await call('/wxa/security/get_code_privacy_info')).toEqual({
      errcode: 0,
      errmsg: 'ok',
      without_auth_list: ['wx.chooseAddress'],
      without_conf_list: ['wx.chooseAddress'],
    });
    refused(await submit({ privacy_api_not_use: true }), 61040, /^privacy guide \(用户隐私保护指引\) is not set/);

    const guide = { owner_setting: { notice_method: '弹窗', contact_email: 'a@example.com' }, setting_list: [{ privacy_key: 'Location', privacy_text: '门店' }] };
    expect((await call('/cgi-bin/component/setprivacysetting', { body: guide })).errcode).toBe(0);
    refused(await submit(), 61040, /not declared: wx\.chooseAddress/);
    // privacy_api_not_use waives the declaration, never the grant.
    refused(await submit({ privacy_api_not_use: true }), 61040, /not granted: wx\.chooseAddress/);

    await adminOk('/__admin/privacy-interface', { appid: mp.appid, api: 'chooseAddress', granted: true });
    refused(await submit({ privacy_api_not_use: true }), 86002, /signature/);

    await adminOk('/__admin/basic-info', { appid: mp.appid, signature: '一家茶馆 / a tea house' });
    refused(await submit({ privacy_api_not_use: true }), 85008);

    await adminOk('/__admin/categories', { appid: mp.appid, categories: [FOOD] });
    refused(await submit({ privacy_api_not_use: true, item_list: [{ address: 'pages/index/index', ...TOOLS }] }), 85008, /工具 > 效率/);
    refused(await submit({ privacy_api_not_use: true, item_list: [{ address: 'pages/index/index', first_class: '餐饮服务', second_class: '外卖' }] }), 85008);
    // The existing item checks come after the categories.
    refused(await submit({ privacy_api_not_use: true, item_list: new Array(6).fill({ address: 'pages/index/index', ...FOOD }) }), 85023);
    expect(emulator.state.currentQuota().used).toBe(0);

    // By names, or by ids; without item_list WeChat uses the first category.
    const byNames = await submit({ privacy_api_not_use: true, item_list: [{ address: 'pages/index/index', first_class: '餐饮服务', second_class: '点餐平台' }] });
    expect(byNames).toMatchObject({ errcode: 0, auditid: expect.any(Number) });
    expect(emulator.state.currentQuota().used).toBe(1);
    await admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid, outcome: 'reject' });
    expect(await submit({ privacy_api_not_use: true, item_list: [{ first_id: 220, second_id: '688' }] })).toMatchObject({ errcode: 0 });
    await admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid, outcome: 'reject' });
    expect(await submit({ privacy_api_not_use: true })).toMatchObject({ errcode: 0 });
  });

  it('clears without_conf_list when the ext_json declares the API, and needs no declaration or grant for non-location APIs', async () => {
    await adminOk('/__admin/code-privacy', { templateId: 1, privacyApis: 'wx.getLocation, wx.chooseAddress, wx.chooseImage, wx.getPhoneNumber', requiredPrivateInfos: 'getLocation' });
    expect((await commit({ requiredPrivateInfos: ['chooseAddress'] })).errcode).toBe(0);
    nowMs += 2000;
    expect(await call('/wxa/security/get_code_privacy_info')).toMatchObject({ errcode: 0, without_auth_list: [], without_conf_list: [] });
    expect((await submit()).errcode).toBe(0);
    // getprivacysetting names the privacy keys the committed code needs.
    expect((await call('/cgi-bin/component/getprivacysetting', { body: { privacy_ver: 2 } })).privacy_list).toEqual(['Location', 'Address', 'Album', 'PhoneNumber']);
  });

  it('answers get_code_privacy_info before any commit with 85086, and scans at once by default', async () => {
    refused(await call('/wxa/security/get_code_privacy_info'), 85086);
    const quick = await createEmulator({ ticketIntervalMs: 0, miniPrograms: 1 });
    try {
      const other = await authorizeMiniProgram(quick, 0);
      const as = (path: string, body?: unknown) => callApi(quick, path, { query: { access_token: other.accessToken }, ...(body === undefined ? {} : { body }) });
      expect((await as('/wxa/commit', { template_id: 1, ext_json: '{}', user_version: '1.0.0' })).errcode).toBe(0);
      expect(await as('/wxa/security/get_code_privacy_info')).toMatchObject({ errcode: 0, without_auth_list: [], without_conf_list: [] });
      expect((await as('/cgi-bin/component/getprivacysetting', { privacy_ver: 2 })).privacy_list).toEqual([]);
    } finally {
      await quick.close();
    }
  });

  it('lists the location interfaces with their grant per mini-program', async () => {
    await adminOk('/__admin/privacy-interface', { appid: mp.appid, api: 'wx.getLocation', granted: false });
    const { interface_list: list } = (await call('/wxa/security/get_privacy_interface')) as { interface_list: { api_name: string; status: number }[] };
    expect(list.map((i) => i.api_name)).toEqual([
      'wx.getFuzzyLocation', 'wx.getLocation', 'wx.onLocationChange', 'wx.startLocationUpdate',
      'wx.startLocationUpdateBackground', 'wx.chooseLocation', 'wx.choosePoi', 'wx.chooseAddress',
    ]);
    expect(list.find((i) => i.api_name === 'wx.getLocation')).toMatchObject({ status: 1, api_ch_name: expect.any(String), api_desc: expect.any(String) });
    expect(list.filter((i) => i.status === 5)).toHaveLength(7);
    expect((await admin(emulator, 'POST', '/__admin/privacy-interface', { appid: mp.appid, api: 'wx.chooseImage', granted: true })).status).toBe(400);
  });

  it('releases (or phases in) only a filed mini-program: 85020, "icp filing not completed"', async () => {
    const approve = async (version: string) => {
      expect((await call('/wxa/commit', { body: { template_id: 1, ext_json: '{}', user_version: version } })).errcode).toBe(0);
      nowMs += 2000;
      expect((await submit()).errcode).toBe(0);
      await admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid });
    };
    await approve('1.0.0');
    await adminOk('/__admin/icp', { appid: mp.appid, status: 1024 });
    refused(await call('/wxa/release', { body: {} }), 85020, /^icp filing not completed/);
    await adminOk('/__admin/icp', { appid: mp.appid, status: 6 });
    expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);

    await approve('1.1.0');
    await adminOk('/__admin/icp', { appid: mp.appid, status: 4 });
    refused(await call('/wxa/grayrelease', { body: { gray_percentage: 10 } }), 85020, /^icp filing not completed/);
    refused(await call('/wxa/release', { body: {} }), 85020, /^icp filing not completed/);
    await adminOk('/__admin/icp', { appid: mp.appid, status: 6 });
    expect((await call('/wxa/grayrelease', { body: { gray_percentage: 10 } })).errcode).toBe(0);
  });

  it('changes the ICP status through the admin API, shows the rejection reasons and pushes the result', async () => {
    expect(await call('/wxa/icp/get_icp_entrance_info')).toEqual({ errcode: 0, errmsg: 'ok', info: { status: 6, is_canceling: false, available: 1 } });
    const auditData = [{ key_name: '主办单位名称', error: '与证件不一致', suggest: '按证件填写' }];
    expect((await adminOk('/__admin/icp', { appid: mp.appid, status: 5, auditData })).icp).toEqual({ status: 5, auditData });
    expect((await call('/wxa/icp/get_icp_entrance_info')).info).toEqual({ status: 5, is_canceling: false, available: 1, audit_data: auditData });
    const pushed = await receiver.waitFor((r) => r.path === '/wechat/ticket' && isPushOf('notify_apply_icpfiling_result')(r));
    expect(openReceivedPush(pushed).fields).toMatchObject({
      AppId: emulator.platform.componentAppid,
      InfoType: 'notify_apply_icpfiling_result',
      AuthorizerAppid: mp.appid,
      status: '5',
      reason: '主办单位名称: 与证件不一致',
    });
    expect((await admin(emulator, 'POST', '/__admin/icp', { appid: mp.appid, status: 7 })).status).toBe(400);
    expect((await admin(emulator, 'POST', '/__admin/icp', { appid: mp.appid, status: 6, auditData })).status).toBe(400);
  });

  it('answers getaccountbasicinfo from the same facts as api_get_authorizer_info, and audits renames with a push', async () => {
    const basic = await call('/cgi-bin/account/getaccountbasicinfo');
    const token = await componentToken(emulator);
    const info = await callApi(emulator, '/cgi-bin/component/api_get_authorizer_info', {
      query: { component_access_token: token },
      body: { component_appid: emulator.platform.componentAppid, authorizer_appid: mp.appid },
    });
    const authorizer = info.authorizer_info as { nick_name: string; head_img: string; signature: string };
    expect(basic).toMatchObject({
      errcode: 0,
      appid: mp.appid,
      account_type: 2,
      realname_status: 1,
      nickname: authorizer.nick_name,
      wx_verify_info: { qualification_verify: true, naming_verify: true, annual_review: true },
      signature_info: { signature: authorizer.signature },
      head_image_info: { head_image_url: authorizer.head_img },
      nickname_info: { nickname: authorizer.nick_name },
    });
    expect(await call('/cgi-bin/account/getaccountbasicinfo', { body: {} })).toMatchObject({ nickname: authorizer.nick_name });

    await adminOk('/__admin/basic-info', { appid: mp.appid, headImage: false });
    expect(((await call('/cgi-bin/account/getaccountbasicinfo')).head_image_info as { head_image_url: string }).head_image_url).toBe('');
    await adminOk('/__admin/basic-info', { appid: mp.appid, headImage: true });
    expect(((await call('/cgi-bin/account/getaccountbasicinfo')).head_image_info as { head_image_url: string }).head_image_url).toBe(`${emulator.url}/__static/avatar/${mp.appid}.png`);

    await adminOk('/__admin/nickname-audit', { appid: mp.appid, nickname: '新茶馆' });
    await adminOk('/__admin/finish-nickname-audit', { appid: mp.appid, outcome: 'reject', reason: '名称侵权' });
    const rejected = openReceivedPush(await receiver.waitFor((r) => r.path === `/wechat/callback/${mp.appid}` && isPushOf('wxa_nickname_audit')(r))).fields;
    expect(rejected).toMatchObject({ MsgType: 'event', Event: 'wxa_nickname_audit', ret: '2', nickname: '新茶馆', reason: '名称侵权' });
    expect((await call('/cgi-bin/account/getaccountbasicinfo')).nickname).toBe(authorizer.nick_name);
    await adminOk('/__admin/nickname-audit', { appid: mp.appid, nickname: '新茶馆', outcome: 'approve' });
    await expect.poll(() => receiver.requests.filter(isPushOf('wxa_nickname_audit')).length).toBe(2);
    expect(openReceivedPush(receiver.requests.filter(isPushOf('wxa_nickname_audit'))[1]!).fields).toMatchObject({ ret: '3', nickname: '新茶馆' });
    expect((await call('/cgi-bin/account/getaccountbasicinfo')).nickname).toBe('新茶馆');

    await adminOk('/__admin/expire-verification', { appid: mp.appid });
    const expiry = openReceivedPush(await receiver.waitFor(isPushOf('notify_3rd_wxa_wxverify'))).fields;
    expect(expiry).toMatchObject({ InfoType: 'notify_3rd_wxa_wxverify', AuthorizerAppid: mp.appid, status: 'expired', expire_time: String(Math.floor(nowMs / 1000)) });
    expect((await call('/cgi-bin/account/getaccountbasicinfo')).wx_verify_info).toMatchObject({ qualification_verify: false, naming_verify: false, annual_review: false });
  });

  it('answers get_category with each mini-program\'s own categories, as api_get_authorizer_info does', async () => {
    const other = await authorizeMiniProgram(emulator, 1);
    await adminOk('/__admin/categories', { appid: other.appid, set: 4 });
    const mine = (await call('/wxa/get_category')).category_list;
    const theirs = (await callApi(emulator, '/wxa/get_category', { query: { access_token: other.accessToken } })).category_list;
    expect(mine).toEqual([TOOLS, { first_class: '生活服务', second_class: '综合生活服务平台', first_id: 150, second_id: 627 }]);
    expect(theirs).toEqual([{ first_class: '生活服务', second_class: '家政', third_class: '保洁', first_id: 150, second_id: 653, third_id: 1107 }]);
    const token = await componentToken(emulator);
    const info = await callApi(emulator, '/cgi-bin/component/api_get_authorizer_info', {
      query: { component_access_token: token },
      body: { component_appid: emulator.platform.componentAppid, authorizer_appid: other.appid },
    });
    expect((info.authorizer_info as { MiniProgramInfo: { categories: unknown } }).MiniProgramInfo.categories).toEqual([{ first: '生活服务', second: '家政' }]);
  });
});

describe('the seeded fleets', () => {
  let emulator: Emulator | undefined;
  afterEach(() => emulator?.close());

  it('seeds a ready fleet by default: filed, complete, with a guide, every location API granted, code without privacy APIs', async () => {
    emulator = await createEmulator({ ticketIntervalMs: 0, miniPrograms: 20 });
    for (const mp of emulator.state.seeded) {
      expect(mp.icp.status).toBe(6);
      expect(mp.signature).not.toBe('');
      expect(mp.privacy[2]?.setting_list.length).toBeGreaterThan(0);
      expect(mp.grantedPrivacyApis).toHaveLength(8);
      expect(mp.categories).toEqual([TOOLS, { first_class: '生活服务', second_class: '综合生活服务平台', first_id: 150, second_id: 627 }]);
    }
    expect([...emulator.state.templates, ...emulator.state.drafts].every((code) => code.privacyApis.length === 0)).toBe(true);
  });

  it('seeds a realistic fleet: most ready, ~10% unfiled, some in review, one rejected, one without a guide, one with incomplete basic info, differing categories', async () => {
    emulator = await createEmulator({ ticketIntervalMs: 0, miniPrograms: 40, fleet: 'realistic' });
    const seeded = emulator.state.seeded;
    const statuses = seeded.map((mp) => mp.icp.status);
    expect(statuses.filter((s) => s === 1024)).toHaveLength(4);
    expect(statuses.filter((s) => s === 2 || s === 4).length).toBeGreaterThanOrEqual(2);
    const rejected = seeded.filter((mp) => mp.icp.status === 3 || mp.icp.status === 5);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.icp.auditData.length).toBeGreaterThan(0);
    expect(seeded.filter((mp) => mp.privacy[1] === undefined && mp.privacy[2] === undefined)).toHaveLength(1);
    expect(seeded.filter((mp) => mp.signature === '' || mp.nickName === '' || mp.headImg === '')).toHaveLength(1);
    expect(new Set(seeded.map((mp) => JSON.stringify(mp.categories))).size).toBeGreaterThanOrEqual(3);
    const ready = seeded.filter((mp) => mp.icp.status === 6 && mp.signature !== '' && mp.privacy[2] !== undefined);
    expect(ready.length).toBeGreaterThan(seeded.length / 2);
    // The first one is ready, so the demo's first deploy goes through.
    expect(ready[0]).toBe(seeded[0]);
    const template = emulator.state.template(1)!;
    expect(template.privacyApis).toEqual(expect.arrayContaining(['wx.getLocation', 'wx.chooseImage']));
    expect(template.requiredPrivateInfos).toContain('getLocation');
    // Deterministic: the same fleet every time.
    const again = await createEmulator({ ticketIntervalMs: 0, miniPrograms: 40, fleet: 'realistic' });
    expect(again.state.seeded.map((mp) => [mp.appid, mp.icp.status, mp.signature === ''])).toEqual(seeded.map((mp) => [mp.appid, mp.icp.status, mp.signature === '']));
    await again.close();
  });
});

describe('release gates across a restart', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps ICP status, basic info, categories, grants, guide, verification and template privacy APIs', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-emulator-gates-'));
    dirs.push(stateDir);
    const receiver = await startReceiver();
    let emulator = await startEmulatorWith(receiver, { stateDir });
    try {
      const appid = emulator.state.seeded[0]!.appid;
      const post = async (p: string, body: Record<string, unknown>) => expect((await admin(emulator, 'POST', p, body)).status).toBe(200);
      await post('/__admin/icp', { appid, status: 3 });
      await receiver.waitFor(isPushOf('notify_apply_icpfiling_result'));
      await post('/__admin/basic-info', { appid, signature: '' });
      await post('/__admin/categories', { appid, set: 2 });
      await post('/__admin/privacy-interface', { appid, api: 'wx.getLocation', granted: false });
      await post('/__admin/privacy-guide', { appid, action: 'delete' });
      await post('/__admin/expire-verification', { appid });
      await post('/__admin/nickname-audit', { appid, nickname: '改名中' });
      await post('/__admin/code-privacy', { draftId: 2, privacyApis: ['wx.chooseLocation'], requiredPrivateInfos: ['chooseLocation'] });
      const before = (await admin(emulator, 'GET', `/__admin/state?appid=${appid}`)).json.gates;

      await emulator.close();
      emulator = await startEmulatorWith(receiver, { stateDir });
      const after = (await admin(emulator, 'GET', `/__admin/state?appid=${appid}`)).json.gates as Record<string, unknown>;
      expect(after).toEqual(before);
      expect(after).toMatchObject({ icp: { status: 3 }, privacyGuide: false, basicInfo: { missing: ['signature'] }, nicknameAudit: { nickname: '改名中', status: 1 } });
      expect(emulator.state.drafts.find((d) => d.draft_id === 2)).toMatchObject({ privacyApis: ['wx.chooseLocation'], requiredPrivateInfos: ['chooseLocation'] });
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });
});
