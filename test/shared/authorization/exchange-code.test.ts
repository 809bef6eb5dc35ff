import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeClaims } from '../../../shared/authorization/code-claims';
import { exchangeAuthorizationCode } from '../../../shared/authorization/exchange-code';
import { services } from '../../../shared/services';
import { startTestStack, type TestStack } from '../../support/stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ emulator: { miniPrograms: 8 } });
  await t.until(async () => services().tickets.latest());
});
afterAll(() => t?.close());

/**
 * Authorizes the nth seeded mini-program at WeChat while the `authorized` push cannot reach
 * mpfleet (as if the invocation handling it died): answers the code it was given.
 */
async function authorizeWithoutPush(n: number): Promise<{ appid: string; code: string }> {
  const appid = (await t.seededAppids())[n]!;
  const { ticketUrl } = await t.admin<{ ticketUrl: string }>('/push-targets', {});
  await t.admin('/push-targets', { ticketUrl: 'http://127.0.0.1:9/nowhere' });
  try {
    const { auth_code: code } = await t.admin<{ auth_code: string }>('/authorize', { appid });
    return { appid, code };
  } finally {
    await t.admin('/push-targets', { ticketUrl });
  }
}

describe('exchanging an authorization code', () => {
  it('finishes the work of an invocation that died after WeChat answered (the code is single use)', async () => {
    const appid = (await t.seededAppids())[4]!;
    const code = 'queryauthcode@@@died-after-answer';
    const claims = new CodeClaims(services().db, services().table);
    const longAgo = Date.now() - 5 * 60_000;
    // What the dead invocation left: the claim, and WeChat's answer saved before anything else.
    expect(await claims.claim(code, longAgo)).toBe(true);
    await claims.saveAnswer(
      code,
      { authorizer_appid: appid, authorizer_access_token: 'token-from-the-dead', expires_in: 7200, authorizer_refresh_token: 'refresh-from-the-dead', func_info: [{ funcscope_category: { id: 18 } }] },
      longAgo,
    );

    const result = await exchangeAuthorizationCode(services(), code);
    expect(result).toEqual({ outcome: 'authorized', appid, again: false });
    expect(await services().tenants.get(appid)).toMatchObject({ status: 'active', permissions: [18] });
    expect(await claims.get(code)).toEqual({ state: 'done', appid, again: false, doneAtMs: expect.any(Number) });
    // The refresh token now lives only in the token item, not in a claim kept for a day.
    const claimItem = (await t.snapshot()).find((item) => item.pk === `AUTHCODE#${code}`)!;
    expect(JSON.stringify(claimItem)).not.toContain('refresh-from-the-dead');
    // A third arrival is a plain duplicate.
    expect(await exchangeAuthorizationCode(services(), code)).toEqual({ outcome: 'duplicate', appid, again: false, completedAtMs: expect.any(Number) });
  });

  it('takes over a claim whose holder died before asking WeChat, and exchanges the code', async () => {
    const { appid, code } = await authorizeWithoutPush(5);
    const claims = new CodeClaims(services().db, services().table);
    // The dead invocation claimed the code a minute ago and never got further.
    expect(await claims.claim(code, Date.now() - 60_000)).toBe(true);

    expect(await exchangeAuthorizationCode(services(), code)).toEqual({ outcome: 'authorized', appid, again: false });
    expect(await services().tenants.get(appid)).toMatchObject({ status: 'active' });
    expect(await services().authorizerTokens.forTenant(appid).get()).toEqual(expect.any(String));
    expect(await claims.get(code)).toMatchObject({ state: 'done', appid });
  });

  it('recovers from the authorizer list when the dead holder had already used the code at WeChat', async () => {
    const { appid, code } = await authorizeWithoutPush(6);
    const claims = new CodeClaims(services().db, services().table);
    expect(await claims.claim(code, Date.now() - 60_000)).toBe(true);
    // The dead invocation's api_query_auth went through: the single-use code is spent.
    await services().wechat.component.queryAuth(code);
    await t.admin('/calls', undefined, 'DELETE');

    // The push names the mini-program: its retry recovers exactly that authorization.
    expect(await exchangeAuthorizationCode(services(), code, { appid })).toEqual({ outcome: 'authorized', appid, again: false });
    expect((await t.calls({ path: '/cgi-bin/component/api_query_auth' })).map((c) => c.errcode)).toEqual([61009]);
    expect(await t.calls({ path: '/cgi-bin/component/api_get_authorizer_list' })).toHaveLength(1);
    expect(await services().tenants.get(appid)).toMatchObject({ status: 'active', permissions: expect.arrayContaining([18]) });
    expect(await services().authorizerTokens.forTenant(appid).get()).toEqual(expect.any(String));
    // A later arrival is a plain duplicate naming it.
    expect(await exchangeAuthorizationCode(services(), code)).toMatchObject({ outcome: 'duplicate', appid });
  });

  it('recovers a code whose exchange lost WeChat\'s answer after WeChat spent it, on the next arrival and at once', async () => {
    const { appid, code } = await authorizeWithoutPush(7);
    const claims = new CodeClaims(services().db, services().table);
    // The first arrival claimed the code, WeChat used it, and the answer never came back (a network
    // failure): the claim is released, stale at once, not deleted.
    expect(await claims.claim(code)).toBe(true);
    await services().wechat.component.queryAuth(code);
    await claims.release(code);
    expect(await claims.get(code)).toEqual({ state: 'exchanging', claimedAtMs: 0 });

    const started = Date.now();
    expect(await exchangeAuthorizationCode(services(), code)).toEqual({ outcome: 'authorized', appid, again: false });
    expect(Date.now() - started).toBeLessThan(2_000); // no wait for a holder that is gone
    expect(await services().tenants.get(appid)).toMatchObject({ status: 'active' });
  });

  it('lets exactly one of two late arrivals take a stale claim over', async () => {
    const claims = new CodeClaims(services().db, services().table);
    const code = 'queryauthcode@@@two-late-arrivals';
    const longAgo = Date.now() - 60_000;
    expect(await claims.claim(code, longAgo)).toBe(true);
    const won = await Promise.all([claims.takeOver(code, longAgo), claims.takeOver(code, longAgo)]);
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('leaves a fresh claim to its holder', async () => {
    const code = 'queryauthcode@@@still-working';
    const claims = new CodeClaims(services().db, services().table);
    expect(await claims.claim(code)).toBe(true);
    const started = Date.now();
    expect(await exchangeAuthorizationCode(services(), code)).toEqual({ outcome: 'in_progress' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900); // waited for the holder, then said to ask again
  });
});
