/**
 * Admin routes of fast registration: list the registrations, and stand in for the person a pending
 * one waits for — confirm it (a new mini-program, authorized, pushed with its authorization code)
 * or fail it with one of WeChat's failure statuses (pushed without appid or code).
 */
import { AdminError, optionalText } from './admin-input';
import type { Body } from './admin-input';
import type { EmulatorContext } from './context';
import {
  REGISTRATION_KINDS,
  TRIAL_DEFAULT_FAIL,
  confirmRegistration,
  expireRegistrations,
  failRegistration,
  failStatuses,
  registrationState,
  summarizeRegistration,
} from './registrations';
import type { Registration, RegistrationKind } from './registrations';

type Handler = (input: { ctx: EmulatorContext; url: URL; body: Body }) => unknown;

/** When `status` is left out: the legal representative never confirmed, the user refused, the trial failed. */
const DEFAULT_FAIL_STATUS: Record<RegistrationKind, number> = { enterprise: 100003, personal: 2, trial: TRIAL_DEFAULT_FAIL.status };

/**
 * The registration named by `taskId` (any kind: the personal taskid, the trial's unique_id, or the
 * id GET /__admin/registrations shows for an enterprise one), or by `name` + `legal_persona_wechat`
 * (the latest enterprise one of that subject and legal representative). It must still be pending.
 */
function pendingRegistration(ctx: EmulatorContext, body: Body): Registration {
  expireRegistrations(ctx);
  const taskId = optionalText(body, 'taskId');
  const name = optionalText(body, 'name');
  const wechat = optionalText(body, 'legal_persona_wechat');
  let registration: Registration | undefined;
  if (taskId !== undefined && taskId !== '') {
    registration = ctx.state.registration(taskId);
    if (registration === undefined) throw new AdminError(404, `no registration ${taskId}`);
  } else if (name && wechat) {
    registration = ctx.state.registrations.findLast((r) => r.kind === 'enterprise' && r.request.name === name && r.request.legal_persona_wechat === wechat);
    if (registration === undefined) throw new AdminError(404, `no enterprise registration of ${name} with legal_persona_wechat ${wechat}`);
  } else {
    throw new AdminError(400, 'taskId, or name and legal_persona_wechat (enterprise), is required');
  }
  const state = registrationState(registration, ctx.now());
  if (state !== 'pending') throw new AdminError(409, `registration ${registration.taskId} is ${state}, not pending`);
  return registration;
}

function failStatus(registration: Registration, body: Body): { status: number; msg: string } {
  const raw = body.status ?? DEFAULT_FAIL_STATUS[registration.kind];
  const status = typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
  const allowed = failStatuses(registration.kind);
  if (typeof status !== 'number' || !Number.isInteger(status) || status === 0 || (allowed !== undefined && !(status in allowed))) {
    const list = allowed === undefined ? 'a non-zero integer' : `one of ${Object.keys(allowed).join(', ')}`;
    throw new AdminError(400, `status must be ${list} for a ${registration.kind} registration, not ${JSON.stringify(raw)}`);
  }
  const msg = optionalText(body, 'msg')?.trim();
  return { status, msg: msg || (allowed?.[status] ?? TRIAL_DEFAULT_FAIL.msg) };
}

export const REGISTRATION_ROUTES: Record<string, Handler> = {
  'GET /__admin/registrations': ({ ctx, url }) => {
    expireRegistrations(ctx);
    const kind = url.searchParams.get('kind');
    const state = url.searchParams.get('state');
    if (kind !== null && !(REGISTRATION_KINDS as readonly string[]).includes(kind)) throw new AdminError(400, `kind must be one of ${REGISTRATION_KINDS.join(', ')}`);
    const now = ctx.now();
    const registrations = ctx.state.registrations
      .filter((r) => kind === null || r.kind === kind)
      .map((r) => summarizeRegistration(r, now))
      .filter((r) => state === null || r.state === state);
    return { registrations };
  },
  'POST /__admin/registrations/confirm': ({ ctx, body }) => {
    const registration = pendingRegistration(ctx, body);
    const { mp, authCode } = confirmRegistration(ctx, registration);
    return {
      ok: true,
      taskId: registration.taskId,
      kind: registration.kind,
      appid: mp.appid,
      auth_code: authCode,
      expires_in: ctx.settings.authCodeTtlSec,
    };
  },
  'POST /__admin/registrations/fail': ({ ctx, body }) => {
    const registration = pendingRegistration(ctx, body);
    const { status, msg } = failStatus(registration, body);
    void failRegistration(ctx, registration, status, msg);
    return { ok: true, taskId: registration.taskId, kind: registration.kind, status, msg };
  },
};
