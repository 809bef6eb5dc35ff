import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ComponentApi } from '../../../shared/wechat/component-api';
import { isWeChatApiError } from '../../../shared/wechat/errors';
import { WeChatHttp } from '../../../shared/wechat/http';
import { jsonReply, startFakeWeChat, type FakeWeChat } from '../../support/fake-wechat';

const COMPONENT_APPID = 'wx_component_appid_test';
const TOKEN = 'COMPONENT_TOKEN_must_never_leak_5b7c';

let wechat: FakeWeChat;
const setReply = (value: object) => wechat.answer(jsonReply(value));

beforeAll(async () => {
  wechat = await startFakeWeChat();
});
afterAll(() => wechat.close());
beforeEach(() => {
  wechat.requests.length = 0;
  setReply({});
});

/** What was sent, without the content type these tests do not check. */
const sent = () => wechat.requests.map(({ contentType: _contentType, ...request }) => request);

function api(): ComponentApi {
  return new ComponentApi(new WeChatHttp({ apiBase: wechat.baseUrl }), COMPONENT_APPID);
}

interface Case {
  name: string;
  call: (api: ComponentApi) => Promise<unknown>;
  method: 'GET' | 'POST';
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body, or undefined for a GET. */
  body?: unknown;
  /** A successful answer, given without errcode as WeChat is allowed to. */
  answer: object;
  /** What the method resolves to; undefined for void methods. */
  result?: object;
}

const authorizerList = {
  total_count: 2,
  list: [
    { authorizer_appid: 'wxa1', refresh_token: 'rt1', auth_time: 1700000000 },
    { authorizer_appid: 'wxa2', refresh_token: 'rt2', auth_time: 1700000001 },
  ],
};
const queryAuthAnswer = {
  authorization_info: {
    authorizer_appid: 'wxa1',
    authorizer_access_token: 'at1',
    expires_in: 7200,
    authorizer_refresh_token: 'rt1',
    func_info: [{ funcscope_category: { id: 18 } }],
  },
};
const authorizerInfoAnswer = {
  authorizer_info: {
    nick_name: 'Shop',
    user_name: 'gh_0123456789ab',
    MiniProgramInfo: { network: { RequestDomain: ['https://a.example'] }, categories: [], visit_status: 0 },
  },
  authorization_info: { authorizer_appid: 'wxa1', func_info: [] },
};
const draftList = { draft_list: [{ draft_id: 7, user_version: '1.2.0', user_desc: 'd', create_time: 1700000000 }] };
const templateList = { template_list: [{ template_id: 3, user_version: '1.2.0', user_desc: 'd', create_time: 1700000000, template_type: 0 }] };

const cases: Case[] = [
  {
    name: 'componentToken',
    call: (a) => a.componentToken('component-secret', 'ticket@@@xyz'),
    method: 'POST',
    path: '/cgi-bin/component/api_component_token',
    query: {},
    body: { component_appid: COMPONENT_APPID, component_appsecret: 'component-secret', component_verify_ticket: 'ticket@@@xyz' },
    answer: { component_access_token: 'cat', expires_in: 7200 },
    result: { component_access_token: 'cat', expires_in: 7200 },
  },
  {
    name: 'startPushTicket',
    call: (a) => a.startPushTicket('component-secret'),
    method: 'POST',
    path: '/cgi-bin/component/api_start_push_ticket',
    query: {},
    body: { component_appid: COMPONENT_APPID, component_secret: 'component-secret' },
    answer: {},
  },
  {
    name: 'createPreAuthCode',
    call: (a) => a.createPreAuthCode(TOKEN),
    method: 'POST',
    path: '/cgi-bin/component/api_create_preauthcode',
    query: { component_access_token: TOKEN },
    body: { component_appid: COMPONENT_APPID },
    answer: { pre_auth_code: 'preauthcode@@@1', expires_in: 1800 },
    result: { pre_auth_code: 'preauthcode@@@1', expires_in: 1800 },
  },
  {
    name: 'queryAuth',
    call: (a) => a.queryAuth(TOKEN, 'queryauthcode@@@1'),
    method: 'POST',
    path: '/cgi-bin/component/api_query_auth',
    query: { component_access_token: TOKEN },
    body: { component_appid: COMPONENT_APPID, authorization_code: 'queryauthcode@@@1' },
    answer: queryAuthAnswer,
    result: queryAuthAnswer,
  },
  {
    name: 'authorizerToken',
    call: (a) => a.authorizerToken(TOKEN, 'wxa1', 'refreshtoken@@@1'),
    method: 'POST',
    path: '/cgi-bin/component/api_authorizer_token',
    query: { component_access_token: TOKEN },
    body: { component_appid: COMPONENT_APPID, authorizer_appid: 'wxa1', authorizer_refresh_token: 'refreshtoken@@@1' },
    answer: { authorizer_access_token: 'at2', expires_in: 7200, authorizer_refresh_token: 'rt2' },
    result: { authorizer_access_token: 'at2', expires_in: 7200, authorizer_refresh_token: 'rt2' },
  },
  {
    name: 'getAuthorizerInfo',
    call: (a) => a.getAuthorizerInfo(TOKEN, 'wxa1'),
    method: 'POST',
    path: '/cgi-bin/component/api_get_authorizer_info',
    query: { component_access_token: TOKEN },
    body: { component_appid: COMPONENT_APPID, authorizer_appid: 'wxa1' },
    answer: authorizerInfoAnswer,
    result: authorizerInfoAnswer,
  },
  {
    name: 'getAuthorizerList',
    call: (a) => a.getAuthorizerList(TOKEN, 500, 500),
    method: 'POST',
    path: '/cgi-bin/component/api_get_authorizer_list',
    query: { component_access_token: TOKEN },
    body: { component_appid: COMPONENT_APPID, offset: 500, count: 500 },
    answer: authorizerList,
    result: authorizerList,
  },
  {
    name: 'getTemplateDraftList',
    call: (a) => a.getTemplateDraftList(TOKEN),
    method: 'GET',
    path: '/wxa/gettemplatedraftlist',
    query: { access_token: TOKEN },
    answer: draftList,
    result: draftList,
  },
  {
    name: 'addToTemplate (default type)',
    call: (a) => a.addToTemplate(TOKEN, 7),
    method: 'POST',
    path: '/wxa/addtotemplate',
    query: { access_token: TOKEN },
    body: { draft_id: 7, template_type: 0 },
    answer: {},
  },
  {
    name: 'addToTemplate (standard template)',
    call: (a) => a.addToTemplate(TOKEN, 7, 1),
    method: 'POST',
    path: '/wxa/addtotemplate',
    query: { access_token: TOKEN },
    body: { draft_id: 7, template_type: 1 },
    answer: {},
  },
  {
    name: 'getTemplateList (all types)',
    call: (a) => a.getTemplateList(TOKEN),
    method: 'GET',
    path: '/wxa/gettemplatelist',
    query: { access_token: TOKEN },
    answer: templateList,
    result: templateList,
  },
  {
    name: 'getTemplateList (one type)',
    call: (a) => a.getTemplateList(TOKEN, 1),
    method: 'GET',
    path: '/wxa/gettemplatelist',
    query: { access_token: TOKEN, template_type: '1' },
    answer: templateList,
    result: templateList,
  },
  {
    name: 'deleteTemplate',
    call: (a) => a.deleteTemplate(TOKEN, 3),
    method: 'POST',
    path: '/wxa/deletetemplate',
    query: { access_token: TOKEN },
    body: { template_id: 3 },
    answer: {},
  },
];

describe('ComponentApi', () => {
  it.each(cases)('$name sends the documented request and returns the answer', async (c) => {
    setReply(c.answer);

    const result = await c.call(api());

    expect(sent()).toHaveLength(1);
    const [request] = sent();
    expect(request).toEqual({ method: c.method, path: c.path, query: c.query, body: expect.any(String) });
    if (c.body === undefined) expect(request?.body).toBe('');
    else expect(JSON.parse(request?.body ?? '')).toEqual(c.body);
    if (c.result === undefined) expect(result).toBeUndefined();
    else expect(result).toMatchObject(c.result);
  });

  it.each(cases)('$name rejects with a WeChatApiError that does not reveal the token', async (c) => {
    setReply({ errcode: 61003, errmsg: 'component is not authorized by this account rid: 6650' });

    const error = await c.call(api()).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(isWeChatApiError(error)).toBe(true);
    expect(error).toMatchObject({ code: 61003, errorClass: 'tenant_revoked', path: c.path });
    expect(String(error)).not.toContain(TOKEN);
    expect(String(error)).not.toContain('component-secret');
  });
});
