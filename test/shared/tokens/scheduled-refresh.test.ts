import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../../shared/services';
import { TICKET_STALE_AFTER_MS } from '../../../shared/tickets/ticket-freshness';
import { refreshExpiringTokens } from '../../../shared/tokens/scheduled-refresh';
import { nextSecond, startTestStack, type TestStack } from '../../support/stack';

let t: TestStack;
let appids: string[];
beforeAll(async () => {
  // Ten-minute tokens: always inside the refresher's 20-minute window.
  t = await startTestStack({ emulator: { authorizerTokenTtlSec: 600, componentTokenTtlSec: 600 } });
  await t.until(async () => services().tickets.latest());
  appids = (await t.seededAppids()).slice(0, 3);
  for (const appid of appids) await t.admin('/authorize', { appid });
  await t.until(async () => (await services().tenants.list()).tenants.filter((x) => x.status === 'active').length === 3);
});
afterAll(() => t?.close());

describe('scheduled token refresh', () => {
  it('refreshes every active tenant whose token expires within the window, once per run', async () => {
    await t.admin('/calls', undefined, 'DELETE');
    const report = await refreshExpiringTokens(services(), { concurrency: 2 });
    expect(report).toMatchObject({ tenantsChecked: 3, tenantsRefreshed: 3, tenantsFailed: 0, componentToken: 'refreshed' });
    expect(await t.calls({ path: '/cgi-bin/component/api_authorizer_token' })).toHaveLength(3);
  });

  it('skips revoked tenants', async () => {
    await t.admin('/revoke', { appid: appids[0] });
    await t.until(async () => (await services().tenants.get(appids[0]!))?.status === 'revoked');
    const report = await refreshExpiringTokens(services());
    expect(report.tenantsChecked).toBe(2);
  });

  it('asks WeChat to push a ticket when the stored one is older than 20 minutes', async () => {
    const stored = (await services().tickets.latest())!;
    await nextSecond();
    await t.admin('/calls', undefined, 'DELETE');
    const report = await refreshExpiringTokens(services(), { nowMs: stored.receivedAtMs + TICKET_STALE_AFTER_MS + 1 });
    expect(report.ticketPushRequested).toBe(true);
    expect(await t.calls({ path: '/cgi-bin/component/api_start_push_ticket' })).toHaveLength(1);
    // The emulator answers with a fresh push, which replaces the stale ticket.
    await t.until(async () => (await services().tickets.latest())!.ticket !== stored.ticket);
  });
});
