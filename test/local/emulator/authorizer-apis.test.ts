import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { admin, authorizeMiniProgram, callApi, componentToken, startEmulatorWith } from './helpers';
import type { Authorized } from './helpers';

describe('authorizer information and per-mini-program settings', () => {
  let emulator: Emulator;
  let token: string;
  let mp: Authorized;

  beforeEach(async () => {
    emulator = await startEmulatorWith(undefined, { miniPrograms: 3 });
    token = await componentToken(emulator);
    mp = await authorizeMiniProgram(emulator, 0, token);
  });
  afterEach(() => emulator.close());

  const asComponent = (path: string, body: Record<string, unknown>) =>
    callApi(emulator, path, { query: { component_access_token: token }, body: { component_appid: emulator.platform.componentAppid, ...body } });
  const asMiniProgram = (path: string, body?: unknown) =>
    callApi(emulator, path, { query: { access_token: mp.accessToken }, ...(body === undefined ? {} : { body }) });

  it('describes an authorizer, including its gh_ user name', async () => {
    const info = await asComponent('/cgi-bin/component/api_get_authorizer_info', { authorizer_appid: mp.appid });
    expect(info.authorizer_info).toMatchObject({ user_name: emulator.state.get(mp.appid)!.userName, nick_name: expect.any(String) });
    expect((info.authorizer_info as { user_name: string }).user_name).toMatch(/^gh_[0-9a-f]{12}$/);
    expect(info.authorization_info).toMatchObject({ authorizer_appid: mp.appid, authorizer_refresh_token: mp.refreshToken });
    expect((await asComponent('/cgi-bin/component/api_get_authorizer_info', { authorizer_appid: emulator.state.seeded[1]!.appid })).errcode).toBe(61003);
    expect((await asComponent('/cgi-bin/component/api_get_authorizer_info', { authorizer_appid: 'wx0000000000000000' })).errcode).toBe(40013);
  });

  it('serves its own avatars, so a result page shows a picture offline', async () => {
    const info = await asComponent('/cgi-bin/component/api_get_authorizer_info', { authorizer_appid: mp.appid });
    const headImg = (info.authorizer_info as { head_img: string }).head_img;
    expect(headImg).toBe(`${emulator.url}/__static/avatar/${mp.appid}.png`);
    const image = await fetch(headImg);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(60); // IHDR width
    // The same picture every time; another mini-program's differs.
    expect(Buffer.from(await (await fetch(headImg)).arrayBuffer())).toEqual(bytes);
    const other = await fetch(`${emulator.url}/__static/avatar/${emulator.state.seeded[1]!.appid}.png`);
    expect(Buffer.from(await other.arrayBuffer())).not.toEqual(bytes);
  });

  it('answers a browser\'s /favicon.ico with 204, not as an unknown WeChat API', async () => {
    const before = emulator.state.calls.list().length;
    const favicon = await fetch(`${emulator.url}/favicon.ico`);
    expect(favicon.status).toBe(204);
    expect(emulator.state.calls.list().length).toBe(before);
  });

  it('pages the authorizer list, at most 500 at a time', async () => {
    await authorizeMiniProgram(emulator, 1, token);
    const page = await asComponent('/cgi-bin/component/api_get_authorizer_list', { offset: 1, count: 1 });
    expect(page.total_count).toBe(2);
    expect(page.list).toEqual([{ authorizer_appid: emulator.state.seeded[1]!.appid, refresh_token: expect.any(String), auth_time: expect.any(Number) }]);
    expect((await asComponent('/cgi-bin/component/api_get_authorizer_list', { offset: 0, count: 501 })).errcode).toBe(40097);
  });

  it('records customer-service messages and validates them', async () => {
    const sent = await asMiniProgram('/cgi-bin/message/custom/send', { touser: 'openid-1', msgtype: 'text', text: { content: 'hi' } });
    expect(sent).toEqual({ errcode: 0, errmsg: 'ok' });
    expect((await asMiniProgram('/cgi-bin/message/custom/send', { msgtype: 'text', text: { content: 'hi' } })).errcode).toBe(40003);
    expect((await asMiniProgram('/cgi-bin/message/custom/send', { touser: 'o', msgtype: 'fax' })).errcode).toBe(40008);
    const { json } = await admin(emulator, 'GET', `/__admin/messages?appid=${mp.appid}`);
    expect(json.messages).toEqual([expect.objectContaining({ appid: mp.appid, touser: 'openid-1', content: 'hi' })]);
  });

  it('keeps server domains per action and checks their scheme', async () => {
    const set = await asMiniProgram('/wxa/modify_domain', { action: 'set', requestdomain: ['https://a.example'], wsrequestdomain: ['wss://a.example'] });
    expect(set).toMatchObject({ errcode: 0, requestdomain: ['https://a.example'], wsrequestdomain: ['wss://a.example'] });
    await asMiniProgram('/wxa/modify_domain', { action: 'add', requestdomain: ['https://b.example'] });
    expect((await asMiniProgram('/wxa/modify_domain', { action: 'get' })).requestdomain).toEqual(['https://a.example', 'https://b.example']);
    expect((await asMiniProgram('/wxa/modify_domain', { action: 'set', requestdomain: ['http://insecure.example'] })).errcode).toBe(40097);
    expect((await asMiniProgram('/wxa/modify_domain', { action: 'replace' })).errcode).toBe(40097);
  });

  it('binds and lists testers', async () => {
    const bound = await asMiniProgram('/wxa/bind_tester', { wechatid: 'tester_1' });
    expect(bound.userstr).toMatch(/^[0-9a-f]{40}$/);
    expect((await asMiniProgram('/wxa/bind_tester', { wechatid: 'tester_1' })).errcode).toBe(85004);
    expect((await asMiniProgram('/wxa/memberauth', { action: 'get_experiencer' })).members).toEqual([{ userstr: bound.userstr }]);
    await asMiniProgram('/wxa/unbind_tester', { userstr: bound.userstr });
    expect((await asMiniProgram('/wxa/memberauth', { action: 'get_experiencer' })).members).toEqual([]);
  });

  it('stores the privacy setting per version', async () => {
    const setting = { owner_setting: { notice_method: '弹窗', contact_email: 'a@example.com' }, setting_list: [{ privacy_key: 'UserInfo', privacy_text: '登录' }] };
    expect((await asMiniProgram('/cgi-bin/component/setprivacysetting', setting)).errcode).toBe(0);
    const read = await asMiniProgram('/cgi-bin/component/getprivacysetting', { privacy_ver: 2 });
    expect(read.owner_setting).toEqual(setting.owner_setting);
    expect(read.setting_list).toEqual([expect.objectContaining({ privacy_key: 'UserInfo', privacy_text: '登录' })]);
    expect((await asMiniProgram('/cgi-bin/component/setprivacysetting', { owner_setting: {} })).errcode).toBe(40097);
  });
});
