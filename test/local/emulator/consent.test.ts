import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { callApi, componentToken, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Receiver } from './helpers';

const REDIRECT = 'https://service.example/auth/callback?state=s1';

describe('authorization pages and consent', () => {
  let emulator: Emulator;
  let receiver: Receiver;
  let token: string;
  let offsetMs = 0;

  beforeEach(async () => {
    offsetMs = 0;
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver, { now: () => Date.now() + offsetMs });
    token = await componentToken(emulator);
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  async function preAuthCode(): Promise<string> {
    const answer = await callApi(emulator, '/cgi-bin/component/api_create_preauthcode', {
      query: { component_access_token: token },
      body: { component_appid: emulator.platform.componentAppid },
    });
    expect(answer.expires_in).toBe(1800);
    return answer.pre_auth_code as string;
  }

  function linkParams(code: string, extra: Record<string, string> = {}): URLSearchParams {
    return new URLSearchParams({
      component_appid: emulator.platform.componentAppid,
      pre_auth_code: code,
      redirect_uri: REDIRECT,
      auth_type: '2',
      ...extra,
    });
  }

  const openPage = (params: URLSearchParams, path = '/cgi-bin/componentloginpage') =>
    fetch(`${emulator.url}${path}?${params}`).then(async (r) => ({ status: r.status, html: await r.text(), type: r.headers.get('content-type') }));

  const consent = (params: URLSearchParams, appid: string, path = '/cgi-bin/componentloginpage') => {
    const form = new URLSearchParams(params);
    form.set('authorizer_appid', appid);
    return fetch(`${emulator.url}${path}/confirm`, {
      method: 'POST',
      body: form,
      redirect: 'manual',
    });
  };

  const queryAuth = (code: string) =>
    callApi(emulator, '/cgi-bin/component/api_query_auth', {
      query: { component_access_token: token },
      body: { component_appid: emulator.platform.componentAppid, authorization_code: code },
    });

  it('lists the seeded mini-programs on a mobile-friendly page', async () => {
    const page = await openPage(linkParams(await preAuthCode()));
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.html).toContain('name="viewport"');
    for (const mp of emulator.state.seeded) expect(page.html).toContain(mp.appid);
    expect(page.html).toContain('action="/cgi-bin/componentloginpage/confirm"');
  });

  it('on consent redirects with a single-use auth code and pushes "authorized"', async () => {
    const code = await preAuthCode();
    const mp = emulator.state.seeded[1]!;
    const response = await consent(linkParams(code), mp.appid);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe('https://service.example/auth/callback');
    expect(location.searchParams.get('state')).toBe('s1');
    expect(location.searchParams.get('expires_in')).toBe('600');
    const authCode = location.searchParams.get('auth_code') ?? '';

    const push = await receiver.waitFor(isPushOf('authorized'));
    const { fields } = openReceivedPush(push);
    expect(fields).toMatchObject({
      AppId: emulator.platform.componentAppid,
      InfoType: 'authorized',
      AuthorizerAppid: mp.appid,
      AuthorizationCode: authCode,
      PreAuthCode: code,
    });
    const expiresAt = Number(fields.AuthorizationCodeExpiredTime);
    expect(expiresAt - Date.now() / 1000).toBeGreaterThan(590);

    const first = await queryAuth(authCode);
    expect(first.authorization_info).toMatchObject({ authorizer_appid: mp.appid, expires_in: 7200 });
    const second = await queryAuth(authCode);
    expect(second.errcode).toBe(61009);
  });

  it('treats the pre_auth_code as single use', async () => {
    const code = await preAuthCode();
    expect((await consent(linkParams(code), emulator.state.seeded[0]!.appid)).status).toBe(302);
    const reopened = await openPage(linkParams(code));
    expect(reopened.status).toBe(400);
    expect(reopened.html).toContain('already used');
    expect((await consent(linkParams(code), emulator.state.seeded[0]!.appid)).status).toBe(400);
  });

  it('pushes "updateauthorized" when the mini-program was already authorized', async () => {
    const appid = emulator.state.seeded[0]!.appid;
    await consent(linkParams(await preAuthCode()), appid);
    await receiver.waitFor(isPushOf('authorized'));
    await consent(linkParams(await preAuthCode()), appid, '/wxaopen/safe/bindcomponent');
    const push = await receiver.waitFor(isPushOf('updateauthorized'));
    expect(openReceivedPush(push).fields.AuthorizerAppid).toBe(appid);
  });

  it('refuses an expired auth code and an expired pre_auth_code', async () => {
    const code = await preAuthCode();
    const response = await consent(linkParams(code), emulator.state.seeded[0]!.appid, '/safe/bindcomponent');
    const authCode = new URL(response.headers.get('location') ?? '').searchParams.get('auth_code') ?? '';
    const unusedPreAuthCode = await preAuthCode();
    offsetMs = 1800_000;
    expect((await queryAuth(authCode)).errcode).toBe(61010);
    const page = await openPage(linkParams(unusedPreAuthCode));
    expect(page.status).toBe(400);
    expect(page.html).toContain('expired');
  });

  it.each([
    ['a wrong component_appid', { component_appid: 'wx0000000000000000' }, 'component_appid'],
    ['an unknown pre_auth_code', { pre_auth_code: 'preauthcode@@@forged' }, 'pre_auth_code'],
    ['a missing redirect_uri', { redirect_uri: '' }, 'redirect_uri'],
    ['a non-http redirect_uri', { redirect_uri: 'javascript:alert(1)' }, 'redirect_uri'],
    ['an invalid auth_type', { auth_type: '7' }, 'auth_type'],
    ['an unknown biz_appid', { biz_appid: 'wx0000000000000000' }, 'biz_appid'],
  ])('shows an error page for %s', async (_case, override, mentioned) => {
    const page = await openPage(linkParams(await preAuthCode(), override));
    expect(page.status).toBe(400);
    expect(page.html).toContain(mentioned);
  });

  it('says there is no eligible account for auth_type=1 (official accounts only)', async () => {
    const page = await openPage(linkParams(await preAuthCode(), { auth_type: '1' }));
    expect(page.status).toBe(200);
    expect(page.html).toContain('No eligible account');
    expect(page.html).not.toContain('/confirm');
  });

  it('restricts the choice to biz_appid', async () => {
    const [first, second] = emulator.state.seeded;
    const params = linkParams(await preAuthCode(), { biz_appid: second!.appid });
    const page = await openPage(params);
    expect(page.html).toContain(second!.appid);
    expect(page.html).not.toContain(first!.appid);
    expect((await consent(params, first!.appid)).status).toBe(400);
    expect((await consent(params, second!.appid)).status).toBe(302);
  });

  it('escapes everything it echoes', async () => {
    const evil = 'https://service.example/cb?x="><script>alert(1)</script>';
    const page = await openPage(linkParams(await preAuthCode(), { redirect_uri: evil }));
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('<script>alert(1)</script>');
    expect(page.html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
