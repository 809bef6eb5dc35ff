import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeasedToken, type ItemKey, type LeasedTokenOptions, type RefreshedToken } from '../../../shared/tokens/leased-token';
import { WeChatApiError } from '../../../shared/wechat/errors';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

const TWO_HOURS = 7_200_000;
let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Each test works on its own item, so tests never see each other's tokens or leases. */
const freshKey = (): ItemKey => ({ pk: `TEST#${randomUUID()}`, sk: 'TOKEN' });

/** Stands in for WeChat: counts calls and hands out token-1, token-2, … after a short delay. */
function countingRefresh(delayMs = 30) {
  const calls = { count: 0 };
  const refresh = async (): Promise<RefreshedToken> => {
    const n = ++calls.count;
    await sleep(delayMs);
    return { token: `token-${n}`, expiresAtMs: Date.now() + TWO_HOURS };
  };
  return { calls, refresh };
}

function instance(key: ItemKey, options: Partial<LeasedTokenOptions> & Pick<LeasedTokenOptions, 'refresh'>): LeasedToken {
  return new LeasedToken({ db: dynamo.db, table: dynamo.table, key, kind: 'authorizer', pollMs: 10, ...options });
}

async function stored(key: ItemKey) {
  const { Item } = await dynamo.db.send(new GetCommand({ TableName: dynamo.table, Key: key, ConsistentRead: true }));
  return Item;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const tokenInvalid = (code = 40001) => new WeChatApiError({ code, errmsg: 'invalid credential', path: '/wxa/commit' });

/**
 * The DynamoDB client with a hook in front of each command, so a test can order reads and writes
 * of concurrent callers exactly (e.g. hold a read's answer until another caller has moved on).
 */
function hookedDb(hook: (command: unknown, forward: () => Promise<unknown>) => Promise<unknown>): DynamoDBDocumentClient {
  const send = (command: unknown) => hook(command, () => dynamo.db.send(command as GetCommand));
  return { send } as unknown as DynamoDBDocumentClient;
}

/** The conditional REMOVE of a rejected token (`invalidate`), whatever else the client sends. */
const isDropOf = (command: unknown, token: string) =>
  command instanceof UpdateCommand && command.input.ExpressionAttributeValues?.[':bad'] === token;

describe('LeasedToken', () => {
  it('refreshes exactly once for 30 concurrent callers spread over 5 instances, and all get that token', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh(50);
    const instances = Array.from({ length: 5 }, () => instance(key, { refresh }));

    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => instances[i % 5]!.get()));

    expect(calls.count).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
    const item = await stored(key);
    expect(item).toMatchObject({ token: 'token-1' });
    expect(item).not.toHaveProperty('leaseOwner');
  });

  it('lets a fresh instance reuse a valid stored token without refreshing', async () => {
    const key = freshKey();
    const first = countingRefresh();
    expect(await instance(key, { refresh: first.refresh }).get()).toBe('token-1');

    const second = countingRefresh();
    expect(await instance(key, { refresh: second.refresh }).get()).toBe('token-1');
    expect(second.calls.count).toBe(0);
  });

  it('refreshes a stored token that is inside the refresh margin, but reuses one just outside it', async () => {
    const now = Date.now();
    const minutes = (n: number) => n * 60_000;
    const nearExpiry = freshKey();
    const comfortable = freshKey();
    // Two-hour tokens with 5 and 15 minutes left; the default margin is 10 minutes.
    await dynamo.db.send(new PutCommand({ TableName: dynamo.table, Item: { ...nearExpiry, token: 'old', expiresAtMs: now + minutes(5), refreshedAtMs: now - minutes(115) } }));
    await dynamo.db.send(new PutCommand({ TableName: dynamo.table, Item: { ...comfortable, token: 'still-good', expiresAtMs: now + minutes(15), refreshedAtMs: now - minutes(105) } }));

    const refreshing = countingRefresh();
    expect(await instance(nearExpiry, { refresh: refreshing.refresh }).get()).toBe('token-1');
    expect(refreshing.calls.count).toBe(1);
    expect(await stored(nearExpiry)).toMatchObject({ token: 'token-1' });

    const reusing = countingRefresh();
    expect(await instance(comfortable, { refresh: reusing.refresh }).get()).toBe('still-good');
    expect(reusing.calls.count).toBe(0);
  });

  it('refreshNow replaces a still-valid stored token, and other instances pick up the new one', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    const a = instance(key, { refresh });
    expect(await a.get()).toBe('token-1');

    expect(await a.refreshNow()).toBe('token-2');
    expect(await a.get()).toBe('token-2');
    expect(await instance(key, { refresh }).get()).toBe('token-2');
    expect(calls.count).toBe(2);
  });

  it('refreshIfExpiring leaves a token that outlives the window and refreshes one that does not, once fleet-wide', async () => {
    const key = freshKey();
    const minutes = (n: number) => n * 60_000;
    const now = Date.now();
    await dynamo.db.send(new PutCommand({ TableName: dynamo.table, Item: { ...key, token: 'old', expiresAtMs: now + minutes(30), refreshedAtMs: now - minutes(90) } }));
    const { calls, refresh } = countingRefresh(50);
    const instances = Array.from({ length: 3 }, () => instance(key, { refresh }));

    expect(await instances[0]!.refreshIfExpiring(minutes(20))).toBe('fresh');
    expect(calls.count).toBe(0);

    // Overlapping scheduled runs: one refreshes, the others find its token good enough.
    const outcomes = await Promise.all(instances.map((token) => token.refreshIfExpiring(minutes(40))));
    expect(outcomes.sort()).toEqual(['fresh', 'fresh', 'refreshed']);
    expect(calls.count).toBe(1);
    expect(await stored(key)).toMatchObject({ token: 'token-1' });
    expect(await instances[2]!.get()).toBe('token-1');
  });

  it('invalidate(bad) does not drop a newer token another instance stored', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    const a = instance(key, { refresh });
    const b = instance(key, { refresh });
    expect(await a.get()).toBe('token-1');
    expect(await b.refreshNow()).toBe('token-2');

    // A only now learns that token-1 is bad: token-2 must survive.
    await a.invalidate('token-1');

    expect(await stored(key)).toMatchObject({ token: 'token-2' });
    expect(await a.get()).toBe('token-2');
    expect(calls.count).toBe(2);
  });

  it('invalidate(current) drops the stored token so the next get refreshes', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    const a = instance(key, { refresh });
    expect(await a.get()).toBe('token-1');

    await a.invalidate('token-1');

    expect(await stored(key)).not.toHaveProperty('token');
    expect(await instance(key, { refresh }).get()).toBe('token-2');
    expect(calls.count).toBe(2);
  });

  it('use(call) refreshes once and retries once after token_invalid', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    const token = instance(key, { refresh });
    expect(await token.get()).toBe('token-1');

    const seen: string[] = [];
    const result = await token.use(async (t) => {
      seen.push(t);
      if (t === 'token-1') throw tokenInvalid(40001);
      return `called with ${t}`;
    });

    expect(result).toBe('called with token-2');
    expect(seen).toEqual(['token-1', 'token-2']);
    expect(calls.count).toBe(2);
  });

  it('use(call) never retries with the rejected token, even when its retry joins a lookup that read it before the drop', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    // Once armed: while the rejected token-1 is being dropped, another caller of this container
    // starts a lookup whose read sees token-1 still stored; that read's answer is held until the
    // retrying caller has asked for its fresh token.
    let armed = false;
    let holdNextRead = false;
    let staleReadDone!: () => void;
    const staleRead = new Promise<void>((resolve) => (staleReadDone = resolve));
    let releaseRead!: () => void;
    const readReleased = new Promise<void>((resolve) => (releaseRead = resolve));
    let concurrent: Promise<string> | undefined;
    const db = hookedDb(async (command, forward) => {
      if (armed && isDropOf(command, 'token-1')) {
        armed = false;
        holdNextRead = true;
        concurrent = token.get();
        await staleRead;
        const dropped = await forward();
        // The retry now runs on microtasks only: a timer later, it has asked for its token.
        setTimeout(releaseRead, 20);
        return dropped;
      }
      if (holdNextRead && command instanceof GetCommand) {
        holdNextRead = false;
        const answer = await forward();
        staleReadDone();
        await readReleased;
        return answer;
      }
      return forward();
    });
    const token = instance(key, { refresh, db });
    expect(await token.get()).toBe('token-1');

    armed = true;
    const seen: string[] = [];
    const result = await token.use(async (t) => {
      seen.push(t);
      if (t === 'token-1') throw tokenInvalid(40001);
      return `called with ${t}`;
    });

    expect(seen).toEqual(['token-1', 'token-2']);
    expect(result).toBe('called with token-2');
    // The concurrent lookup started after the rejection: it is not handed token-1 either.
    expect(await concurrent).toBe('token-2');
    expect(calls.count).toBe(2);
    expect(await stored(key)).toMatchObject({ token: 'token-2' });
  });

  it('use(call) never retries with the rejected token when a lookup that read it before the drop put it back in the cache', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    // Once armed: while token-1 is being dropped, another caller's lookup reads it (still stored)
    // and finishes before the drop lands — leaving token-1 in this container's cache.
    let armed = false;
    let concurrent: Promise<string> | undefined;
    const db = hookedDb(async (command, forward) => {
      if (armed && isDropOf(command, 'token-1')) {
        armed = false;
        concurrent = token.get();
        await concurrent;
      }
      return forward();
    });
    const token = instance(key, { refresh, db });
    expect(await token.get()).toBe('token-1');

    armed = true;
    const seen: string[] = [];
    const result = await token.use(async (t) => {
      seen.push(t);
      if (t === 'token-1') throw tokenInvalid(40001);
      return `called with ${t}`;
    });

    expect(seen).toEqual(['token-1', 'token-2']);
    expect(result).toBe('called with token-2');
    expect(await concurrent).toBe('token-2');
    expect(calls.count).toBe(2);
    expect(await token.get()).toBe('token-2');
  });

  it('30 concurrent use(call) over 3 instances after WeChat revoked the token: all succeed, one refresh', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh(30);
    const instances = Array.from({ length: 3 }, () => instance(key, { refresh }));
    await Promise.all(instances.map((token) => token.get()));
    expect(calls.count).toBe(1);

    // WeChat revoked token-1 server-side; every caller meets it first.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        instances[i % 3]!.use(async (t) => {
          await sleep(i % 7);
          if (t === 'token-1') throw tokenInvalid(40001);
          return t;
        }),
      ),
    );

    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(calls.count).toBe(2);
    expect(await stored(key)).toMatchObject({ token: 'token-2' });
  });

  it('a token WeChat issues again after rejecting it is trusted again, not refreshed on every get', async () => {
    const key = freshKey();
    let count = 0;
    const refresh = async (): Promise<RefreshedToken> => {
      count++;
      return { token: 'same', expiresAtMs: Date.now() + TWO_HOURS };
    };
    const token = instance(key, { refresh });
    expect(await token.get()).toBe('same');

    await token.invalidate('same');
    expect(await token.get()).toBe('same');
    expect(await token.get()).toBe('same');
    expect(await instance(key, { refresh }).get()).toBe('same');
    expect(count).toBe(2);
  });

  it('use(call) lets a second token_invalid propagate instead of looping', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    const token = instance(key, { refresh });
    const seen: string[] = [];

    const outcome = token.use(async (t) => {
      seen.push(t);
      throw tokenInvalid(42001);
    });

    await expect(outcome).rejects.toMatchObject({ name: 'WeChatApiError', code: 42001 });
    expect(seen).toEqual(['token-1', 'token-2']);
    expect(calls.count).toBe(2);
  });

  it('use(call) does not retry or refresh on errors that are not about the token', async () => {
    const key = freshKey();
    const { calls, refresh } = countingRefresh();
    const token = instance(key, { refresh });
    let attempts = 0;

    const outcome = token.use(async () => {
      attempts++;
      throw new WeChatApiError({ code: 45009, errmsg: 'reach max api daily quota limit', path: '/wxa/commit' });
    });

    await expect(outcome).rejects.toMatchObject({ code: 45009 });
    expect(attempts).toBe(1);
    expect(calls.count).toBe(1);
    expect(await stored(key)).toMatchObject({ token: 'token-1' });
  });

  it('releases the lease when the refresh throws, so the next caller refreshes at once', async () => {
    const key = freshKey();
    const leaseMs = 3_000;
    let failNext = true;
    const refresh = async (): Promise<RefreshedToken> => {
      if (failNext) {
        failNext = false;
        throw new Error('WeChat unreachable');
      }
      return { token: 'recovered', expiresAtMs: Date.now() + TWO_HOURS };
    };

    await expect(instance(key, { refresh, leaseMs }).get()).rejects.toThrow('WeChat unreachable');
    expect(await stored(key)).not.toHaveProperty('leaseOwner');

    const started = Date.now();
    expect(await instance(key, { refresh, leaseMs }).get()).toBe('recovered');
    expect(Date.now() - started).toBeLessThan(leaseMs / 2);
  });

  it('a crashed lease holder blocks the others only until its lease expires', async () => {
    const key = freshKey();
    const leaseMs = 20_000;
    let clock = Date.now();
    const now = () => clock;

    // A wins the lease, then hangs inside its refresh (a Lambda that timed out mid-call).
    let unblockA!: () => void;
    const aBlocked = new Promise<void>((resolve) => (unblockA = resolve));
    let aCalls = 0;
    const a = instance(key, {
      now,
      leaseMs,
      refresh: async () => {
        aCalls++;
        await aBlocked;
        return { token: 'from-a', expiresAtMs: clock + TWO_HOURS };
      },
    });
    const aResult = a.get();
    await until(async () => (await stored(key))?.leaseOwner !== undefined);

    let bCalls = 0;
    const b = instance(key, {
      now,
      leaseMs,
      refresh: async () => {
        bCalls++;
        return { token: 'from-b', expiresAtMs: clock + TWO_HOURS };
      },
    });
    let bSettled = false;
    const bResult = b.get().finally(() => (bSettled = true));

    await sleep(200); // B polls ~20 times meanwhile
    expect(bSettled).toBe(false);
    expect(bCalls).toBe(0);

    clock += leaseMs + 1;
    expect(await bResult).toBe('from-b');
    expect(bCalls).toBe(1);

    // A wakes up late: its write lost the lease and must not overwrite B's token.
    unblockA();
    await aResult;
    expect(aCalls).toBe(1);
    const item = await stored(key);
    expect(item).toMatchObject({ token: 'from-b' });
    expect(item).not.toHaveProperty('leaseOwner');
  });
});
