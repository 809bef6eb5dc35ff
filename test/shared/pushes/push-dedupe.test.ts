/**
 * Each push handled once however often WeChat delivers it: the push log's record says which
 * delivery is first, and a failed handling leaves the push to WeChat's retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PushDedupe } from '../../../shared/pushes/push-dedupe';
import { PushLog } from '../../../shared/pushes/push-log';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

let dynamo: TestDynamo;
let log: PushLog;
let dedupe: PushDedupe;
beforeAll(async () => {
  dynamo = await startTestDynamo();
  log = new PushLog(dynamo.db, dynamo.table);
  dedupe = new PushDedupe(dynamo.db, dynamo.table);
});
afterAll(() => dynamo?.close());

let sequence = 0;
/** A fresh message push; each call of the returned function is one delivery of it. */
function messagePush() {
  const fields = { ToUserName: 'gh_0123456789ab', FromUserName: 'o-user', CreateTime: '1900000000', MsgType: 'text', Content: 'hi', MsgId: String(++sequence) };
  return () => log.record({ source: 'message', type: 'text', appid: 'wx00000000000000a1', createdAtMs: 1_900_000_000_000, fields });
}

describe('a push delivered more than once', () => {
  it('is handled by the first delivery; a repeat is answered as a duplicate', async () => {
    const deliver = messagePush();
    const handled: string[] = [];
    expect(await dedupe.once(await deliver(), async () => (handled.push('first'), 'handled'), () => 'duplicate')).toBe('handled');
    expect(await dedupe.once(await deliver(), async () => (handled.push('repeat'), 'handled'), () => 'duplicate')).toBe('duplicate');
    expect(handled).toEqual(['first']);
  });

  it('whose handling failed is handled by the next delivery (WeChat retry), and only by it', async () => {
    const deliver = messagePush();
    await expect(dedupe.once(await deliver(), async () => Promise.reject(new Error('queue unavailable')), () => 'duplicate')).rejects.toThrow('queue unavailable');
    const [retry, another] = await Promise.all([deliver(), deliver()]);
    const outcomes = await Promise.all([retry, another].map((delivery) => dedupe.once(delivery, async () => 'handled', () => 'duplicate')));
    expect(outcomes.sort()).toEqual(['duplicate', 'handled']);
    expect(await dedupe.once(await deliver(), async () => 'handled', () => 'duplicate')).toBe('duplicate');
  });

  it('is handled once when its deliveries arrive together', async () => {
    const deliver = messagePush();
    let handled = 0;
    const deliveries = await Promise.all(Array.from({ length: 5 }, () => deliver()));
    const outcomes = await Promise.all(deliveries.map((delivery) => dedupe.once(delivery, async () => (handled++, 'handled'), () => 'duplicate')));
    expect(handled).toBe(1);
    expect(outcomes.filter((o) => o === 'handled')).toHaveLength(1);
  });

  it('is not handled again from a retry mark older than a day', async () => {
    const deliver = messagePush();
    await expect(dedupe.once(await deliver(), async () => Promise.reject(new Error('down')), () => 'duplicate')).rejects.toThrow('down');
    const twoDaysOn = Date.now() + 2 * 86_400_000;
    expect(await dedupe.once(await deliver(), async () => 'handled', () => 'duplicate', twoDaysOn)).toBe('duplicate');
  });
});
