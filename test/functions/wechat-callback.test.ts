import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
  await t.admin('/push-ticket', {});
  await t.until(async () => services().tickets.latest());
});
afterAll(() => t?.close());

interface FullNetworkReport {
  passed: boolean;
  cases: { case: string; passed: boolean; details: string }[];
}

describe('POST /wechat/callback/{appid} — full-network release check', () => {
  it('passes every case WeChat runs, for a test mini-program and a test official account', async () => {
    for (const appid of ['wxd101a85aa106f53e', 'wx570bc396a51b8ff8']) {
      const report = await t.admin<FullNetworkReport>('/full-network-test', { appid });
      expect(report.cases.length).toBeGreaterThanOrEqual(4);
      for (const result of report.cases) expect(result.passed, `${appid} ${result.case}: ${result.details}`).toBe(true);
      expect(report.passed).toBe(true);
    }
  });
});

describe('POST /wechat/callback/{appid} — ordinary messages and events', () => {
  const appid = 'wx0123456789abcdef';
  const event = (createTime: number) => ({
    ToUserName: 'gh_0123456789ab',
    FromUserName: 'o-user',
    CreateTime: createTime,
    MsgType: 'event',
    Event: 'user_enter_tempsession',
  });

  it('acknowledges with success and remembers the push, so a retry is not handled twice', async () => {
    const createTime = Math.floor(Date.now() / 1000);
    const before = await t.snapshot();
    const first = await t.push(`/wechat/callback/${appid}`, event(createTime), { ToUserName: 'gh_0123456789ab' });
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('success');
    const seen = await t.snapshot();
    expect(seen.length).toBeGreaterThan(before.length);
    const retry = await t.push(`/wechat/callback/${appid}`, event(createTime), { ToUserName: 'gh_0123456789ab' });
    expect(await retry.text()).toBe('success');
    expect(await t.snapshot()).toEqual(seen);
  });

  it('rejects a path that is not an appid before touching anything', async () => {
    const before = await t.snapshot();
    for (const bad of ['not-an-appid', 'WX0123456789ABCDEF', 'wx0123456789abcde', '..%2F..%2Fwechat%2Fticket']) {
      const response = await t.push(`/wechat/callback/${bad}`, event(1), { ToUserName: 'gh_x' });
      expect(response.status, bad).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_appid');
    }
    expect(await t.snapshot()).toEqual(before);
  });
});
