import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeClaims } from '../../shared/authorization/code-claims';
import { syncAuthorizersIfDue } from '../../shared/authorization/sync-authorizers';
import type { TenantSyncResult } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { exchangeAuthorizationCode } from '../../shared/authorization/exchange-code';
import { authorizeTenants, nextSecond, startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let seeded: string[];
beforeAll(async () => {
  t = await startTestStack({ emulator: { miniPrograms: 8 } });
  await t.admin('/push-ticket', {});
  await t.until(async () => services().tickets.latest());
  seeded = await t.seededAppids();
});
afterAll(() => t?.close());

/** Authorizes at WeChat while the `authorized` push cannot reach mpfleet: the code it was given. */
async function authorizeWithoutPush(appid: string): Promise<string> {
  const { ticketUrl } = await t.admin<{ ticketUrl: string }>('/push-targets', {});
  await t.admin('/push-targets', { ticketUrl: 'http://127.0.0.1:9/nowhere' });
  try {
    return (await t.admin<{ auth_code: string }>('/authorize', { appid })).auth_code;
  } finally {
    await t.admin('/push-targets', { ticketUrl });
  }
}

/** The tenant can call WeChat with its token. */
async function worksAtWeChat(appid: string): Promise<boolean> {
  const answer = await services().authorizerTokens.forTenant(appid).use((access) => services().authorizerApi.getCategory(access));
  return Array.isArray(answer.category_list);
}

async function sync(): Promise<TenantSyncResult> {
  const response = await t.operator('/api/tenants/sync', { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as TenantSyncResult;
}

describe('an authorization interrupted during the code exchange', () => {
  it("the merchant's redirect takes the stale claim over and recovers the spent code from the authorizer list", async () => {
    const appid = seeded[0]!;
    const code = await authorizeWithoutPush(appid);
    // The first exchange died mid-way: it claimed the code and WeChat answered it (the code is spent),
    // but nothing was stored.
    await new CodeClaims(services().db, services().table).claim(code, Date.now() - 60_000);
    await services().wechat.component.queryAuth(code);
    await t.admin('/calls', undefined, 'DELETE');

    const page = await t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(appid);
    expect(await services().tenants.get(appid)).toMatchObject({ status: 'active' });
    expect(await worksAtWeChat(appid)).toBe(true);
    // Taken over: WeChat refused the spent code, and its authorizer list gave the authorization back.
    expect((await t.calls({ path: '/cgi-bin/component/api_query_auth' })).map((c) => c.errcode)).toEqual([61009]);
    expect(await t.calls({ path: '/cgi-bin/component/api_get_authorizer_list' })).toHaveLength(1);
    // A reload names it again.
    expect((await t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`)).status).toBe(200);
  });
});

describe('the authorizer sync', () => {
  it('brings back a tenant whose row was lost while WeChat still has its authorization', async () => {
    const [appid] = await authorizeTenants(t, 2).then((appids) => appids.slice(1));
    await services().db.send(new DeleteCommand({ TableName: services().table, Key: { pk: `TENANT#${appid!}`, sk: 'PROFILE' } }));
    expect(await services().tenants.get(appid!)).toBeUndefined();

    const result = await sync();
    expect(result.recovered).toEqual([appid]);
    expect(result.checked).toBeGreaterThanOrEqual(2);
    const tenant = await services().tenants.get(appid!);
    expect(tenant).toMatchObject({ status: 'active', nickName: expect.any(String) });
    expect(tenant!.permissions.length).toBeGreaterThan(0);
    expect(await worksAtWeChat(appid!)).toBe(true);
    // Nothing left to recover: a second sync changes nothing.
    expect((await sync()).recovered).toEqual([]);
  });

  it('recovers a re-authorization whose push and redirect were both lost after a revocation', async () => {
    const appid = seeded[2]!;
    await authorizeTenants(t, 3);
    await t.admin('/revoke', { appid });
    await t.until(async () => (await services().tenants.get(appid))?.status === 'revoked');
    await nextSecond();
    await authorizeWithoutPush(appid); // nobody ever exchanges this code
    expect((await services().tenants.get(appid))?.status).toBe('revoked');

    expect((await sync()).recovered).toEqual([appid]);
    expect(await services().tenants.get(appid)).toMatchObject({ status: 'active' });
    expect(await worksAtWeChat(appid)).toBe(true);
  });

  it('tells a merchant whose spent code the sync recovered first that WeChat has the authorization (200, not "invalid code")', async () => {
    const appid = seeded[5]!;
    const code = await authorizeWithoutPush(appid);
    // The first exchange spent the code at WeChat and died; the scheduled sync then recovered the
    // authorization before the merchant reloaded the page.
    await new CodeClaims(services().db, services().table).claim(code, Date.now() - 60_000);
    await services().wechat.component.queryAuth(code);
    expect((await sync()).recovered).toContain(appid);

    const page = await t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Authorization received');
    expect(await new CodeClaims(services().db, services().table).get(code)).toEqual({ state: 'received' });
    // A reload says the same, without asking WeChat again.
    await t.admin('/calls', undefined, 'DELETE');
    const reload = await t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`);
    expect(reload.status).toBe(200);
    expect(await reload.text()).toContain('Authorization received');
    expect(await t.calls({ path: '/cgi-bin/component/api_query_auth' })).toEqual([]);
    expect(await services().tenants.get(appid)).toMatchObject({ status: 'active' });
  });

  it('asks WeChat to retry an `authorized` push whose code another request is still exchanging', async () => {
    const appid = seeded[6]!;
    const code = await authorizeWithoutPush(appid);
    // The redirect claimed the code a moment ago and is still working (or died within the stale window).
    await new CodeClaims(services().db, services().table).claim(code);
    const push = await t.push('/wechat/ticket', {
      AppId: t.stack.emulator!.platform.componentAppid,
      CreateTime: Math.floor(Date.now() / 1000),
      InfoType: 'authorized',
      AuthorizerAppid: appid,
      AuthorizationCode: code,
      AuthorizationCodeExpiredTime: Math.floor(Date.now() / 1000) + 600,
    });
    expect(push.status).toBe(409);
    expect(await push.text()).not.toBe('success');
  });

  it('does not undo a revocation mpfleet recorded after the authorization WeChat lists', async () => {
    const appid = seeded[3]!;
    await authorizeTenants(t, 4);
    await services().authorizerTokens.markRevoked(appid, Date.now());
    await services().tenants.markUnusable(appid, 'revoked', 'test', Date.now());

    expect((await sync()).recovered).not.toContain(appid);
    expect((await services().tenants.get(appid))?.status).toBe('revoked');
  });

  it('runs on the schedule at most once per interval', async () => {
    const first = await t.stack.invoke<{ sync?: TenantSyncResult }>('token-refresher', { 'detail-type': 'Scheduled Event' });
    expect(first.sync).toMatchObject({ checked: expect.any(Number), recovered: [] });
    const second = await t.stack.invoke<{ sync?: TenantSyncResult }>('token-refresher', { 'detail-type': 'Scheduled Event' });
    expect(second.sync).toBeUndefined();
    // An hour later it is due again.
    expect(await syncAuthorizersIfDue(services(), Date.now() + 3600_000 + 1)).toBeDefined();
  });
  it('gives a failed scheduled run its turn back, so the next schedule retries it', async () => {
    const later = Date.now() + 2 * 3600_000;
    const fault = await t.admin<{ id: string }>('/faults', { path: '/cgi-bin/component/api_get_authorizer_list', errcode: -1, times: 100 });
    try {
      await expect(syncAuthorizersIfDue(services(), later)).rejects.toThrow();
    } finally {
      await t.admin(`/faults/${fault.id}`, undefined, 'DELETE');
    }
    // Five minutes on, not an hour: the next run is due and succeeds.
    expect(await syncAuthorizersIfDue(services(), later + 5 * 60_000)).toMatchObject({ checked: expect.any(Number) });
    expect(await syncAuthorizersIfDue(services(), later + 10 * 60_000)).toBeUndefined();
  });
});

describe('a re-authorization in the same second as the revocation', () => {
  const revocation = (appid: string, createTime: number) =>
    t.push('/wechat/ticket', { AppId: t.stack.emulator!.platform.componentAppid, CreateTime: createTime, InfoType: 'unauthorized', AuthorizerAppid: appid });

  it('wins over the revocation, however late or often its push comes; a later revocation still revokes, and the result page then says so', async () => {
    const appid = seeded[4]!;
    await authorizeTenants(t, 5);
    await nextSecond(); // a revocation in the second of the first authorization would lose the tie
    const second = Math.floor(Date.now() / 1000);
    expect((await revocation(appid, second)).status).toBe(200);
    expect((await services().tenants.get(appid))?.status).toBe('revoked');

    // Authorized again within that same second (WeChat's CreateTime has whole seconds).
    const code = await authorizeWithoutPush(appid);
    expect(await exchangeAuthorizationCode(services(), code, { appid })).toMatchObject({ outcome: 'authorized', appid, again: true });
    expect((await services().tenants.get(appid))?.status).toBe('active');

    // WeChat retries the revocation push: within the authorization's second, so WeChat is asked,
    // and it still has the authorization.
    expect((await revocation(appid, second)).status).toBe(200);
    expect((await services().tenants.get(appid))?.status).toBe('active');
    expect(await worksAtWeChat(appid)).toBe(true);
    const page = await t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`);
    expect(page.status).toBe(200);

    // A revocation in a later second revokes it: the merchant's page no longer says it is authorized.
    expect((await revocation(appid, second + 2)).status).toBe(200);
    expect((await services().tenants.get(appid))?.status).toBe('revoked');
    const after = await t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`);
    expect(after.status).toBe(409);
    expect(await after.text()).toContain('Authorization not in effect');
  });
});
