/**
 * What a fleet deploy and a push cost on AWS, counted on the local platform (local/runtime/
 * usage-meter.ts): per tenant deployed (commit → submit → audit push → release) and per push, the
 * DynamoDB requests and request units, SQS requests, Lambda invocations and GB-seconds, and HTTP API
 * requests; then dollars at list prices. Lambda durations are local wall times (on 2 shared cores,
 * with the emulator's WeChat latency): an upper bound of what Lambda would bill.
 */
import { dynamo } from '../../shared/db/client';
import { forEachConcurrently } from '../../shared/concurrency';
import { services } from '../../shared/services';
import { MessageCrypto } from '../../shared/wechat/crypto';
import { sealPush } from '../../shared/wechat/envelope';
import { buildXml } from '../../shared/wechat/xml';
import { FUNCTIONS, type FunctionName } from '../../infra/functions';
import { ROUTES } from '../../infra/routes';
import { startUsageMeter, stopUsageMeter, usageSoFar, type Usage } from '../runtime/usage-meter';
import type { LocalStack } from '../stack';
import { emulatorAdmin, sleep } from './clients';

/** On-demand list prices, us-east-1 (DynamoDB after its November 2024 reduction), USD. */
export const PRICES = {
  region: 'us-east-1',
  dynamoWriteRequestUnit: 0.625 / 1e6,
  dynamoReadRequestUnit: 0.125 / 1e6,
  sqsRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** x86. */
  lambdaGbSecond: 0.0000166667,
  httpApiRequest: 1.0 / 1e6,
} as const;

/** The meter sees the low-level client's command names (a document client's BatchGet is a BatchGetItem). */
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand', 'TransactGetItemsCommand']);
const HTTP_FUNCTIONS = new Set<string>(ROUTES.map((route) => route.function));
const DEFAULT_MEMORY_MB = 512;

export interface UnitCost {
  /** What the figures are per. */
  per: string;
  dynamoReads: number;
  dynamoWrites: number;
  readUnits: number;
  writeUnits: number;
  sqsRequests: number;
  sqsMessages: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  httpRequests: number;
  dollars: number;
  /** DynamoDB requests by command, per unit. */
  dynamoByCommand: Record<string, number>;
  lambdaByFunction: Record<string, number>;
  /** SQS requests by action (empty polls included, though not charged here), per unit. */
  sqsByAction: Record<string, { requests: number; messages: number }>;
  /** Pushes WeChat (the emulator) sent per unit, retries included: one answered after 5 s is sent again. */
  pushesSent?: number;
}

/** Usage divided by `count` units, priced. */
export function unitCost(usage: Usage, count: number, per: string): UnitCost {
  const cost: UnitCost = { per, dynamoReads: 0, dynamoWrites: 0, readUnits: 0, writeUnits: 0, sqsRequests: 0, sqsMessages: 0, lambdaInvocations: 0, lambdaGbSeconds: 0, httpRequests: 0, dollars: 0, dynamoByCommand: {}, lambdaByFunction: {}, sqsByAction: {} };
  for (const [command, { requests, capacityUnits }] of Object.entries(usage.dynamo)) {
    const read = READS.has(command);
    if (read) {
      cost.dynamoReads += requests;
      cost.readUnits += capacityUnits;
    } else {
      cost.dynamoWrites += requests;
      cost.writeUnits += capacityUnits;
    }
    cost.dynamoByCommand[command.replace(/Command$/, '')] = requests / count;
  }
  for (const [action, { requests, messages }] of Object.entries(usage.sqs)) {
    cost.sqsByAction[action] = { requests: requests / count, messages: messages / count };
    // Idle polling costs the same with or without this work (about 10 requests a minute per queue on AWS).
    if (action.endsWith('(empty poll)')) continue;
    cost.sqsRequests += requests;
    cost.sqsMessages += messages;
  }
  for (const [name, { invocations, billedMs }] of Object.entries(usage.lambda)) {
    const memoryGb = (FUNCTIONS[name as FunctionName]?.memoryMb ?? DEFAULT_MEMORY_MB) / 1024;
    cost.lambdaInvocations += invocations;
    cost.lambdaGbSeconds += (billedMs / 1000) * memoryGb;
    if (HTTP_FUNCTIONS.has(name)) cost.httpRequests += invocations;
    cost.lambdaByFunction[name] = invocations / count;
  }
  for (const key of ['dynamoReads', 'dynamoWrites', 'readUnits', 'writeUnits', 'sqsRequests', 'sqsMessages', 'lambdaInvocations', 'lambdaGbSeconds', 'httpRequests'] as const) cost[key] /= count;
  cost.dollars =
    cost.readUnits * PRICES.dynamoReadRequestUnit +
    cost.writeUnits * PRICES.dynamoWriteRequestUnit +
    cost.sqsRequests * PRICES.sqsRequest +
    cost.lambdaInvocations * PRICES.lambdaRequest +
    cost.lambdaGbSeconds * PRICES.lambdaGbSecond +
    cost.httpRequests * PRICES.httpApiRequest;
  return cost;
}


/** Waits until the deploy queue has been idle (no Lambda invocation) for `quietMs`. */
async function quiet(quietMs = 1500): Promise<void> {
  let last = JSON.stringify(usageSoFar().lambda);
  for (;;) {
    await sleep(quietMs);
    const now = JSON.stringify(usageSoFar().lambda);
    if (now === last) return;
    last = now;
  }
}

/**
 * A deploy to `appids` (already active tenants) with audits approved by push and released
 * automatically, metered from the operator's POST until the last release and the queue is quiet.
 */
export async function costOfDeploy(stack: LocalStack, appids: string[], userVersion: string): Promise<UnitCost> {
  const admin = emulatorAdmin(stack);
  await admin('/audit-outcome', { outcome: 'approve' });
  await admin('/calls', undefined, 'DELETE');
  startUsageMeter(dynamo());
  const response = await fetch(`${stack.url}/api/deployments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ templateId: 1, userVersion, userDesc: 'cost', tenants: appids, release: 'auto' }),
  });
  if (response.status !== 202) throw new Error(`deploy refused: ${response.status} ${await response.text()}`);
  // Watched at the emulator (not metered): the deploy is done when every tenant was released.
  for (;;) {
    const calls = (await admin('/calls')).calls as { path: string; errcode?: number }[];
    if (calls.filter((c) => c.path === '/wxa/release' && !c.errcode).length >= appids.length) break;
    await sleep(200);
  }
  await quiet();
  const cost = unitCost(stopUsageMeter(), appids.length, 'tenant deployed');
  const pushes = ((await admin('/calls')).calls as { kind: string }[]).filter((c) => c.kind === 'push').length;
  return { ...cost, pushesSent: pushes / appids.length };
}

/** `count` pushes of each kind, one at a time, metered: a verify ticket and a user's message. */
export async function costOfPushes(stack: LocalStack, appid: string, count = 200): Promise<UnitCost[]> {
  const platform = stack.emulator!.platform;
  const crypto = new MessageCrypto({ token: platform.token, encodingAesKey: platform.encodingAesKey, appid: platform.componentAppid });
  const userName = (await services().tenants.get(appid))?.userName ?? 'gh_bench';
  const base = Math.floor(Date.now() / 1000) + 1;
  const post = async (route: string, outer: Record<string, string>, inner: Record<string, string | number>) => {
    const sealed = sealPush(crypto, { outer: outer as { AppId: string }, innerXml: buildXml(inner) });
    const response = await fetch(`${stack.url}${route}?${new URLSearchParams(sealed.query)}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: sealed.body });
    if (response.status !== 200) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  };
  const results: UnitCost[] = [];
  await quiet(500);
  startUsageMeter(dynamo());
  // Each a newer ticket than the last (WeChat sends one every 10 minutes): stored, as a real one is.
  for (let i = 0; i < count; i++) {
    await post('/wechat/ticket', { AppId: platform.componentAppid }, { AppId: platform.componentAppid, CreateTime: base + i, InfoType: 'component_verify_ticket', ComponentVerifyTicket: `ticket@@@cost${i}` });
  }
  results.push(unitCost(stopUsageMeter(), count, 'verify-ticket push'));
  startUsageMeter(dynamo());
  await forEachConcurrently(Array.from({ length: count }, (_, i) => i), 1, async (i) => {
    await post(`/wechat/callback/${appid}`, { ToUserName: userName }, { ToUserName: userName, FromUserName: `o-cost-${i}`, CreateTime: base, MsgType: 'text', Content: 'hello', MsgId: String(9_000_000 + i) });
  });
  await quiet(500);
  results.push(unitCost(stopUsageMeter(), count, 'message push'));
  return results;
}

const money = (dollars: number) => (dollars >= 1 ? `$${dollars.toFixed(2)}` : dollars >= 0.01 ? `$${dollars.toFixed(3)}` : `$${dollars.toPrecision(2)}`);
const n = (value: number) => value.toFixed(value >= 10 ? 1 : 2);

/** Table lines (`what | figures | dollars`) for the bench's report. */
export function costLines(costs: UnitCost[], fleet = 10_000): string[] {
  const lines = costs.map(
    (c) =>
      `cost per ${c.per} | DynamoDB ${n(c.dynamoReads)} reads (${n(c.readUnits)} RRU) + ${n(c.dynamoWrites)} writes (${n(c.writeUnits)} WRU), SQS ${n(c.sqsRequests)} requests, Lambda ${n(c.lambdaInvocations)} invocations ${n(c.lambdaGbSeconds)} GB-s, HTTP API ${n(c.httpRequests)} | ${money(c.dollars)}` +
      (c.pushesSent !== undefined ? ` (WeChat pushes ${n(c.pushesSent)}: answers slower than 5 s are pushed again)` : '') +
      (c.per === 'tenant deployed' ? `; a ${fleet.toLocaleString('en')}-tenant deploy ${money(c.dollars * fleet)}` : `; a million ${money(c.dollars * 1e6)}`),
  );
  lines.push(
    `  prices (${PRICES.region}, on-demand list) | DynamoDB $${PRICES.dynamoWriteRequestUnit * 1e6}/M WRU, $${PRICES.dynamoReadRequestUnit * 1e6}/M RRU; SQS $${PRICES.sqsRequest * 1e6}/M requests; Lambda $${PRICES.lambdaRequest * 1e6}/M + $${PRICES.lambdaGbSecond}/GB-s (x86); HTTP API $${PRICES.httpApiRequest * 1e6}/M | GSI writes and Lambda durations: see the README`,
  );
  return lines;
}
