import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { admin, authorizeMiniProgram, callApi, componentToken, isPushOf, openReceivedPush, startEmulatorWith, startReceiver } from './helpers';
import type { Receiver } from './helpers';

describe('revoking an authorization', () => {
  let emulator: Emulator;
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver();
    emulator = await startEmulatorWith(receiver);
  });
  afterEach(async () => {
    await emulator.close();
    await receiver.close();
  });

  it('pushes "unauthorized" and then answers 61003 for that appid', async () => {
    const component = await componentToken(emulator);
    const mp = await authorizeMiniProgram(emulator, 0, component);
    const other = await authorizeMiniProgram(emulator, 1, component);

    expect((await admin(emulator, 'POST', '/__admin/revoke', { appid: mp.appid })).json).toMatchObject({ ok: true });
    const { fields } = openReceivedPush(await receiver.waitFor(isPushOf('unauthorized')));
    expect(fields).toMatchObject({ AppId: emulator.platform.componentAppid, InfoType: 'unauthorized', AuthorizerAppid: mp.appid });

    expect((await callApi(emulator, '/wxa/get_category', { query: { access_token: mp.accessToken } })).errcode).toBe(61003);
    const refresh = await callApi(emulator, '/cgi-bin/component/api_authorizer_token', {
      query: { component_access_token: component },
      body: { component_appid: emulator.platform.componentAppid, authorizer_appid: mp.appid, authorizer_refresh_token: mp.refreshToken },
    });
    expect(refresh.errcode).toBe(61003);
    const info = await callApi(emulator, '/cgi-bin/component/api_get_authorizer_info', {
      query: { component_access_token: component },
      body: { component_appid: emulator.platform.componentAppid, authorizer_appid: mp.appid },
    });
    expect(info.errcode).toBe(61003);
    // Other tenants are untouched.
    expect((await callApi(emulator, '/wxa/get_category', { query: { access_token: other.accessToken } })).errcode).toBe(0);
  });

  it('drops the appid from the authorizer list, and re-authorizing does not revive old tokens', async () => {
    const component = await componentToken(emulator);
    const mp = await authorizeMiniProgram(emulator, 0, component);
    await authorizeMiniProgram(emulator, 1, component);
    await admin(emulator, 'POST', '/__admin/revoke', { appid: mp.appid });
    const list = await callApi(emulator, '/cgi-bin/component/api_get_authorizer_list', {
      query: { component_access_token: component },
      body: { component_appid: emulator.platform.componentAppid, offset: 0, count: 500 },
    });
    expect(list.total_count).toBe(1);
    expect((list.list as { authorizer_appid: string }[]).map((item) => item.authorizer_appid)).not.toContain(mp.appid);

    const again = await authorizeMiniProgram(emulator, 0, component);
    expect((await callApi(emulator, '/wxa/get_category', { query: { access_token: mp.accessToken } })).errcode).toBe(40001);
    expect((await callApi(emulator, '/wxa/get_category', { query: { access_token: again.accessToken } })).errcode).toBe(0);
  });

  it('refuses to revoke an appid that is not authorized, and an unknown one', async () => {
    const appid = emulator.state.seeded[3]!.appid;
    expect((await admin(emulator, 'POST', '/__admin/revoke', { appid })).status).toBe(400);
    expect((await admin(emulator, 'POST', '/__admin/revoke', { appid: 'wx0000000000000000' })).status).toBe(404);
    expect((await admin(emulator, 'POST', '/__admin/revoke', {})).status).toBe(400);
  });
});
