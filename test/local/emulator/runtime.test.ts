/**
 * A template backend's runtime on the emulator: wx.login codes exchanged through
 * sns/component/jscode2session with WeChat's rules (5 minutes, single use, bound to one appid),
 * subscribe messages to known users only, mini-program codes, URL schemes and links, and user
 * messages pushed to the mini-program's message URL as WeChat's sealed XML, retried until
 * acknowledged — all kept across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QRCODE_JPEG } from '../../../local/emulator/qrcode-image';
import type { Emulator } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, authorizeMiniProgram, callApi, componentToken, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Authorized, CallOptions, Receiver } from './helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('wx.login codes and sns/component/jscode2session', () => {
  let emulator: Emulator;
  let nowMs: number;
  let token: string;
  let mp: Authorized;

  beforeEach(async () => {
    nowMs = Date.parse('2026-03-02T02:00:00Z');
    emulator = await startEmulatorWith(undefined, { now: () => nowMs, componentTokenTtlSec: 86_400 });
    token = await componentToken(emulator);
    mp = await authorizeMiniProgram(emulator, 0, token);
  });
  afterEach(() => emulator.close());

  const wxLogin = async (appid: string, openid?: string) => {
    const answer = await admin(emulator, 'POST', '/__admin/wx-login', { appid, ...(openid === undefined ? {} : { openid }) });
    expect(answer.status).toBe(200);
    return answer.json as { code: string; openid: string; unionid: string; expiresAt: number };
  };
  const session = (appid: string, code: string, overrides: Record<string, string> = {}) =>
    callApi(emulator, '/sns/component/jscode2session', {
      query: {
        appid,
        js_code: code,
        grant_type: 'authorization_code',
        component_appid: emulator.platform.componentAppid,
        component_access_token: token,
        ...overrides,
      },
    });

  it('turns a code into its openid, session_key and unionid once; a second use is 40163', async () => {
    const login = await wxLogin(mp.appid);
    expect(login.openid).toMatch(/^o[A-Za-z0-9_-]{27}$/);
    expect(login.expiresAt).toBe(nowMs + 300_000);
    const first = await session(mp.appid, login.code);
    expect(first).toEqual({ openid: login.openid, session_key: expect.any(String), unionid: login.unionid });
    expect(Buffer.from(first.session_key as string, 'base64')).toHaveLength(16);
    expect((first.session_key as string).length).toBe(24);

    const again = await session(mp.appid, login.code);
    expect(again.errcode).toBe(40163);
    expect(again.errmsg).toMatch(RID_ERRMSG);

    // The same user logging in again: the same openid and unionid, a new session_key.
    const second = await session(mp.appid, (await wxLogin(mp.appid, login.openid)).code);
    expect(second.openid).toBe(login.openid);
    expect(second.unionid).toBe(login.unionid);
    expect(second.session_key).not.toBe(first.session_key);
    // Another user: another openid.
    expect((await wxLogin(mp.appid)).openid).not.toBe(login.openid);
  });

  it('refuses with 40029 a code that expired, is unknown, or was issued for another mini-program', async () => {
    const expiring = await wxLogin(mp.appid);
    nowMs += 300_000;
    expect((await session(mp.appid, expiring.code)).errcode).toBe(40029);
    expect((await session(mp.appid, 'no-such-code')).errcode).toBe(40029);

    const other = await authorizeMiniProgram(emulator, 1, token);
    const forOther = await wxLogin(other.appid);
    expect((await session(mp.appid, forOther.code)).errcode).toBe(40029);
    // Refused for the wrong appid, it still works for its own.
    expect((await session(other.appid, forOther.code)).openid).toBe(forOther.openid);
  });

  it("checks its parameters, the component token and the mini-program's authorization", async () => {
    const { code } = await wxLogin(mp.appid);
    expect((await session(mp.appid, code, { grant_type: 'client_credential' })).errcode).toBe(40002);
    expect((await session(mp.appid, code, { component_appid: 'wx0000000000000000' })).errcode).toBe(40013);
    expect((await session(mp.appid, code, { component_access_token: 'forged' })).errcode).toBe(40001);
    expect((await session(mp.appid, '')).errcode).toBe(41008);
    expect((await session('', code)).errcode).toBe(41002);
    expect((await session('wx1111111111111111', code)).errcode).toBe(40013);

    const unauthorized = emulator.state.seeded[2]!.appid;
    expect((await session(unauthorized, (await wxLogin(unauthorized)).code)).errcode).toBe(61003);

    // An injected rate limit answers 45011 and leaves the code unused.
    await admin(emulator, 'POST', '/__admin/faults', { path: '/sns/component/jscode2session', errcode: 45011, times: 1 });
    expect((await session(mp.appid, code)).errcode).toBe(45011);
    expect((await session(mp.appid, code)).openid).toEqual(expect.any(String));
    // Logins are logged under the mini-program they are for; a rule may target one mini-program.
    const calls = (await admin(emulator, 'GET', `/__admin/calls?path=/sns/component/jscode2session&appid=${mp.appid}`)).json.calls as { errcode: number }[];
    expect(calls.map((c) => c.errcode)).toEqual([40002, 40013, 40001, 41008, 45011, 0]);
  });
});

describe('runtime APIs with the authorizer token', () => {
  let emulator: Emulator;
  let mp: Authorized;

  beforeEach(async () => {
    emulator = await startEmulatorWith(undefined, { auditDelayMs: 600_000 });
    mp = await authorizeMiniProgram(emulator);
  });
  afterEach(() => emulator.close());

  const call = (apiPath: string, opts: CallOptions = {}) => callApi(emulator, apiPath, { ...opts, query: { access_token: mp.accessToken, ...opts.query } });
  const runtime = async () => (await admin(emulator, 'GET', `/__admin/state?appid=${mp.appid}`)).json.runtime as Record<string, unknown[]>;
  async function release(): Promise<void> {
    expect((await call('/wxa/commit', { body: { template_id: 1, ext_json: JSON.stringify({ extEnable: true, extAppid: mp.appid }), user_version: '1.0.0', user_desc: 'v1' } })).errcode).toBe(0);
    expect((await call('/wxa/submit_audit', { body: {} })).errcode).toBe(0);
    await admin(emulator, 'POST', '/__admin/finish-audit', { appid: mp.appid, outcome: 'approve' });
    expect((await call('/wxa/release', { body: {} })).errcode).toBe(0);
  }

  it('sends a subscribe message only to a user of this mini-program (else 40003) and records it', async () => {
    const data = { thing1: { value: '订单已发货' } };
    const { openid } = (await admin(emulator, 'POST', '/__admin/wx-login', { appid: mp.appid })).json as { openid: string };
    expect((await call('/cgi-bin/message/subscribe/send', { body: { touser: 'oUnknownUser000000000000000', template_id: 'tpl-1', data } })).errcode).toBe(40003);
    const other = (await admin(emulator, 'POST', '/__admin/wx-login', { appid: emulator.state.seeded[1]!.appid })).json.openid;
    expect((await call('/cgi-bin/message/subscribe/send', { body: { touser: other, template_id: 'tpl-1', data } })).errcode).toBe(40003);
    expect((await call('/cgi-bin/message/subscribe/send', { body: { touser: openid, data } })).errcode).toBe(40037);
    expect((await call('/cgi-bin/message/subscribe/send', { body: { touser: openid, template_id: 'tpl-1', data: { thing1: 'x' } } })).errcode).toBe(47003);
    expect((await call('/cgi-bin/message/subscribe/send', { body: { touser: openid, template_id: 'tpl-1', data, miniprogram_state: 'beta' } })).errcode).toBe(47001);

    const sent = await call('/cgi-bin/message/subscribe/send', { body: { touser: openid, template_id: 'tpl-1', page: 'pages/index/index?id=1', data, miniprogram_state: 'trial' } });
    expect(sent).toMatchObject({ errcode: 0, errmsg: 'ok', msgid: expect.any(Number) });
    expect((await runtime()).subscribeMessages).toEqual([
      expect.objectContaining({ touser: openid, template_id: 'tpl-1', page: 'pages/index/index?id=1', data, miniprogram_state: 'trial', lang: 'zh_CN' }),
    ]);
  });

  it('answers URL schemes and links for pages of the released version, 85079 before a release', async () => {
    expect((await call('/wxa/generatescheme', { body: { jump_wxa: { path: 'pages/index/index' } } })).errcode).toBe(85079);
    expect((await call('/wxa/generate_urllink', { body: {} })).errcode).toBe(85079);
    await release();

    const scheme = await call('/wxa/generatescheme', { body: { jump_wxa: { path: 'pages/index/index', query: 'id=7' }, expire_type: 1, expire_interval: 7 } });
    expect(scheme).toMatchObject({ errcode: 0, errmsg: 'ok', openlink: expect.stringMatching(/^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]{13}$/) });
    const link = await call('/wxa/generate_urllink', { body: { path: 'pages/about/about', query: 'a=1&b=2' } });
    expect(link).toMatchObject({ errcode: 0, errmsg: 'ok', url_link: expect.stringMatching(/^https:\/\/wxaurl\.cn\/[A-Za-z0-9]{12}$/) });

    expect((await call('/wxa/generatescheme', { body: { jump_wxa: { path: 'pages/nowhere/nowhere' } } })).errcode).toBe(40165);
    expect((await call('/wxa/generate_urllink', { body: { path: 'pages/index/index', query: 'q=中文' } })).errcode).toBe(40212);
    expect((await call('/wxa/generate_urllink', { body: { expire_type: 1, expire_interval: 31 } })).errcode).toBe(40097);
    // Trial and develop versions are not checked against the released pages.
    expect((await call('/wxa/generate_urllink', { body: { path: 'pages/new/new', env_version: 'trial' } })).errcode).toBe(0);

    const kept = await runtime();
    expect(kept.schemes).toEqual([expect.objectContaining({ openlink: scheme.openlink, path: 'pages/index/index', query: 'id=7', env_version: 'release' })]);
    expect(kept.urlLinks).toHaveLength(2);
  });

  it('draws an unlimited mini-program code, checking page against the released version unless check_path is false', async () => {
    expect((await call('/wxa/getwxacodeunlimit', { body: { scene: 'id=1' } })).errcode).toBe(41030);
    const response = await fetch(`${emulator.url}/wxa/getwxacodeunlimit?access_token=${mp.accessToken}`, {
      method: 'POST',
      body: JSON.stringify({ scene: 'id=1', page: 'pages/draft/draft', check_path: false, env_version: 'develop' }),
    });
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(QRCODE_JPEG);
    await release();
    expect((await call('/wxa/getwxacodeunlimit', { body: { scene: 'id=1', page: 'pages/nowhere/nowhere' } })).errcode).toBe(41030);
    expect((await call('/wxa/getwxacodeunlimit', { body: { scene: 'x'.repeat(33) } })).errcode).toBe(40169);
    expect((await call('/wxa/getwxacodeunlimit', { body: { page: 'pages/index/index' } })).errcode).toBe(40169);
    expect((await runtime()).wxacodes).toEqual([expect.objectContaining({ scene: 'id=1', page: 'pages/draft/draft', check_path: false, env_version: 'develop' })]);
  });
});

describe('user messages pushed to a mini-program', () => {
  let receiver: Receiver;
  let emulator: Emulator;
  beforeEach(async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver);
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  it("arrives at the message URL as WeChat's sealed XML, retried until acknowledged", async () => {
    const mp = emulator.state.seeded[0]!;
    let refusals = 2;
    receiver.setHandler((request) => (request.path.startsWith('/wechat/callback/') && refusals-- > 0 ? { status: 500, body: 'busy' } : 'success'));
    const { openid } = (await admin(emulator, 'POST', '/__admin/wx-login', { appid: mp.appid })).json as { openid: string };
    const answer = await admin(emulator, 'POST', '/__admin/user-message', { appid: mp.appid, openid, msgType: 'text', content: '你好 <hi> & bye', wait: true });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ openid, msgType: 'text', msgId: expect.any(Number), delivery: { delivered: true, attempts: 3 } });

    const pushes = receiver.requests.filter((request) => request.path === `/wechat/callback/${mp.appid}`);
    expect(pushes).toHaveLength(3);
    expect(pushes[0]!.query.openid).toBe(openid);
    const { outer, fields } = openReceivedPush(pushes[2]!);
    expect(outer.ToUserName).toBe(mp.userName);
    expect(fields).toEqual({
      ToUserName: mp.userName,
      FromUserName: openid,
      CreateTime: String(answer.json.createTime),
      MsgType: 'text',
      Content: '你好 <hi> & bye',
      MsgId: String(answer.json.msgId),
    });
    // The same message each time: one MsgId for every attempt.
    expect(new Set(pushes.map((push) => openReceivedPush(push).fields.MsgId)).size).toBe(1);

    const event = await admin(emulator, 'POST', '/__admin/user-message', { appid: mp.appid, openid, msgType: 'event', event: 'user_enter_tempsession', sessionFrom: 'shop', wait: true });
    expect(event.json).toMatchObject({ delivery: { delivered: true, attempts: 1 } });
    const eventPush = receiver.requests.filter((request) => request.path === `/wechat/callback/${mp.appid}`).at(-1)!;
    expect(openReceivedPush(eventPush).fields).toEqual({
      ToUserName: mp.userName,
      FromUserName: openid,
      CreateTime: expect.any(String),
      MsgType: 'event',
      Event: 'user_enter_tempsession',
      SessionFrom: 'shop',
    });
    expect((await admin(emulator, 'POST', '/__admin/user-message', { appid: mp.appid, msgType: 'text' })).status).toBe(400);
  });

  it('sends count distinct text messages for a load demo', async () => {
    const mp = emulator.state.seeded[1]!;
    const answer = await admin(emulator, 'POST', '/__admin/user-messages', { appid: mp.appid, count: 20 });
    expect(answer.status).toBe(200);
    const msgIds = answer.json.msgIds as number[];
    expect(new Set(msgIds).size).toBe(20);
    await expect.poll(() => receiver.requests.filter((request) => request.path === `/wechat/callback/${mp.appid}`).length).toBe(20);
    const contents = receiver.requests.filter((request) => request.path === `/wechat/callback/${mp.appid}`).map((request) => openReceivedPush(request).fields).filter((fields) => fields.MsgType === 'text').map((fields) => fields.Content);
    expect(new Set(contents).size).toBe(20);
  });
});

describe('the dashboard', () => {
  it("has per mini-program a wx.login code button, a text message button asking for the content and a chat-opened event button", async () => {
    const emulator = await startEmulatorWith(undefined);
    try {
      const html = await (await fetch(`${emulator.url}/__admin`)).text();
      const appid = emulator.state.seeded[0]!.appid;
      const body = (value: unknown) => JSON.stringify(value).replaceAll('"', '&quot;');
      expect(html).toContain(`data-path="/__admin/wx-login" data-body="${body({ appid })}">wx.login code</button>`);
      expect(html).toMatch(new RegExp(`data-path="/__admin/user-message" data-body="${body({ appid, msgType: 'text' })}" data-prompt="[^"]+" data-prompt-field="content">Send a text message…</button>`));
      expect(html).toMatch(new RegExp(`data-path="/__admin/user-message" data-body="${body({ appid, msgType: 'event', event: 'user_enter_tempsession' })}" data-prompt="[^"]+" data-prompt-field="sessionFrom">User opens a chat…</button>`));
    } finally {
      await emulator.close();
    }
  });
});

describe('runtime state across a restart', () => {
  it('keeps wx.login codes, users and what the runtime APIs did', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mpfleet-emulator-runtime-'));
    dirs.push(dir);
    let emulator = await startEmulatorWith(undefined, { stateDir: dir });
    const mp = await authorizeMiniProgram(emulator);
    const first = (await admin(emulator, 'POST', '/__admin/wx-login', { appid: mp.appid })).json as { code: string; openid: string };
    const pending = (await admin(emulator, 'POST', '/__admin/wx-login', { appid: mp.appid, openid: first.openid })).json as { code: string };
    const token = await componentToken(emulator);
    const query = { appid: mp.appid, grant_type: 'authorization_code', component_appid: emulator.platform.componentAppid, component_access_token: token };
    expect((await callApi(emulator, '/sns/component/jscode2session', { query: { ...query, js_code: first.code } })).openid).toBe(first.openid);
    expect(
      (await callApi(emulator, '/cgi-bin/message/subscribe/send', { query: { access_token: mp.accessToken }, body: { touser: first.openid, template_id: 'tpl', data: { thing1: { value: 'x' } } } })).errcode,
    ).toBe(0);
    await emulator.close();

    emulator = await startEmulatorWith(undefined, { stateDir: dir });
    try {
      expect((await callApi(emulator, '/sns/component/jscode2session', { query: { ...query, js_code: first.code } })).errcode).toBe(40163);
      expect((await callApi(emulator, '/sns/component/jscode2session', { query: { ...query, js_code: pending.code } })).openid).toBe(first.openid);
      const runtime = (await admin(emulator, 'GET', `/__admin/state?appid=${mp.appid}`)).json.runtime as Record<string, unknown[]>;
      expect(runtime.users).toEqual([first.openid]);
      expect(runtime.logins).toHaveLength(2);
      expect(runtime.subscribeMessages).toEqual([expect.objectContaining({ touser: first.openid, template_id: 'tpl' })]);
    } finally {
      await emulator.close();
    }
  });
});
