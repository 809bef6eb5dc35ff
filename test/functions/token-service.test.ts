import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, services } from '../../shared/services';
import { startTestStack, untilDeployQueueQuiet, type TestStack } from '../support/stack';

let t: TestStack;
let appid: string;
beforeAll(async () => {
  t = await startTestStack();
  await t.until(async () => services().tickets.latest());
  appid = (await t.seededAppids())[0]!;
});
afterAll(() => t?.close());

describe('token service through the local runtime', () => {
  it('30 concurrent operator calls needing the component token cause exactly one token call', async () => {
    await t.admin('/calls', undefined, 'DELETE');
    const responses = await Promise.all(Array.from({ length: 30 }, () => t.operator('/api/auth-links', { method: 'POST' })));
    expect(responses.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(await t.calls({ path: '/cgi-bin/component/api_component_token' })).toHaveLength(1);
    expect(await t.calls({ path: '/cgi-bin/component/api_create_preauthcode' })).toHaveLength(30);
  });

  it('30 callers on 5 separate instances refresh an authorizer token exactly once', async () => {
    await t.admin('/authorize', { appid });
    await t.until(async () => (await services().tenants.get(appid))?.status === 'active');
    await untilDeployQueueQuiet(t);
    // Expire the stored token so every instance needs a refresh at the same moment.
    await services().authorizerTokens.forTenant(appid).invalidate((await services().authorizerTokens.forTenant(appid).get()));
    await t.admin('/calls', undefined, 'DELETE');

    const instances = Array.from({ length: 5 }, () => createServices());
    const tokens = await Promise.all(
      Array.from({ length: 30 }, (_, i) => instances[i % 5]!.authorizerTokens.forTenant(appid).get()),
    );
    expect(new Set(tokens).size).toBe(1);
    expect(await t.calls({ path: '/cgi-bin/component/api_authorizer_token' })).toHaveLength(1);
  });

  it('recovers transparently from a component token WeChat revoked server-side', async () => {
    await t.operator('/api/auth-links', { method: 'POST' });
    await t.admin('/invalidate-token', {});
    await t.admin('/calls', undefined, 'DELETE');

    const response = await t.operator('/api/auth-links', { method: 'POST' });
    expect(response.status).toBe(200);
    const preauth = await t.calls({ path: '/cgi-bin/component/api_create_preauthcode' });
    expect(preauth.map((c) => c.errcode)).toEqual([40001, 0]);
    expect(await t.calls({ path: '/cgi-bin/component/api_component_token' })).toHaveLength(1);
  });

  it('recovers transparently from an authorizer token WeChat revoked server-side', async () => {
    const token = services().authorizerTokens.forTenant(appid);
    await token.use((access) => services().authorizerApi.getCategory(access));
    await untilDeployQueueQuiet(t);
    await t.admin('/invalidate-token', { appid });
    await t.admin('/calls', undefined, 'DELETE');

    const answer = await token.use((access) => services().authorizerApi.getCategory(access));
    expect(answer.category_list).toBeDefined();
    expect((await t.calls({ path: '/wxa/get_category' })).map((c) => c.errcode)).toEqual([40001, 0]);
    expect(await t.calls({ path: '/cgi-bin/component/api_authorizer_token' })).toHaveLength(1);
  });

  it('the scheduled refresher renews tokens about to expire and watches the ticket', async () => {
    await t.admin('/calls', undefined, 'DELETE');
    const before = await services().authorizerTokens.expiry(appid);
    const report = await t.stack.invoke<{ tenantsRefreshed: number; ticketPushRequested: boolean; componentToken: string }>(
      'token-refresher',
      { 'detail-type': 'Scheduled Event' },
    );
    expect(report.ticketPushRequested).toBe(false);
    // Tokens live 2 h, the refresh window is 20 min: nothing is due yet.
    expect(report.tenantsRefreshed).toBe(0);
    expect(await services().authorizerTokens.expiry(appid)).toBe(before);
    expect(await t.calls({ path: '/cgi-bin/component/api_authorizer_token' })).toHaveLength(0);
  });
});
