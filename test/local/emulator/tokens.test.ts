import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, authorizeMiniProgram, callApi, componentToken, startEmulatorWith } from './helpers';

/** A clock the test moves forward, for expiry without waiting. */
function fakeClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => (offset += ms) };
}

describe('component token', () => {
  let emulator: Emulator;
  const clock = fakeClock();

  beforeEach(async () => {
    emulator = await startEmulatorWith(undefined, { now: clock.now, ticketTtlSec: 3600, componentTokenTtlSec: 7200 });
  });
  afterEach(() => emulator.close());

  const tokenRequest = (overrides: Record<string, unknown>) => ({
    component_appid: emulator.platform.componentAppid,
    component_appsecret: emulator.platform.componentSecret,
    ...overrides,
  });

  it('is issued for a pushed ticket, with expires_in and no errcode', async () => {
    const { ticket } = emulator.pushTicket();
    const answer = await callApi(emulator, '/cgi-bin/component/api_component_token', {
      body: tokenRequest({ component_verify_ticket: ticket }),
    });
    expect(answer.component_access_token).toEqual(expect.any(String));
    expect(answer.expires_in).toBe(7200);
    expect(answer.errcode).toBeUndefined();
  });

  it.each([
    ['a missing appid', 41002, { component_appid: undefined }],
    ['a wrong appid', 40013, { component_appid: 'wx0000000000000000' }],
    ['a missing secret', 41004, { component_appsecret: undefined }],
    ['a wrong secret', 40125, { component_appsecret: 'nope' }],
    ['an unknown ticket', 61006, { component_verify_ticket: 'ticket@@@forged' }],
  ])('answers %s with errcode %i and a WeChat-style errmsg', async (_case, errcode, overrides) => {
    const { ticket } = emulator.pushTicket();
    const answer = await callApi(emulator, '/cgi-bin/component/api_component_token', {
      body: tokenRequest({ component_verify_ticket: ticket, ...overrides }),
    });
    expect(answer.errcode).toBe(errcode);
    expect(answer.errmsg).toMatch(RID_ERRMSG);
  });

  it('refuses an expired ticket with 61005 but accepts an older still-valid one', async () => {
    const { ticket: older } = emulator.pushTicket();
    clock.advance(1800_000);
    emulator.pushTicket();
    const withOlder = await callApi(emulator, '/cgi-bin/component/api_component_token', {
      body: tokenRequest({ component_verify_ticket: older }),
    });
    expect(withOlder.component_access_token).toEqual(expect.any(String));

    clock.advance(1800_000);
    const expired = await callApi(emulator, '/cgi-bin/component/api_component_token', {
      body: tokenRequest({ component_verify_ticket: older }),
    });
    expect(expired.errcode).toBe(61005);
  });

  it('is accepted as component_access_token or access_token; missing → 41001, unknown → 40001', async () => {
    const token = await componentToken(emulator);
    const body = { component_appid: emulator.platform.componentAppid };
    const path = '/cgi-bin/component/api_create_preauthcode';
    expect((await callApi(emulator, path, { query: { component_access_token: token }, body })).pre_auth_code).toEqual(expect.any(String));
    expect((await callApi(emulator, path, { query: { access_token: token }, body })).pre_auth_code).toEqual(expect.any(String));
    expect((await callApi(emulator, path, { body })).errcode).toBe(41001);
    expect((await callApi(emulator, path, { query: { access_token: 'forged' }, body })).errcode).toBe(40001);
  });

  it('expires after its lifetime with 42001', async () => {
    const token = await componentToken(emulator);
    clock.advance(7200_000);
    const answer = await callApi(emulator, '/wxa/gettemplatelist', { query: { access_token: token } });
    expect(answer.errcode).toBe(42001);
    expect(answer.errmsg).toMatch(/^access_token expired rid: /);
  });

  it('keeps a superseded token working for the grace period, then answers 40001', async () => {
    const first = await componentToken(emulator);
    await componentToken(emulator);
    expect((await callApi(emulator, '/wxa/gettemplatelist', { query: { access_token: first } })).errcode).toBe(0);
    clock.advance(300_000);
    const stale = await callApi(emulator, '/wxa/gettemplatelist', { query: { access_token: first } });
    expect(stale.errcode).toBe(40001);
    expect(stale.errmsg).toMatch(/^invalid credential, access_token is invalid or not latest rid: /);
  });

  it('is killed at once by the admin invalidate-token endpoint', async () => {
    const token = await componentToken(emulator);
    expect((await admin(emulator, 'POST', '/__admin/invalidate-token', {})).json.invalidated).toBe(1);
    expect((await callApi(emulator, '/wxa/gettemplatelist', { query: { access_token: token } })).errcode).toBe(40001);
  });
});

describe('authorizer token', () => {
  let emulator: Emulator;
  const clock = fakeClock();

  afterEach(() => emulator.close());

  it('is refreshed with the refresh token; a wrong one answers 61023', async () => {
    emulator = await startEmulatorWith(undefined, { now: clock.now });
    const component = await componentToken(emulator);
    const { appid, refreshToken } = await authorizeMiniProgram(emulator, 0, component);
    const refresh = (token: string) =>
      callApi(emulator, '/cgi-bin/component/api_authorizer_token', {
        query: { component_access_token: component },
        body: { component_appid: emulator.platform.componentAppid, authorizer_appid: appid, authorizer_refresh_token: token },
      });
    const refreshed = await refresh(refreshToken);
    expect(refreshed.authorizer_access_token).toEqual(expect.any(String));
    expect(refreshed.authorizer_refresh_token).toBe(refreshToken); // default: not rotated
    expect((await refresh('refreshtoken@@@forged')).errcode).toBe(61023);
  });

  it('rotates the refresh token when configured, and the old one then answers 61023', async () => {
    emulator = await startEmulatorWith(undefined, { now: clock.now, rotateRefreshToken: true });
    const component = await componentToken(emulator);
    const { appid, refreshToken } = await authorizeMiniProgram(emulator, 0, component);
    const refresh = (token: string) =>
      callApi(emulator, '/cgi-bin/component/api_authorizer_token', {
        query: { component_access_token: component },
        body: { component_appid: emulator.platform.componentAppid, authorizer_appid: appid, authorizer_refresh_token: token },
      });
    const rotated = await refresh(refreshToken);
    expect(rotated.authorizer_refresh_token).not.toBe(refreshToken);
    expect((await refresh(refreshToken)).errcode).toBe(61023);
    expect((await refresh(rotated.authorizer_refresh_token as string)).authorizer_access_token).toEqual(expect.any(String));
  });

  it('validates on code APIs: stale after grace 40001, expired 42001, invalidated 40001, wrong kind 40001', async () => {
    emulator = await startEmulatorWith(undefined, { now: clock.now, tokenGraceSec: 60, authorizerTokenTtlSec: 3600 });
    const component = await componentToken(emulator);
    const first = await authorizeMiniProgram(emulator, 0, component);
    const category = (token: string) => callApi(emulator, '/wxa/get_category', { query: { access_token: token } });
    expect((await category(first.accessToken)).errcode).toBe(0);
    expect((await category(component)).errcode).toBe(40001);

    const second = await authorizeMiniProgram(emulator, 0, component); // a new token for the same appid
    expect((await category(first.accessToken)).errcode).toBe(0);
    clock.advance(60_000);
    expect((await category(first.accessToken)).errcode).toBe(40001);
    expect((await category(second.accessToken)).errcode).toBe(0);

    clock.advance(3600_000);
    expect((await category(second.accessToken)).errcode).toBe(42001);

    const third = await authorizeMiniProgram(emulator, 0, await componentToken(emulator));
    await admin(emulator, 'POST', '/__admin/invalidate-token', { appid: third.appid });
    expect((await category(third.accessToken)).errcode).toBe(40001);
  });
});
