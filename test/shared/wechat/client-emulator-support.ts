/**
 * Shared fixture of the client-against-emulator suites: a real emulator on an ephemeral port with
 * a clock the test can move, our typed clients over a WeChatHttp that records what it sent, and
 * shortcuts that obtain tokens through those clients. Only /__admin is called without them.
 */
import { avatarPng } from '../../../local/emulator/avatar';
import { expect } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../../local/emulator/server';
import { AuthorizerApi } from '../../../shared/wechat/authorizer-api';
import { ComponentApi } from '../../../shared/wechat/component-api';
import { WeChatApiError } from '../../../shared/wechat/errors';
import type { WeChatErrorClass } from '../../../shared/wechat/errors';
import { WeChatHttp } from '../../../shared/wechat/http';
import { admin, RID_ERRMSG, startEmulatorWith } from '../../local/emulator/helpers';

/** Names of the public methods of a client class (private members are not in `keyof`). */
type MethodsOf<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];
export type ComponentMethod = MethodsOf<ComponentApi>;
export type AuthorizerMethod = MethodsOf<AuthorizerApi>;

/** Private helpers show up on the prototype at runtime; everything else there is public API. */
const PRIVATE_HELPERS = new Set(['constructor', 'postWithComponentToken', 'get', 'post']);

/** The methods a client class really has, to prove a table leaves none out. */
export function runtimeMethodsOf(cls: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(cls.prototype)
    .filter((name) => !PRIVATE_HELPERS.has(name))
    .sort();
}

export const TOKEN_TTL_MS = 7200 * 1000;
export const TICKET_TTL_MS = 12 * 3600 * 1000;

/** The emulator's clock: real time (or from `startAt` on) plus an offset the test moves forward. */
export class TestClock {
  private offsetMs: number;
  readonly now = (): number => Date.now() + this.offsetMs;

  constructor(startAt?: number) {
    this.offsetMs = startAt === undefined ? 0 : startAt - Date.now();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface SentRequest {
  method: string;
  path: string;
  body: string | undefined;
}

export interface Tenant {
  appid: string;
  accessToken: string;
  refreshToken: string;
}

export type AdminAnswer = Record<string, unknown>;

export interface ClientSession {
  emulator: Emulator;
  clock: TestClock;
  component: ComponentApi;
  authorizer: AuthorizerApi;
  /** Every request our WeChatHttp sent (without the query, which carries tokens). */
  sent: SentRequest[];
  secret: string;
  componentToken: string;
  /** Seeded mini-program #0, authorized through the typed client. */
  tenant: Tenant;
  admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<AdminAnswer>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** The client's per-request budget. */
  timeoutMs?: number;
  /** Epoch ms the emulator's clock starts at; default now. */
  clockStartAt?: number;
  emulator?: EmulatorOptions;
}

/** An emulator, our clients pointed at it, a component token and one authorized tenant. */
export async function startSession(opts: SessionOptions = {}): Promise<ClientSession> {
  const clock = new TestClock(opts.clockStartAt);
  // Audits are decided only by /__admin/finish-audit, never by a timer racing the test.
  const emulator = await startEmulatorWith(undefined, { now: clock.now, auditDelayMs: 600_000, ...opts.emulator });
  const sent: SentRequest[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    sent.push({ method: init?.method ?? 'GET', path: url.pathname, body: typeof init?.body === 'string' ? init.body : undefined });
    return fetch(input, init);
  };
  const http = new WeChatHttp({
    apiBase: emulator.url,
    fetch: recordingFetch,
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
  const partial = {
    emulator,
    clock,
    component: new ComponentApi(http, emulator.platform.componentAppid),
    authorizer: new AuthorizerApi(http),
    sent,
    secret: emulator.platform.componentSecret,
    admin: async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<AdminAnswer> => {
      const answer = await admin(emulator, method, path, body);
      if (answer.status >= 300) throw new Error(`${method} ${path} → ${answer.status} ${answer.json.error ?? ''}`);
      return answer.json;
    },
    close: () => emulator.close(),
  };
  try {
    const componentToken = await issueComponentToken(partial);
    const tenant = await authorizeTenant({ ...partial, componentToken }, 0);
    return { ...partial, componentToken, tenant };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

/** Has the emulator issue (and push) a ticket, then exchanges it through the typed client. */
export async function issueComponentToken(s: Pick<ClientSession, 'emulator' | 'component' | 'secret'>): Promise<string> {
  const { ticket } = s.emulator.pushTicket();
  return (await s.component.componentToken(s.secret, ticket)).component_access_token;
}

/** Consent without the page (/__admin/authorize), then api_query_auth through the typed client. */
export async function authorizeTenant(
  s: Pick<ClientSession, 'emulator' | 'component' | 'componentToken' | 'admin'>,
  index: number,
): Promise<Tenant> {
  const mp = s.emulator.state.seeded[index];
  if (mp === undefined) throw new Error(`no seeded mini-program #${index}`);
  const code = await authCodeFor(s, mp.appid);
  const { authorization_info: info } = await s.component.queryAuth(s.componentToken, code);
  return { appid: info.authorizer_appid, accessToken: info.authorizer_access_token, refreshToken: info.authorizer_refresh_token };
}

export async function authCodeFor(s: Pick<ClientSession, 'admin'>, appid: string): Promise<string> {
  const { auth_code: code } = await s.admin('POST', '/__admin/authorize', { appid });
  if (typeof code !== 'string') throw new Error(`no auth_code for ${appid}`);
  return code;
}

// ---------- code management shortcuts ----------

/** The summary /__admin/state gives for one mini-program (the fields the suites read). */
export interface MiniProgramSummary {
  authorized: boolean;
  committed: { templateId: number; userVersion: string; userDesc: string } | null;
  audit: { auditid: number; status: number; underReview: boolean; userVersion: string; released: boolean } | null;
  released: { appVersion: number; userVersion: string } | null;
  visitStatus: 'open' | 'close';
  gray: { status: number; gray_percentage: number } | null;
}

export async function miniProgramState(s: ClientSession, appid = s.tenant.appid): Promise<MiniProgramSummary> {
  return (await s.admin('GET', `/__admin/state?appid=${appid}`)) as unknown as MiniProgramSummary;
}

/** A valid per-tenant ext_json for template 1 (a normal template). */
export function extJsonFor(appid: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ extEnable: true, extAppid: appid, ext: { tenant: appid }, ...extra });
}

export async function commitVersion(s: ClientSession, userVersion: string, extra: Record<string, unknown> = {}): Promise<void> {
  await s.authorizer.commit(s.tenant.accessToken, {
    template_id: 1,
    ext_json: extJsonFor(s.tenant.appid, extra),
    user_version: userVersion,
    user_desc: `release ${userVersion}`,
  });
}

export async function submitForAudit(s: ClientSession): Promise<number> {
  return (await s.authorizer.submitAudit(s.tenant.accessToken, { version_desc: 'automated deploy' })).auditid;
}

/** Decides the audit under review now (the default outcome approves). */
export async function finishAudit(s: ClientSession): Promise<void> {
  await s.admin('POST', '/__admin/finish-audit', { appid: s.tenant.appid });
}

/** commit → submit_audit → approval, leaving an approved, unreleased version. */
export async function approveVersion(s: ClientSession, userVersion: string): Promise<number> {
  await commitVersion(s, userVersion);
  const auditid = await submitForAudit(s);
  await finishAudit(s);
  return auditid;
}

export async function releaseVersion(s: ClientSession, userVersion: string): Promise<void> {
  await approveVersion(s, userVersion);
  await s.authorizer.release(s.tenant.accessToken);
}

export async function injectFault(s: ClientSession, rule: Record<string, unknown>): Promise<AdminAnswer> {
  return s.admin('POST', '/__admin/faults', rule);
}

// ---------- every method, called with well-formed arguments ----------

/**
 * One well-formed call of every ComponentApi method with the session's credentials. Used where
 * the failure comes before the handler looks at the arguments (faults, token checks).
 */
/** A well-formed enterprise fast registration (the emulator checks the code against its type). */
export const FAST_REGISTER_ENTERPRISE = {
  name: '示例餐饮管理有限公司',
  code: '91440101MA59PY8X4E',
  code_type: 1,
  legal_persona_wechat: 'zhang_san_88',
  legal_persona_name: '张三',
};

export const COMPONENT_CALLS: Record<ComponentMethod, (s: ClientSession) => Promise<unknown>> = {
  componentToken: (s) => s.component.componentToken(s.secret, s.emulator.pushTicket().ticket),
  startPushTicket: (s) => s.component.startPushTicket(s.secret),
  createPreAuthCode: (s) => s.component.createPreAuthCode(s.componentToken),
  queryAuth: (s) => s.component.queryAuth(s.componentToken, 'queryauthcode@@@never-issued'),
  authorizerToken: (s) => s.component.authorizerToken(s.componentToken, s.tenant.appid, s.tenant.refreshToken),
  getAuthorizerInfo: (s) => s.component.getAuthorizerInfo(s.componentToken, s.tenant.appid),
  getAuthorizerList: (s) => s.component.getAuthorizerList(s.componentToken, 0, 100),
  getTemplateDraftList: (s) => s.component.getTemplateDraftList(s.componentToken),
  addToTemplate: (s) => s.component.addToTemplate(s.componentToken, 3),
  getTemplateList: (s) => s.component.getTemplateList(s.componentToken),
  deleteTemplate: (s) => s.component.deleteTemplate(s.componentToken, 2),
  fastRegisterEnterprise: (s) => s.component.fastRegisterEnterprise(s.componentToken, 'create', FAST_REGISTER_ENTERPRISE),
  fastRegisterPersonal: (s) => s.component.fastRegisterPersonal(s.componentToken, 'create', { idname: '王五', wxuser: 'wang_wu_77' }),
  fastRegisterTrial: (s) => s.component.fastRegisterTrial(s.componentToken, { name: '王五的体验店铺', openid: 'oTrialFounder0000000000000001' }),
  jscode2session: (s) => s.component.jscode2session(s.componentToken, s.tenant.appid, 'never-issued-code'),
};

/** The component APIs that need no component token. */
export const TOKENLESS_COMPONENT_METHODS: readonly ComponentMethod[] = ['componentToken', 'startPushTicket'];

/** Component APIs that name an authorizer in their body, and so answer for its authorization. */
export const AUTHORIZER_NAMING_COMPONENT_METHODS: readonly ComponentMethod[] = ['authorizerToken', 'getAuthorizerInfo'];

/** One well-formed call of every AuthorizerApi method with `token`. */
export const AUTHORIZER_CALLS: Record<AuthorizerMethod, (api: AuthorizerApi, token: string, appid: string) => Promise<unknown>> = {
  commit: (api, token, appid) =>
    api.commit(token, { template_id: 1, ext_json: extJsonFor(appid), user_version: '1.0.0', user_desc: 'placeholder' }),
  getPage: (api, token) => api.getPage(token),
  getQrcode: (api, token) => api.getQrcode(token),
  getCategory: (api, token) => api.getCategory(token),
  submitAudit: (api, token) => api.submitAudit(token, {}),
  getAuditStatus: (api, token) => api.getAuditStatus(token, 420_000_001),
  getLatestAuditStatus: (api, token) => api.getLatestAuditStatus(token),
  undoCodeAudit: (api, token) => api.undoCodeAudit(token),
  release: (api, token) => api.release(token),
  getVersionInfo: (api, token) => api.getVersionInfo(token),
  revertCodeRelease: (api, token) => api.revertCodeRelease(token),
  getHistoryVersion: (api, token) => api.getHistoryVersion(token),
  grayRelease: (api, token) => api.grayRelease(token, { gray_percentage: 10 }),
  revertGrayRelease: (api, token) => api.revertGrayRelease(token),
  getGrayReleasePlan: (api, token) => api.getGrayReleasePlan(token),
  changeVisitStatus: (api, token) => api.changeVisitStatus(token, 'close'),
  queryQuota: (api, token) => api.queryQuota(token),
  speedupAudit: (api, token) => api.speedupAudit(token, 420_000_001),
  modifyDomain: (api, token) => api.modifyDomain(token, { action: 'get' }),
  setWebviewDomain: (api, token) => api.setWebviewDomain(token, { action: 'get' }),
  bindTester: (api, token) => api.bindTester(token, 'tester-wechat-id'),
  unbindTester: (api, token) => api.unbindTester(token, { wechatid: 'tester-wechat-id' }),
  memberAuth: (api, token) => api.memberAuth(token),
  sendCustomMessage: (api, token) =>
    api.sendCustomMessage(token, { touser: 'oUserOpenid000000000000000x', msgtype: 'text', text: { content: 'hello' } }),
  setPrivacySetting: (api, token) => api.setPrivacySetting(token, { owner_setting: { notice_method: '弹窗提示' } }),
  getPrivacySetting: (api, token) => api.getPrivacySetting(token),
  getIcpEntranceInfo: (api, token) => api.getIcpEntranceInfo(token),
  getAccountBasicInfo: (api, token) => api.getAccountBasicInfo(token),
  getCodePrivacyInfo: (api, token) => api.getCodePrivacyInfo(token),
  getPrivacyInterface: (api, token) => api.getPrivacyInterface(token),
  callForBackend: (api, token) => api.callForBackend(token, '/wxa/generate_urllink', { path: 'pages/index/index' }),
  uploadImage: (api, token) => api.uploadImage(token, TEST_IMAGE),
  modifyHeadImage: (api, token) => api.modifyHeadImage(token, 'media-never-issued', { x1: 0, y1: 0, x2: 1, y2: 1 }),
  modifySignature: (api, token) => api.modifySignature(token, '一家好店的小程序介绍'),
  checkNickname: (api, token) => api.checkNickname(token, '示例好店'),
  setNickname: (api, token) => api.setNickname(token, { nick_name: '示例好店' }),
  queryNickname: (api, token) => api.queryNickname(token, 1),
  getAllCategories: (api, token) => api.getAllCategories(token),
  getSettingCategories: (api, token) => api.getSettingCategories(token),
  addCategory: (api, token) => api.addCategory(token, { categories: [{ first: 220, second: 688, certicates: [] }] }),
  deleteCategory: (api, token) => api.deleteCategory(token, 287, 612),
};

/** A small real PNG (the emulator's avatar of a made-up appid), as media/upload takes it. */
export const TEST_IMAGE = { filename: 'avatar.png', contentType: 'image/png', bytes: avatarPng('wx00000000000000aa') };

export function callAsTenant(s: ClientSession, method: AuthorizerMethod): Promise<unknown> {
  return AUTHORIZER_CALLS[method](s.authorizer, s.tenant.accessToken, s.tenant.appid);
}

// ---------- asserting errors ----------

export interface ExpectedError {
  code: number;
  errorClass: WeChatErrorClass;
  network?: boolean;
}

/** The call must reject with a WeChatApiError of exactly this code, class and network flag. */
export async function expectWeChatError(call: Promise<unknown>, expected: ExpectedError): Promise<WeChatApiError> {
  const outcome: unknown = await call.then(
    (value) => ({ resolvedWith: value }),
    (error: unknown) => error,
  );
  expect(outcome, 'expected a WeChatApiError').toBeInstanceOf(WeChatApiError);
  const error = outcome as WeChatApiError;
  const network = expected.network ?? false;
  expect({ code: error.code, errorClass: error.errorClass, network: error.network }).toEqual({
    code: expected.code,
    errorClass: expected.errorClass,
    network,
  });
  // A WeChat answer (not a network failure) carries WeChat's request id at the end.
  if (!network) expect(error.errmsg).toMatch(RID_ERRMSG);
  return error;
}
