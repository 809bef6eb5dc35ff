import type { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { batchGetConsistent } from '../../../shared/db/batch-get';

const TABLE = 'mpfleet';
const keyOf = (n: number) => ({ pk: `ITEM#${n}`, sk: 'META' });

/** A table of items 0..n-1 that records each request's keys and leaves the first `leave(call)` of them unprocessed. */
function table(n: number, leave: (call: number) => number = () => 0) {
  const requests: string[][] = [];
  const db = {
    send: async (command: BatchGetCommand) => {
      const { Keys, ConsistentRead } = command.input.RequestItems![TABLE]!;
      expect(ConsistentRead).toBe(true);
      requests.push(Keys!.map((key) => String(key.pk)));
      const left = leave(requests.length);
      const served = Keys!.slice(left).filter((key) => Number(String(key.pk).split('#')[1]) < n);
      return { Responses: { [TABLE]: served.map((key) => ({ ...key, n: Number(String(key.pk).split('#')[1]) })) }, ...(left ? { UnprocessedKeys: { [TABLE]: { Keys: Keys!.slice(0, left) } } } : {}) };
    },
  };
  return { db: db as never, requests };
}

describe('a consistent read of many items at once', () => {
  it('asks for at most 100 keys a request, as DynamoDB allows, and answers the items that exist', async () => {
    const { db, requests } = table(230);
    const keys = Array.from({ length: 250 }, (_, i) => keyOf(i));

    const items = await batchGetConsistent(db, TABLE, keys);

    expect(requests.map((r) => r.length)).toEqual([100, 100, 50]);
    expect(items.map((item) => item.n).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 230 }, (_, i) => i));
  });

  it('asks again for the keys a throttled table left unprocessed', async () => {
    const { db, requests } = table(3, (call) => (call === 1 ? 2 : 0));

    const items = await batchGetConsistent(db, TABLE, [keyOf(0), keyOf(1), keyOf(2)]);

    expect(requests).toEqual([['ITEM#0', 'ITEM#1', 'ITEM#2'], ['ITEM#0', 'ITEM#1']]);
    expect(items).toHaveLength(3);
  });

  it('fails rather than answer part of what was asked when the keys stay unprocessed', async () => {
    const { db, requests } = table(2, () => 1);
    await expect(batchGetConsistent(db, TABLE, [keyOf(0), keyOf(1)])).rejects.toThrow('unprocessed');
    expect(requests).toHaveLength(4);
  });

  it('sends nothing for no keys', async () => {
    const { db, requests } = table(1);
    expect(await batchGetConsistent(db, TABLE, [])).toEqual([]);
    expect(requests).toHaveLength(0);
  });
});
