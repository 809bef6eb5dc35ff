import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { dynamo } from '../../shared/db/client';
import { sqs } from '../../shared/queue-client';
import { services } from '../../shared/services';
import { MessageCrypto } from '../../shared/wechat/crypto';
import { sealPush } from '../../shared/wechat/envelope';
import { buildXml } from '../../shared/wechat/xml';

export interface EmulatorCall {
  /** The emulator's running number of the call. */
  seq: number;
  kind: 'api' | 'push';
  path: string;
  appid?: string;
  errcode?: number;
  type?: string;
  status?: number;
  responseBody?: string;
}

export interface TestStack {
  stack: LocalStack;
  /** Any request to the local API (no auth). */
  api(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** A request to the operator API with the bearer token. */
  operator(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  /** POST/GET to the emulator's /__admin. */
  admin<T = Record<string, unknown>>(pathAndQuery: string, body?: unknown, method?: string): Promise<T>;
  calls(filter?: { path?: string; kind?: 'api' | 'push' }): Promise<EmulatorCall[]>;
  /** The platform's crypto, to build pushes as WeChat would. */
  crypto: MessageCrypto;
  /** Seals a push like WeChat and POSTs it to `route` (e.g. '/wechat/ticket'). */
  push(route: string, innerFields: Record<string, string | number>, outer?: { AppId: string } | { ToUserName: string }): Promise<Response>;
  /** Every item in the table, for before/after comparisons. */
  snapshot(): Promise<Record<string, unknown>[]>;
  seededAppids(): Promise<string[]>;
  until<T>(probe: () => Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

/** The whole local platform (API, Lambdas, dynalite, SQS, emulator) on ephemeral ports. */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'mpfleet-test-'));
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    schedules: false,
    env: { OPERATOR_TOKEN: 'test-operator-token' },
    ...options,
    // Every gate passed and no privacy scan wait, as before the release gates, unless a test asks.
    emulator: { ticketIntervalMs: 0, pushRetryDelayMs: 100, fleet: 'ready', privacyScanMs: 0, ...options.emulator },
  });
  const emulator = stack.emulator!;
  const crypto = new MessageCrypto({
    token: emulator.platform.token,
    encodingAesKey: emulator.platform.encodingAesKey,
    appid: emulator.platform.componentAppid,
  });

  const admin = async <T>(pathAndQuery: string, body?: unknown, method?: string): Promise<T> => {
    const response = await fetch(`${emulator.url}/__admin${pathAndQuery}`, {
      method: method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as T;
    if (!response.ok) throw new Error(`emulator admin ${pathAndQuery}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  const until = async <T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    stack,
    crypto,
    api: (p, init) => fetch(`${stack.url}${p}`, { redirect: 'manual', ...init }),
    operator: (p, init) =>
      fetch(`${stack.url}${p}`, {
        ...init,
        headers: { authorization: `Bearer ${stack.operatorToken}`, 'content-type': 'application/json', ...init?.headers },
      }),
    admin,
    calls: async (filter = {}) => {
      const { calls } = await admin<{ calls: EmulatorCall[] }>('/calls');
      return calls.filter((c) => (!filter.path || c.path === filter.path) && (!filter.kind || c.kind === filter.kind));
    },
    push: async (route, innerFields, outer = { AppId: emulator.platform.componentAppid }) => {
      const sealed = sealPush(crypto, { outer, innerXml: buildXml(innerFields) });
      return fetch(`${stack.url}${route}?${new URLSearchParams(sealed.query)}`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml' },
        body: sealed.body,
      });
    },
    snapshot: async () => {
      const { Items } = await dynamo().send(new ScanCommand({ TableName: process.env.TABLE_NAME, ConsistentRead: true }));
      return (Items ?? []).sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
    },
    seededAppids: async () => {
      const state = await admin<{ miniPrograms: { appid: string }[] }>('/state');
      return state.miniPrograms.map((m) => m.appid);
    },
    until,
    close: async () => {
      await stack.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits into the next wall-clock second. WeChat's CreateTime has whole seconds and an equal
 * CreateTime counts as a replay, so a test pushing a second ticket must not do it in the same second.
 */
export async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

/** Authorizes the first `count` seeded mini-programs (after the first ticket) and waits until all are active. */
export async function authorizeTenants(t: TestStack, count: number): Promise<string[]> {
  await t.until(async () => services().tickets.latest());
  const appids = (await t.seededAppids()).slice(0, count);
  for (const appid of appids) await t.admin('/authorize', { appid });
  await t.until(async () => {
    const active = await Promise.all(appids.map(async (appid) => (await services().tenants.get(appid))?.status === 'active'));
    return active.every(Boolean);
  });
  return appids;
}

/**
 * Until no deploy message is waiting or being handled: the steps and checks already set off have
 * run (an authorization, for one, queues a release-gate check that calls WeChat).
 */
export async function untilDeployQueueQuiet(t: TestStack): Promise<void> {
  await t.until(async () => {
    const { Attributes } = await sqs().send(
      new GetQueueAttributesCommand({ QueueUrl: t.stack.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) === 0 || undefined;
  });
}
