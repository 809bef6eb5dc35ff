import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizerApi } from '../../../shared/wechat/authorizer-api';
import { isWeChatApiError } from '../../../shared/wechat/errors';
import { WeChatHttp } from '../../../shared/wechat/http';
import type { CommitRequest } from '../../../shared/wechat/types';
import { jsonReply, startFakeWeChat, type FakeWeChat } from '../../support/fake-wechat';

const TOKEN = 'AUTHORIZER_TOKEN_must_never_leak_2a9d';

let wechat: FakeWeChat;
const json = jsonReply;

beforeAll(async () => {
  wechat = await startFakeWeChat();
});
afterAll(() => wechat.close());
beforeEach(() => {
  wechat.requests.length = 0;
  wechat.answer(json({}));
});

/** What was sent, without the content type these tests do not check. */
const sent = () => wechat.requests.map(({ contentType: _contentType, ...request }) => request);

function api(): AuthorizerApi {
  return new AuthorizerApi(new WeChatHttp({ apiBase: wechat.baseUrl }));
}

interface Case {
  name: string;
  call: (api: AuthorizerApi) => Promise<unknown>;
  method: 'GET' | 'POST';
  path: string;
  /** Query parameters besides access_token. */
  query?: Record<string, string>;
  /** The exact body sent, or undefined for a GET. */
  rawBody?: string;
  /** A successful answer, given without errcode as WeChat is allowed to. */
  answer?: object;
  /** True when the method resolves to WeChat's answer rather than to nothing. */
  returnsAnswer?: boolean;
}

const extJson = JSON.stringify({ extEnable: true, extAppid: 'wxa1', ext: { shopId: 42 } });
const commitRequest: CommitRequest = { template_id: 3, ext_json: extJson, user_version: '1.2.0', user_desc: 'spring sale' };
const submitAuditRequest = {
  item_list: [{ address: 'pages/index/index', title: 'Home', first_class: 'Shop', second_class: 'Retail', first_id: 1, second_id: 2 }],
  version_desc: 'spring sale',
  privacy_api_not_use: true,
};
const privacySetting = {
  privacy_ver: 2 as const,
  owner_setting: { contact_email: 'owner@example.com', notice_method: 'popup' },
  setting_list: [{ privacy_key: 'UserInfo', privacy_text: 'to show your profile' }],
};
const customMessage = { touser: 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY', msgtype: 'text' as const, text: { content: 'abc_from_api' } };

const cases: Case[] = [
  { name: 'commit', call: (a) => a.commit(TOKEN, commitRequest), method: 'POST', path: '/wxa/commit', rawBody: JSON.stringify(commitRequest) },
  { name: 'getPage', call: (a) => a.getPage(TOKEN), method: 'GET', path: '/wxa/get_page', answer: { page_list: ['pages/index/index'] }, returnsAnswer: true },
  {
    name: 'getCategory',
    call: (a) => a.getCategory(TOKEN),
    method: 'GET',
    path: '/wxa/get_category',
    answer: { category_list: [{ first_class: 'Shop', second_class: 'Retail', first_id: 1, second_id: 2 }] },
    returnsAnswer: true,
  },
  {
    name: 'submitAudit',
    call: (a) => a.submitAudit(TOKEN, submitAuditRequest),
    method: 'POST',
    path: '/wxa/submit_audit',
    rawBody: JSON.stringify(submitAuditRequest),
    answer: { auditid: 1234567 },
    returnsAnswer: true,
  },
  {
    name: 'getAuditStatus',
    call: (a) => a.getAuditStatus(TOKEN, 1234567),
    method: 'POST',
    path: '/wxa/get_auditstatus',
    rawBody: '{"auditid":1234567}',
    answer: { status: 1, reason: 'blurry screenshot', screenshot: 'm1|m2' },
    returnsAnswer: true,
  },
  {
    name: 'getLatestAuditStatus',
    call: (a) => a.getLatestAuditStatus(TOKEN),
    method: 'GET',
    path: '/wxa/get_latest_auditstatus',
    answer: { auditid: 1234567, status: 2, ScreenShot: '', user_version: '1.2.0', user_desc: 'd', submit_audit_time: 1700000000 },
    returnsAnswer: true,
  },
  { name: 'undoCodeAudit', call: (a) => a.undoCodeAudit(TOKEN), method: 'GET', path: '/wxa/undocodeaudit' },
  { name: 'release', call: (a) => a.release(TOKEN), method: 'POST', path: '/wxa/release', rawBody: '{}' },
  {
    name: 'getVersionInfo',
    call: (a) => a.getVersionInfo(TOKEN),
    method: 'POST',
    path: '/wxa/getversioninfo',
    rawBody: '{}',
    answer: {
      exp_info: { exp_time: 1700000100, exp_version: '1.2.0', exp_desc: 'd' },
      release_info: { release_time: 1700000000, release_version: '1.1.0', release_desc: 'c' },
    },
    returnsAnswer: true,
  },
  { name: 'revertCodeRelease (previous)', call: (a) => a.revertCodeRelease(TOKEN), method: 'GET', path: '/wxa/revertcoderelease' },
  {
    name: 'revertCodeRelease (given version)',
    call: (a) => a.revertCodeRelease(TOKEN, 470),
    method: 'GET',
    path: '/wxa/revertcoderelease',
    query: { app_version: '470' },
  },
  {
    name: 'getHistoryVersion',
    call: (a) => a.getHistoryVersion(TOKEN),
    method: 'GET',
    path: '/wxa/revertcoderelease',
    query: { action: 'get_history_version' },
    answer: { version_list: [{ app_version: 470, user_version: '1.1.0', user_desc: 'd', commit_time: 1700000000 }] },
    returnsAnswer: true,
  },
  {
    name: 'grayRelease',
    call: (a) => a.grayRelease(TOKEN, { gray_percentage: 10, support_experiencer_first: true }),
    method: 'POST',
    path: '/wxa/grayrelease',
    rawBody: '{"gray_percentage":10,"support_experiencer_first":true}',
  },
  { name: 'revertGrayRelease', call: (a) => a.revertGrayRelease(TOKEN), method: 'GET', path: '/wxa/revertgrayrelease' },
  {
    name: 'getGrayReleasePlan',
    call: (a) => a.getGrayReleasePlan(TOKEN),
    method: 'GET',
    path: '/wxa/getgrayreleaseplan',
    answer: { gray_release_plan: { status: 1, create_timestamp: 1700000000, gray_percentage: 10 } },
    returnsAnswer: true,
  },
  { name: 'changeVisitStatus', call: (a) => a.changeVisitStatus(TOKEN, 'close'), method: 'POST', path: '/wxa/change_visitstatus', rawBody: '{"action":"close"}' },
  {
    name: 'queryQuota',
    call: (a) => a.queryQuota(TOKEN),
    method: 'GET',
    path: '/wxa/queryquota',
    answer: { rest: 19, limit: 20, speedup_rest: 1, speedup_limit: 1 },
    returnsAnswer: true,
  },
  { name: 'speedupAudit', call: (a) => a.speedupAudit(TOKEN, 1234567), method: 'POST', path: '/wxa/speedupaudit', rawBody: '{"auditid":1234567}' },
  {
    name: 'modifyDomain',
    call: (a) => a.modifyDomain(TOKEN, { action: 'set', requestdomain: ['https://api.example.com'], uploaddomain: [] }),
    method: 'POST',
    path: '/wxa/modify_domain',
    rawBody: '{"action":"set","requestdomain":["https://api.example.com"],"uploaddomain":[]}',
    answer: { requestdomain: ['https://api.example.com'], uploaddomain: [] },
    returnsAnswer: true,
  },
  {
    name: 'setWebviewDomain',
    call: (a) => a.setWebviewDomain(TOKEN, { action: 'add', webviewdomain: ['https://h5.example.com'] }),
    method: 'POST',
    path: '/wxa/setwebviewdomain',
    rawBody: '{"action":"add","webviewdomain":["https://h5.example.com"]}',
    answer: {},
    returnsAnswer: true,
  },
  {
    name: 'bindTester',
    call: (a) => a.bindTester(TOKEN, 'tester_wechat_id'),
    method: 'POST',
    path: '/wxa/bind_tester',
    rawBody: '{"wechatid":"tester_wechat_id"}',
    answer: { userstr: 'us1' },
    returnsAnswer: true,
  },
  {
    name: 'unbindTester (by wechatid)',
    call: (a) => a.unbindTester(TOKEN, { wechatid: 'tester_wechat_id' }),
    method: 'POST',
    path: '/wxa/unbind_tester',
    rawBody: '{"wechatid":"tester_wechat_id"}',
  },
  {
    name: 'unbindTester (by userstr)',
    call: (a) => a.unbindTester(TOKEN, { userstr: 'us1' }),
    method: 'POST',
    path: '/wxa/unbind_tester',
    rawBody: '{"userstr":"us1"}',
  },
  {
    name: 'memberAuth',
    call: (a) => a.memberAuth(TOKEN),
    method: 'POST',
    path: '/wxa/memberauth',
    rawBody: '{"action":"get_experiencer"}',
    answer: { members: [{ userstr: 'us1' }] },
    returnsAnswer: true,
  },
  {
    name: 'sendCustomMessage',
    call: (a) => a.sendCustomMessage(TOKEN, customMessage),
    method: 'POST',
    path: '/cgi-bin/message/custom/send',
    rawBody: JSON.stringify(customMessage),
  },
  {
    name: 'setPrivacySetting',
    call: (a) => a.setPrivacySetting(TOKEN, privacySetting),
    method: 'POST',
    path: '/cgi-bin/component/setprivacysetting',
    rawBody: JSON.stringify(privacySetting),
  },
  {
    name: 'getPrivacySetting (given version)',
    call: (a) => a.getPrivacySetting(TOKEN, 2),
    method: 'POST',
    path: '/cgi-bin/component/getprivacysetting',
    rawBody: '{"privacy_ver":2}',
    answer: { code_exist: 1, privacy_list: ['UserInfo'], setting_list: [{ privacy_key: 'UserInfo', privacy_text: 'x', privacy_label: 'y' }] },
    returnsAnswer: true,
  },
  {
    name: "getPrivacySetting (WeChat's default version)",
    call: (a) => a.getPrivacySetting(TOKEN),
    method: 'POST',
    path: '/cgi-bin/component/getprivacysetting',
    rawBody: '{}',
    answer: { code_exist: 0 },
    returnsAnswer: true,
  },
];

describe('AuthorizerApi', () => {
  it.each(cases)('$name sends the documented request with the token as access_token', async (c) => {
    wechat.answer(json(c.answer ?? {}));

    const result = await c.call(api());

    expect(sent()).toEqual([
      { method: c.method, path: c.path, query: { access_token: TOKEN, ...c.query }, body: c.rawBody ?? '' },
    ]);
    if (c.returnsAnswer) expect(result).toEqual(c.answer);
    else expect(result).toBeUndefined();
  });

  it.each(cases)('$name rejects with a WeChatApiError that does not reveal the token', async (c) => {
    wechat.answer(json({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest rid: 66a1' }));

    const error = await c.call(api()).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(isWeChatApiError(error)).toBe(true);
    expect(error).toMatchObject({ code: 40001, errorClass: 'token_invalid', path: c.path });
    expect(String(error)).not.toContain(TOKEN);
  });

  it('commit sends ext_json as a JSON string, not as an object', async () => {
    await api().commit(TOKEN, commitRequest);

    const body = JSON.parse(sent()[0]?.body ?? '{}') as Record<string, unknown>;
    expect(typeof body.ext_json).toBe('string');
    expect(JSON.parse(body.ext_json as string)).toEqual({ extEnable: true, extAppid: 'wxa1', ext: { shopId: 42 } });
  });

  it('commit refuses an ext_json object from an untyped caller without calling WeChat', async () => {
    const untyped = { ...commitRequest, ext_json: { extEnable: true } } as unknown as CommitRequest;

    await expect(api().commit(TOKEN, untyped)).rejects.toThrow(TypeError);
    expect(sent()).toHaveLength(0);
  });

  describe('getQrcode', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0xff, 0xd9]);

    it('GETs /wxa/get_qrcode and returns the image bytes', async () => {
      wechat.answer({ contentType: 'image/jpeg', body: jpeg });

      const qrcode = await api().getQrcode(TOKEN);

      expect(sent()).toEqual([{ method: 'GET', path: '/wxa/get_qrcode', query: { access_token: TOKEN }, body: '' }]);
      expect(qrcode.contentType).toBe('image/jpeg');
      expect(qrcode.body.equals(jpeg)).toBe(true);
    });

    it('passes the page path in the query', async () => {
      wechat.answer({ contentType: 'image/jpeg', body: jpeg });

      await api().getQrcode(TOKEN, 'pages/item/item?id=7&from=qr');

      expect(sent()[0]?.query).toEqual({ access_token: TOKEN, path: 'pages/item/item?id=7&from=qr' });
    });

    it('turns a JSON error body into a WeChatApiError', async () => {
      wechat.answer(json({ errcode: 61007, errmsg: 'api is unauthorized to component rid: 66a2' }));

      const error = await api().getQrcode(TOKEN).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toMatchObject({ code: 61007, errorClass: 'needs_reauth', path: '/wxa/get_qrcode' });
      expect(String(error)).not.toContain(TOKEN);
    });
  });
});
