/**
 * The emulator's in-memory model of WeChat: the platform's tickets and codes, the seeded
 * mini-programs with their authorization and code state, the template library, received customer
 * messages, the call log and fault rules. Route handlers validate; this module keeps the books.
 */
import { CallLog } from './calls';
import {
  DRAFT_SEEDS,
  FULL_NETWORK_TEST_MINI_PROGRAMS,
  FULL_NETWORK_TEST_OFFICIAL_ACCOUNTS,
  GRANTED_FUNC_SCOPES,
  TEMPLATE_SEEDS,
  TEMPLATE_SOURCE,
  gateSeed,
  seededProfile,
  templatePrivacySeed,
  testAccountProfile,
} from './fixtures';
import type { AuditCategory, GateSeed, MiniProgramProfile, PlatformCredentials } from './fixtures';
import { FaultBook } from './faults';
import { DEFAULT_ICP_AUDIT_DATA, LOCATION_API_NAMES, defaultPrivacyGuide } from './gates';
import type { IcpFiling, NicknameAudit, VerifyInfo } from './gates';
import type { ModifyCounts, UploadedHeadImage } from './basic-info';
import type { CategoryRequest } from './categories';
import type { MediaItem } from './media';
import type { AuditOutcome, EmulatorSettings } from './settings';
import { TokenStore, newSecretCode } from './tokens';
import { WX_LOGIN_CODE_TTL_SEC, newWxLoginCode, userOf } from './runtime';
import type { RuntimeRecords, WxLoginCode } from './runtime';
import type { Registration, RegistrationKind } from './registrations';
import type { TokenRecord } from './tokens';

/** 0 approved, 1 rejected, 2 under review, 3 withdrawn, 4 delayed. */
export type AuditStatus = 0 | 1 | 2 | 3 | 4;

export interface CodeVersion {
  templateId: number;
  extJson: string;
  userVersion: string;
  userDesc: string;
  /** Epoch seconds. */
  commitTime: number;
  pages: string[];
  /** The privacy APIs the committed code calls (from its template), `wx.` names. */
  privacyApis?: string[];
  /** Location APIs declared: the template's requiredPrivateInfos and the ext_json's, `wx.` names. */
  declaredPrivateInfos?: string[];
  /** Emulator clock (ms) when the code privacy scan ends; before it, 61039. */
  scanDoneAt?: number;
}

export interface Audit {
  auditid: number;
  status: AuditStatus;
  reason?: string;
  screenshot?: string;
  submitTime: number;
  version: CodeVersion;
  decidedAt?: number;
  released: boolean;
}

export interface ReleasedVersion {
  appVersion: number;
  userVersion: string;
  userDesc: string;
  commitTime: number;
  releaseTime: number;
  templateId: number;
}

export interface GrayPlan {
  /** WeChat's getgrayreleaseplan status: 0 initial, 1 running, 2 paused, 3 done, 4 deleted (cancelled). */
  status: number;
  create_timestamp: number;
  gray_percentage: number;
  support_debuger_first: boolean;
  support_experiencer_first: boolean;
}

export interface Authorization {
  refreshToken: string;
  /** Epoch seconds. */
  authTime: number;
  funcInfo: number[];
}

export interface ServerDomainLists {
  requestdomain: string[];
  wsrequestdomain: string[];
  uploaddomain: string[];
  downloaddomain: string[];
  udpdomain: string[];
  tcpdomain: string[];
}

export interface PrivacySetting {
  owner_setting: Record<string, unknown>;
  setting_list: { privacy_key: string; privacy_text: string }[];
  sdk_privacy_info_list: unknown[];
  update_time: number;
}

export interface OutcomeSetting {
  outcome: AuditOutcome;
  reason?: string;
}

/**
 * A platform-wide policy (admin: audit-outcome with `rejectPercent`): of the audits decided since
 * it was set, exactly `rejectPercent`% are rejected, deterministically — after n audits decided
 * under it, floor(n × rejectPercent / 100) of them (audits.ts `shareDecision`). An appid with its
 * own outcome, and an audit given its own decision, are outside it.
 */
export interface AuditRejectShare {
  /** 1-100 (0 turns the policy off: none is kept). */
  rejectPercent: number;
  /** The rejection reason given (or the default one). */
  reason: string;
  /** Audits decided under the policy so far, and how many of them it rejected. */
  decided: number;
  rejected: number;
  /** Emulator clock, epoch milliseconds, when it was set. */
  since: number;
}

export interface MiniProgram extends MiniProgramProfile {
  authorization: Authorization | undefined;
  revokedAt?: number;
  committed?: CodeVersion;
  /** Every audit ever submitted, latest last. */
  audits: Audit[];
  released?: ReleasedVersion;
  /**
   * The versions most recently put online, by release or by rollback, oldest first and the current
   * one last; at most MAX_KEPT_VERSIONS (revertcoderelease picks from here).
   */
  releaseHistory: ReleasedVersion[];
  /** The online version got there by revertcoderelease: no further rollback until the next release. */
  rolledBack: boolean;
  gray?: GrayPlan;
  visitStatus: 'open' | 'close';
  undoQuota: { day: string; dayCount: number; month: string; monthCount: number };
  domains: ServerDomainLists;
  webviewDomains: string[];
  /** wechatid → userstr. */
  testers: Map<string, string>;
  privacy: Partial<Record<1 | 2, PrivacySetting>>;
  /** Per-appid audit outcome set through the admin API. */
  outcome?: OutcomeSetting;
  /** ICP filing (备案): get_icp_entrance_info. */
  icp: IcpFiling;
  /** The mini-program's own categories (get_category); item_list must name one of them. */
  categories: AuditCategory[];
  /** Location-type privacy interfaces granted (get_privacy_interface status 5), `wx.` names. */
  grantedPrivacyApis: string[];
  /** 微信认证 (getaccountbasicinfo wx_verify_info). */
  verify: VerifyInfo;
  /** The latest rename under review or decided (setnickname with materials, or admin: nickname-audit). */
  nicknameAudit?: NicknameAudit;
  /** How often name, head image and signature were changed in their current period (basic-info.ts). */
  modifyCounts?: ModifyCounts;
  /** The head image modifyheadimage set (served at /__static/head/<appid>; mp.headImg is then UPLOADED_HEAD_IMG). */
  headImage?: UploadedHeadImage;
  /** Categories added by addcategory and not approved: under review (1) or rejected (2). Approved ones are in `categories`. */
  categoryRequests?: CategoryRequest[];
  /** Its users and what the runtime APIs did (runtime.ts); created on first use. */
  runtime?: RuntimeRecords;
  /** Created by a fast registration (registrations.ts): which one. */
  registration?: { taskId: string; kind: RegistrationKind };
}

/** Code uploaded from the developer tool, as the draft box and the template library list it. */
interface UploadedCode {
  user_version: string;
  user_desc: string;
  create_time: number;
  source_miniprogram_appid: string;
  source_miniprogram: string;
  developer: string;
  pages: string[];
}

/** What the uploaded code calls and declares (emulator bookkeeping, not in WeChat's answers). */
export interface CodePrivacy {
  /** Privacy APIs the code calls, e.g. ['wx.getLocation', 'wx.chooseImage']. */
  privacyApis: string[];
  /** Location APIs its app.json declares in requiredPrivateInfos, e.g. ['getLocation']. */
  requiredPrivateInfos: string[];
}

export interface Draft extends UploadedCode, CodePrivacy {
  draft_id: number;
}

export interface Template extends UploadedCode, CodePrivacy {
  template_id: number;
  template_type: 0 | 1;
}

export interface CustomMessage {
  time: number;
  appid: string;
  touser: string;
  msgtype: string;
  /** text.content for text messages. */
  content?: string;
  body: Record<string, unknown>;
}

export interface TicketRecord {
  value: string;
  createdAt: number;
}

export interface CodeRecord {
  createdAt: number;
  expiresAt: number;
  used: boolean;
}

export type AuthCodeRecord = CodeRecord & { appid: string };

export type CodeCheck = 'ok' | 'unknown' | 'used' | 'expired';

export interface PlatformQuota {
  month: string;
  limit: number;
  used: number;
  speedupLimit: number;
  speedupUsed: number;
}

const MAX_TICKETS_KEPT = 500;
/** WeChat keeps the 5 most recently released or rolled-back versions (docs/wechat-protocol.md §8). */
export const MAX_KEPT_VERSIONS = 5;

export class EmulatorState {
  readonly miniPrograms = new Map<string, MiniProgram>();
  /** The seeded (non-test) mini-programs in seed order. */
  readonly seeded: MiniProgram[] = [];
  readonly tokens: TokenStore;
  readonly calls: CallLog;
  readonly faults: FaultBook;
  readonly tickets: TicketRecord[] = [];
  readonly preAuthCodes = new Map<string, CodeRecord>();
  readonly authCodes = new Map<string, AuthCodeRecord>();
  /** wx.login codes (admin: wx-login), redeemed by sns/component/jscode2session. */
  readonly wxLoginCodes = new Map<string, WxLoginCode>();
  readonly templates: Template[] = [];
  readonly drafts: Draft[] = [];
  readonly messages: CustomMessage[] = [];
  /** Fast registrations of mini-programs (registrations.ts), oldest first. */
  readonly registrations: Registration[] = [];
  /** WeChat ID → the real name WeChat knows for it (learnt from the first registration naming it). */
  readonly wechatNames = new Map<string, string>();
  /** Temporary media by media_id (media.ts). */
  readonly media = new Map<string, MediaItem>();
  auditOutcome: OutcomeSetting;
  /** Rejects a share of the audits decided from when it was set; undefined: off. */
  auditRejectShare: AuditRejectShare | undefined = undefined;
  quota: PlatformQuota;
  /** The next auditid, app_version and rename audit_id handed out (kept in the state file). */
  readonly sequence = { nextAuditId: 420_000_001, nextAppVersion: 1, nextMsgId: 7_000_000_000_000_001, nextNicknameAuditId: 1_000_000_001 };

  constructor(
    readonly platform: PlatformCredentials,
    readonly settings: EmulatorSettings,
    readonly now: () => number,
  ) {
    this.tokens = new TokenStore(now, () => this.settings.tokenGraceSec * 1000);
    this.calls = new CallLog(now);
    this.faults = new FaultBook(now);
    this.auditOutcome = { outcome: settings.auditOutcome };
    this.quota = {
      month: monthKey(now()),
      limit: settings.auditQuota,
      used: 0,
      speedupLimit: settings.speedupQuota,
      speedupUsed: 0,
    };
    for (let i = 0; i < settings.miniPrograms; i++) {
      const mp = newMiniProgram(seededProfile(i), gateSeed(settings.fleet, i), this.nowSec());
      this.miniPrograms.set(mp.appid, mp);
      this.seeded.push(mp);
    }
    for (const appid of [...FULL_NETWORK_TEST_MINI_PROGRAMS, ...FULL_NETWORK_TEST_OFFICIAL_ACCOUNTS]) {
      this.miniPrograms.set(appid, newMiniProgram(testAccountProfile(appid), gateSeed('ready', 0), this.nowSec()));
    }
    this.seedTemplateLibrary();
  }

  nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  get(appid: string): MiniProgram | undefined {
    return this.miniPrograms.get(appid);
  }

  // ---- component_verify_ticket ----

  issueTicket(): TicketRecord {
    const ticket = { value: newSecretCode('ticket'), createdAt: this.now() };
    this.tickets.push(ticket);
    if (this.tickets.length > MAX_TICKETS_KEPT) this.tickets.splice(0, this.tickets.length - MAX_TICKETS_KEPT);
    return ticket;
  }

  latestTicket(): TicketRecord | undefined {
    return this.tickets.at(-1);
  }

  /** 0 when the ticket is one we pushed and still valid; 61005 expired; 61006 unknown. */
  checkTicket(value: string): 0 | 61005 | 61006 {
    const ticket = this.tickets.find((t) => t.value === value);
    if (ticket === undefined) return 61006;
    return this.now() - ticket.createdAt >= this.settings.ticketTtlSec * 1000 ? 61005 : 0;
  }

  // ---- pre_auth_code and authorization code ----

  createPreAuthCode(): { code: string; expiresIn: number } {
    const code = newSecretCode('preauthcode');
    const now = this.now();
    this.preAuthCodes.set(code, { createdAt: now, expiresAt: now + this.settings.preAuthCodeTtlSec * 1000, used: false });
    return { code, expiresIn: this.settings.preAuthCodeTtlSec };
  }

  checkPreAuthCode(code: string): CodeCheck {
    return checkCode(this.preAuthCodes.get(code), this.now());
  }

  usePreAuthCode(code: string): void {
    const record = this.preAuthCodes.get(code);
    if (record !== undefined) record.used = true;
  }

  createAuthCode(appid: string): { code: string; expiresAt: number } {
    const code = newSecretCode('queryauthcode');
    const now = this.now();
    const expiresAt = now + this.settings.authCodeTtlSec * 1000;
    this.authCodes.set(code, { appid, createdAt: now, expiresAt, used: false });
    return { code, expiresAt };
  }

  /** Marks the code used and returns its appid, or says why it cannot be redeemed. */
  redeemAuthCode(code: string): { appid: string } | { error: Exclude<CodeCheck, 'ok'> } {
    const record = this.authCodes.get(code);
    const check = checkCode(record, this.now());
    if (check !== 'ok' || record === undefined) return { error: check === 'ok' ? 'unknown' : check };
    record.used = true;
    return { appid: record.appid };
  }

  // ---- wx.login codes ----

  /** As if a user opened the mini-program and it called wx.login. */
  issueWxLoginCode(mp: MiniProgram, openid?: string): { code: string; openid: string; expiresAt: number } {
    const user = userOf(mp, openid);
    const code = newWxLoginCode();
    const now = this.now();
    const expiresAt = now + WX_LOGIN_CODE_TTL_SEC * 1000;
    this.wxLoginCodes.set(code, { appid: mp.appid, openid: user, createdAt: now, expiresAt, used: false });
    return { code, openid: user, expiresAt };
  }

  /** Marks the code used and returns its user; 40029 unknown, expired or another appid's; 40163 used. */
  redeemWxLoginCode(code: string, appid: string): { openid: string } | { errcode: 40029 | 40163 } {
    const record = this.wxLoginCodes.get(code);
    if (record === undefined || record.appid !== appid) return { errcode: 40029 };
    if (record.used) return { errcode: 40163 };
    if (this.now() >= record.expiresAt) return { errcode: 40029 };
    record.used = true;
    return { openid: record.openid };
  }

  // ---- fast registration ----

  registration(taskId: string): Registration | undefined {
    return this.registrations.find((registration) => registration.taskId === taskId);
  }

  /** The mini-programs fast registration created, oldest first. */
  registeredMiniPrograms(): MiniProgram[] {
    const list: MiniProgram[] = [];
    for (const mp of this.miniPrograms.values()) if (mp.registration !== undefined) list.push(mp);
    return list;
  }

  // ---- authorization ----

  /** The mini-programs a person may pick on the consent page. */
  consentChoices(): MiniProgram[] {
    return this.seeded;
  }

  /** Grants (or refreshes) the platform's authorization for `appid`. */
  authorize(mp: MiniProgram): { wasAuthorized: boolean } {
    const wasAuthorized = mp.authorization !== undefined;
    mp.authorization = {
      // Re-authorizing keeps the refresh token; a fresh authorization gets a new one.
      refreshToken: mp.authorization?.refreshToken ?? newSecretCode('refreshtoken'),
      authTime: this.nowSec(),
      funcInfo: [...GRANTED_FUNC_SCOPES],
    };
    delete mp.revokedAt;
    return { wasAuthorized };
  }

  /** Its tokens answer 61003 while revoked, and stay dead (40001) after a re-authorization. */
  revoke(mp: MiniProgram): void {
    mp.authorization = undefined;
    mp.revokedAt = this.now();
    this.tokens.invalidate('authorizer', mp.appid);
  }

  rotateRefreshToken(mp: MiniProgram): string {
    if (mp.authorization === undefined) throw new Error(`${mp.appid} is not authorized`);
    mp.authorization.refreshToken = newSecretCode('refreshtoken');
    return mp.authorization.refreshToken;
  }

  authorizedMiniPrograms(): MiniProgram[] {
    const list: MiniProgram[] = [];
    for (const mp of this.miniPrograms.values()) if (mp.authorization !== undefined) list.push(mp);
    return list.sort((a, b) => (a.authorization?.authTime ?? 0) - (b.authorization?.authTime ?? 0));
  }

  issueComponentToken(): TokenRecord {
    return this.tokens.issue('component', undefined, this.settings.componentTokenTtlSec);
  }

  issueAuthorizerToken(appid: string): TokenRecord {
    return this.tokens.issue('authorizer', appid, this.settings.authorizerTokenTtlSec);
  }

  // ---- code management helpers ----

  latestAudit(mp: MiniProgram): Audit | undefined {
    return mp.audits.at(-1);
  }

  newAudit(mp: MiniProgram, version: CodeVersion): Audit {
    const audit: Audit = { auditid: this.sequence.nextAuditId++, status: 2, submitTime: this.nowSec(), version, released: false };
    mp.audits.push(audit);
    return audit;
  }

  release(mp: MiniProgram, audit: Audit): ReleasedVersion {
    const released: ReleasedVersion = {
      appVersion: this.sequence.nextAppVersion++,
      userVersion: audit.version.userVersion,
      userDesc: audit.version.userDesc,
      commitTime: audit.version.commitTime,
      releaseTime: this.nowSec(),
      templateId: audit.version.templateId,
    };
    audit.released = true;
    this.putOnline(mp, released);
    mp.rolledBack = false;
    return released;
  }

  /** revertcoderelease to `version`, one of the kept versions. */
  rollBack(mp: MiniProgram, version: ReleasedVersion): void {
    this.putOnline(mp, version);
    mp.rolledBack = true;
  }

  private putOnline(mp: MiniProgram, version: ReleasedVersion): void {
    mp.released = version;
    const history = mp.releaseHistory.filter((kept) => kept !== version);
    history.push(version);
    mp.releaseHistory = history.slice(-MAX_KEPT_VERSIONS);
  }

  /** Resets the platform quota at the start of each (emulated) month. */
  currentQuota(): PlatformQuota {
    const month = monthKey(this.now());
    if (month !== this.quota.month) Object.assign(this.quota, { month, used: 0, speedupUsed: 0 });
    return this.quota;
  }

  outcomeFor(mp: MiniProgram): OutcomeSetting {
    return mp.outcome ?? this.auditOutcome;
  }

  // ---- template library ----

  template(templateId: number): Template | undefined {
    return this.templates.find((t) => t.template_id === templateId);
  }

  addTemplateFromDraft(draft: Draft, templateType: 0 | 1): Template {
    const templateId = Math.max(0, ...this.templates.map((t) => t.template_id)) + 1;
    const template: Template = {
      template_id: templateId,
      template_type: templateType,
      user_version: draft.user_version,
      user_desc: draft.user_desc,
      create_time: this.nowSec(),
      source_miniprogram_appid: draft.source_miniprogram_appid,
      source_miniprogram: draft.source_miniprogram,
      developer: draft.developer,
      pages: [...draft.pages],
      ...copyPrivacy(draft),
    };
    this.templates.push(template);
    return template;
  }

  private seedTemplateLibrary(): void {
    const dayMs = 86_400_000;
    const seconds = (ageDays: number) => Math.floor((this.now() - ageDays * dayMs) / 1000);
    const source = {
      source_miniprogram_appid: TEMPLATE_SOURCE.appid,
      source_miniprogram: TEMPLATE_SOURCE.nickName,
      developer: 'emulator',
    };
    for (const seed of DRAFT_SEEDS) {
      this.drafts.push({
        draft_id: seed.draftId,
        user_version: seed.userVersion,
        user_desc: seed.userDesc,
        create_time: seconds(seed.ageDays),
        ...source,
        pages: [...seed.pages],
        ...copyPrivacy(templatePrivacySeed(this.settings.fleet, 'draft', seed.draftId)),
      });
    }
    for (const seed of TEMPLATE_SEEDS) {
      this.templates.push({
        template_id: seed.templateId,
        template_type: seed.templateType,
        user_version: seed.userVersion,
        user_desc: seed.userDesc,
        create_time: seconds(seed.ageDays),
        ...source,
        pages: [...seed.pages],
        ...copyPrivacy(templatePrivacySeed(this.settings.fleet, 'template', seed.templateId)),
      });
    }
  }
}

function copyPrivacy(seed: CodePrivacy): CodePrivacy {
  return { privacyApis: [...seed.privacyApis], requiredPrivateInfos: [...seed.requiredPrivateInfos] };
}

/** The release-gate fields of a fresh mini-program (also what a state file from before them gets). */
export function gateFields(gates: GateSeed, nowSec: number): Pick<MiniProgram, 'icp' | 'categories' | 'grantedPrivacyApis' | 'verify' | 'privacy'> {
  return {
    icp: { status: gates.icpStatus, auditData: gates.icpRejected ? DEFAULT_ICP_AUDIT_DATA.map((item) => ({ ...item })) : [] },
    categories: gates.categories.map((category) => ({ ...category })),
    grantedPrivacyApis: [...LOCATION_API_NAMES],
    verify: { qualification: true, naming: true, annualReview: true, annualReviewBegin: nowSec - 30 * 86_400, annualReviewEnd: nowSec + 335 * 86_400 },
    privacy: gates.privacyGuide ? { 2: defaultPrivacyGuide(nowSec) } : {},
  };
}

export function newMiniProgram(profile: MiniProgramProfile, gates: GateSeed, nowSec: number): MiniProgram {
  return {
    ...profile,
    ...(gates.completeBasicInfo ? {} : { signature: '' }),
    authorization: undefined,
    audits: [],
    releaseHistory: [],
    rolledBack: false,
    visitStatus: 'open',
    undoQuota: { day: '', dayCount: 0, month: '', monthCount: 0 },
    domains: { requestdomain: [], wsrequestdomain: [], uploaddomain: [], downloaddomain: [], udpdomain: [], tcpdomain: [] },
    webviewDomains: [],
    testers: new Map(),
    ...gateFields(gates, nowSec),
  };
}

function checkCode(record: CodeRecord | undefined, now: number): CodeCheck {
  if (record === undefined) return 'unknown';
  if (record.used) return 'used';
  return now >= record.expiresAt ? 'expired' : 'ok';
}

/** Quotas reset on calendar boundaries in China Standard Time, like WeChat's. */
export function monthKey(nowMs: number): string {
  return new Date(nowMs + 8 * 3600_000).toISOString().slice(0, 7);
}

export function dayKey(nowMs: number): string {
  return new Date(nowMs + 8 * 3600_000).toISOString().slice(0, 10);
}
