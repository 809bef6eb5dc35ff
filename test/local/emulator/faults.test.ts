import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { RID_ERRMSG, admin, authorizeMiniProgram, callApi, startEmulatorWith } from './helpers';
import type { Authorized } from './helpers';

describe('fault injection', () => {
  let emulator: Emulator;
  let first: Authorized;
  let second: Authorized;

  beforeEach(async () => {
    emulator = await startEmulatorWith(undefined);
    first = await authorizeMiniProgram(emulator, 0);
    second = await authorizeMiniProgram(emulator, 1);
  });
  afterEach(() => emulator.close());

  const category = (mp: Authorized) => callApi(emulator, '/wxa/get_category', { query: { access_token: mp.accessToken } });
  const addFault = (rule: Record<string, unknown>) => admin(emulator, 'POST', '/__admin/faults', rule);

  it('fails the next N calls of a path with the chosen errcode, then stops', async () => {
    const created = await addFault({ path: 'wxa/get_category', errcode: -1, times: 2 });
    expect(created.status).toBe(201);
    expect(created.json.id).toEqual(expect.any(String));
    const answers = [await category(first), await category(second), await category(first)];
    expect(answers.map((a) => a.errcode)).toEqual([-1, -1, 0]);
    expect(answers[0]!.errmsg).toMatch(/^system error rid: /);
    expect((await admin(emulator, 'GET', '/__admin/faults')).json.faults).toEqual([]);
  });

  it('matches by appid (resolved from the access token), with a custom errmsg', async () => {
    await addFault({ appid: first.appid, errcode: 61039, errmsg: 'privacy scan running' });
    const failed = await callApi(emulator, '/wxa/get_page', { query: { access_token: first.accessToken } });
    expect(failed.errcode).toBe(61039);
    expect(failed.errmsg).toMatch(/^privacy scan running/);
    expect(failed.errmsg).toMatch(RID_ERRMSG);
    expect((await category(second)).errcode).toBe(0);
    expect((await category(first)).errcode).toBe(61039); // no `times`: stays until deleted
  });

  it('matches by path and appid together', async () => {
    await addFault({ path: '/wxa/commit', appid: second.appid, errcode: 85013 });
    expect((await category(second)).errcode).toBe(0);
    const commit = await callApi(emulator, '/wxa/commit', { query: { access_token: second.accessToken }, body: {} });
    expect(commit.errcode).toBe(85013);
  });

  it('affects about the given fraction of calls', async () => {
    await addFault({ path: '/wxa/get_category', errcode: 45011, fraction: 0.5 });
    const answers = await Promise.all(Array.from({ length: 200 }, () => category(first)));
    const failed = answers.filter((a) => a.errcode === 45011).length;
    expect(failed).toBeGreaterThan(50);
    expect(failed).toBeLessThan(150);
  });

  it('adds latency before answering', async () => {
    await addFault({ path: '/wxa/get_category', latencyMs: 300, times: 1 });
    const started = performance.now();
    expect((await category(first)).errcode).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    const quick = performance.now();
    await category(first);
    expect(performance.now() - quick).toBeLessThan(250);
  });

  it('deletes one rule or all of them', async () => {
    const a = await addFault({ path: '/wxa/get_category', errcode: -1 });
    await addFault({ path: '/wxa/get_page', errcode: -1 });
    expect((await admin(emulator, 'DELETE', `/__admin/faults/${String(a.json.id)}`)).json).toEqual({ removed: 1 });
    expect((await category(first)).errcode).toBe(0);
    expect((await admin(emulator, 'DELETE', `/__admin/faults/${String(a.json.id)}`)).status).toBe(404);
    expect((await admin(emulator, 'DELETE', '/__admin/faults')).json).toEqual({ removed: 1 });
  });

  it.each([
    [{}, 'errcode'],
    [{ path: '/wxa/commit' }, 'errcode'],
    [{ errcode: 'x' }, 'errcode'],
    [{ errcode: -1, times: 0 }, 'times'],
    [{ errcode: -1, fraction: 2 }, 'fraction'],
    [{ latencyMs: -5 }, 'latencyMs'],
    [{ errcode: -1, colour: 'red' }, 'colour'],
  ])('answers 400 for %j', async (rule, mentioned) => {
    const answer = await addFault(rule);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toContain(mentioned);
  });
});
