import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VerifyTicketStore } from '../../../shared/tickets/verify-ticket-store';
import { componentToken } from '../../../shared/tokens/component-token';
import { NoVerifyTicketError } from '../../../shared/tokens/errors';
import type { ComponentApi } from '../../../shared/wechat/component-api';
import { WeChatApiError } from '../../../shared/wechat/errors';
import type { ComponentTokenResponse } from '../../../shared/wechat/types';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

const SECRET = 'emulator-component-secret';

/** The two WeChat calls the component token makes, answering like WeChat and recording every call. */
class FakeComponentApi {
  readonly tokenCalls: { secret: string; ticket: string }[] = [];
  readonly pushTicketCalls: string[] = [];
  /** errcodes api_component_token answers with, one per call, before it starts succeeding. */
  failWith: number[] = [];
  pushTicketFails = false;

  async componentToken(secret: string, ticket: string): Promise<ComponentTokenResponse> {
    this.tokenCalls.push({ secret, ticket });
    const code = this.failWith.shift();
    if (code !== undefined) throw new WeChatApiError({ code, errmsg: 'rejected', path: '/cgi-bin/component/api_component_token' });
    return { component_access_token: `component-token-${this.tokenCalls.length}`, expires_in: 7200 };
  }

  async startPushTicket(secret: string): Promise<void> {
    this.pushTicketCalls.push(secret);
    if (this.pushTicketFails) throw new WeChatApiError({ code: -1, errmsg: 'system busy', path: '/cgi-bin/component/api_start_push_ticket' });
  }
}

// A fresh table per test: the component token lives in one fixed item.
let dynamo: TestDynamo;
let api: FakeComponentApi;
let tickets: VerifyTicketStore;

beforeEach(async () => {
  dynamo = await startTestDynamo(`mpfleet-${randomUUID()}`);
  api = new FakeComponentApi();
  tickets = new VerifyTicketStore(dynamo.db, dynamo.table);
});
afterEach(() => dynamo.close());

function token(now?: () => number) {
  return componentToken({
    db: dynamo.db,
    table: dynamo.table,
    api: api as unknown as ComponentApi,
    tickets,
    componentSecret: async () => SECRET,
    ...(now ? { now } : {}),
  });
}

describe('component access token', () => {
  it('fails with NoVerifyTicketError before any ticket arrived, and works as soon as one does', async () => {
    await expect(token().get()).rejects.toBeInstanceOf(NoVerifyTicketError);
    expect(api.tokenCalls).toEqual([]);

    await tickets.save('ticket@@@first', 1_700_000_000);
    expect(await token().get()).toBe('component-token-1');
  });

  it('asks WeChat with the newest ticket and stores the token with its expiry', async () => {
    const now = 1_700_000_000_000;
    await tickets.save('ticket@@@newer', 1_700_000_600);
    expect(await tickets.save('ticket@@@older', 1_700_000_000)).toBe('stale');

    expect(await token(() => now).get()).toBe('component-token-1');

    expect(api.tokenCalls).toEqual([{ secret: SECRET, ticket: 'ticket@@@newer' }]);
    const { Item } = await dynamo.db.send(new GetCommand({ TableName: dynamo.table, Key: { pk: 'PLATFORM', sk: 'COMPONENT_TOKEN' } }));
    expect(Item).toMatchObject({ token: 'component-token-1', expiresAtMs: now + 7200 * 1000 });
  });

  it.each([61005, 61006])('on %i asks WeChat to push a new ticket and rethrows', async (code) => {
    await tickets.save('ticket@@@expired', 1_700_000_000);
    api.failWith = [code];

    await expect(token().get()).rejects.toMatchObject({ name: 'WeChatApiError', code });
    expect(api.pushTicketCalls).toEqual([SECRET]);

    // The next caller tries again right away (the lease was released) with the freshly pushed ticket.
    await tickets.save('ticket@@@pushed', 1_700_000_600);
    expect(await token().get()).toBe('component-token-2');
    expect(api.tokenCalls.map((call) => call.ticket)).toEqual(['ticket@@@expired', 'ticket@@@pushed']);
  });

  it('reports the ticket error even when api_start_push_ticket itself fails', async () => {
    await tickets.save('ticket@@@expired', 1_700_000_000);
    api.failWith = [61006];
    api.pushTicketFails = true;

    await expect(token().get()).rejects.toMatchObject({ code: 61006 });
    expect(api.pushTicketCalls).toHaveLength(1);
  });

  it('does not ask for a ticket push on errors unrelated to the ticket', async () => {
    await tickets.save('ticket@@@fine', 1_700_000_000);
    api.failWith = [-1];

    await expect(token().get()).rejects.toMatchObject({ code: -1 });
    expect(api.pushTicketCalls).toEqual([]);
  });
});
