import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeClaims } from '../../../shared/authorization/code-claims';
import { exchangeAuthorizationCode } from '../../../shared/authorization/exchange-code';
import { services } from '../../../shared/services';
import { startTestStack, type TestStack } from '../../support/stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
  await t.until(async () => services().tickets.latest());
});
afterAll(() => t?.close());

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

  it('leaves a fresh claim to its holder', async () => {
    const code = 'queryauthcode@@@still-working';
    const claims = new CodeClaims(services().db, services().table);
    expect(await claims.claim(code)).toBe(true);
    const started = Date.now();
    expect(await exchangeAuthorizationCode(services(), code)).toEqual({ outcome: 'duplicate' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900); // waited for the holder, then gave up politely
  });
});
