import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { VerifyTicketStore } from '../../../shared/tickets/verify-ticket-store';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

let dynamo: TestDynamo;
let store: VerifyTicketStore;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  store = new VerifyTicketStore(dynamo.db, dynamo.table);
});
afterAll(() => dynamo.close());
// The ticket is one fixed item: start every test without it.
beforeEach(() => dynamo.db.send(new DeleteCommand({ TableName: dynamo.table, Key: { pk: 'PLATFORM', sk: 'VERIFY_TICKET' } })));

describe('VerifyTicketStore', () => {
  it('has no ticket before the first push', async () => {
    expect(await store.latest()).toBeUndefined();
  });

  it('stores a newer push over an older one', async () => {
    expect(await store.save('ticket@@@1', 1_700_000_000, 1)).toBe('stored');
    expect(await store.save('ticket@@@2', 1_700_000_600, 2)).toBe('stored');

    expect(await store.latest()).toEqual({ ticket: 'ticket@@@2', createTime: 1_700_000_600, receivedAtMs: 2 });
  });

  it.each([
    ['an older ticket', 'ticket@@@replayed', 1_700_000_000],
    ['the same push again', 'ticket@@@current', 1_700_000_600],
    ['another ticket of the same second', 'ticket@@@same-second', 1_700_000_600],
  ])('%s is stale and changes nothing', async (_label, replayedTicket, replayedCreateTime) => {
    await store.save('ticket@@@current', 1_700_000_600, 10);

    expect(await store.save(replayedTicket, replayedCreateTime, 20)).toBe('stale');

    expect(await store.latest()).toEqual({ ticket: 'ticket@@@current', createTime: 1_700_000_600, receivedAtMs: 10 });
  });

  it('keeps the newest ticket when pushes arrive concurrently and out of order', async () => {
    const createTimes = [5, 2, 9, 1, 7, 3, 8, 4, 6, 0].map((i) => 1_700_000_000 + i * 600);

    const outcomes = await Promise.all(createTimes.map((t) => store.save(`ticket@@@${t}`, t)));

    const newest = Math.max(...createTimes);
    expect(await store.latest()).toMatchObject({ ticket: `ticket@@@${newest}`, createTime: newest });
    expect(outcomes.filter((o) => o === 'stored').length).toBeGreaterThanOrEqual(1);
  });
});
