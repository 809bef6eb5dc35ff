/**
 * Fast registration of mini-programs for the platform (快速注册): an enterprise one
 * (fastregisterweapp), a personal one (fastregisterpersonalweapp) and a trial one
 * (fastregisterbetaweapp). A registration waits for the person it names (the legal
 * representative, the user, the trial's founder) to confirm in WeChat — the admin API stands in for
 * them — and then either creates a new mini-program, already authorized to the platform, or fails;
 * both outcomes are pushed to the authorization-event URL, sealed like every component push.
 *
 * The model: WeChat knows each WeChat ID's real name (the name of its bound bank card). The emulator
 * learns it the first time a registration names the WeChat ID, and from then on refuses another name
 * for it (61070), as WeChat would.
 */
import { randomBytes } from 'node:crypto';
import type { EmulatorContext } from './context';
import type { PushResult } from './pushes';
import { newMiniProgram } from './state';
import type { MiniProgram } from './state';

export type RegistrationKind = 'enterprise' | 'personal' | 'trial';
export const REGISTRATION_KINDS: readonly RegistrationKind[] = ['enterprise', 'personal', 'trial'];

/** How long a registration waits for its confirmation; meanwhile the same subject cannot start another (89249). */
export const REGISTRATION_TTL_MS = 24 * 3600_000;

export interface EnterpriseRequest {
  name: string;
  code: string;
  code_type: 1 | 2 | 3;
  legal_persona_wechat: string;
  legal_persona_name: string;
  component_phone: string;
}

export interface PersonalRequest {
  idname: string;
  wxuser: string;
  component_phone: string;
}

export interface TrialRequest {
  name: string;
  openid: string;
}

interface RegistrationBase {
  /**
   * The emulator's identifier of the task, also WeChat's where WeChat hands one out: the personal
   * task's `taskid`, the trial's `unique_id`; an enterprise task gets one only the emulator shows.
   */
  taskId: string;
  /** Emulator clock, epoch milliseconds. */
  createdAt: number;
  state: 'pending' | 'confirmed' | 'failed';
  endedAt?: number;
  /** The new mini-program, once confirmed. */
  appid?: string;
  /** The status pushed when it failed (WeChat's failure status), and its msg. */
  failStatus?: number;
  msg?: string;
}

export type Registration =
  | (RegistrationBase & { kind: 'enterprise'; request: EnterpriseRequest })
  | (RegistrationBase & { kind: 'personal'; request: PersonalRequest; authorizeUrl: string })
  | (RegistrationBase & { kind: 'trial'; request: TrialRequest; authorizeUrl: string });

/** Failure statuses WeChat pushes for an enterprise registration, with their msg. */
export const ENTERPRISE_FAIL_STATUSES: Readonly<Record<number, string>> = {
  [-1]: 'check legal persona and enterprise fail',
  100001: 'legal persona did not confirm in 24h, id card not verified',
  100002: 'legal persona did not confirm in 24h, face not verified',
  100003: 'legal persona did not confirm in 24h',
  101: 'enterprise deregistered',
  102: 'legal persona name not in accordance',
  103: 'legal persona id card not in accordance',
  104: 'enterprise name not in accordance',
  ...quotaStatuses(),
};

/** Failure statuses of a personal registration (fastregisterpersonalweapp's status enum), with their msg. */
export const PERSONAL_FAIL_STATUSES: Readonly<Record<number, string>> = {
  1: 'task timeout',
  2: 'task rejected by user',
  5: 'face verification failed',
  8: 'phone verification failed',
  11: 'create failed',
  14: 'verification failed',
  ...quotaStatuses(),
};

/** WeChat documents no list for the trial's failure: any non-zero status is accepted. */
export const TRIAL_DEFAULT_FAIL = { status: -1, msg: 'create beta weapp failed' };

function quotaStatuses(): Record<number, string> {
  return {
    1001: 'principal reached the mini-program limit',
    1002: 'principal blacklisted',
    1003: 'admin reached the account limit',
    1004: 'admin blacklisted',
    1005: 'admin phone reached the account limit',
    1006: 'admin phone blacklisted',
    1007: 'admin id card reached the account limit',
    1008: 'admin id card blacklisted',
  };
}

export function failStatuses(kind: RegistrationKind): Readonly<Record<number, string>> | undefined {
  if (kind === 'enterprise') return ENTERPRISE_FAIL_STATUSES;
  if (kind === 'personal') return PERSONAL_FAIL_STATUSES;
  return undefined;
}

/** WeChat IDs: 6-20 characters, a letter first, then letters, digits, `_` and `-`. */
export const WECHAT_ID = /^[A-Za-z][-_A-Za-z0-9]{5,19}$/;

export function newTaskId(kind: RegistrationKind): string {
  // The trial's unique_id is long (64 characters in WeChat's example); the personal taskid short.
  if (kind === 'trial') return randomBytes(48).toString('base64url');
  return randomBytes(8).toString('hex');
}

/** Still waiting for its confirmation (not past 24 h). */
export function isPending(registration: Registration, nowMs: number): boolean {
  return registration.state === 'pending' && nowMs - registration.createdAt < REGISTRATION_TTL_MS;
}

/** pending, confirmed, failed, or expired (pending for longer than 24 h, no longer blocking anything). */
export function registrationState(registration: Registration, nowMs: number): Registration['state'] | 'expired' {
  if (registration.state === 'pending' && !isPending(registration, nowMs)) return 'expired';
  return registration.state;
}

/** The push's <info> block: the request as WeChat echoes it. */
export function infoBlock(registration: Registration): Record<string, string> {
  switch (registration.kind) {
    case 'enterprise': {
      const r = registration.request;
      return {
        name: r.name,
        code: r.code,
        code_type: String(r.code_type),
        legal_persona_wechat: r.legal_persona_wechat,
        legal_persona_name: r.legal_persona_name,
        component_phone: r.component_phone,
      };
    }
    case 'personal': {
      const r = registration.request;
      return { wxuser: r.wxuser, idname: r.idname, component_phone: r.component_phone, taskid: registration.taskId };
    }
    case 'trial':
      return { unique_id: registration.taskId, name: registration.request.name };
  }
}

export function infoTypeOf(kind: RegistrationKind): string {
  return kind === 'trial' ? 'notify_third_fastregisterbetaapp' : 'notify_third_fasteregister';
}

/** The subject whose new mini-program it would be (the principal name). */
function principalOf(registration: Registration): string {
  if (registration.kind === 'enterprise') return registration.request.name;
  if (registration.kind === 'personal') return registration.request.idname;
  return '个人';
}

function freshAppid(ctx: EmulatorContext): string {
  for (;;) {
    const appid = `wx${randomBytes(8).toString('hex')}`;
    if (ctx.state.get(appid) === undefined) return appid;
  }
}

/**
 * A new mini-program as fast registration creates it: the subject as principal, nothing else set —
 * no avatar, introduction or category, not ICP-filed, no privacy guide, no location interface,
 * not verified (微信认证: new accounts start unverified since 25 Dec 2023). A trial's nickname is
 * its name with WeChat's forced suffix 的体验小程序; the others have none yet.
 */
export function registeredMiniProgram(ctx: EmulatorContext, registration: Registration): MiniProgram {
  const appid = freshAppid(ctx);
  const nowSec = ctx.state.nowSec();
  const mp = newMiniProgram(
    {
      appid,
      userName: `gh_${randomBytes(6).toString('hex')}`,
      nickName: registration.kind === 'trial' ? `${registration.request.name}的体验小程序` : '',
      nickNameEn: '',
      principalName: principalOf(registration),
      headImg: '',
      signature: '',
      testAccount: false,
    },
    { icpStatus: 1024, icpRejected: false, privacyGuide: false, completeBasicInfo: false, categories: [] },
    nowSec,
  );
  mp.grantedPrivacyApis = [];
  mp.verify = { qualification: false, naming: false, annualReview: false };
  mp.registration = { taskId: registration.taskId, kind: registration.kind };
  return mp;
}

export interface Confirmation {
  registration: Registration;
  mp: MiniProgram;
  authCode: string;
  delivery: Promise<PushResult>;
}

/**
 * The person confirmed: the mini-program is created and authorized to the platform, and the push
 * carries an authorization code api_query_auth redeems like any other (single use, same lifetime).
 * Enterprise and personal: notify_third_fasteregister with appid, status 0, auth_code, msg, info.
 * Trial: notify_third_fastregisterbetaapp with appid, status 0, msg, info {unique_id, name}, then
 * the `authorized` push with the code, as WeChat's trial flow documents.
 */
export function confirmRegistration(ctx: EmulatorContext, registration: Registration): Confirmation {
  const mp = registeredMiniProgram(ctx, registration);
  ctx.state.miniPrograms.set(mp.appid, mp);
  ctx.state.authorize(mp);
  const { code, expiresAt } = ctx.state.createAuthCode(mp.appid);
  registration.state = 'confirmed';
  registration.endedAt = ctx.now();
  registration.appid = mp.appid;
  ctx.log(`fast registration ${registration.taskId} (${registration.kind}) confirmed: ${mp.appid}`);
  const info = infoBlock(registration);
  let delivery: Promise<PushResult>;
  if (registration.kind === 'trial') {
    const created = ctx.pushes.componentEvent(infoTypeOf('trial'), { appid: mp.appid, status: 0, msg: 'OK', info });
    // Sent once the creation notice is settled, so the platform hears of the appid first.
    delivery = created.then(() =>
      ctx.pushes.componentEvent('authorized', {
        AuthorizerAppid: mp.appid,
        AuthorizationCode: code,
        AuthorizationCodeExpiredTime: Math.floor(expiresAt / 1000),
      }),
    );
  } else {
    delivery = ctx.pushes.componentEvent(infoTypeOf(registration.kind), { appid: mp.appid, status: 0, auth_code: code, msg: 'OK', info });
  }
  return { registration, mp, authCode: code, delivery };
}

/** The registration failed with WeChat's `status`: pushed without appid or auth_code. */
export function failRegistration(ctx: EmulatorContext, registration: Registration, status: number, msg: string): Promise<PushResult> {
  registration.state = 'failed';
  registration.endedAt = ctx.now();
  registration.failStatus = status;
  registration.msg = msg;
  ctx.log(`fast registration ${registration.taskId} (${registration.kind}) failed: ${status} ${msg}`);
  return ctx.pushes.componentEvent(infoTypeOf(registration.kind), { status, msg, info: infoBlock(registration) });
}

/** The status WeChat pushes when nobody confirmed within 24 h. */
export const TIMEOUT_STATUS: Record<RegistrationKind, number> = { enterprise: 100003, personal: 1, trial: -1 };
const TIMEOUT_MSG = 'not confirmed within 24h';

/**
 * Fails, with WeChat's timeout status and its push, every registration still pending 24 h after it
 * was created. Run every minute, at start, and before any fast-registration API or admin route reads
 * them, so nobody sees a registration pending past its time. Returns how many it failed.
 */
export function expireRegistrations(ctx: EmulatorContext): number {
  const now = ctx.now();
  let count = 0;
  for (const registration of ctx.state.registrations) {
    if (registration.state !== 'pending' || isPending(registration, now)) continue;
    const status = TIMEOUT_STATUS[registration.kind];
    void failRegistration(ctx, registration, status, failStatuses(registration.kind)?.[status] ?? TIMEOUT_MSG);
    count++;
  }
  return count;
}

/** What the admin API and the dashboard show of a registration. */
export function summarizeRegistration(registration: Registration, nowMs: number) {
  return {
    taskId: registration.taskId,
    kind: registration.kind,
    state: registrationState(registration, nowMs),
    createdAt: registration.createdAt,
    ...(registration.endedAt === undefined ? {} : { endedAt: registration.endedAt }),
    request: registration.request,
    ...('authorizeUrl' in registration ? { authorizeUrl: registration.authorizeUrl } : {}),
    ...(registration.appid === undefined ? {} : { appid: registration.appid }),
    ...(registration.failStatus === undefined ? {} : { failStatus: registration.failStatus, msg: registration.msg }),
  };
}
