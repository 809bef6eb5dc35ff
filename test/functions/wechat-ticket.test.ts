import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/services';
import { nextSecond, startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let componentAppid: string;
beforeAll(async () => {
  t = await startTestStack();
  componentAppid = t.stack.emulator!.platform.componentAppid;
});
afterAll(() => t?.close());

const ticketPush = (ticket: string, createTime: number) => ({
  AppId: componentAppid,
  CreateTime: createTime,
  InfoType: 'component_verify_ticket',
  ComponentVerifyTicket: ticket,
});

describe('POST /wechat/ticket — component_verify_ticket', () => {
  it('stores the emulator-pushed ticket, and a token fetch then uses it', async () => {
    await t.until(async () => services().tickets.latest()); // the start-up push
    await nextSecond();
    const { ticket } = await t.admin<{ ticket: string }>('/push-ticket', {});
    await t.until(async () => (await services().tickets.latest())?.ticket === ticket);
    await t.admin('/calls', undefined, 'DELETE');

    const response = await t.operator('/api/auth-links', { method: 'POST' });
    expect(response.status).toBe(200);
    const tokenCalls = await t.calls({ path: '/cgi-bin/component/api_component_token' });
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]!.errcode).toBe(0); // the emulator accepts only tickets it pushed
  });

  it('keeps the newest ticket: an older replay is answered success and changes nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await (await t.push('/wechat/ticket', ticketPush('ticket@@@newer', now + 100))).text()).toBe('success');
    expect(await (await t.push('/wechat/ticket', ticketPush('ticket@@@older', now + 50))).text()).toBe('success');
    expect(await (await t.push('/wechat/ticket', ticketPush('ticket@@@newer', now + 100))).text()).toBe('success');
    expect((await services().tickets.latest())?.ticket).toBe('ticket@@@newer');
  });
});

describe('POST /wechat/ticket — authorization pushes', () => {
  it('authorized → an active tenant with profile and tokens; a duplicate push exchanges nothing twice', async () => {
    await t.admin('/push-ticket', {});
    const [appid] = await t.seededAppids();
    await t.admin('/calls', undefined, 'DELETE');
    await t.admin('/authorize', { appid });
    const tenant = await t.until(async () => {
      const found = await services().tenants.get(appid!);
      return found?.nickName ? found : undefined;
    });
    expect(tenant).toMatchObject({ appid, status: 'active' });
    expect(tenant.userName).toMatch(/^gh_/);

    // The emulator's push is delivered (logged once its answer is back, which can be after the
    // tenant is saved); replay it as WeChat's retry would.
    const delivered = await t.until(async () => (await t.calls({ kind: 'push' })).find((p) => p.type === 'authorized'));
    expect(delivered.responseBody).toBe('success');
    const before = await t.snapshot();
    const authCode = (await t.admin<{ auth_code: string }>('/authorize', { appid })).auth_code;
    await t.until(async () => (await t.calls({ path: '/cgi-bin/component/api_query_auth' })).length === 2);
    const replay = await t.push('/wechat/ticket', {
      AppId: componentAppid,
      CreateTime: Math.floor(Date.now() / 1000),
      InfoType: 'updateauthorized',
      AuthorizerAppid: appid!,
      AuthorizationCode: authCode,
      AuthorizationCodeExpiredTime: Math.floor(Date.now() / 1000) + 600,
      PreAuthCode: 'preauthcode@@@replayed',
    });
    expect(replay.status).toBe(200);
    expect(await replay.text()).toBe('success');
    expect(await t.calls({ path: '/cgi-bin/component/api_query_auth' })).toHaveLength(2);
    expect(before.length).toBeGreaterThan(0);
  });

  it('unauthorized → the tenant is revoked and its tokens are no longer used', async () => {
    await t.admin('/push-ticket', {});
    const appid = (await t.seededAppids())[1]!;
    await t.admin('/authorize', { appid });
    await t.until(async () => (await services().tenants.get(appid))?.status === 'active');
    await t.admin('/revoke', { appid });
    const revoked = await t.until(async () => {
      const found = await services().tenants.get(appid);
      return found?.status === 'revoked' ? found : undefined;
    });
    expect(revoked.statusReason).toMatch(/revoked/);
    await expect(services().authorizerTokens.forTenant(appid).get()).rejects.toMatchObject({ reason: 'revoked' });
  });
});
