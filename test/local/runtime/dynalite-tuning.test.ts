import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cachingParse, readSynchronously, tuneDynalite } from '../../../local/runtime/dynalite-tuning.mjs';

const require = createRequire(import.meta.url);
type Parser = { parse: (input: string, options?: unknown) => unknown };
const PARSERS = ['conditionParser', 'updateParser', 'projectionParser'].map((name) => require(`dynalite/db/${name}`) as Parser);
const ORIGINAL = PARSERS.map((parser) => parser.parse);
const { validateExpressions } = require('dynalite/validations') as { validateExpressions: (data: Record<string, unknown>) => string | undefined };

type Request = Record<string, unknown> & { ExpressionAttributeValues?: Record<string, Record<string, unknown>> };

/** What dynalite makes of a request's expressions: its error, or the parse trees it goes on with. */
function validated(request: Request) {
  const data = structuredClone(request) as Record<string, unknown>;
  const error = validateExpressions(data);
  return { error, trees: { updates: data._updates, condition: data._condition, keyCondition: data._keyCondition, filter: data._filter, projection: data._projection }, data };
}

/** Validates with dynalite's own parsers and again with the caching ones (once to fill the cache, once from it). */
function bothWays(first: Request, second: Request = first) {
  PARSERS.forEach((parser, i) => (parser.parse = ORIGINAL[i]!));
  const expected = [validated(first), validated(second)];
  PARSERS.forEach((parser, i) => (parser.parse = cachingParse(ORIGINAL[i]!)));
  const cached = [validated(first), validated(second)];
  return { expected, cached };
}

afterEach(() => PARSERS.forEach((parser, i) => (parser.parse = ORIGINAL[i]!)));

const S = (value: string) => ({ S: value });
const N = (value: string) => ({ N: value });
const transition = (from: string, to: string, now: string): Request => ({
  UpdateExpression: 'SET #state = :to, #updatedAtMs = :now, #attempts = #attempts + :one REMOVE #error',
  ConditionExpression: 'attribute_exists(pk) AND #state = :from AND (attribute_not_exists(#updatedAtMs) OR #updatedAtMs <= :now)',
  ExpressionAttributeNames: { '#state': 'state', '#updatedAtMs': 'updatedAtMs', '#attempts': 'attempts', '#error': 'error' },
  ExpressionAttributeValues: { ':to': S(to), ':from': S(from), ':now': N(now), ':one': N('1') },
});

describe('cachingParse', () => {
  it('answers a repeated expression with the tree dynalite would build, holding the new request’s own values', () => {
    const first = transition('queued', 'committing', '1000');
    const second = transition('committing', 'submitting', '2000');
    const { expected, cached } = bothWays(first, second);

    expect(cached.map((c) => c.error)).toEqual([undefined, undefined]);
    expect(cached[0]!.trees).toEqual(expected[0]!.trees);
    expect(cached[1]!.trees).toEqual(expected[1]!.trees);
    // The values in the tree are the request's own objects, as dynalite's parse leaves them.
    const condition = JSON.stringify(cached[1]!.trees.condition);
    expect(condition).toContain('"committing"');
    expect(condition).not.toContain('"queued"');
  });

  it('gives each request a tree of its own: what one request does to its tree is not in the next', () => {
    PARSERS.forEach((parser, i) => (parser.parse = cachingParse(ORIGINAL[i]!)));
    const first = validated(transition('queued', 'committing', '1000'));
    (first.trees.updates as { sections: unknown[] }).sections.length = 0;
    const second = validated(transition('queued', 'committing', '1000'));
    expect((second.trees.updates as { sections: unknown[] }).sections.length).toBeGreaterThan(0);
  });

  it('still finds an unused name or value, a missing one, and a syntax error, from the cache or not', () => {
    const base = transition('queued', 'committing', '1000');
    const unusedValue = { ...base, ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ':spare': S('x') } };
    const unusedName = { ...base, ExpressionAttributeNames: { ...(base.ExpressionAttributeNames as object), '#spare': 'spare' } };
    const missingValue = { ...base, ConditionExpression: '#state = :gone' };
    const syntax = { ...base, ConditionExpression: '#state = = :from' };
    for (const request of [unusedValue, unusedName, missingValue, syntax]) {
      const { expected, cached } = bothWays(base, request);
      expect(cached[1]!.error).toBeTruthy();
      expect(cached[1]!.error).toBe(expected[1]!.error);
    }
    // A failed parse is not remembered: the same expression with its value present parses.
    const { cached } = bothWays(missingValue, { ...missingValue, ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ':gone': S('x') } });
    expect(cached[0]!.error).toMatch(/not defined; attribute value: :gone/);
    expect(cached[1]!.error).toMatch(/unused in expressions/); // :from, :to… are unused by this condition alone
  });

  it('judges a value’s type per request: the same expression with a string where a number goes is refused', () => {
    const add = (value: Record<string, unknown>): Request => ({
      UpdateExpression: 'SET #n = #n + :x',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':x': value },
    });
    const { expected, cached } = bothWays(add(N('1')), add(S('one')));
    expect(cached[0]!.error).toBeUndefined();
    expect(cached[1]!.error).toBe(expected[1]!.error);
    expect(cached[1]!.error).toMatch(/Incorrect operand type/);
  });

  it('parses every time what reads a value itself: BETWEEN’s bounds, attribute_type’s name', () => {
    const between = (low: string, high: string): Request => ({
      ConditionExpression: '#n BETWEEN :low AND :high',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':low': N(low), ':high': N(high) },
    });
    const typed = (name: string): Request => ({ ConditionExpression: 'attribute_type(#n, :t)', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':t': S(name) } });
    for (const [good, bad] of [
      [between('1', '2'), between('3', '2')],
      [typed('S'), typed('STRING')],
    ] as const) {
      const { expected, cached } = bothWays(good, bad);
      expect(cached[0]!.error).toBeUndefined();
      expect(cached[1]!.error).toBeTruthy();
      expect(cached[1]!.error).toBe(expected[1]!.error);
    }
  });

  it('answers queries too: a key condition, a filter and a projection', () => {
    const query = (appid: string, state: string): Request => ({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#state IN (:a, :b) AND size(#tags) > :zero',
      ProjectionExpression: 'pk, sk, #state, #tags[0].#name',
      ExpressionAttributeNames: { '#state': 'state', '#tags': 'tags', '#name': 'name' },
      ExpressionAttributeValues: { ':pk': S(`TENANT#${appid}`), ':prefix': S('DEPLOYMENT#'), ':a': S(state), ':b': S('failed'), ':zero': N('0') },
    });
    const { expected, cached } = bothWays(query('wx1', 'released'), query('wx2', 'auditing'));
    expect(cached.map((c) => c.error)).toEqual([undefined, undefined]);
    expect(cached.map((c) => c.trees)).toEqual(expected.map((e) => e.trees));
  });
});

describe('readSynchronously', () => {
  type Store = { db: Parameters<typeof readSynchronously>[0] & { put: (k: string, v: unknown, cb: (e: Error | null) => void) => void; close: () => Promise<void>; _get: unknown } };
  const db = require('dynalite/db') as { create: (options: { path: string }) => Store };
  let dir: string;
  let store: Store;
  const get = (key: string) => new Promise<unknown>((resolve, reject) => store.db.get(key, (error, value) => (error ? reject(error) : resolve(value))));
  const put = (key: string, value: unknown) => new Promise<void>((resolve, reject) => store.db.put(key, value, (error) => (error ? reject(error) : resolve())));

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dynalite-tuning-'));
    store = db.create({ path: dir });
    readSynchronously(store.db);
  });
  afterAll(async () => {
    await store.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a read made before the store is open the way it always did', async () => {
    expect(store.db.status).not.toBe('open');
    expect(await get('table~nothing')).toBeUndefined();
  });

  it('answers from LevelDB without the thread pool once open, after the caller’s turn, what was last written', async () => {
    await put('item~a', { pk: { S: 'a' }, n: { N: '1' } });
    await put('item~a', { pk: { S: 'a' }, n: { N: '2' } });
    const threadPool = vi.spyOn(store.db as unknown as { _get: () => unknown }, '_get');
    let answered = false;
    const read = get('item~a').then((value) => ((answered = true), value));
    expect(answered).toBe(false);
    expect(await read).toEqual({ pk: { S: 'a' }, n: { N: '2' } });
    expect(await get('item~missing')).toBeUndefined();
    expect(threadPool).not.toHaveBeenCalled();
  });
});

describe('tuneDynalite', () => {
  it('puts both in place on the modules dynalite itself loads, for the store dynalite() creates next', async () => {
    const db = require('dynalite/db') as { create: (options: { path: string }) => { db: { getSync: unknown; close: () => Promise<void>; open: () => Promise<void> } } };
    const create = db.create;
    const dir = mkdtempSync(path.join(tmpdir(), 'dynalite-tuned-'));
    try {
      tuneDynalite(require);
      expect(PARSERS.map((parser, i) => parser.parse === ORIGINAL[i])).toEqual([false, false, false]);
      const store = db.create({ path: dir });
      await store.db.open();
      const threadPool = vi.spyOn(store.db as unknown as { _get: () => unknown }, '_get');
      const value = await new Promise((resolve) => (store.db as unknown as { get: (k: string, cb: (e: unknown, v: unknown) => void) => void }).get('table~none', (_e, v) => resolve(v)));
      expect(value).toBeUndefined();
      expect(threadPool).not.toHaveBeenCalled();
      await store.db.close();
    } finally {
      db.create = create;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
