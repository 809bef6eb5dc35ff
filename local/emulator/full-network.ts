/**
 * The full-network release check (全网发布接入检测, docs/wechat-protocol.md §6), run on demand: WeChat's
 * automated cases against the service's URLs, from one of WeChat's fixed test accounts.
 *   1. a component_verify_ticket push must be answered `success`;
 *   2. text `TESTCOMPONENT_MSG_TYPE_TEXT` must get the encrypted passive reply
 *      `TESTCOMPONENT_MSG_TYPE_TEXT_callback` with To/From swapped;
 *   3. text `QUERY_AUTH_CODE:<code>` must get an empty reply within 5 s, then the service must
 *      exchange the code (api_query_auth) and send `<code>_from_api` with custom/send;
 *   4. an event must get the passive text reply `<Event>from_callback`.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SealedPush } from '../../shared/wechat/envelope';
import { openReply } from '../../shared/wechat/envelope';
import { parseXml } from '../../shared/wechat/xml';
import type { EmulatorContext } from './context';
import { FULL_NETWORK_TEST_MINI_PROGRAMS, FULL_NETWORK_TEST_OFFICIAL_ACCOUNTS } from './fixtures';
import type { Exchange } from './pushes';
import type { MiniProgram } from './state';

export const FULL_NETWORK_CASES = [1, 2, 3, 4] as const;
export type FullNetworkCase = (typeof FULL_NETWORK_CASES)[number];

/** The test user that "sends" the messages. */
export const FULL_NETWORK_TEST_OPENID = 'ozy4qt5QUADNXORxCVipKMV9dss0';
const TEXT_CASE = 'TESTCOMPONENT_MSG_TYPE_TEXT';
const TEST_EVENT = 'LOCATION';

export interface FullNetworkOptions {
  cases?: FullNetworkCase[];
  /** One of WeChat's test appids; default the first test mini-program. */
  appid?: string;
  /** WeChat waits 5 s for a reply. */
  replyTimeoutMs?: number;
  /** How long case 3 waits for the custom/send after the empty reply. */
  apiWaitMs?: number;
}

export interface FullNetworkCaseResult {
  case: FullNetworkCase;
  name: string;
  passed: boolean;
  details: string;
  elapsedMs: number;
}

export interface FullNetworkReport {
  passed: boolean;
  appid: string;
  cases: FullNetworkCaseResult[];
}

export function isFullNetworkTestAppid(appid: string): boolean {
  return ([...FULL_NETWORK_TEST_MINI_PROGRAMS, ...FULL_NETWORK_TEST_OFFICIAL_ACCOUNTS] as string[]).includes(appid);
}

class CaseFailure extends Error {}

export async function runFullNetworkTest(ctx: EmulatorContext, opts: FullNetworkOptions = {}): Promise<FullNetworkReport> {
  const appid = opts.appid ?? FULL_NETWORK_TEST_MINI_PROGRAMS[0];
  const mp = ctx.state.get(appid);
  if (mp === undefined || !mp.testAccount) throw new RangeError(`${appid} is not one of WeChat's full-network test accounts`);
  const settings = { replyTimeoutMs: opts.replyTimeoutMs ?? 5000, apiWaitMs: opts.apiWaitMs ?? 10_000 };
  const runners: Record<FullNetworkCase, [string, () => Promise<string>]> = {
    1: ['component_verify_ticket push answered success', () => ticketCase(ctx, settings.replyTimeoutMs)],
    2: ['text message gets the encrypted passive reply', () => textCase(ctx, mp, settings.replyTimeoutMs)],
    3: ['QUERY_AUTH_CODE: empty reply, then custom/send via the API', () => queryAuthCodeCase(ctx, mp, settings)],
    4: ['event gets the <Event>from_callback reply', () => eventCase(ctx, mp, settings.replyTimeoutMs)],
  };

  const results: FullNetworkCaseResult[] = [];
  for (const id of opts.cases ?? FULL_NETWORK_CASES) {
    const [name, run] = runners[id];
    const started = performance.now();
    let passed = true;
    let details: string;
    try {
      details = await run();
    } catch (error) {
      passed = false;
      details = error instanceof CaseFailure ? error.message : `unexpected error: ${(error as Error).message}`;
    }
    const elapsedMs = Math.round(performance.now() - started);
    results.push({ case: id, name, passed, details, elapsedMs });
    ctx.log(`full-network case ${id} ${passed ? 'passed' : 'FAILED'}: ${details}`);
  }
  return { passed: results.every((r) => r.passed), appid, cases: results };
}

async function ticketCase(ctx: EmulatorContext, timeoutMs: number): Promise<string> {
  const target = ctx.pushes.targets.ticketUrl;
  if (target === undefined) throw new CaseFailure('no ticketUrl configured');
  const ticket = ctx.state.issueTicket();
  const sealed = ctx.pushes.sealForComponent({ InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket.value });
  const exchange = await send(ctx, target, sealed, 'full-network:component_verify_ticket', undefined, timeoutMs);
  expectStatus(exchange);
  if (exchange.body.trim() !== 'success') throw new CaseFailure(`expected the literal "success", got ${quote(exchange.body)}`);
  return `answered "success" in ${Math.round(exchange.elapsedMs)} ms`;
}

async function textCase(ctx: EmulatorContext, mp: MiniProgram, timeoutMs: number): Promise<string> {
  const exchange = await sendMessage(ctx, mp, { MsgType: 'text', Content: TEXT_CASE, MsgId: msgId() }, 'full-network:text', timeoutMs);
  const reply = openPassiveReply(ctx, exchange);
  expectTextReply(reply, mp, `${TEXT_CASE}_callback`);
  return `replied ${quote(`${TEXT_CASE}_callback`)} in ${Math.round(exchange.elapsedMs)} ms`;
}

async function eventCase(ctx: EmulatorContext, mp: MiniProgram, timeoutMs: number): Promise<string> {
  const fields = { MsgType: 'event', Event: TEST_EVENT, Latitude: '23.137466', Longitude: '113.352425', Precision: '119.385040' };
  const exchange = await sendMessage(ctx, mp, fields, 'full-network:event', timeoutMs);
  const reply = openPassiveReply(ctx, exchange);
  expectTextReply(reply, mp, `${TEST_EVENT}from_callback`);
  return `replied ${quote(`${TEST_EVENT}from_callback`)} in ${Math.round(exchange.elapsedMs)} ms`;
}

async function queryAuthCodeCase(
  ctx: EmulatorContext,
  mp: MiniProgram,
  settings: { replyTimeoutMs: number; apiWaitMs: number },
): Promise<string> {
  // WeChat's test accounts are authorized implicitly for the check; no authorized push is sent.
  ctx.state.authorize(mp);
  const { code } = ctx.state.createAuthCode(mp.appid);
  const messagesBefore = ctx.state.messages.length;
  const fields = { MsgType: 'text', Content: `QUERY_AUTH_CODE:${code}`, MsgId: msgId() };
  const exchange = await sendMessage(ctx, mp, fields, 'full-network:query_auth_code', settings.replyTimeoutMs);
  const body = exchange.body.trim();
  if (body !== '' && body !== 'success') throw new CaseFailure(`expected an empty reply, got ${quote(exchange.body)}`);

  const expected = `${code}_from_api`;
  const deadline = Date.now() + settings.apiWaitMs;
  for (;;) {
    const message = ctx.state.messages
      .slice(messagesBefore)
      .find((m) => m.appid === mp.appid && m.msgtype === 'text' && m.content === expected);
    if (message !== undefined) {
      if (message.touser !== FULL_NETWORK_TEST_OPENID) {
        throw new CaseFailure(`custom/send went to ${quote(message.touser)}, expected the sender ${FULL_NETWORK_TEST_OPENID}`);
      }
      if (ctx.state.authCodes.get(code)?.used !== true) {
        throw new CaseFailure('custom/send arrived, but the authorization code was never exchanged with api_query_auth');
      }
      return `empty reply in ${Math.round(exchange.elapsedMs)} ms, then custom/send "<code>_from_api" with the authorizer token`;
    }
    if (Date.now() >= deadline) {
      throw new CaseFailure(`no custom/send with "<code>_from_api" from ${mp.appid} within ${settings.apiWaitMs} ms`);
    }
    await sleep(50);
  }
}

async function sendMessage(
  ctx: EmulatorContext,
  mp: MiniProgram,
  fields: Record<string, string>,
  label: string,
  timeoutMs: number,
): Promise<Exchange> {
  const target = ctx.pushes.callbackUrlFor(mp.appid);
  if (target === undefined) throw new CaseFailure('no callbackUrlTemplate configured');
  const sealed = ctx.pushes.sealForMiniProgram(mp, FULL_NETWORK_TEST_OPENID, fields);
  const exchange = await send(ctx, target, sealed, label, mp.appid, timeoutMs);
  expectStatus(exchange);
  return exchange;
}

/** One exchange, recorded in the call log like any push. */
async function send(
  ctx: EmulatorContext,
  target: string,
  sealed: SealedPush,
  type: string,
  appid: string | undefined,
  timeoutMs: number,
): Promise<Exchange> {
  // What the message announces (a ticket, an authorization code) is kept before it goes out.
  await ctx.durable?.();
  // Each case judges the reply itself; for the log, any 2xx answer was delivered.
  const { exchange } = await ctx.pushes.recordedExchange(target, sealed, { type, appid, attempt: 1, accept: () => true, timeoutMs });
  return exchange;
}

function expectStatus(exchange: Exchange): void {
  if (exchange.error !== undefined) throw new CaseFailure(`no answer: ${exchange.error}`);
  if (exchange.status === undefined || exchange.status < 200 || exchange.status >= 300) {
    throw new CaseFailure(`HTTP ${exchange.status}: ${quote(exchange.body)}`);
  }
}

function openPassiveReply(ctx: EmulatorContext, exchange: Exchange): Record<string, unknown> {
  if (exchange.body.trim() === '' || exchange.body.trim() === 'success') {
    throw new CaseFailure(`expected an encrypted passive reply, got ${quote(exchange.body)}`);
  }
  try {
    return parseXml(openReply(ctx.crypto, exchange.body));
  } catch (error) {
    throw new CaseFailure(`reply is not a valid encrypted passive reply (${(error as Error).message}): ${quote(exchange.body)}`);
  }
}

function expectTextReply(reply: Record<string, unknown>, mp: MiniProgram, content: string): void {
  const problems: string[] = [];
  if (reply.MsgType !== 'text') problems.push(`MsgType ${quote(reply.MsgType)} instead of "text"`);
  if (reply.Content !== content) problems.push(`Content ${quote(reply.Content)} instead of ${quote(content)}`);
  if (reply.ToUserName !== FULL_NETWORK_TEST_OPENID) problems.push(`ToUserName ${quote(reply.ToUserName)} is not the sender`);
  if (reply.FromUserName !== mp.userName) problems.push(`FromUserName ${quote(reply.FromUserName)} is not ${mp.userName}`);
  if (problems.length > 0) throw new CaseFailure(problems.join('; '));
}

function msgId(): string {
  return `${randomInt(100_000_000, 999_999_999)}${randomInt(1_000_000_000, 9_999_999_999)}`;
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text === undefined ? 'undefined' : text.length > 200 ? `${text.slice(0, 200)}…` : text);
}
