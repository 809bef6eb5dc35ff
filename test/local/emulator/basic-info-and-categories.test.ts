/**
 * A mini-program's basic info, temporary media and categories through the emulator's WeChat APIs:
 * media/upload (multipart, magic bytes, types), modifyheadimage (served at the emulator's URL,
 * monthly quota), modifysignature (length, blacklist, quota), checkwxverifynickname and setnickname
 * (direct, materials, review decided by the admin API with its push, querynickname), the category
 * catalogue, addcategory / getcategory / deletecategory (sensitive ones reviewed, with their push)
 * and get_category listing only approved ones; and what a restart keeps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { avatarPng } from '../../../local/emulator/avatar';
import { CATEGORY_SETS } from '../../../local/emulator/fixtures';
import type { Emulator, EmulatorOptions } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, authorizeMiniProgram, callApi, componentToken, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Authorized, CallOptions, Receiver, WeChatAnswer } from './helpers';

const PNG = avatarPng('wx0000000000000001');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
const DAY_MS = 86_400_000;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('basic info, media and categories', () => {
  let emulator: Emulator | undefined;
  let receiver: Receiver;
  let mp: Authorized;
  let nowMs: number;
  let stateDir: string | undefined;

  const start = async (opts: EmulatorOptions = {}) => {
    // Tokens that outlive the test's jumps in time (months, a year).
    emulator = await startEmulatorWith(receiver, { auditDelayMs: 600_000, now: () => nowMs, miniPrograms: 3, authorizerTokenTtlSec: 400 * 86_400, ...(stateDir === undefined ? {} : { stateDir }), ...opts });
    return emulator;
  };

  beforeEach(async () => {
    nowMs = Date.parse('2026-03-02T04:00:00Z');
    stateDir = undefined;
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    await receiver.close();
  });

  const call = (p: string, opts: CallOptions = {}) => callApi(emulator!, p, { ...opts, query: { access_token: mp.accessToken, ...opts.query } });
  const refused = (answer: WeChatAnswer, errcode: number, hint?: RegExp) => {
    expect(answer.errcode, JSON.stringify(answer)).toBe(errcode);
    expect(answer.errmsg).toMatch(RID_ERRMSG);
    if (hint !== undefined) expect(answer.errmsg).toMatch(hint);
  };
  const ok = (answer: WeChatAnswer) => expect(answer, JSON.stringify(answer)).toMatchObject({ errcode: 0, errmsg: 'ok' });
  const adminOk = async (p: string, body: Record<string, unknown>) => {
    const answer = await admin(emulator!, 'POST', p, body);
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return answer.json;
  };
  const upload = async (bytes: Buffer, type = 'image', field = 'media'): Promise<WeChatAnswer> => {
    const form = new FormData();
    form.append(field, new Blob([bytes]), 'file.bin');
    const url = new URL('/cgi-bin/media/upload', emulator!.url);
    url.searchParams.set('access_token', mp.accessToken);
    url.searchParams.set('type', type);
    return (await (await fetch(url, { method: 'POST', body: form })).json()) as WeChatAnswer;
  };
  const mediaId = async (bytes = PNG) => {
    const answer = await upload(bytes);
    expect(typeof answer.media_id, JSON.stringify(answer)).toBe('string');
    return answer.media_id as string;
  };
  const basicInfo = () => call('/cgi-bin/account/getaccountbasicinfo');
  const crop = { x1: '0', y1: '0', x2: '1', y2: '1' };
  const pushOf = (event: string) => (r: Parameters<ReturnType<typeof isPushOf>>[0]) => r.path === `/wechat/callback/${mp.appid}` && isPushOf(event)(r);

  describe('with one emulator', () => {
    beforeEach(async () => {
      await start();
      mp = await authorizeMiniProgram(emulator!);
    });

    it('uploads temporary images like WeChat and refuses what is not one', async () => {
      const answer = await upload(PNG);
      expect(answer).toEqual({ type: 'image', media_id: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/), created_at: Math.floor(nowMs / 1000) });
      expect((await upload(JPEG, 'thumb')).type).toBe('thumb');
      refused(await upload(Buffer.from('just some text, not an image')), 40005);
      refused(await upload(PNG, 'thumb'), 40005, /JPEG/);
      refused(await upload(PNG, 'voice'), 40004);
      refused(await upload(PNG, 'image', 'file'), 41005);
      refused(await upload(Buffer.alloc(0)), 41005);
      refused(await call('/cgi-bin/media/upload', { query: { type: 'image' }, body: { media: 'x' } }), 41005, /multipart/);
    });

    it('sets the head image, serves it at the emulator, counts it and stops at 5 a month', async () => {
      const id = await mediaId();
      refused(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: id, x1: '0.5', y1: '0', x2: '0.4', y2: '1' } }), 40097);
      refused(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: id, ...crop, y2: '1.5' } }), 40097);
      refused(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: 'no-such-media', ...crop } }), 40007);
      ok(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: id, x1: 0, y1: 0, x2: 0.8, y2: 0.8 } }));

      const headUrl = `${emulator!.url}/__static/head/${mp.appid}`;
      expect((await basicInfo()).head_image_info).toEqual({ head_image_url: headUrl, modify_used_count: 1, modify_quota: 5 });
      const served = await fetch(headUrl);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
      const info = await callApi(emulator!, '/cgi-bin/component/api_get_authorizer_info', {
        query: { component_access_token: await componentToken(emulator!) },
        body: { component_appid: emulator!.platform.componentAppid, authorizer_appid: mp.appid },
      });
      expect((info.authorizer_info as { head_img: string }).head_img).toBe(headUrl);

      for (let i = 2; i <= 5; i++) ok(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: id, ...crop } }));
      refused(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: id, ...crop } }), 53202);
      nowMs += 3 * DAY_MS; // still March, and the media expired
      refused(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: id, ...crop } }), 40007, /expired/);
      nowMs = Date.parse('2026-04-01T00:00:00Z'); // a new month (CST)
      ok(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: await mediaId(JPEG), ...crop } }));
      expect((await basicInfo()).head_image_info).toMatchObject({ modify_used_count: 1 });
      expect((await fetch(headUrl)).headers.get('content-type')).toBe('image/jpeg');
    });

    it('changes the introduction within WeChat\'s rules and quota', async () => {
      refused(await call('/cgi-bin/account/modifysignature', { body: { signature: '太短' } }), 53204);
      refused(await call('/cgi-bin/account/modifysignature', { body: { signature: '长'.repeat(121) } }), 53204);
      refused(await call('/cgi-bin/account/modifysignature', { body: { signature: '专业代开发票，欢迎咨询' } }), 53201);
      for (let i = 1; i <= 5; i++) ok(await call('/cgi-bin/account/modifysignature', { body: { signature: `街角咖啡馆的第 ${i} 版介绍` } }));
      refused(await call('/cgi-bin/account/modifysignature', { body: { signature: '再改一次介绍' } }), 53200);
      expect((await basicInfo()).signature_info).toEqual({ signature: '街角咖啡馆的第 5 版介绍', modify_used_count: 5, modify_quota: 5 });
    });

    it('checks names against the protected keywords and the name rules', async () => {
      expect(await call('/cgi-bin/wxverify/checkwxverifynickname', { body: { nick_name: '腾讯咖啡馆' } })).toMatchObject({ errcode: 0, hit_condition: true, wording: expect.stringContaining('商标注册证') });
      expect(await call('/cgi-bin/wxverify/checkwxverifynickname', { body: { nick_name: '街角咖啡馆' } })).toMatchObject({ errcode: 0, hit_condition: false, wording: '' });
      refused(await call('/cgi-bin/wxverify/checkwxverifynickname', { body: { nick_name: '咖' } }), 53010);
      refused(await call('/cgi-bin/wxverify/checkwxverifynickname', { body: { nick_name: '咖啡@馆' } }), 53010);
      refused(await call('/cgi-bin/wxverify/checkwxverifynickname', { body: { nick_name: '街角咖啡小程序' } }), 53012);
      await adminOk('/__admin/basic-info', { appid: emulator!.state.seeded[1]!.appid, nickname: '山海茶舍' });
      refused(await call('/cgi-bin/wxverify/checkwxverifynickname', { body: { nick_name: '山海茶舍' } }), 53013);
    });

    it('renames at once, or with proof through a review the admin API decides, and counts renames per year', async () => {
      ok(await call('/wxa/setnickname', { body: { nick_name: '街角咖啡馆' } }));
      const direct = await call('/wxa/setnickname', { body: { nick_name: '街角咖啡屋' } });
      expect(direct).not.toHaveProperty('audit_id');
      expect(await basicInfo()).toMatchObject({ nickname: '街角咖啡屋', nickname_info: { nickname: '街角咖啡屋', modify_used_count: 2, modify_quota: 2 } });
      refused(await call('/wxa/setnickname', { body: { nick_name: '街角咖啡铺' } }), 91003, /no rename left/);

      nowMs = Date.parse('2027-01-01T00:00:00Z'); // a new year (CST): 2 renames again
      refused(await call('/wxa/setnickname', { body: { nick_name: '腾讯咖啡馆' } }), 91009, /license/);
      refused(await call('/wxa/setnickname', { body: { nick_name: '腾讯咖啡馆', license: 'no-such-media' } }), 40007);
      const license = await mediaId();
      const started = await call('/wxa/setnickname', { body: { nick_name: '腾讯咖啡馆', license, naming_other_stuff_1: await mediaId(JPEG) } });
      expect(started).toMatchObject({ errcode: 0, wording: expect.any(String), audit_id: expect.any(Number) });
      const auditId = started.audit_id as number;
      expect(auditId).toBeGreaterThan(0);
      expect((await basicInfo()).nickname).toBe('街角咖啡屋');
      expect(await (await fetch(`${emulator!.url}/__admin`)).text()).toContain('改名审核中 rename to 腾讯咖啡馆');
      expect(await call('/wxa/api_wxa_querynickname', { body: { audit_id: auditId } })).toMatchObject({ nickname: '腾讯咖啡馆', audit_stat: 1, fail_reason: '', audit_time: 0 });
      refused(await call('/wxa/setnickname', { body: { nick_name: '街角咖啡铺' } }), 91003, /under review/);
      refused(await call('/wxa/api_wxa_querynickname', { body: { audit_id: auditId + 1 } }), 91011);

      nowMs += 60_000;
      await adminOk('/__admin/finish-nickname-audit', { appid: mp.appid, outcome: 'reject', reason: '缺少商标授权' });
      const push = openReceivedPush(await receiver.waitFor(pushOf('wxa_nickname_audit'))).fields;
      expect(push).toMatchObject({ MsgType: 'event', Event: 'wxa_nickname_audit', ret: '2', nickname: '腾讯咖啡馆', reason: '缺少商标授权' });
      expect(await call('/wxa/api_wxa_querynickname', { body: { audit_id: auditId } })).toMatchObject({ audit_stat: 2, fail_reason: '缺少商标授权', audit_time: Math.floor(nowMs / 1000) });
      expect((await basicInfo()).nickname_info).toMatchObject({ nickname: '街角咖啡屋', modify_used_count: 0 });
    });

    it('refuses a rename while code is under review (91019)', async () => {
      const ext = JSON.stringify({ extAppid: mp.appid });
      ok(await call('/wxa/commit', { body: { template_id: 1, ext_json: ext, user_version: '1.0.1', user_desc: 'rename' } }));
      ok(await call('/wxa/submit_audit', { body: {} }));
      refused(await call('/wxa/setnickname', { body: { nick_name: '街角咖啡馆' } }), 91019);
    });

    it('has a catalogue holding every fixture category, and sensitive ones with their qualifications', async () => {
      const answer = await call('/cgi-bin/wxopen/getallcategories');
      const nodes = (answer.categories_list as { categories: { id: number; name: string; level: number; father: number; children: number[]; sensitive_type: number; qualify: { exter_list: { inner_list: { name: string }[] }[] } }[] }).categories;
      const node = (id: number) => nodes.find((n) => n.id === id);
      expect(node(0)).toMatchObject({ level: 0 });
      for (const c of CATEGORY_SETS.flat()) {
        expect(node(c.first_id)).toMatchObject({ name: c.first_class, level: 1, father: 0 });
        expect(node(c.second_id)).toMatchObject({ name: c.second_class, level: 2, father: c.first_id });
        if (c.third_id !== undefined) expect(node(c.third_id)).toMatchObject({ name: c.third_class, level: 3, father: c.second_id });
      }
      expect(nodes.filter((n) => n.level === 1).length).toBeGreaterThanOrEqual(8);
      expect(nodes.filter((n) => n.level === 2).length).toBeGreaterThanOrEqual(25);
      expect(node(1116)).toMatchObject({ name: '医院', sensitive_type: 1, qualify: { exter_list: [{ inner_list: [{ name: '《医疗机构执业许可证》' }] }] } });
      expect(node(37)).toMatchObject({ name: '培训机构', sensitive_type: 1 });
      expect(node(690)).toMatchObject({ name: '食品销售', sensitive_type: 1 });
    });

    it('adds categories: plain ones at once, sensitive ones through review with their push', async () => {
      refused(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 287, second: 688, certicates: [] }] } }), 53303);
      refused(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 287, second: 612, certicates: [] }] } }), 53304);
      ok(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 287, second: 613, certicates: [] }] } }));
      expect((await call('/wxa/get_category')).category_list).toContainEqual({ first_class: '工具', second_class: '信息查询', first_id: 287, second_id: 613 });

      refused(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 8, second: 37, certicates: [] }] } }), 53303, /《办学许可证》/);
      refused(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 8, second: 37, certicates: [{ key: '《营业执照》', value: await mediaId() }] }] } }), 53303);
      refused(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 8, second: 37, certicates: [{ key: '《办学许可证》', value: 'no-such-media' }] }] } }), 40007);
      ok(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 8, second: 37, certicates: [{ key: '《办学许可证》', value: await mediaId() }] }] } }));
      refused(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 8, second: 37, certicates: [{ key: '《办学许可证》', value: await mediaId() }] }] } }), 53304);

      const listed = await call('/cgi-bin/wxopen/getcategory');
      expect(listed).toMatchObject({ errcode: 0, limit: 5, quota: 3, category_limit: 5 });
      expect(listed.categories).toEqual([
        { first: 287, first_name: '工具', second: 612, second_name: '效率', audit_status: 3, audit_reason: '' },
        { first: 150, first_name: '生活服务', second: 627, second_name: '综合生活服务平台', audit_status: 3, audit_reason: '' },
        { first: 287, first_name: '工具', second: 613, second_name: '信息查询', audit_status: 3, audit_reason: '' },
        { first: 8, first_name: '教育', second: 37, second_name: '培训机构', audit_status: 1, audit_reason: '' },
      ]);
      expect((await call('/wxa/get_category')).category_list).not.toContainEqual(expect.objectContaining({ second_id: 37 }));
      refused(await call('/cgi-bin/wxopen/deletecategory', { body: { first: 8, second: 37 } }), 53308);
      const dashboard = await (await fetch(`${emulator!.url}/__admin`)).text();
      expect(dashboard).toContain('类目审核中 category under review: 教育 &gt; 培训机构');
      expect(dashboard).toContain('/__admin/finish-category-audit');
      refused(await call('/cgi-bin/wxopen/deletecategory', { body: { first: 220, second: 688 } }), 53303);

      expect((await admin(emulator!, 'POST', '/__admin/finish-category-audit', { appid: mp.appid, first: 220, second: 690, outcome: 'approve' })).status).toBe(400);
      await adminOk('/__admin/finish-category-audit', { appid: mp.appid, first: 8, second: 37, outcome: 'approve' });
      const approved = openReceivedPush(await receiver.waitFor(pushOf('wxa_category_audit'))).fields;
      expect(approved).toMatchObject({ MsgType: 'event', Event: 'wxa_category_audit', first: '8', second: '37', ret: '3', reason: '' });
      expect((await call('/wxa/get_category')).category_list).toContainEqual({ first_class: '教育', second_class: '培训机构', first_id: 8, second_id: 37 });

      ok(await call('/cgi-bin/wxopen/deletecategory', { body: { first: 287, second: 613 } }));
      ok(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 1115, second: 1116, certicates: [{ key: '《医疗机构执业许可证》', value: await mediaId() }] }] } }));
      const state = await adminOk('/__admin/finish-category-audit', { appid: mp.appid, first: 1115, second: 1116, outcome: 'reject', reason: '许可证已过期' });
      expect(state.categoryAudit).toMatchObject({ first: 1115, second: 1116, status: 2, reason: '许可证已过期' });
      await expect.poll(() => receiver.requests.filter(pushOf('wxa_category_audit')).length).toBe(2);
      expect(openReceivedPush(receiver.requests.filter(pushOf('wxa_category_audit'))[1]!).fields).toMatchObject({ first: '1115', second: '1116', ret: '2', reason: '许可证已过期' });
      expect((await call('/cgi-bin/wxopen/getcategory')).categories).toContainEqual({ first: 1115, first_name: '医疗', second: 1116, second_name: '医院', audit_status: 2, audit_reason: '许可证已过期' });
      ok(await call('/cgi-bin/wxopen/deletecategory', { body: { first: 1115, second: 1116 } }));
      expect((await call('/cgi-bin/wxopen/getcategory')).categories).not.toContainEqual(expect.objectContaining({ second: 1116 }));
    });

    it('keeps to 5 categories and 5 additions a month', async () => {
      const add = (...pairs: [number, number][]) => call('/cgi-bin/wxopen/addcategory', { body: { categories: pairs.map(([first, second]) => ({ first, second, certicates: [] })) } });
      const remove = (first: number, second: number) => call('/cgi-bin/wxopen/deletecategory', { body: { first, second } });
      ok(await add([287, 613], [287, 614], [287, 616]));
      refused(await add([150, 631]), 53301);
      ok(await remove(287, 613));
      ok(await add([150, 631]));
      ok(await remove(287, 614));
      ok(await add([150, 632]));
      ok(await remove(150, 632));
      refused(await add([150, 632]), 53300);
      expect(await call('/cgi-bin/wxopen/getcategory')).toMatchObject({ limit: 5, quota: 0 });
      nowMs = Date.parse('2026-04-01T00:00:00Z');
      ok(await add([150, 632]));
    });
  });

  it('keeps media, the head image, a rename and a category under review across a restart; expired media are dropped', async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-emulator-basic-info-'));
    dirs.push(stateDir);
    await start();
    mp = await authorizeMiniProgram(emulator!);
    const head = await mediaId();
    ok(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: head, ...crop } }));
    const started = await call('/wxa/setnickname', { body: { nick_name: '官方咖啡馆', license: await mediaId() } });
    ok(await call('/cgi-bin/wxopen/addcategory', { body: { categories: [{ first: 220, second: 690, certicates: [{ key: '《食品经营许可证》', value: await mediaId() }] }] } }));
    ok(await call('/cgi-bin/account/modifysignature', { body: { signature: '重启前的介绍文字' } }));

    await emulator!.close();
    emulator = undefined;
    await start();
    const headUrl = `${emulator!.url}/__static/head/${mp.appid}`;
    expect((await basicInfo()).head_image_info).toEqual({ head_image_url: headUrl, modify_used_count: 1, modify_quota: 5 });
    expect((await basicInfo()).signature_info).toMatchObject({ signature: '重启前的介绍文字', modify_used_count: 1 });
    expect(Buffer.from(await (await fetch(headUrl)).arrayBuffer()).equals(PNG)).toBe(true);
    ok(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: head, ...crop } }));
    expect(await call('/wxa/api_wxa_querynickname', { body: { audit_id: started.audit_id } })).toMatchObject({ nickname: '官方咖啡馆', audit_stat: 1 });
    expect((await call('/cgi-bin/wxopen/getcategory')).categories).toContainEqual(expect.objectContaining({ first: 220, second: 690, audit_status: 1 }));
    await adminOk('/__admin/finish-nickname-audit', { appid: mp.appid, outcome: 'approve' });
    await adminOk('/__admin/finish-category-audit', { appid: mp.appid, first: 220, second: 690, outcome: 'approve' });
    await receiver.waitFor(pushOf('wxa_category_audit'));
    expect((await basicInfo()).nickname_info).toMatchObject({ nickname: '官方咖啡馆', modify_used_count: 1 });
    expect((await call('/wxa/get_category')).category_list).toContainEqual({ first_class: '餐饮服务', second_class: '食品销售', first_id: 220, second_id: 690 });

    await emulator!.close();
    emulator = undefined;
    nowMs += 3 * DAY_MS + 1000;
    await start();
    expect(emulator!.state.media.size).toBe(0);
    refused(await call('/cgi-bin/account/modifyheadimage', { body: { head_img_media_id: head, ...crop } }), 40007);
    // The head image itself is the mini-program's, not a temporary media: still served.
    expect((await fetch(`${emulator!.url}/__static/head/${mp.appid}`)).status).toBe(200);
  });
});
