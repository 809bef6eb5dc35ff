/**
 * Fast registration APIs (component token): fastregisterweapp (enterprise, action create|search),
 * fastregisterpersonalweapp (personal, action create|query) and fastregisterbetaweapp (trial). A
 * created task waits for its confirmation (admin: registrations/confirm or /fail);
 * registrations.ts keeps the books and pushes the outcome.
 */
import type { EmulatorContext } from '../context';
import { ApiFailure, okBody } from '../errors';
import { WECHAT_ID, expireRegistrations, isPending, newTaskId, registrationState } from '../registrations';
import type { EnterpriseRequest, Registration } from '../registrations';
import type { ApiRoute } from './types';

/** A required field: missing or empty 89253 (lack of some params), not a string 47001. */
function required(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) throw new ApiFailure(89253, `${name} missing`);
  if (typeof value !== 'string') throw new ApiFailure(47001, `${name} must be a string`);
  return value.trim();
}

function optional(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ApiFailure(47001, `${name} must be a string`);
  return value.trim();
}

function action(query: URLSearchParams, allowed: readonly string[]): string {
  const value = query.get('action') ?? '';
  if (!allowed.includes(value)) throw new ApiFailure(-1, `action must be ${allowed.join(' or ')}`, 'invalid action');
  return value;
}

/** 1 unified social credit code (18), 2 organization code (xxxxxxxx-x), 3 business licence number (15 digits). */
const CODE_FORMATS: Record<1 | 2 | 3, RegExp> = {
  1: /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/,
  2: /^[0-9A-Z]{8}-[0-9X]$/,
  3: /^\d{15}$/,
};

function codeType(body: Record<string, unknown>): 1 | 2 | 3 {
  const raw = body.code_type;
  if (raw === undefined || raw === null || raw === '') throw new ApiFailure(89253, 'code_type missing');
  const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (value !== 1 && value !== 2 && value !== 3) throw new ApiFailure(89248, 'code_type must be 1, 2 or 3');
  return value;
}

/** The WeChat ID must exist (86004) and, when WeChat already knows its real name, carry it (61070). */
function checkWechatUser(ctx: EmulatorContext, wechat: string, field: string, realName: string, nameField: string): void {
  if (!WECHAT_ID.test(wechat)) throw new ApiFailure(86004, `${field} is not a WeChat ID (6-20 characters, a letter first, then letters, digits, _ or -)`);
  const known = ctx.state.wechatNames.get(wechat);
  if (known !== undefined && known !== realName) throw new ApiFailure(61070, `${nameField} is not the real name of ${field}`);
}

function authorizeUrl(ctx: EmulatorContext, taskId: string): string {
  return `${ctx.selfUrl?.() ?? ''}/__admin?registration=${encodeURIComponent(taskId)}`;
}

function pending<K extends Registration['kind']>(ctx: EmulatorContext, kind: K, match: (registration: Extract<Registration, { kind: K }>) => boolean): boolean {
  const now = ctx.now();
  return ctx.state.registrations.some(
    (registration) => registration.kind === kind && isPending(registration, now) && match(registration as Extract<Registration, { kind: K }>),
  );
}

function createEnterprise(body: Record<string, unknown>, ctx: EmulatorContext) {
  const name = required(body, 'name');
  const code = required(body, 'code');
  const type = codeType(body);
  const wechat = required(body, 'legal_persona_wechat');
  const legalName = required(body, 'legal_persona_name');
  const phone = optional(body, 'component_phone');
  if (!CODE_FORMATS[type].test(code.toUpperCase())) {
    throw new ApiFailure(89255, `code does not fit code_type ${type} (${type === 1 ? '18 characters' : type === 2 ? 'xxxxxxxx-x' : '15 digits'})`, 'enterprise code_invalid invalid');
  }
  checkWechatUser(ctx, wechat, 'legal_persona_wechat', legalName, 'legal_persona_name');
  if (pending(ctx, 'enterprise', (r) => r.request.name === name || r.request.code.toUpperCase() === code.toUpperCase())) {
    throw new ApiFailure(89249, `a registration of ${name} is waiting for its legal representative; try again 24 h after it started`);
  }
  const request: EnterpriseRequest = { name, code, code_type: type, legal_persona_wechat: wechat, legal_persona_name: legalName, component_phone: phone };
  ctx.state.registrations.push({ kind: 'enterprise', taskId: newTaskId('enterprise'), createdAt: ctx.now(), state: 'pending', request });
  ctx.state.wechatNames.set(wechat, legalName);
  return okBody();
}

/** The latest enterprise task of (name, legal_persona_wechat, legal_persona_name). */
function searchEnterprise(body: Record<string, unknown>, ctx: EmulatorContext) {
  const name = required(body, 'name');
  const wechat = required(body, 'legal_persona_wechat');
  const legalName = required(body, 'legal_persona_name');
  const task = ctx.state.registrations.findLast(
    (r) => r.kind === 'enterprise' && r.request.name === name && r.request.legal_persona_wechat === wechat && r.request.legal_persona_name === legalName,
  );
  if (task === undefined) throw new ApiFailure(89250);
  const state = registrationState(task, ctx.now());
  if (state === 'pending') throw new ApiFailure(89251, 'waiting for the legal representative to confirm in WeChat');
  if (state === 'confirmed') return okBody();
  // Over without a mini-program: no task is running any more.
  throw new ApiFailure(89250, state === 'expired' ? 'the task timed out (24 h)' : `the task failed: status ${task.failStatus} ${task.msg ?? ''}`.trim());
}

function createPersonal(body: Record<string, unknown>, ctx: EmulatorContext) {
  const idname = required(body, 'idname');
  const wxuser = required(body, 'wxuser');
  const phone = optional(body, 'component_phone');
  checkWechatUser(ctx, wxuser, 'wxuser', idname, 'idname');
  if (pending(ctx, 'personal', (r) => r.request.wxuser === wxuser)) {
    throw new ApiFailure(89249, `a registration of ${wxuser} is waiting for its confirmation; try again 24 h after it started`);
  }
  const taskId = newTaskId('personal');
  const url = authorizeUrl(ctx, taskId);
  ctx.state.registrations.push({ kind: 'personal', taskId, createdAt: ctx.now(), state: 'pending', request: { idname, wxuser, component_phone: phone }, authorizeUrl: url });
  ctx.state.wechatNames.set(wxuser, idname);
  return okBody({ taskid: taskId, authorize_url: url, status: 0 });
}

/** fastregisterpersonalweapp's status: 0 task created (waiting), 1 timed out, 12 created, else the failure status. */
function queryPersonal(body: Record<string, unknown>, ctx: EmulatorContext) {
  const taskId = required(body, 'taskid');
  const task = ctx.state.registration(taskId);
  if (task?.kind !== 'personal') throw new ApiFailure(89250);
  const state = registrationState(task, ctx.now());
  const status = state === 'pending' ? 0 : state === 'expired' ? 1 : state === 'confirmed' ? 12 : (task.failStatus ?? 11);
  return okBody({ taskid: task.taskId, status, authorize_url: task.authorizeUrl });
}

function createTrial(body: Record<string, unknown>, ctx: EmulatorContext) {
  const name = required(body, 'name');
  const openid = required(body, 'openid');
  if (!/^[A-Za-z0-9_-]{6,64}$/.test(openid)) throw new ApiFailure(40003, 'openid is not an openid');
  const length = [...name].length;
  if (length < 4 || length > 30) throw new ApiFailure(47001, `name must be 4-30 characters, not ${length}`);
  if (pending(ctx, 'trial', (r) => r.request.openid === openid)) {
    throw new ApiFailure(89249, 'a trial registration of this user is waiting for its confirmation; try again 24 h after it started');
  }
  const taskId = newTaskId('trial');
  const url = authorizeUrl(ctx, taskId);
  ctx.state.registrations.push({ kind: 'trial', taskId, createdAt: ctx.now(), state: 'pending', request: { name, openid }, authorizeUrl: url });
  return okBody({ unique_id: taskId, authorize_url: url });
}

export const registrationRoutes: ApiRoute[] = [
  {
    path: '/cgi-bin/component/fastregisterweapp',
    method: 'POST',
    auth: 'component',
    handle({ query, body }, ctx) {
      expireRegistrations(ctx);
      return action(query, ['create', 'search']) === 'create' ? createEnterprise(body, ctx) : searchEnterprise(body, ctx);
    },
  },
  {
    path: '/wxa/component/fastregisterpersonalweapp',
    method: 'POST',
    auth: 'component',
    handle({ query, body }, ctx) {
      expireRegistrations(ctx);
      return action(query, ['create', 'query']) === 'create' ? createPersonal(body, ctx) : queryPersonal(body, ctx);
    },
  },
  {
    path: '/wxa/component/fastregisterbetaweapp',
    method: 'POST',
    auth: 'component',
    handle({ body }, ctx) {
      expireRegistrations(ctx);
      return createTrial(body, ctx);
    },
  },
];
