/**
 * One WeChat API call, end to end: attribute it to an appid, apply latency and fault rules,
 * check the token (41001 missing, 40001 unknown/stale, 42001 expired, 61003 revoked), check the
 * body (44002 empty, 47001 malformed), run the handler, wait for the state write when it may
 * have changed something, record the call and answer.
 */
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorContext } from './context';
import { ApiFailure, errorBody } from './errors';
import { sendBinary, sendJson } from './http-io';
import { BinaryAnswer } from './routes/types';
import type { ApiAnswer, ApiRoute } from './routes/types';
import type { MiniProgram } from './state';

type ParsedBody =
  | { kind: 'ok'; body: Record<string, unknown> }
  | { kind: 'empty' }
  | { kind: 'invalid'; hint: string };

export interface ApiCall {
  method: string;
  url: URL;
  rawBody: string;
  /** The body's bytes and content-type, for `body: 'raw'` routes. */
  rawBytes?: Buffer;
  contentType?: string;
}

export async function handleApiCall(ctx: EmulatorContext, route: ApiRoute, call: ApiCall, res: ServerResponse): Promise<void> {
  const { state } = ctx;
  const query = call.url.searchParams;
  const token = tokenFrom(route, query);
  const parsed = route.body !== 'raw' && (route.method === 'POST' || call.rawBody !== '') ? parseBody(call.rawBody) : ({ kind: 'empty' } as const);
  const appid = attributeAppid(ctx, token, parsed, query);

  const effect = state.faults.apply(route.path, appid);
  const latencyMs = ctx.settings.latencyMs + effect.latencyMs;
  if (latencyMs > 0) await sleep(latencyMs);

  let answer: ApiAnswer;
  if (effect.error !== undefined) {
    answer = errorBody(effect.error.errcode, effect.error.errmsg === undefined ? {} : { text: effect.error.errmsg });
  } else {
    try {
      answer = await runRoute(ctx, route, call, token, parsed);
    } catch (error) {
      if (!(error instanceof ApiFailure)) ctx.log(`${route.path}: unexpected ${(error as Error).stack ?? String(error)}`);
      answer = error instanceof ApiFailure ? error.toBody() : errorBody(-1);
    }
    // With a state file, what the call changed (or read: another call's change) is on disk
    // before the caller hears of it.
    if (ctx.durable !== undefined && ctx.written !== undefined) {
      try {
        await (route.readOnly === true ? ctx.written() : ctx.durable());
      } catch (error) {
        answer = errorBody(-1, { hint: `state not saved: ${(error as Error).message}` });
      }
    }
  }

  const errcode = answer instanceof BinaryAnswer ? 0 : typeof answer.errcode === 'number' ? answer.errcode : 0;
  const faultId = effect.ruleIds[0];
  state.calls.add({
    kind: 'api',
    method: call.method,
    path: route.path,
    ...(appid === undefined ? {} : { appid }),
    errcode,
    ...(faultId === undefined ? {} : { fault: faultId }),
  });
  if (answer instanceof BinaryAnswer) sendBinary(res, answer.contentType, answer.body);
  else sendJson(res, 200, answer);
}

async function runRoute(
  ctx: EmulatorContext,
  route: ApiRoute,
  call: ApiCall,
  token: string | undefined,
  parsed: ParsedBody,
): Promise<ApiAnswer> {
  let mp: MiniProgram | undefined;
  if (route.auth === 'component') checkComponentToken(ctx, token);
  if (route.auth === 'authorizer') mp = checkAuthorizerToken(ctx, token);

  let body: Record<string, unknown> = {};
  if (route.body === 'raw') {
    const raw = { contentType: call.contentType ?? '', bytes: call.rawBytes ?? Buffer.from(call.rawBody, 'utf8') };
    return route.handle({ method: call.method, path: route.path, query: call.url.searchParams, body, raw, ...(mp === undefined ? {} : { mp }) }, ctx);
  }
  if (route.method === 'POST') {
    if (parsed.kind === 'empty') throw new ApiFailure(44002);
    if (parsed.kind === 'invalid') throw new ApiFailure(47001, parsed.hint);
    body = parsed.body;
  }
  return route.handle(
    { method: call.method, path: route.path, query: call.url.searchParams, body, ...(mp === undefined ? {} : { mp }) },
    ctx,
  );
}

function tokenFrom(route: ApiRoute, query: URLSearchParams): string | undefined {
  if (route.auth === 'none') return undefined;
  const value =
    route.auth === 'component'
      ? (query.get('component_access_token') ?? query.get('access_token'))
      : query.get('access_token');
  return value === null || value === '' ? undefined : value;
}

function checkComponentToken(ctx: EmulatorContext, token: string | undefined): void {
  if (token === undefined) throw new ApiFailure(41001);
  const check = ctx.state.tokens.check(token, 'component');
  if (!check.ok) throw new ApiFailure(check.errcode);
}

function checkAuthorizerToken(ctx: EmulatorContext, token: string | undefined): MiniProgram {
  if (token === undefined) throw new ApiFailure(41001);
  const record = ctx.state.tokens.peek(token);
  const mp = record?.kind === 'authorizer' && record.appid !== undefined ? ctx.state.get(record.appid) : undefined;
  if (record === undefined || mp === undefined) throw new ApiFailure(40001);
  if (mp.authorization === undefined) throw new ApiFailure(61003);
  const check = ctx.state.tokens.check(token, 'authorizer');
  if (!check.ok) throw new ApiFailure(check.errcode);
  return mp;
}

/** Which mini-program a call concerns: the token's, the body's authorizer_appid, or the query's appid (jscode2session). */
function attributeAppid(ctx: EmulatorContext, token: string | undefined, parsed: ParsedBody, query: URLSearchParams): string | undefined {
  if (token !== undefined) {
    const record = ctx.state.tokens.peek(token);
    if (record?.appid !== undefined) return record.appid;
  }
  if (parsed.kind === 'ok' && typeof parsed.body.authorizer_appid === 'string') return parsed.body.authorizer_appid;
  const queried = query.get('appid');
  return queried === null || queried === '' ? undefined : queried;
}

function parseBody(raw: string): ParsedBody {
  if (raw.trim() === '') return { kind: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { kind: 'invalid', hint: 'body is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', hint: 'body must be a JSON object' };
  }
  return { kind: 'ok', body: value as Record<string, unknown> };
}
