/**
 * Fast registration of mini-programs (fastregisterweapp, fastregisterpersonalweapp,
 * fastregisterbetaweapp): WeChat's refusals, the confirmation or failure the admin API stands in
 * for, the sealed push carrying the new appid and an authorization code that api_query_auth redeems
 * once, and the registrations kept across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, callApi, componentToken, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Receiver } from './helpers';

const ENTERPRISE = {
  name: '示例餐饮管理有限公司',
  code: '91440101MA59PY8X4E',
  code_type: 1,
  legal_persona_wechat: 'zhang_san_88',
  legal_persona_name: '张三',
  component_phone: '020-12345678',
};

describe('fast registration', () => {
  let emulator: Emulator;
  let receiver: Receiver;
  let token: string;

  const register = (path: string, action: string | undefined, body: unknown, accessToken = token) =>
    callApi(emulator, path, { query: { ...(action === undefined ? {} : { action }), component_access_token: accessToken }, body });
  const enterprise = (action: string, body: unknown) => register('/cgi-bin/component/fastregisterweapp', action, body);

  beforeEach(async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver);
    token = await componentToken(emulator);
  });

  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('refuses what WeChat refuses, with its errcodes', async () => {
    const refused = async (body: unknown, errcode: number, action = 'create') => {
      const answer = await enterprise(action, body);
      expect(answer.errcode, JSON.stringify(answer)).toBe(errcode);
      expect(answer.errmsg).toMatch(RID_ERRMSG);
    };
    await refused({ ...ENTERPRISE, legal_persona_name: undefined }, 89253);
    await refused({ ...ENTERPRISE, code_type: 4 }, 89248);
    await refused({ ...ENTERPRISE, code: '12345' }, 89255);
    await refused({ ...ENTERPRISE, legal_persona_wechat: '1bad' }, 86004);
    await refused(ENTERPRISE, -1, 'delete');
    // The component token is checked like every component API.
    expect((await register('/cgi-bin/component/fastregisterweapp', 'create', ENTERPRISE, 'nope')).errcode).toBe(40001);
    expect((await callApi(emulator, '/cgi-bin/component/fastregisterweapp?action=create', { body: ENTERPRISE })).errcode).toBe(41001);
    expect(emulator.state.registrations).toHaveLength(0);

    expect(await enterprise('create', ENTERPRISE)).toEqual({ errcode: 0, errmsg: 'ok' });
    // The same subject again within 24 h; another name for the same WeChat ID.
    await refused(ENTERPRISE, 89249);
    await refused({ ...ENTERPRISE, name: '另一家公司', code: '91310110086172478X', legal_persona_name: '李四' }, 61070);
  });

  it('creates an authorized mini-program on confirmation, pushed with a single-use authorization code', async () => {
    expect(await enterprise('create', ENTERPRISE)).toEqual({ errcode: 0, errmsg: 'ok' });
    const search = { name: ENTERPRISE.name, legal_persona_wechat: ENTERPRISE.legal_persona_wechat, legal_persona_name: ENTERPRISE.legal_persona_name };
    expect((await enterprise('search', search)).errcode).toBe(89251);
    expect((await enterprise('search', { ...search, name: '没有这家公司' })).errcode).toBe(89250);

    const listed = await admin(emulator, 'GET', '/__admin/registrations');
    expect(listed.json.registrations).toEqual([expect.objectContaining({ kind: 'enterprise', state: 'pending', request: ENTERPRISE })]);

    const confirmed = await admin(emulator, 'POST', '/__admin/registrations/confirm', { name: ENTERPRISE.name, legal_persona_wechat: ENTERPRISE.legal_persona_wechat });
    expect(confirmed.status).toBe(200);
    const appid = confirmed.json.appid as string;
    expect(appid).toMatch(/^wx[0-9a-f]{16}$/);

    const push = await receiver.waitFor(isPushOf('notify_third_fasteregister'));
    expect(push.path).toBe('/wechat/ticket');
    const { outer, fields } = openReceivedPush(push);
    expect(outer.AppId).toBe(emulator.platform.componentAppid);
    expect(fields).toEqual({
      AppId: emulator.platform.componentAppid,
      CreateTime: expect.stringMatching(/^\d{10}$/),
      InfoType: 'notify_third_fasteregister',
      appid,
      status: '0',
      auth_code: confirmed.json.auth_code,
      msg: 'OK',
      info: {
        name: ENTERPRISE.name,
        code: ENTERPRISE.code,
        code_type: '1',
        legal_persona_wechat: ENTERPRISE.legal_persona_wechat,
        legal_persona_name: ENTERPRISE.legal_persona_name,
        component_phone: ENTERPRISE.component_phone,
      },
    });
    expect(await enterprise('search', search)).toEqual({ errcode: 0, errmsg: 'ok' });

    // The code is redeemed like the one of a consent, once.
    const exchange = () =>
      callApi(emulator, '/cgi-bin/component/api_query_auth', {
        query: { component_access_token: token },
        body: { component_appid: emulator.platform.componentAppid, authorization_code: fields.auth_code },
      });
    const first = await exchange();
    const info = first.authorization_info as { authorizer_appid: string; authorizer_access_token: string; authorizer_refresh_token: string };
    expect(info.authorizer_appid).toBe(appid);
    expect((await exchange()).errcode).toBe(61009);

    // The new mini-program: the subject as principal, nothing else yet, so not release-ready.
    const basic = await callApi(emulator, '/cgi-bin/account/getaccountbasicinfo', { query: { access_token: info.authorizer_access_token } });
    expect(basic).toMatchObject({ appid, principal_name: ENTERPRISE.name, nickname: '' });
    const icp = await callApi(emulator, '/wxa/icp/get_icp_entrance_info', { query: { access_token: info.authorizer_access_token } });
    expect((icp.info as { status: number }).status).toBe(1024);
    const categories = await callApi(emulator, '/wxa/get_category', { query: { access_token: info.authorizer_access_token } });
    expect(categories.category_list).toEqual([]);
    const state = await admin(emulator, 'GET', `/__admin/state?appid=${appid}`);
    expect(state.json).toMatchObject({ authorized: true, registration: { kind: 'enterprise' }, gates: { privacyGuide: false, basicInfo: { missing: ['nickname', 'head image', 'signature'] } } });

    // Over: confirming it again is refused, and the subject may register another one.
    expect((await admin(emulator, 'POST', '/__admin/registrations/confirm', { taskId: confirmed.json.taskId })).status).toBe(409);
    expect(await enterprise('create', ENTERPRISE)).toEqual({ errcode: 0, errmsg: 'ok' });
  });

  it('pushes a failure with its status and no appid or code', async () => {
    await enterprise('create', ENTERPRISE);
    const [registration] = (await admin(emulator, 'GET', '/__admin/registrations')).json.registrations as { taskId: string }[];
    expect((await admin(emulator, 'POST', '/__admin/registrations/fail', { taskId: registration!.taskId, status: 7 })).status).toBe(400);
    const failed = await admin(emulator, 'POST', '/__admin/registrations/fail', { taskId: registration!.taskId, status: 102 });
    expect(failed.json).toMatchObject({ ok: true, status: 102 });

    const { fields } = openReceivedPush(await receiver.waitFor(isPushOf('notify_third_fasteregister')));
    expect(fields).toMatchObject({ InfoType: 'notify_third_fasteregister', status: '102', msg: expect.any(String), info: { name: ENTERPRISE.name } });
    expect(fields.appid).toBeUndefined();
    expect(fields.auth_code).toBeUndefined();
    expect(emulator.state.registeredMiniPrograms()).toHaveLength(0);
    const search = { name: ENTERPRISE.name, legal_persona_wechat: ENTERPRISE.legal_persona_wechat, legal_persona_name: ENTERPRISE.legal_persona_name };
    expect((await enterprise('search', search)).errcode).toBe(89250);
    // The task is over: the subject may try again.
    expect((await enterprise('create', ENTERPRISE)).errcode).toBe(0);
  });

  it('shows a pending registration on the dashboard with the buttons of the person it waits for', async () => {
    await enterprise('create', ENTERPRISE);
    const page = await (await fetch(`${emulator.url}/__admin`)).text();
    expect(page).toContain('Fast registrations (1)');
    expect(page).toContain(ENTERPRISE.name);
    expect(page).toContain('data-path="/__admin/registrations/confirm"');
    expect(page).toContain('data-path="/__admin/registrations/fail"');
    const taskId = emulator.state.registrations[0]!.taskId;
    // The fail button's prompt sends the status as text, as a browser prompt gives it.
    expect((await admin(emulator, 'POST', '/__admin/registrations/fail', { taskId, status: '100003' })).json).toMatchObject({ status: 100003 });
    expect(await (await fetch(`${emulator.url}/__admin`)).text()).toContain('失败 failed');
  });

  it('registers a personal mini-program: taskid, query, confirmation', async () => {
    const personal = (action: string, body: unknown) => register('/wxa/component/fastregisterpersonalweapp', action, body);
    expect((await personal('create', { idname: '王五' })).errcode).toBe(89253);
    expect((await personal('create', { idname: '王五', wxuser: 'x' })).errcode).toBe(86004);
    const created = await personal('create', { idname: '王五', wxuser: 'wangwu_2024', component_phone: '123' });
    expect(created).toMatchObject({ errcode: 0, errmsg: 'ok', taskid: expect.any(String), authorize_url: expect.stringContaining(emulator.url), status: 0 });
    expect((await personal('create', { idname: '王五', wxuser: 'wangwu_2024' })).errcode).toBe(89249);
    expect((await personal('query', { taskid: created.taskid })).status).toBe(0);
    expect((await personal('query', { taskid: 'nope' })).errcode).toBe(89250);

    const confirmed = await admin(emulator, 'POST', '/__admin/registrations/confirm', { taskId: created.taskid });
    const { fields } = openReceivedPush(await receiver.waitFor(isPushOf('notify_third_fasteregister')));
    expect(fields).toMatchObject({
      appid: confirmed.json.appid,
      status: '0',
      auth_code: confirmed.json.auth_code,
      info: { wxuser: 'wangwu_2024', idname: '王五', component_phone: '123', taskid: created.taskid },
    });
    expect(await personal('query', { taskid: created.taskid })).toMatchObject({ errcode: 0, status: 12 });
  });

  it('registers a trial mini-program: unique_id, then the creation notice and the authorized push', async () => {
    const trial = (body: unknown) => register('/wxa/component/fastregisterbetaweapp', undefined, body);
    expect((await trial({ name: '小麦烤鸡' })).errcode).toBe(89253);
    expect((await trial({ name: '烤鸡', openid: 'oK8Yg5YaUM-axuE_vVZmV_oIZxxx' })).errcode).toBe(47001);
    const created = await trial({ name: '小麦烤鸡', openid: 'oK8Yg5YaUM-axuE_vVZmV_oIZxxx' });
    expect(created).toMatchObject({ errcode: 0, errmsg: 'ok', unique_id: expect.any(String), authorize_url: expect.any(String) });

    const confirmed = await admin(emulator, 'POST', '/__admin/registrations/confirm', { taskId: created.unique_id });
    const notice = openReceivedPush(await receiver.waitFor(isPushOf('notify_third_fastregisterbetaapp'))).fields;
    expect(notice).toMatchObject({ appid: confirmed.json.appid, status: '0', msg: 'OK', info: { unique_id: created.unique_id, name: '小麦烤鸡' } });
    const authorized = openReceivedPush(await receiver.waitFor(isPushOf('authorized'))).fields;
    expect(authorized).toMatchObject({ AuthorizerAppid: confirmed.json.appid, AuthorizationCode: confirmed.json.auth_code });
    expect(emulator.state.get(confirmed.json.appid as string)?.nickName).toBe('小麦烤鸡的体验小程序');
  });
});

describe('fast registration nobody confirms', () => {
  it('fails after 24 h with the timeout status, pushed, and frees the subject', async () => {
    const receiver = await startReceiver();
    let clock = Date.now();
    const emulator = await startEmulatorWith(receiver, { now: () => clock });
    try {
      let token = await componentToken(emulator);
      const call = (path: string, action: string, body: unknown) =>
        callApi(emulator, path, { query: { action, component_access_token: token }, body });
      expect((await call('/cgi-bin/component/fastregisterweapp', 'create', ENTERPRISE)).errcode).toBe(0);
      const personal = await call('/wxa/component/fastregisterpersonalweapp', 'create', { idname: '王五', wxuser: 'wangwu_2024' });

      clock += 24 * 3600_000 - 1000;
      const { json } = await admin(emulator, 'GET', '/__admin/registrations?state=pending');
      expect(json.registrations).toHaveLength(2);
      expect(receiver.requests.filter(isPushOf('notify_third_fasteregister'))).toHaveLength(0);

      clock += 2000;
      const failed = await admin(emulator, 'GET', '/__admin/registrations?state=failed');
      expect((failed.json.registrations as { failStatus: number }[]).map((r) => r.failStatus)).toEqual([100003, 1]);
      const push = await receiver.waitFor((r) => isPushOf('notify_third_fasteregister')(r) && openReceivedPush(r).fields.status === '100003');
      expect(openReceivedPush(push).fields).toMatchObject({ status: '100003', info: { name: ENTERPRISE.name } });
      expect((await admin(emulator, 'POST', '/__admin/registrations/confirm', { taskId: personal.taskid })).status).toBe(409);

      token = await componentToken(emulator);
      expect((await call('/wxa/component/fastregisterpersonalweapp', 'query', { taskid: personal.taskid })).status).toBe(1);
      expect((await call('/cgi-bin/component/fastregisterweapp', 'create', ENTERPRISE)).errcode).toBe(0);
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });
});

describe('the authorization code of a fast registration', () => {
  it('expires like the code of a consent (61010)', async () => {
    const receiver = await startReceiver();
    let clock = Date.now();
    const emulator = await startEmulatorWith(receiver, { now: () => clock });
    try {
      const token = await componentToken(emulator);
      await callApi(emulator, '/cgi-bin/component/fastregisterweapp', { query: { action: 'create', component_access_token: token }, body: ENTERPRISE });
      const confirmed = await admin(emulator, 'POST', '/__admin/registrations/confirm', { name: ENTERPRISE.name, legal_persona_wechat: ENTERPRISE.legal_persona_wechat });
      clock += (confirmed.json.expires_in as number) * 1000;
      const answer = await callApi(emulator, '/cgi-bin/component/api_query_auth', {
        query: { component_access_token: token },
        body: { component_appid: emulator.platform.componentAppid, authorization_code: confirmed.json.auth_code },
      });
      expect(answer.errcode).toBe(61010);
    } finally {
      await emulator.close();
      await receiver.close();
    }
  });
});

describe('fast registration across a restart', () => {
  let stateDir: string;

  beforeEach(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'emulator-fastreg-'));
  });

  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keeps a pending registration, and the mini-program a confirmation created', async () => {
    const receiver = await startReceiver();
    try {
      let emulator = await startEmulatorWith(receiver, { stateDir });
      let token = await componentToken(emulator);
      const create = (body: unknown) =>
        callApi(emulator, '/cgi-bin/component/fastregisterweapp', { query: { action: 'create', component_access_token: token }, body });
      expect((await create(ENTERPRISE)).errcode).toBe(0);
      const other = { ...ENTERPRISE, name: '第二家公司', code: '91310110086172478X' };
      expect((await create(other)).errcode).toBe(0);
      const [first] = emulator.state.registrations;
      const confirmed = await admin(emulator, 'POST', '/__admin/registrations/confirm', { taskId: first!.taskId });
      await emulator.close();

      emulator = await startEmulatorWith(receiver, { stateDir });
      try {
        token = await componentToken(emulator);
        const { json } = await admin(emulator, 'GET', '/__admin/registrations');
        expect(json.registrations).toEqual([
          expect.objectContaining({ taskId: first!.taskId, state: 'confirmed', appid: confirmed.json.appid }),
          expect.objectContaining({ state: 'pending', request: other }),
        ]);
        expect(emulator.state.get(confirmed.json.appid as string)?.authorization).toBeDefined();
        // Still pending: the same subject is still refused, and it can be confirmed now.
        expect((await create(other)).errcode).toBe(89249);
        const again = await admin(emulator, 'POST', '/__admin/registrations/confirm', { name: other.name, legal_persona_wechat: other.legal_persona_wechat });
        expect(again.status).toBe(200);
        // The WeChat ID's real name is remembered too.
        expect((await create({ ...ENTERPRISE, name: '第三家', code: '91440101MA59PY8X4F', legal_persona_name: '李四' })).errcode).toBe(61070);
      } finally {
        await emulator.close();
      }
    } finally {
      await receiver.close();
    }
  });
});
