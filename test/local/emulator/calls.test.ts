import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { admin, authorizeMiniProgram, callApi, startEmulatorWith } from './helpers';
import type { Authorized } from './helpers';

interface Call {
  seq: number;
  time: number;
  kind: string;
  method: string;
  path: string;
  appid?: string;
  errcode: number;
}

describe('call log', () => {
  let emulator: Emulator;
  let mp: Authorized;

  beforeEach(async () => {
    emulator = await startEmulatorWith(undefined);
    mp = await authorizeMiniProgram(emulator, 0);
  });
  afterEach(() => emulator.close());

  const calls = async (query = '') => (await admin(emulator, 'GET', `/__admin/calls${query}`)).json.calls as Call[];

  it('records every API call with method, path, appid and the errcode answered — never a token', async () => {
    await callApi(emulator, '/wxa/get_category', { query: { access_token: mp.accessToken } });
    await callApi(emulator, '/wxa/submit_audit', { query: { access_token: mp.accessToken }, body: {} });
    await callApi(emulator, '/wxa/get_category', { query: { access_token: 'forged' } });
    await callApi(emulator, '/wxa/no_such_api');

    const log = await calls('?kind=api');
    expect(log.slice(-4)).toEqual([
      expect.objectContaining({ method: 'GET', path: '/wxa/get_category', appid: mp.appid, errcode: 0 }),
      expect.objectContaining({ method: 'POST', path: '/wxa/submit_audit', appid: mp.appid, errcode: 85086 }),
      expect.objectContaining({ method: 'GET', path: '/wxa/get_category', errcode: 40001 }),
      expect.objectContaining({ path: '/wxa/no_such_api', errcode: 40066 }),
    ]);
    expect(log.every((call) => typeof call.time === 'number' && typeof call.seq === 'number')).toBe(true);
    expect(JSON.stringify(log)).not.toContain(mp.accessToken);
    expect(JSON.stringify(log)).not.toContain('forged');
  });

  it('filters by path, appid and since, and can be cleared', async () => {
    const other = await authorizeMiniProgram(emulator, 1);
    await sleep(5); // `since` is inclusive: step past the millisecond of the setup calls
    const before = Date.now();
    await callApi(emulator, '/wxa/get_category', { query: { access_token: mp.accessToken } });
    await callApi(emulator, '/wxa/get_page', { query: { access_token: other.accessToken } });

    expect((await calls('?path=wxa/get_page')).map((c) => c.appid)).toEqual([other.appid]);
    expect((await calls(`?appid=${mp.appid}&path=/wxa/get_category`))).toHaveLength(1);
    expect((await calls(`?since=${before}`)).map((c) => c.path)).toEqual(['/wxa/get_category', '/wxa/get_page']);
    expect((await admin(emulator, 'GET', '/__admin/calls?since=yesterday')).status).toBe(400);

    await admin(emulator, 'DELETE', '/__admin/calls');
    expect(await calls()).toEqual([]);
  });
});
