/**
 * Our typed WeChat client against the built-in emulator, API by API: every public method of
 * ComponentApi and AuthorizerApi succeeds once and its effect shows in a follow-up call or in
 * /__admin/state; then the two deploy flows end to end. Errors: client-emulator-errors.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEMPLATE_PAGES } from '../../../local/emulator/fixtures';
import { AuthorizerApi } from '../../../shared/wechat/authorizer-api';
import { ComponentApi } from '../../../shared/wechat/component-api';
import { isPushOf, openReceivedPush, startReceiver } from '../../local/emulator/helpers';
import {
  approveVersion,
  authCodeFor,
  authorizeTenant,
  commitVersion,
  expectWeChatError,
  extJsonFor,
  finishAudit,
  miniProgramState,
  releaseVersion,
  runtimeMethodsOf,
  startSession,
  submitForAudit,
  TOKEN_TTL_MS,
  FAST_REGISTER_ENTERPRISE,
  TEST_IMAGE,
} from './client-emulator-support';
import type { AuthorizerMethod, ClientSession, ComponentMethod } from './client-emulator-support';

type Scenario = (s: ClientSession) => Promise<void>;

const GRACE_MS = 300 * 1000;
const JPEG_START = [0xff, 0xd8];
const JPEG_END = [0xff, 0xd9];

const componentScenarios: Record<ComponentMethod, Scenario> = {
  async componentToken(s) {
    const { ticket } = s.emulator.pushTicket();
    const answer = await s.component.componentToken(s.secret, ticket);
    expect(answer.expires_in).toBe(TOKEN_TTL_MS / 1000);
    expect(answer.component_access_token).not.toBe(s.componentToken);
    // The fresh token is accepted by a component-token API.
    const { template_list } = await s.component.getTemplateList(answer.component_access_token);
    expect(template_list.length).toBeGreaterThan(0);
  },

  async startPushTicket(s) {
    const receiver = await startReceiver();
    try {
      // A new target gets a ticket of its own shortly; wait for it so it cannot be mistaken for ours.
      await s.admin('POST', '/__admin/push-targets', { ticketUrl: `${receiver.url}/wechat/ticket` });
      await receiver.waitFor(isPushOf('component_verify_ticket'));
      const before = receiver.requests.length;

      await s.component.startPushTicket(s.secret);

      const push = await receiver.waitFor((r) => receiver.requests.indexOf(r) >= before && isPushOf('component_verify_ticket')(r));
      const ticket = openReceivedPush(push).fields.ComponentVerifyTicket;
      if (typeof ticket !== 'string') throw new Error('the push carries no ComponentVerifyTicket');
      expect(((await s.admin('GET', '/__admin/state')).ticket as { value: string }).value).toBe(ticket);
      // The pushed ticket buys a component token.
      const { component_access_token } = await s.component.componentToken(s.secret, ticket);
      await expect(s.component.getTemplateDraftList(component_access_token)).resolves.toMatchObject({ draft_list: expect.any(Array) });
    } finally {
      await receiver.close();
    }
  },

  async createPreAuthCode(s) {
    const first = await s.component.createPreAuthCode(s.componentToken);
    const second = await s.component.createPreAuthCode(s.componentToken);
    expect(first.expires_in).toBeGreaterThanOrEqual(600); // documented 600–1800 s
    expect(first.expires_in).toBeLessThanOrEqual(1800);
    expect(first.pre_auth_code).not.toBe(second.pre_auth_code);
    expect(s.emulator.state.checkPreAuthCode(first.pre_auth_code)).toBe('ok');
  },

  async queryAuth(s) {
    const appid = s.emulator.state.seeded[1]!.appid;
    const code = await authCodeFor(s, appid);
    const { authorization_info: info } = await s.component.queryAuth(s.componentToken, code);
    expect(info).toMatchObject({ authorizer_appid: appid, expires_in: TOKEN_TTL_MS / 1000 });
    expect(info.func_info?.map((f) => f.funcscope_category.id)).toContain(18); // code management
    // The authorizer token works on a code API; the refresh token is the one WeChat lists.
    await expect(s.authorizer.getCategory(info.authorizer_access_token)).resolves.toMatchObject({ category_list: expect.any(Array) });
    const { list } = await s.component.getAuthorizerList(s.componentToken, 0, 500);
    expect(list).toContainEqual(expect.objectContaining({ authorizer_appid: appid, refresh_token: info.authorizer_refresh_token }));
  },

  async authorizerToken(s) {
    const answer = await s.component.authorizerToken(s.componentToken, s.tenant.appid, s.tenant.refreshToken);
    expect(answer).toMatchObject({ expires_in: TOKEN_TTL_MS / 1000, authorizer_refresh_token: s.tenant.refreshToken });
    expect(answer.authorizer_access_token).not.toBe(s.tenant.accessToken);
    await expect(s.authorizer.getPage(answer.authorizer_access_token)).resolves.toMatchObject({ page_list: [] });
    // The superseded token works through the grace period, then is "not latest".
    await expect(s.authorizer.getPage(s.tenant.accessToken)).resolves.toMatchObject({ page_list: [] });
    s.clock.advance(GRACE_MS + 1000);
    await expectWeChatError(s.authorizer.getPage(s.tenant.accessToken), { code: 40001, errorClass: 'token_invalid' });
    await expect(s.authorizer.getPage(answer.authorizer_access_token)).resolves.toMatchObject({ page_list: [] });
  },

  async getAuthorizerInfo(s) {
    const summary = (await s.admin('GET', `/__admin/state?appid=${s.tenant.appid}`)) as { userName: string; nickName: string };
    await s.authorizer.modifyDomain(s.tenant.accessToken, { action: 'set', requestdomain: ['https://api.tenant.example'] });
    const info = await s.component.getAuthorizerInfo(s.componentToken, s.tenant.appid);
    expect(info.authorizer_info).toMatchObject({ user_name: summary.userName, nick_name: summary.nickName });
    expect(info.authorizer_info.user_name).toMatch(/^gh_/);
    expect(info.authorizer_info.MiniProgramInfo?.network?.RequestDomain).toEqual(['https://api.tenant.example']);
    expect(info.authorization_info).toMatchObject({ authorizer_appid: s.tenant.appid, authorizer_refresh_token: s.tenant.refreshToken });
  },

  async jscode2session(s) {
    const { code, openid } = (await s.admin('POST', '/__admin/wx-login', { appid: s.tenant.appid })) as { code: string; openid: string };
    const session = await s.component.jscode2session(s.componentToken, s.tenant.appid, code);
    expect(session).toMatchObject({ openid, session_key: expect.any(String) });
    // Single use, and bound to its mini-program.
    await expectWeChatError(s.component.jscode2session(s.componentToken, s.tenant.appid, code), { code: 40163, errorClass: 'permanent' });
    const other = (await s.admin('POST', '/__admin/wx-login', { appid: s.tenant.appid })) as { code: string };
    await expectWeChatError(s.component.jscode2session(s.componentToken, 'wx0000000000000001', other.code), { code: 40013, errorClass: 'permanent' });
  },

  async getAuthorizerList(s) {
    const second = await authorizeTenant(s, 1);
    const all = await s.component.getAuthorizerList(s.componentToken, 0, 500);
    expect(all.total_count).toBe(2);
    expect(all.list).toEqual(
      expect.arrayContaining([
        { authorizer_appid: s.tenant.appid, refresh_token: s.tenant.refreshToken, auth_time: expect.any(Number) },
        { authorizer_appid: second.appid, refresh_token: second.refreshToken, auth_time: expect.any(Number) },
      ]),
    );
    const [page1, page2] = await Promise.all([
      s.component.getAuthorizerList(s.componentToken, 0, 1),
      s.component.getAuthorizerList(s.componentToken, 1, 1),
    ]);
    expect([page1.total_count, page2.total_count]).toEqual([2, 2]);
    expect([...page1.list, ...page2.list].map((a) => a.authorizer_appid).sort()).toEqual([s.tenant.appid, second.appid].sort());
  },

  async getTemplateDraftList(s) {
    const { draft_list } = await s.component.getTemplateDraftList(s.componentToken);
    expect(draft_list.map((d) => d.draft_id)).toEqual([1, 2, 3]);
    expect(draft_list.find((d) => d.draft_id === 3)).toMatchObject({ user_version: '1.1.0', create_time: expect.any(Number) });
  },

  async addToTemplate(s) {
    const before = new Set((await s.component.getTemplateList(s.componentToken)).template_list.map((t) => t.template_id));
    await s.component.addToTemplate(s.componentToken, 3);
    const added = (await s.component.getTemplateList(s.componentToken)).template_list.filter((t) => !before.has(t.template_id));
    expect(added).toEqual([expect.objectContaining({ user_version: '1.1.0', template_type: 0 })]);
    // Tenants can now be committed with it, and get draft 3's extra page.
    await s.authorizer.commit(s.tenant.accessToken, {
      template_id: added[0]!.template_id,
      ext_json: extJsonFor(s.tenant.appid),
      user_version: '1.1.0',
      user_desc: 'from draft 3',
    });
    expect((await s.authorizer.getPage(s.tenant.accessToken)).page_list).toContain('pages/settings/settings');
  },

  async getTemplateList(s) {
    const all = await s.component.getTemplateList(s.componentToken);
    const standard = await s.component.getTemplateList(s.componentToken, 1);
    const adminView = (await s.admin('GET', '/__admin/state')).templates as { template_id: number }[];
    expect(all.template_list.map((t) => t.template_id)).toEqual(adminView.map((t) => t.template_id));
    expect(all.template_list.map((t) => t.template_id)).toEqual(expect.arrayContaining([1, 2]));
    expect(standard.template_list.map((t) => t.template_id)).toEqual([2]);
    expect(standard.template_list.every((t) => t.template_type === 1)).toBe(true);
  },

  async fastRegisterEnterprise(s) {
    await s.component.fastRegisterEnterprise(s.componentToken, 'create', FAST_REGISTER_ENTERPRISE);
    // WeChat's refusals come back as errors with its errcode: the same subject again within 24 h.
    await expectWeChatError(s.component.fastRegisterEnterprise(s.componentToken, 'create', FAST_REGISTER_ENTERPRISE), { code: 89249, errorClass: 'permanent' });
    await expectWeChatError(s.component.fastRegisterEnterprise(s.componentToken, 'search', { name: FAST_REGISTER_ENTERPRISE.name, legal_persona_wechat: 'zhang_san_88', legal_persona_name: '张三' }), { code: 89251, errorClass: 'permanent' });
  },

  async fastRegisterPersonal(s) {
    const created = await s.component.fastRegisterPersonal(s.componentToken, 'create', { idname: '王五', wxuser: 'wang_wu_77' });
    expect(created).toMatchObject({ taskid: expect.any(String), authorize_url: expect.any(String) });
    expect(await s.component.fastRegisterPersonal(s.componentToken, 'query', { taskid: created.taskid })).toMatchObject({ status: 0 });
  },

  async fastRegisterTrial(s) {
    expect(await s.component.fastRegisterTrial(s.componentToken, { name: '王五的体验店铺', openid: 'oTrialFounder0000000000000001' })).toMatchObject({ unique_id: expect.any(String), authorize_url: expect.any(String) });
  },

  async deleteTemplate(s) {
    await s.component.deleteTemplate(s.componentToken, 2);
    const { template_list } = await s.component.getTemplateList(s.componentToken);
    expect(template_list.map((t) => t.template_id)).not.toContain(2);
    // Committing the deleted template now fails with a template error.
    const commit = s.authorizer.commit(s.tenant.accessToken, {
      template_id: 2,
      ext_json: JSON.stringify({ extAppid: s.tenant.appid }),
      user_version: '1.0.0',
      user_desc: 'deleted template',
    });
    await expectWeChatError(commit, { code: 85043, errorClass: 'permanent' });
  },
};

const authorizerScenarios: Record<AuthorizerMethod, Scenario> = {
  async commit(s) {
    await commitVersion(s, '1.2.3', { pages: ['pages/index/index', 'pages/about/about'] });
    expect((await miniProgramState(s)).committed).toMatchObject({ templateId: 1, userVersion: '1.2.3', userDesc: 'release 1.2.3' });
    expect((await s.authorizer.getPage(s.tenant.accessToken)).page_list).toEqual(['pages/index/index', 'pages/about/about']);
  },

  async getPage(s) {
    expect((await s.authorizer.getPage(s.tenant.accessToken)).page_list).toEqual([]);
    await commitVersion(s, '1.0.0');
    expect((await s.authorizer.getPage(s.tenant.accessToken)).page_list).toEqual(TEMPLATE_PAGES);
  },

  async getQrcode(s) {
    for (const path of [undefined, 'pages/index/index?from=qa']) {
      const { contentType, body } = await s.authorizer.getQrcode(s.tenant.accessToken, path);
      expect(contentType).toBe('image/jpeg');
      expect([...body.subarray(0, 2)]).toEqual(JPEG_START);
      expect([...body.subarray(-2)]).toEqual(JPEG_END);
    }
  },

  async getCategory(s) {
    const { category_list } = await s.authorizer.getCategory(s.tenant.accessToken);
    expect(category_list.length).toBeGreaterThan(0);
    for (const category of category_list) {
      expect(category).toMatchObject({
        first_class: expect.any(String),
        second_class: expect.any(String),
        first_id: expect.any(Number),
        second_id: expect.any(Number),
      });
    }
  },

  async submitAudit(s) {
    const { rest } = await s.authorizer.queryQuota(s.tenant.accessToken);
    await commitVersion(s, '1.0.0');
    const auditid = await submitForAudit(s);
    expect(auditid).toEqual(expect.any(Number));
    expect((await miniProgramState(s)).audit).toMatchObject({ auditid, status: 2, underReview: true, userVersion: '1.0.0' });
    expect((await s.authorizer.queryQuota(s.tenant.accessToken)).rest).toBe(rest - 1);
  },

  async getAuditStatus(s) {
    await commitVersion(s, '1.0.0');
    const approved = await submitForAudit(s);
    expect((await s.authorizer.getAuditStatus(s.tenant.accessToken, approved)).status).toBe(2);
    await finishAudit(s);
    expect(await s.authorizer.getAuditStatus(s.tenant.accessToken, approved)).toMatchObject({ status: 0 });

    await s.admin('POST', '/__admin/audit-outcome', { appid: s.tenant.appid, outcome: 'reject' });
    const rejected = await submitForAudit(s);
    await finishAudit(s);
    const answer = await s.authorizer.getAuditStatus(s.tenant.accessToken, rejected);
    expect(answer).toMatchObject({ status: 1, reason: expect.stringMatching(/\S/), screenshot: expect.stringContaining('|') });
    expect((await s.authorizer.getAuditStatus(s.tenant.accessToken, approved)).status).toBe(0); // by id, not the latest

    await s.admin('POST', '/__admin/audit-outcome', { appid: s.tenant.appid, outcome: 'delay' });
    const delayed = await submitForAudit(s);
    await finishAudit(s);
    expect(await s.authorizer.getAuditStatus(s.tenant.accessToken, delayed)).toMatchObject({ status: 4, reason: expect.stringMatching(/\S/) });
    await finishAudit(s); // a delayed audit is approved when finished again
    expect((await s.authorizer.getAuditStatus(s.tenant.accessToken, delayed)).status).toBe(0);
  },

  async getLatestAuditStatus(s) {
    await commitVersion(s, '2.0.0');
    const auditid = await submitForAudit(s);
    const latest = await s.authorizer.getLatestAuditStatus(s.tenant.accessToken);
    expect(latest).toMatchObject({ auditid, status: 2, user_version: '2.0.0', user_desc: 'release 2.0.0' });
    expect(latest.submit_audit_time).toBe(Math.floor(s.clock.now() / 1000));
  },

  async undoCodeAudit(s) {
    await commitVersion(s, '1.0.0');
    const auditid = await submitForAudit(s);
    await s.authorizer.undoCodeAudit(s.tenant.accessToken);
    expect((await s.authorizer.getAuditStatus(s.tenant.accessToken, auditid)).status).toBe(3);
    expect((await miniProgramState(s)).audit).toMatchObject({ auditid, underReview: false });
    // Nothing is under review any more, so the code can be resubmitted.
    expect(await submitForAudit(s)).toBeGreaterThan(auditid);
  },

  async release(s) {
    await approveVersion(s, '1.0.0');
    await s.authorizer.release(s.tenant.accessToken);
    expect((await miniProgramState(s)).released).toMatchObject({ userVersion: '1.0.0' });
    // WeChat insists on a body of exactly `{}`, and that is what the client sent.
    expect(s.sent.filter((r) => r.path === '/wxa/release').map((r) => r.body)).toEqual(['{}']);
  },

  async getVersionInfo(s) {
    expect(await s.authorizer.getVersionInfo(s.tenant.accessToken)).toEqual({ errcode: 0, errmsg: 'ok' });
    await releaseVersion(s, '1.0.0');
    const mp = s.emulator.state.get(s.tenant.appid)!;
    const releasedAt = mp.released!.releaseTime;
    s.clock.advance(60_000);
    await approveVersion(s, '1.1.0');
    await s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 30 });
    expect(mp.committed!.commitTime).toBeGreaterThanOrEqual(releasedAt + 60);
    // The trial version is the last commit; online at 100% is still 1.0.0 during the phased release.
    expect(await s.authorizer.getVersionInfo(s.tenant.accessToken)).toEqual({
      errcode: 0,
      errmsg: 'ok',
      exp_info: { exp_time: mp.committed!.commitTime, exp_version: '1.1.0', exp_desc: 'release 1.1.0' },
      release_info: { release_time: releasedAt, release_version: '1.0.0', release_desc: 'release 1.0.0' },
    });
    expect(s.sent.filter((r) => r.path === '/wxa/getversioninfo').map((r) => [r.method, r.body])).toEqual([
      ['POST', '{}'],
      ['POST', '{}'],
    ]);
  },

  async revertCodeRelease(s) {
    await releaseVersion(s, '1.0.0');
    await releaseVersion(s, '1.1.0');
    await releaseVersion(s, '1.2.0');
    // To an explicit app_version from the history: the oldest kept one.
    const { version_list } = await s.authorizer.getHistoryVersion(s.tenant.accessToken);
    const oldest = version_list.find((v) => v.user_version === '1.0.0')!;
    await s.authorizer.revertCodeRelease(s.tenant.accessToken, oldest.app_version);
    expect((await miniProgramState(s)).released).toMatchObject({ appVersion: oldest.app_version, userVersion: '1.0.0' });
    // WeChat allows no second rollback in a row.
    await expectWeChatError(s.authorizer.revertCodeRelease(s.tenant.accessToken), { code: 87012, errorClass: 'permanent' });
    // After a new release, back to the previous version without naming one.
    await releaseVersion(s, '1.3.0');
    await s.authorizer.revertCodeRelease(s.tenant.accessToken);
    expect((await miniProgramState(s)).released).toMatchObject({ appVersion: oldest.app_version, userVersion: '1.0.0' });
  },

  async getHistoryVersion(s) {
    expect((await s.authorizer.getHistoryVersion(s.tenant.accessToken)).version_list).toEqual([]);
    await releaseVersion(s, '1.0.0');
    await releaseVersion(s, '1.1.0');
    await releaseVersion(s, '1.2.0');
    // What one can roll back to, newest first; the online 1.2.0 is not in it.
    const { version_list } = await s.authorizer.getHistoryVersion(s.tenant.accessToken);
    expect(version_list).toEqual([
      { app_version: expect.any(Number), user_version: '1.1.0', user_desc: 'release 1.1.0', commit_time: expect.any(Number) },
      { app_version: expect.any(Number), user_version: '1.0.0', user_desc: 'release 1.0.0', commit_time: expect.any(Number) },
    ]);
    // After a rollback the list is empty until the next release.
    await s.authorizer.revertCodeRelease(s.tenant.accessToken);
    expect((await s.authorizer.getHistoryVersion(s.tenant.accessToken)).version_list).toEqual([]);
  },

  async grayRelease(s) {
    await releaseVersion(s, '1.0.0');
    await approveVersion(s, '1.1.0');
    await s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 10, support_debuger_first: true });
    expect((await s.authorizer.getGrayReleasePlan(s.tenant.accessToken)).gray_release_plan).toMatchObject({
      status: 1,
      gray_percentage: 10,
      support_debuger_first: true,
      support_experiencer_first: false,
    });
    await s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 50 });
    expect((await miniProgramState(s)).gray).toMatchObject({ status: 1, gray_percentage: 50 });
  },

  async revertGrayRelease(s) {
    await releaseVersion(s, '1.0.0');
    await approveVersion(s, '1.1.0');
    await s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 20 });
    await s.authorizer.revertGrayRelease(s.tenant.accessToken);
    expect((await s.authorizer.getGrayReleasePlan(s.tenant.accessToken)).gray_release_plan).toMatchObject({ status: 4 });
  },

  async getGrayReleasePlan(s) {
    const { gray_release_plan } = await s.authorizer.getGrayReleasePlan(s.tenant.accessToken);
    expect(gray_release_plan).toMatchObject({ status: 0, gray_percentage: 0, create_timestamp: 0 });
  },

  async changeVisitStatus(s) {
    await releaseVersion(s, '1.0.0');
    await s.authorizer.changeVisitStatus(s.tenant.accessToken, 'close');
    expect((await miniProgramState(s)).visitStatus).toBe('close');
    await s.authorizer.changeVisitStatus(s.tenant.accessToken, 'open');
    expect((await miniProgramState(s)).visitStatus).toBe('open');
  },

  async queryQuota(s) {
    expect(await s.authorizer.queryQuota(s.tenant.accessToken)).toMatchObject({ rest: 1000, limit: 1000, speedup_rest: 10, speedup_limit: 10 });
    await s.admin('POST', '/__admin/quota', { used: 990, speedupUsed: 4 });
    expect(await s.authorizer.queryQuota(s.tenant.accessToken)).toMatchObject({ rest: 10, limit: 1000, speedup_rest: 6 });
  },

  async speedupAudit(s) {
    await commitVersion(s, '1.0.0');
    const auditid = await submitForAudit(s);
    await s.authorizer.speedupAudit(s.tenant.accessToken, auditid);
    expect((await s.authorizer.queryQuota(s.tenant.accessToken)).speedup_rest).toBe(9);
    expect((await s.authorizer.getAuditStatus(s.tenant.accessToken, auditid)).status).toBe(2); // faster, not decided
  },

  async modifyDomain(s) {
    const token = s.tenant.accessToken;
    const added = await s.authorizer.modifyDomain(token, {
      action: 'add',
      requestdomain: ['https://api.tenant.example'],
      wsrequestdomain: ['wss://ws.tenant.example'],
    });
    expect(added).toMatchObject({ requestdomain: ['https://api.tenant.example'], wsrequestdomain: ['wss://ws.tenant.example'] });
    await s.authorizer.modifyDomain(token, { action: 'delete', wsrequestdomain: ['wss://ws.tenant.example'] });
    expect(await s.authorizer.modifyDomain(token, { action: 'get' })).toMatchObject({
      requestdomain: ['https://api.tenant.example'],
      wsrequestdomain: [],
    });
  },

  async setWebviewDomain(s) {
    const token = s.tenant.accessToken;
    const set = await s.authorizer.setWebviewDomain(token, { action: 'set', webviewdomain: ['https://h5.tenant.example'] });
    expect(set.webviewdomain).toEqual(['https://h5.tenant.example']);
    expect((await s.authorizer.setWebviewDomain(token, { action: 'get' })).webviewdomain).toEqual(['https://h5.tenant.example']);
  },

  async bindTester(s) {
    const { userstr } = await s.authorizer.bindTester(s.tenant.accessToken, 'qa-lead');
    expect(userstr).toMatch(/\S/);
    expect((await s.authorizer.memberAuth(s.tenant.accessToken)).members).toEqual([{ userstr }]);
  },

  async unbindTester(s) {
    const token = s.tenant.accessToken;
    await s.authorizer.bindTester(token, 'qa-lead');
    const { userstr } = await s.authorizer.bindTester(token, 'qa-intern');
    await s.authorizer.unbindTester(token, { wechatid: 'qa-lead' });
    expect((await s.authorizer.memberAuth(token)).members).toEqual([{ userstr }]);
    await s.authorizer.unbindTester(token, { userstr });
    expect((await s.authorizer.memberAuth(token)).members).toEqual([]);
  },

  async memberAuth(s) {
    expect((await s.authorizer.memberAuth(s.tenant.accessToken)).members).toEqual([]);
    const a = await s.authorizer.bindTester(s.tenant.accessToken, 'qa-a');
    const b = await s.authorizer.bindTester(s.tenant.accessToken, 'qa-b');
    expect((await s.authorizer.memberAuth(s.tenant.accessToken)).members).toEqual([{ userstr: a.userstr }, { userstr: b.userstr }]);
  },

  async sendCustomMessage(s) {
    const touser = 'oTesterOpenid0000000000000x';
    await s.authorizer.sendCustomMessage(s.tenant.accessToken, { touser, msgtype: 'text', text: { content: 'QUERY_AUTH_CODE_from_api' } });
    const { messages } = await s.admin('GET', `/__admin/messages?appid=${s.tenant.appid}`);
    expect(messages).toEqual([expect.objectContaining({ appid: s.tenant.appid, touser, msgtype: 'text', content: 'QUERY_AUTH_CODE_from_api' })]);
  },

  async setPrivacySetting(s) {
    const token = s.tenant.accessToken;
    const owner_setting = { contact_email: 'privacy@tenant.example', notice_method: '弹窗提示' };
    const setting_list = [{ privacy_key: 'UserInfo', privacy_text: '用于展示头像昵称' }];
    // The 'ready' fleet's preset guide (three keys) is replaced whole, not merged.
    expect((await s.authorizer.getPrivacySetting(token, 2)).setting_list).toHaveLength(3);
    const setAt = Math.floor(s.clock.now() / 1000);
    await s.authorizer.setPrivacySetting(token, { privacy_ver: 2, owner_setting, setting_list });
    const dev = await s.authorizer.getPrivacySetting(token, 2);
    expect(dev).toEqual(expect.objectContaining({ owner_setting, setting_list: [{ ...setting_list[0], privacy_label: expect.stringMatching(/\S/) }] }));
    // Stamped when set (the set and this read may straddle a second).
    expect(dev.update_time).toBeGreaterThanOrEqual(setAt);
    expect(dev.update_time).toBeLessThanOrEqual(Math.floor(s.clock.now() / 1000));
    // The production version is kept apart: still unset.
    const online = await s.authorizer.getPrivacySetting(token, 1);
    expect(online).toMatchObject({ setting_list: [], update_time: 0 });
    expect(online.owner_setting).toEqual({});
  },

  async getPrivacySetting(s) {
    const token = s.tenant.accessToken;
    // The 'ready' fleet comes with a privacy guide (version 2, the default one read); no code yet, so no key is needed.
    const before = await s.authorizer.getPrivacySetting(token);
    expect(before).toMatchObject({
      code_exist: 0,
      privacy_list: [],
      owner_setting: { notice_method: '弹窗提示', contact_email: 'privacy@example.com' },
      update_time: expect.any(Number),
    });
    expect(before.setting_list).toEqual([
      { privacy_key: 'UserInfo', privacy_text: '登录与展示个人资料', privacy_label: expect.stringMatching(/\S/) },
      { privacy_key: 'Location', privacy_text: '查找附近的门店', privacy_label: expect.stringMatching(/\S/) },
      { privacy_key: 'Album', privacy_text: '上传商品图片', privacy_label: expect.stringMatching(/\S/) },
    ]);
    expect(before.privacy_desc?.privacy_desc_list.length).toBeGreaterThan(0);
    // The online version (1) has none.
    const online = await s.authorizer.getPrivacySetting(token, 1);
    expect(online).toMatchObject({ setting_list: [], update_time: 0 });
    expect(online.owner_setting).toEqual({});
    // The 'ready' fleet's template calls no privacy API: committed code, still no key needed.
    await commitVersion(s, '1.0.0');
    expect(await s.authorizer.getPrivacySetting(token)).toMatchObject({ code_exist: 1, privacy_list: [] });
    // Code that calls wx.getLocation and wx.chooseImage needs the Location and Album keys.
    await s.admin('POST', '/__admin/code-privacy', { templateId: 1, privacyApis: ['wx.getLocation', 'wx.chooseImage'], requiredPrivateInfos: ['getLocation'] });
    await commitVersion(s, '1.0.1');
    expect((await s.authorizer.getPrivacySetting(token)).privacy_list).toEqual(['Location', 'Album']);
  },

  async getIcpEntranceInfo(s) {
    const token = s.tenant.accessToken;
    const appid = s.tenant.appid;
    // The 'ready' fleet is filed (6).
    const filed = await s.authorizer.getIcpEntranceInfo(token);
    expect(filed).toMatchObject({ errcode: 0, errmsg: 'ok' });
    expect(filed.info).toEqual({ status: 6, is_canceling: false, available: 1 });
    // Each change made through /__admin/icp is what WeChat answers next.
    await s.admin('POST', '/__admin/icp', { appid, status: 4 });
    expect((await s.authorizer.getIcpEntranceInfo(token)).info).toEqual({ status: 4, is_canceling: false, available: 1 });
    // A rejection carries its audit_data, and only a rejection does.
    const auditData = [{ key_name: '主体负责人', error: '证件照片不清晰', suggest: '请重新上传清晰的证件照片' }];
    await s.admin('POST', '/__admin/icp', { appid, status: 5, auditData });
    expect((await s.authorizer.getIcpEntranceInfo(token)).info).toEqual({ status: 5, is_canceling: false, available: 1, audit_data: auditData });
    await s.admin('POST', '/__admin/icp', { appid, status: 1024 });
    expect((await s.authorizer.getIcpEntranceInfo(token)).info).toEqual({ status: 1024, is_canceling: false, available: 1 });
    // Only this mini-program changed.
    const other = await authorizeTenant(s, 1);
    expect((await s.authorizer.getIcpEntranceInfo(other.accessToken)).info.status).toBe(6);
  },

  async getAccountBasicInfo(s) {
    const token = s.tenant.accessToken;
    const appid = s.tenant.appid;
    // The same values api_get_authorizer_info answers.
    const { authorizer_info: profile } = await s.component.getAuthorizerInfo(s.componentToken, appid);
    const info = await s.authorizer.getAccountBasicInfo(token);
    expect(info).toMatchObject({
      errcode: 0,
      errmsg: 'ok',
      appid,
      account_type: 2,
      principal_type: 1,
      principal_name: profile.principal_name,
      realname_status: 1,
      nickname: profile.nick_name,
      // The 'ready' fleet is verified, with complete basic info.
      wx_verify_info: { qualification_verify: true, naming_verify: true, annual_review: true, annual_review_begin_time: expect.any(Number), annual_review_end_time: expect.any(Number) },
      signature_info: { signature: expect.stringMatching(/\S/), modify_used_count: 0, modify_quota: 5 },
      head_image_info: { head_image_url: profile.head_img, modify_used_count: 0, modify_quota: 5 },
      nickname_info: { nickname: profile.nick_name, modify_used_count: 0, modify_quota: 2 },
    });
    expect(info.head_image_info?.head_image_url).toMatch(/^https?:\/\//);
    expect(info.wx_verify_info!.annual_review_end_time!).toBeGreaterThan(Math.floor(s.clock.now() / 1000));

    // A cleared introduction and a new name show at once; '' is "not set".
    await s.admin('POST', '/__admin/basic-info', { appid, signature: '', nickname: '改名后的小程序' });
    expect(await s.authorizer.getAccountBasicInfo(token)).toMatchObject({
      nickname: '改名后的小程序',
      nickname_info: { nickname: '改名后的小程序' },
      signature_info: { signature: '' },
    });
    // An expired verification reads all false.
    await s.admin('POST', '/__admin/expire-verification', { appid });
    expect((await s.authorizer.getAccountBasicInfo(token)).wx_verify_info).toMatchObject({ qualification_verify: false, naming_verify: false, annual_review: false });
  },

  async getCodePrivacyInfo(s) {
    const token = s.tenant.accessToken;
    const appid = s.tenant.appid;
    // Nothing committed yet: the emulator's choice, 85086.
    await expectWeChatError(s.authorizer.getCodePrivacyInfo(token), { code: 85086, errorClass: 'permanent' });
    // The 'ready' fleet's template calls no privacy API, and the scan ends at once (privacyScanMs 0).
    await commitVersion(s, '1.0.0');
    expect(await s.authorizer.getCodePrivacyInfo(token)).toEqual({ errcode: 0, errmsg: 'ok', without_auth_list: [], without_conf_list: [] });

    // Code calling wx.getLocation (declared), wx.chooseAddress (not declared) and wx.chooseImage
    // (not a location API: neither list), on a mini-program whose wx.getLocation grant was revoked.
    await s.admin('POST', '/__admin/code-privacy', { templateId: 1, privacyApis: ['wx.getLocation', 'wx.chooseAddress', 'wx.chooseImage'], requiredPrivateInfos: ['getLocation'] });
    await s.admin('POST', '/__admin/privacy-interface', { appid, api: 'wx.getLocation', granted: false });
    await commitVersion(s, '1.0.1');
    expect(await s.authorizer.getCodePrivacyInfo(token)).toMatchObject({ without_auth_list: ['wx.getLocation'], without_conf_list: ['wx.chooseAddress'] });
    // The grants are read at call time; the declarations are the commit's (its ext_json may add some).
    await s.admin('POST', '/__admin/privacy-interface', { appid, api: 'getLocation', granted: true });
    expect(await s.authorizer.getCodePrivacyInfo(token)).toMatchObject({ without_auth_list: [], without_conf_list: ['wx.chooseAddress'] });
    await commitVersion(s, '1.0.2', { requiredPrivateInfos: ['chooseAddress'] });
    expect(await s.authorizer.getCodePrivacyInfo(token)).toMatchObject({ without_auth_list: [], without_conf_list: [] });

    // While the scan runs (privacyScanMs after each commit) WeChat answers 61039; then the lists.
    const scanning = await startSession({ emulator: { privacyScanMs: 60_000 } });
    try {
      await commitVersion(scanning, '1.0.0');
      await expectWeChatError(scanning.authorizer.getCodePrivacyInfo(scanning.tenant.accessToken), { code: 61039, errorClass: 'permanent' });
      scanning.clock.advance(30_000);
      await expectWeChatError(scanning.authorizer.getCodePrivacyInfo(scanning.tenant.accessToken), { code: 61039, errorClass: 'permanent' });
      scanning.clock.advance(30_000);
      expect(await scanning.authorizer.getCodePrivacyInfo(scanning.tenant.accessToken)).toMatchObject({ without_auth_list: [], without_conf_list: [] });
      // A new commit starts a new scan.
      await commitVersion(scanning, '1.0.1');
      await expectWeChatError(scanning.authorizer.getCodePrivacyInfo(scanning.tenant.accessToken), { code: 61039, errorClass: 'permanent' });
    } finally {
      await scanning.close();
    }
  },

  async callForBackend(s) {
    // WeChat's answer as it is, errcode included: nothing is released yet, so no URL link (85079)…
    const refused = await s.authorizer.callForBackend(s.tenant.accessToken, '/wxa/generate_urllink', { path: 'pages/index/index' });
    expect(JSON.parse(refused.body.toString('utf8'))).toMatchObject({ errcode: 85079 });
    // …bytes as they come…
    const code = await s.authorizer.callForBackend(s.tenant.accessToken, '/wxa/getwxacodeunlimit', { scene: 'a=1', check_path: false });
    expect(code.contentType).toBe('image/jpeg');
    // …and a refused token throws, so the lease refreshes it and asks once more.
    await expectWeChatError(s.authorizer.callForBackend('not-a-token', '/wxa/generate_urllink', {}), { code: 40001, errorClass: 'token_invalid' });
  },

  async uploadImage(s) {
    const answer = await s.authorizer.uploadImage(s.tenant.accessToken, TEST_IMAGE);
    expect(answer).toEqual({ type: 'image', media_id: expect.stringMatching(/^\S{16,}$/), created_at: expect.any(Number) });
    // Not an image: WeChat's invalid file type.
    await expectWeChatError(s.authorizer.uploadImage(s.tenant.accessToken, { ...TEST_IMAGE, bytes: Buffer.from('plain text, not a picture') }), { code: 40005, errorClass: 'permanent' });
  },

  async modifyHeadImage(s) {
    const token = s.tenant.accessToken;
    const { media_id } = await s.authorizer.uploadImage(token, TEST_IMAGE);
    await s.authorizer.modifyHeadImage(token, media_id, { x1: 0, y1: 0, x2: 1, y2: 1 });
    const { head_image_info } = await s.authorizer.getAccountBasicInfo(token);
    expect(head_image_info).toMatchObject({ head_image_url: expect.stringContaining(`/__static/head/${s.tenant.appid}`), modify_used_count: 1 });
    await expectWeChatError(s.authorizer.modifyHeadImage(token, media_id, { x1: 0.5, y1: 0, x2: 0.2, y2: 1 }), { code: 40097, errorClass: 'permanent' });
    await expectWeChatError(s.authorizer.modifyHeadImage(token, 'media-never-issued', { x1: 0, y1: 0, x2: 1, y2: 1 }), { code: 40007, errorClass: 'permanent' });
  },

  async modifySignature(s) {
    const token = s.tenant.accessToken;
    await s.authorizer.modifySignature(token, '上门取送的洗衣小程序');
    expect((await s.authorizer.getAccountBasicInfo(token)).signature_info).toMatchObject({ signature: '上门取送的洗衣小程序', modify_used_count: 1 });
    await expectWeChatError(s.authorizer.modifySignature(token, '网上赌博平台'), { code: 53201, errorClass: 'permanent' });
  },

  async checkNickname(s) {
    expect(await s.authorizer.checkNickname(s.tenant.accessToken, '腾讯示例旗舰店')).toMatchObject({ hit_condition: true });
    expect(await s.authorizer.checkNickname(s.tenant.accessToken, '示例洗衣店')).toMatchObject({ hit_condition: false });
  },

  async setNickname(s) {
    const token = s.tenant.accessToken;
    const answer = await s.authorizer.setNickname(token, { nick_name: '示例洗衣店' });
    expect(answer.audit_id ?? 0).toBe(0);
    expect((await s.authorizer.getAccountBasicInfo(token)).nickname_info).toMatchObject({ nickname: '示例洗衣店', modify_used_count: 1 });
    // A protected keyword without proof materials: 91009.
    await expectWeChatError(s.authorizer.setNickname(token, { nick_name: '中国示例洗衣店' }), { code: 91009, errorClass: 'permanent' });
  },

  async queryNickname(s) {
    const token = s.tenant.accessToken;
    const { media_id } = await s.authorizer.uploadImage(token, TEST_IMAGE);
    const { audit_id } = await s.authorizer.setNickname(token, { nick_name: '中国示例洗衣店', license: media_id });
    expect(audit_id).toEqual(expect.any(Number));
    expect(await s.authorizer.queryNickname(token, audit_id!)).toMatchObject({ nickname: '中国示例洗衣店', audit_stat: 1 });
    await s.admin('POST', '/__admin/finish-nickname-audit', { appid: s.tenant.appid, outcome: 'reject', reason: '需补充材料' });
    expect(await s.authorizer.queryNickname(token, audit_id!)).toMatchObject({ audit_stat: 2, fail_reason: '需补充材料' });
    await expectWeChatError(s.authorizer.queryNickname(token, audit_id! + 1000), { code: 91011, errorClass: 'permanent' });
  },

  async getAllCategories(s) {
    const { categories } = (await s.authorizer.getAllCategories(s.tenant.accessToken)).categories_list;
    const root = categories.find((c) => c.id === 0);
    expect(root?.children?.length).toBeGreaterThan(0);
    const sensitive = categories.find((c) => c.sensitive_type === 1);
    expect(sensitive?.qualify?.exter_list?.[0]?.inner_list?.[0]?.name).toMatch(/\S/);
  },

  async getSettingCategories(s) {
    const { categories, limit } = await s.authorizer.getSettingCategories(s.tenant.accessToken);
    expect(categories.map((c) => [c.first, c.second, c.audit_status])).toEqual([
      [287, 612, 3],
      [150, 627, 3],
    ]);
    expect(categories[0]).toMatchObject({ first_name: '工具', second_name: '效率' });
    expect(limit).toBe(5);
  },

  async addCategory(s) {
    const token = s.tenant.accessToken;
    await s.authorizer.addCategory(token, { categories: [{ first: 220, second: 688, certicates: [] }] });
    expect((await s.authorizer.getCategory(token)).category_list.map((c) => c.second_id)).toContain(688);
    await expectWeChatError(s.authorizer.addCategory(token, { categories: [{ first: 220, second: 688, certicates: [] }] }), { code: 53304, errorClass: 'permanent' });
  },

  async deleteCategory(s) {
    const token = s.tenant.accessToken;
    await s.authorizer.deleteCategory(token, 287, 612);
    expect((await s.authorizer.getSettingCategories(token)).categories.map((c) => c.second)).toEqual([627]);
    await expectWeChatError(s.authorizer.deleteCategory(token, 287, 612), { code: 53303, errorClass: 'permanent' });
  },

  async getPrivacyInterface(s) {
    const token = s.tenant.accessToken;
    const appid = s.tenant.appid;
    const LOCATION_APIS = ['wx.getFuzzyLocation', 'wx.getLocation', 'wx.onLocationChange', 'wx.startLocationUpdate', 'wx.startLocationUpdateBackground', 'wx.chooseLocation', 'wx.choosePoi', 'wx.chooseAddress'];
    const statuses = async () => Object.fromEntries(((await s.authorizer.getPrivacyInterface(token)).interface_list ?? []).map((i) => [i.api_name, i.status]));
    const { interface_list } = await s.authorizer.getPrivacyInterface(token);
    // The 8 location-type interfaces, all granted (5) in the 'ready' fleet.
    expect(interface_list?.map((i) => i.api_name)).toEqual(LOCATION_APIS);
    for (const item of interface_list ?? []) {
      expect(item).toMatchObject({ api_ch_name: expect.stringMatching(/\S/), api_desc: expect.stringMatching(/\S/), api_link: expect.stringMatching(/^https:\/\//), status: 5, group_name: '地理位置' });
    }
    // A revoked interface reads 1 (to apply for); the others stay granted.
    await s.admin('POST', '/__admin/privacy-interface', { appid, api: 'wx.getLocation', granted: false });
    expect(await statuses()).toEqual(Object.fromEntries(LOCATION_APIS.map((api) => [api, api === 'wx.getLocation' ? 1 : 5])));
    // Granted again (named as app.json does), it reads 5.
    await s.admin('POST', '/__admin/privacy-interface', { appid, api: 'getLocation', granted: true });
    expect(await statuses()).toEqual(Object.fromEntries(LOCATION_APIS.map((api) => [api, 5])));
  },
};

describe('typed WeChat client against the emulator', () => {
  let s: ClientSession;
  beforeEach(async () => {
    s = await startSession();
  });
  afterEach(() => s.close());

  it('has a success scenario for every public method', () => {
    expect(Object.keys(componentScenarios).sort()).toEqual(runtimeMethodsOf(ComponentApi));
    expect(Object.keys(authorizerScenarios).sort()).toEqual(runtimeMethodsOf(AuthorizerApi));
  });

  describe('ComponentApi', () => {
    it.each(Object.entries(componentScenarios))('%s', async (_method, scenario) => {
      await scenario(s);
    });
  });

  describe('AuthorizerApi', () => {
    it.each(Object.entries(authorizerScenarios))('%s', async (_method, scenario) => {
      await scenario(s);
    });
  });

  it('§4 answers carry errcode 0 and errmsg, which the client hands back untouched', async () => {
    const t = s.tenant.accessToken;
    const answers = await Promise.all([
      s.component.getTemplateDraftList(s.componentToken),
      s.component.getTemplateList(s.componentToken),
      s.authorizer.getPage(t),
      s.authorizer.getCategory(t),
      s.authorizer.getHistoryVersion(t),
      s.authorizer.getVersionInfo(t),
      s.authorizer.getGrayReleasePlan(t),
      s.authorizer.queryQuota(t),
      s.authorizer.modifyDomain(t, { action: 'get' }),
      s.authorizer.setWebviewDomain(t, { action: 'get' }),
      s.authorizer.memberAuth(t),
    ]);
    for (const answer of answers) expect(answer).toMatchObject({ errcode: 0, errmsg: 'ok' });
  });

  describe('deploy flows', () => {
    it('commit → submit_audit → finish-audit → get_auditstatus 0 → release → history → revertcoderelease', async () => {
      const token = s.tenant.accessToken;
      await releaseVersion(s, '1.0.0'); // a previous release to fall back to

      await s.authorizer.commit(token, { template_id: 1, ext_json: extJsonFor(s.tenant.appid), user_version: '1.1.0', user_desc: 'next' });
      const { auditid } = await s.authorizer.submitAudit(token, { version_desc: 'next' });
      expect((await s.authorizer.getLatestAuditStatus(token)).status).toBe(2);
      await s.admin('POST', '/__admin/finish-audit', { appid: s.tenant.appid });
      expect((await s.authorizer.getAuditStatus(token, auditid)).status).toBe(0);
      await s.authorizer.release(token);

      const { version_list } = await s.authorizer.getHistoryVersion(token);
      expect(version_list.map((v) => v.user_version)).toEqual(['1.0.0']); // what one can roll back to
      expect((await miniProgramState(s)).released).toMatchObject({ userVersion: '1.1.0' });

      await s.authorizer.revertCodeRelease(token);
      expect((await miniProgramState(s)).released).toMatchObject({ userVersion: '1.0.0' });
      expect((await s.authorizer.getVersionInfo(token)).release_info).toMatchObject({ release_version: '1.0.0' });
    });

    it('grayrelease → getgrayreleaseplan → revertgrayrelease', async () => {
      const token = s.tenant.accessToken;
      await releaseVersion(s, '1.0.0');
      await approveVersion(s, '1.1.0');

      await s.authorizer.grayRelease(token, { gray_percentage: 5, support_experiencer_first: true });
      const { gray_release_plan: plan } = await s.authorizer.getGrayReleasePlan(token);
      expect(plan).toMatchObject({ status: 1, gray_percentage: 5, support_experiencer_first: true });
      expect(plan.create_timestamp).toBe(Math.floor(s.clock.now() / 1000));

      await s.authorizer.revertGrayRelease(token);
      expect((await s.authorizer.getGrayReleasePlan(token)).gray_release_plan.status).toBe(4);
      expect((await miniProgramState(s)).released).toMatchObject({ userVersion: '1.0.0' }); // production untouched
    });
  });
});
