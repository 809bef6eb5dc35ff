import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
  await t.admin('/push-ticket', {});
  await t.until(async () => services().tickets.latest());
});
afterAll(() => t?.close());

/** Reads the hidden inputs and the first offered mini-program of the emulator's consent form. */
function consentForm(html: string): { action: string; fields: Record<string, string>; offered: string[] } {
  const form = /<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error('no consent form');
  const fields: Record<string, string> = {};
  for (const [, name, value] of form[2]!.matchAll(/<input type="(?:hidden|radio)" name="([^"]+)" value="([^"]*)"/g)) {
    fields[name!] ??= value!.replace(/&amp;/g, '&');
  }
  const offered = [...form[2]!.matchAll(/<input type="radio" name="authorizer_appid" value="([^"]*)"/g)].map((m) => m[1]!);
  return { action: form[1]!, fields, offered };
}

/** `appid`: a given mini-program, or the nth offered one. */
async function consentAsAPerson(platformKind: 'pc' | 'mobile', appid?: string | number): Promise<{ callback: string; appid: string }> {
  const start = await t.api(`/authorize?platform=${platformKind}`);
  expect(start.status).toBe(302);
  const consentUrl = new URL(start.headers.get('location')!);
  expect(consentUrl.pathname).toBe(platformKind === 'pc' ? '/cgi-bin/componentloginpage' : '/wxaopen/safe/bindcomponent');
  const page = await fetch(consentUrl);
  expect(page.status).toBe(200);
  const { action, fields, offered } = consentForm(await page.text());
  if (appid !== undefined) fields.authorizer_appid = typeof appid === 'number' ? offered[appid]! : appid;
  const confirm = await fetch(new URL(action, consentUrl), {
    method: 'POST',
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
  expect(confirm.status).toBe(302);
  return { callback: confirm.headers.get('location')!, appid: fields.authorizer_appid! };
}

describe('a merchant authorizes on the consent page', () => {
  it('shows the landing page with both actions', async () => {
    const response = await t.api('/authorize');
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('/authorize?platform=pc');
    expect(html).toContain('/authorize?platform=mobile');
  });

  it('ends as an active tenant with working tokens, named on the result page', async () => {
    const { callback, appid } = await consentAsAPerson('pc');
    const callbackUrl = new URL(callback);
    expect(callbackUrl.pathname).toBe('/auth/callback');
    const result = await t.api(`${callbackUrl.pathname}${callbackUrl.search}`);
    expect(result.status).toBe(200);
    const html = await result.text();
    const tenant = await services().tenants.get(appid);
    expect(tenant).toMatchObject({ appid, status: 'active' });
    expect(html).toContain(tenant!.nickName!);
    expect(html).toContain(appid);
    // The push may have exchanged the code before the browser arrived: still this authorization.
    expect(html).not.toContain('Already authorized');

    // The tokens work: an authorizer API call through the token service succeeds.
    const categories = await services().authorizerTokens.forTenant(appid).use((token) => services().authorizerApi.getCategory(token));
    expect(Array.isArray(categories.category_list)).toBe(true);
    // The OAuth redirect and the authorized push carried the same code: exchanged once.
    await t.until(async () => (await t.calls({ kind: 'push' })).some((c) => c.type === 'authorized'));
    expect(await t.calls({ path: '/cgi-bin/component/api_query_auth' })).toHaveLength(1);
  });

  it('works from the in-WeChat page too', async () => {
    const { callback } = await consentAsAPerson('mobile');
    const url = new URL(callback);
    expect((await t.api(`${url.pathname}${url.search}`)).status).toBe(200);
  });

  it('a code reused long after shows the already-authorized page; a forged one an error and stores nothing', async () => {
    const { callback, appid } = await consentAsAPerson('pc');
    const url = new URL(callback);
    expect((await t.api(`${url.pathname}${url.search}`)).status).toBe(200);
    // The release-gate check the authorization queued has run (it writes to the tenant, below).
    await t.until(async () => {
      const tenant = await services().tenants.get(appid);
      return tenant?.readiness && tenant.readiness.checkedAtMs >= tenant.authorizedAtMs;
    });
    // A reload right away is still this authorization.
    const reload = await t.api(`${url.pathname}${url.search}`);
    expect(reload.status).toBe(200);
    expect(await reload.text()).not.toContain('Already authorized');
    // Long after the code was used, the page says nothing more is to be done.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 11 * 60_000);
      const again = await t.api(`${url.pathname}${url.search}`);
      expect(again.status).toBe(200);
      expect(await again.text()).toContain('Already authorized');
    } finally {
      vi.useRealTimers();
    }

    const before = await t.snapshot();
    const forged = await t.api('/auth/callback?auth_code=queryauthcode@@@forged&expires_in=600');
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('Invalid or expired code');
    const after = await t.snapshot();
    // Only the claim recording the refusal is new: no tenant, no token.
    // (A tenant's readiness is read from WeChat on its own schedule: not the forged code's doing.)
    const stored = (items: Record<string, unknown>[]) => items.filter((item) => !String(item.pk).startsWith('AUTHCODE#')).map(({ readiness: _readiness, ...item }) => item);
    expect(stored(after)).toEqual(stored(before));
    expect((await t.api('/auth/callback')).status).toBe(400);
  });

  it('a revoked mini-program authorized again is told so, not that it was already authorized', async () => {
    const first = await consentAsAPerson('pc', 2); // one no other test authorizes
    expect((await t.api(new URL(first.callback).pathname + new URL(first.callback).search)).status).toBe(200);
    await t.admin('/revoke', { appid: first.appid });
    await t.until(async () => (await services().tenants.get(first.appid))?.status === 'revoked');

    const again = await consentAsAPerson('pc', first.appid);
    const url = new URL(again.callback);
    const page = await t.api(`${url.pathname}${url.search}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Authorized again');
    expect(html).not.toContain('Already authorized');
    // Reloading the page still says so.
    expect(await (await t.api(`${url.pathname}${url.search}`)).text()).toContain('Authorized again');
  });

  it('rejects a bad services, auth_type or biz_appid with a 400 page', async () => {
    expect((await t.api('/authorize?platform=tv')).status).toBe(400);
    expect((await t.api('/authorize?platform=pc&auth_type=9')).status).toBe(400);
    expect((await t.api('/authorize?platform=pc&biz_appid=nope')).status).toBe(400);
  });

  it('passes biz_appid and auth_type through to WeChat', async () => {
    const appid = (await t.seededAppids())[3]!;
    const response = await t.api(`/authorize?platform=pc&auth_type=3&biz_appid=${appid}`);
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('auth_type')).toBe('3');
    expect(location.searchParams.get('biz_appid')).toBe(appid);
    expect(location.searchParams.get('redirect_uri')).toBe(`${t.stack.url}/auth/callback`);
  });
});
