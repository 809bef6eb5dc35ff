import type { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { effectiveForwarding } from '../../../shared/forwarding/forwarding-settings';

const TABLE = 'mpfleet';
const APPID = 'wx00000000000000a1';
const tenantItem = { pk: `FORWARDING#${APPID}`, sk: 'SETTINGS', appid: APPID, url: 'https://tenant.example/hook', signingSecret: 'mpfwd_t', updatedAtMs: 2 };
const platformItem = { pk: 'FORWARDING#PLATFORM', sk: 'SETTINGS', url: 'https://platform.example/hook', signingSecret: 'mpfwd_p', updatedAtMs: 1 };

/** A table holding `items` that answers each batch read with `leave(call)` of the asked keys unprocessed. */
function table(items: Record<string, unknown>[], leave: (call: number) => number = () => 0) {
  const asked: string[][] = [];
  const db = {
    send: async (command: BatchGetCommand) => {
      const { Keys, ConsistentRead } = command.input.RequestItems![TABLE]!;
      expect(ConsistentRead).toBe(true);
      const pks = Keys!.map((key) => String(key.pk));
      asked.push(pks);
      const left = leave(asked.length);
      const served = pks.slice(left);
      return {
        Responses: { [TABLE]: items.filter((item) => served.includes(String(item.pk))) },
        ...(left ? { UnprocessedKeys: { [TABLE]: { Keys: Keys!.slice(0, left) } } } : {}),
      };
    },
  };
  return { store: { db: db as never, table: TABLE }, asked };
}

describe('the forwarding in effect for a tenant', () => {
  it('is its own URL over the platform default, both read in one request', async () => {
    const { store, asked } = table([tenantItem, platformItem]);
    expect(await effectiveForwarding(store, APPID)).toMatchObject({ url: 'https://tenant.example/hook', source: 'tenant' });
    expect(asked).toHaveLength(1);
  });

  it('is the platform default for a tenant without one, and nothing when neither is set', async () => {
    expect(await effectiveForwarding(table([platformItem]).store, APPID)).toMatchObject({ url: 'https://platform.example/hook', source: 'platform' });
    expect(await effectiveForwarding(table([]).store, APPID)).toBeUndefined();
  });

  it('asks again for keys a throttled table left unprocessed, so the tenant’s own URL is not passed over', async () => {
    const { store, asked } = table([tenantItem, platformItem], (call) => (call === 1 ? 1 : 0));
    expect(await effectiveForwarding(store, APPID)).toMatchObject({ source: 'tenant' });
    expect(asked).toEqual([[`FORWARDING#${APPID}`, 'FORWARDING#PLATFORM'], [`FORWARDING#${APPID}`]]);
  });

  it('fails, rather than guess, when the keys stay unprocessed', async () => {
    const { store, asked } = table([tenantItem], () => 1);
    await expect(effectiveForwarding(store, APPID)).rejects.toThrow('unprocessed');
    expect(asked).toHaveLength(4);
  });
});
