/**
 * The emulator's control surface under /__admin (JSON in, JSON out, 400 with `{error}` for bad
 * input): inspect state and the call log, inject faults, push a ticket, authorize or revoke a
 * mini-program, invalidate tokens, steer and finish audits, run the full-network check.
 */
import type { ServerResponse } from 'node:http';
import { GATE_ROUTES } from './admin-gates';
import { AdminError, knownMiniProgram, optionalText } from './admin-input';
import { REGISTRATION_ROUTES } from './admin-registrations';
import { RUNTIME_ROUTES } from './admin-runtime';
import type { Body } from './admin-input';
import { DEFAULT_SHARE_REJECT_REASON } from './audits';
import type { CallFilter } from './calls';
import type { EmulatorContext } from './context';
import { renderDashboard } from './dashboard';
import { FaultInputError, parseFaultInput } from './faults';
import { FULL_NETWORK_CASES, isFullNetworkTestAppid, runFullNetworkTest } from './full-network';
import type { FullNetworkCase, FullNetworkOptions } from './full-network';
import { sendHtml, sendJson } from './http-io';
import { expireRegistrations, summarizeRegistration } from './registrations';
import { runtimeDetail, summarizeMiniProgram } from './summary';
import { grantAuthorization, pushNewTicket, revokeAuthorization } from './platform-events';
import type { PushTargets } from './pushes';
import { AUDIT_OUTCOMES } from './settings';
import type { AuditOutcome } from './settings';
import type { AuditRejectShare, MiniProgram } from './state';

export interface AdminHooks {
  setPushTargets: (targets: PushTargets) => void;
  url: () => string;
}

type Handler = (input: { ctx: EmulatorContext; url: URL; body: Body; hooks: AdminHooks; id?: string }) => unknown;

const ROUTES: Record<string, Handler> = {
  'GET /__admin/state': ({ ctx, url, hooks }) => stateSnapshot(ctx, hooks, url.searchParams.get('appid') ?? undefined),
  'GET /__admin/calls': ({ ctx, url }) => ({ calls: ctx.state.calls.list(callFilter(url.searchParams)) }),
  'DELETE /__admin/calls': ({ ctx }) => {
    ctx.state.calls.clear();
    return { ok: true };
  },
  'GET /__admin/messages': ({ ctx, url }) => {
    const appid = url.searchParams.get('appid');
    return { messages: ctx.state.messages.filter((m) => appid === null || m.appid === appid) };
  },
  'GET /__admin/faults': ({ ctx }) => ({ faults: ctx.state.faults.list() }),
  'POST /__admin/faults': ({ ctx, body }) => {
    try {
      return ctx.state.faults.add(parseFaultInput(body));
    } catch (error) {
      if (error instanceof FaultInputError) throw new AdminError(400, error.message);
      throw error;
    }
  },
  'DELETE /__admin/faults': ({ ctx }) => ({ removed: ctx.state.faults.clear() }),
  'DELETE /__admin/faults/:id': ({ ctx, id }) => {
    if (id === undefined || !ctx.state.faults.remove(id)) throw new AdminError(404, `no fault rule ${id}`);
    return { removed: 1 };
  },
  'POST /__admin/push-ticket': ({ ctx }) => {
    const { ticket } = pushNewTicket(ctx);
    return { ok: true, ticket: ticket.value, createdAt: ticket.createdAt };
  },
  'POST /__admin/authorize': ({ ctx, body }) => {
    const mp = seededMiniProgram(ctx, body);
    // As if the person had opened a fresh link and consented.
    const { code: preAuthCode } = ctx.state.createPreAuthCode();
    ctx.state.usePreAuthCode(preAuthCode);
    const consent = grantAuthorization(ctx, mp, preAuthCode);
    return { appid: mp.appid, auth_code: consent.authCode, expires_in: ctx.settings.authCodeTtlSec, infoType: consent.infoType };
  },
  'POST /__admin/revoke': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    if (mp.authorization === undefined) throw new AdminError(400, `${mp.appid} is not authorized`);
    void revokeAuthorization(ctx, mp);
    return { ok: true, appid: mp.appid };
  },
  'POST /__admin/invalidate-token': ({ ctx, body }) => {
    if (body.appid === undefined) return { ok: true, invalidated: ctx.state.tokens.invalidate('component', undefined) };
    const mp = knownMiniProgram(ctx, body);
    return { ok: true, appid: mp.appid, invalidated: ctx.state.tokens.invalidate('authorizer', mp.appid) };
  },
  'POST /__admin/audit-outcome': ({ ctx, body }) => {
    if (body.rejectPercent !== undefined) return setRejectShare(ctx, body);
    if (body.outcome === undefined) {
      throw new AdminError(400, `outcome (${AUDIT_OUTCOMES.join(', ')}) or rejectPercent (0-100, platform-wide) is required`);
    }
    const setting = outcomeSetting(body);
    if (body.appid === undefined) {
      ctx.state.auditOutcome = setting;
      return { ok: true, scope: 'global', ...setting };
    }
    const mp = knownMiniProgram(ctx, body);
    mp.outcome = setting;
    return { ok: true, scope: mp.appid, ...setting };
  },
  'POST /__admin/finish-audit': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    // With `outcome` (and `reason`), that decision for this audit only; without, the configured one.
    const decision = body.outcome === undefined ? undefined : outcomeSetting(body);
    const audit = ctx.audits.finishNow(mp, decision);
    if (audit === undefined) throw new AdminError(400, `${mp.appid} has no audit under review`);
    return { ok: true, appid: mp.appid, auditid: audit.auditid, status: audit.status };
  },
  'POST /__admin/full-network-test': ({ ctx, body }) => runFullNetworkTest(ctx, fullNetworkOptions(body)),
  'POST /__admin/push-targets': ({ ctx, body, hooks }) => {
    const targets: PushTargets = {};
    for (const key of ['ticketUrl', 'callbackUrlTemplate'] as const) {
      const value = body[key];
      if (value === undefined) continue;
      if (typeof value !== 'string' || !/^https?:\/\//.test(value)) throw new AdminError(400, `${key} must be an http(s) URL`);
      targets[key] = value;
    }
    hooks.setPushTargets(targets);
    return { ok: true, ...ctx.pushes.targets };
  },
  'POST /__admin/quota': ({ ctx, body }) => {
    const quota = ctx.state.currentQuota();
    for (const key of ['limit', 'used', 'speedupLimit', 'speedupUsed'] as const) {
      const value = body[key];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || (value as number) < 0) throw new AdminError(400, `${key} must be a non-negative integer`);
      quota[key] = value as number;
    }
    return { ok: true, ...quota };
  },
  ...GATE_ROUTES,
  ...RUNTIME_ROUTES,
  ...REGISTRATION_ROUTES,
};

export async function handleAdmin(
  ctx: EmulatorContext,
  hooks: AdminHooks,
  method: string,
  url: URL,
  rawBody: string,
  res: ServerResponse,
): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  if (path === '/__admin') {
    if (method !== 'GET') return sendJson(res, 405, { error: 'use GET' });
    return sendHtml(res, 200, renderDashboard(ctx, hooks.url()));
  }
  const faultId = /^\/__admin\/faults\/([^/]+)$/.exec(path)?.[1];
  const key = faultId === undefined ? `${method} ${path}` : `${method} /__admin/faults/:id`;
  const handler = ROUTES[key];
  if (handler === undefined) {
    const known = Object.keys(ROUTES).some((route) => route.endsWith(` ${path}`));
    return sendJson(res, known ? 405 : 404, { error: known ? `${method} not allowed on ${path}` : `no admin endpoint ${path}` });
  }
  try {
    const body = parseAdminBody(method, rawBody);
    const result = await handler({ ctx, url, body, hooks, ...(faultId === undefined ? {} : { id: decodeURIComponent(faultId) }) });
    await (method === 'GET' ? ctx.written?.() : ctx.durable?.());
    sendJson(res, method === 'POST' && path === '/__admin/faults' ? 201 : 200, result);
  } catch (error) {
    if (error instanceof AdminError) return sendJson(res, error.status, { error: error.message });
    if (error instanceof RangeError) return sendJson(res, 400, { error: error.message });
    throw error;
  }
}

function parseAdminBody(method: string, raw: string): Body {
  if (method === 'GET' || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AdminError(400, 'body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdminError(400, 'body must be a JSON object');
  return value as Body;
}

function outcomeSetting(body: Body): { outcome: AuditOutcome; reason?: string } {
  const outcome = body.outcome;
  if (typeof outcome !== 'string' || !AUDIT_OUTCOMES.includes(outcome as AuditOutcome)) {
    throw new AdminError(400, `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  }
  if (body.reason !== undefined && typeof body.reason !== 'string') throw new AdminError(400, 'reason must be a string');
  return { outcome: outcome as AuditOutcome, ...(body.reason === undefined || body.reason === '' ? {} : { reason: body.reason as string }) };
}

/**
 * `{rejectPercent, reason?}`: from now on, exactly that share of the audits decided by the
 * configured outcome is rejected (audits.ts `shareDecision`); the count starts over at every call,
 * and 0 turns it off. A whole number, or a string of digits (what the dashboard's prompt sends).
 */
function setRejectShare(ctx: EmulatorContext, body: Body) {
  if (body.appid !== undefined) throw new AdminError(400, "rejectPercent is platform-wide: leave out appid (an appid's own outcome, set with outcome, wins over it)");
  if (body.outcome !== undefined) throw new AdminError(400, 'set rejectPercent and outcome in separate calls');
  const raw = body.rejectPercent;
  const percent = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new AdminError(400, `rejectPercent must be a whole number from 0 to 100 (0 turns it off), not ${JSON.stringify(raw)}`);
  }
  const reason = optionalText(body, 'reason')?.trim();
  if (percent === 0) {
    ctx.state.auditRejectShare = undefined;
    return { ok: true, scope: 'global', rejectPercent: 0 };
  }
  const share: AuditRejectShare = { rejectPercent: percent, reason: reason || DEFAULT_SHARE_REJECT_REASON, decided: 0, rejected: 0, since: ctx.now() };
  ctx.state.auditRejectShare = share;
  return { ok: true, scope: 'global', ...share };
}

function seededMiniProgram(ctx: EmulatorContext, body: Body): MiniProgram {
  const mp = knownMiniProgram(ctx, body);
  if (mp.testAccount) throw new AdminError(400, `${mp.appid} is a full-network test account`);
  return mp;
}

function callFilter(query: URLSearchParams): CallFilter {
  const filter: CallFilter = {};
  const path = query.get('path');
  const appid = query.get('appid');
  const since = query.get('since');
  const kind = query.get('kind');
  if (path) filter.path = path;
  if (appid) filter.appid = appid;
  if (since) {
    const time = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
    if (Number.isNaN(time)) throw new AdminError(400, 'since must be epoch milliseconds or an ISO date');
    filter.since = time;
  }
  if (kind) {
    if (kind !== 'api' && kind !== 'push') throw new AdminError(400, 'kind must be api or push');
    filter.kind = kind;
  }
  return filter;
}

function fullNetworkOptions(body: Body): FullNetworkOptions {
  const options: FullNetworkOptions = {};
  if (body.cases !== undefined) {
    const cases = body.cases;
    if (!Array.isArray(cases) || cases.length === 0 || !cases.every((c) => (FULL_NETWORK_CASES as readonly unknown[]).includes(c))) {
      throw new AdminError(400, `cases must be a non-empty array of ${FULL_NETWORK_CASES.join(', ')}`);
    }
    options.cases = cases as FullNetworkCase[];
  }
  if (body.appid !== undefined) {
    if (typeof body.appid !== 'string' || !isFullNetworkTestAppid(body.appid)) {
      throw new AdminError(400, "appid must be one of WeChat's full-network test appids");
    }
    options.appid = body.appid;
  }
  for (const key of ['replyTimeoutMs', 'apiWaitMs'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0 && value <= 60_000)) throw new AdminError(400, `${key} must be 1-60000`);
    options[key] = value;
  }
  return options;
}

function stateSnapshot(ctx: EmulatorContext, hooks: AdminHooks, appid: string | undefined) {
  const { state } = ctx;
  if (appid !== undefined) {
    const mp = state.get(appid);
    if (mp === undefined) throw new AdminError(404, `unknown appid ${appid}`);
    return { ...summarizeMiniProgram(ctx, mp), runtime: runtimeDetail(mp) };
  }
  expireRegistrations(ctx);
  const latestTicket = state.latestTicket();
  const testAccounts = [...state.miniPrograms.values()].filter((mp) => mp.testAccount && mp.authorization !== undefined);
  return {
    url: hooks.url(),
    platform: ctx.platform,
    pushTargets: { ...ctx.pushes.targets },
    ticket: latestTicket === undefined ? null : { value: latestTicket.value, createdAt: latestTicket.createdAt },
    quota: state.currentQuota(),
    auditOutcome: state.auditOutcome,
    auditRejectShare: state.auditRejectShare ?? null,
    templates: state.templates.map(({ pages: _pages, ...template }) => template),
    drafts: state.drafts.map(({ pages: _pages, ...draft }) => draft),
    faults: state.faults.size,
    messages: state.messages.length,
    miniPrograms: [...state.seeded, ...testAccounts, ...state.registeredMiniPrograms()].map((mp) => summarizeMiniProgram(ctx, mp)),
    registrations: state.registrations.map((registration) => summarizeRegistration(registration, ctx.now())),
  };
}
