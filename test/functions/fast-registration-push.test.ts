/**
 * Issue #18 (first part): the result push of a fast registration (notify_third_fasteregister) turns
 * the new mini-program into a tenant through the local runtime, exchanging its authorization code
 * exactly once however often the push arrives; a failed registration creates nothing and its
 * WeChat status is on record. The registration itself is made at the emulator with the component
 * token, as the registrations API (still to come) will make it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
const ENTERPRISE = {
  name: '示例餐饮管理有限公司',
  code: '91440101MA59PY8X4E',
  code_type: 1,
  legal_persona_wechat: 'zhang_san_88',
  legal_persona_name: '张三',
  component_phone: '020-12345678',
};

beforeAll(async () => {
  t = await startTestStack({ emulator: { miniPrograms: 1 } });
  await t.until(async () => services().tickets.latest());
}, 60_000);
afterAll(() => t?.close());

async function register(body: Record<string, unknown>): Promise<void> {
  const token = await services().componentToken.get();
  const answer = await fetch(`${t.stack.emulator!.url}/cgi-bin/component/fastregisterweapp?action=create&component_access_token=${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(await answer.json()).toMatchObject({ errcode: 0 });
}

describe('a fast registration result push', () => {
  it('makes the confirmed mini-program an active tenant, once, even when the push comes again', async () => {
    await register(ENTERPRISE);
    const confirmed = await t.admin<{ appid: string; auth_code: string }>('/registrations/confirm', { name: ENTERPRISE.name, legal_persona_wechat: ENTERPRISE.legal_persona_wechat });
    // Its profile (WeChat's answer about it) is stored right after it is authorized: wait for both.
    const tenant = await t.until(async () => {
      const stored = await services().tenants.get(confirmed.appid);
      return stored?.status === 'active' && stored.principalName ? stored : undefined;
    }, 20_000);
    expect(tenant).toMatchObject({ appid: confirmed.appid, principalName: ENTERPRISE.name });
    // A new mini-program has no name, avatar or categories yet: WeChat would refuse a release, and readiness says so.
    const readiness = await t.until(async () => (await services().tenants.get(confirmed.appid))?.readiness, 20_000);
    expect(readiness.ready).toBe(false);

    const exchanges = async () => (await t.calls({ path: '/cgi-bin/component/api_query_auth' })).length;
    const before = await exchanges();
    const snapshot = await t.snapshot();
    // WeChat's retry of the same push: answered success, nothing exchanged or written twice.
    const again = await t.push('/wechat/ticket', {
      AppId: t.stack.emulator!.platform.componentAppid,
      CreateTime: Math.floor(Date.now() / 1000) - 5,
      InfoType: 'notify_third_fasteregister',
      appid: confirmed.appid,
      status: 0,
      auth_code: confirmed.auth_code,
      msg: 'OK',
    });
    expect(await again.text()).toBe('success');
    expect(await exchanges()).toBe(before);
    const after = (await t.snapshot()).filter((item) => !String(item.pk).startsWith('PUSHLOG'));
    expect(after).toEqual(snapshot.filter((item) => !String(item.pk).startsWith('PUSHLOG')));
  });

  it('creates nothing for a registration WeChat failed, and keeps its status on record', async () => {
    await register({ ...ENTERPRISE, name: '示例零售有限公司', code: '91310110086172478X', legal_persona_wechat: 'li_si_99', legal_persona_name: '李四' });
    const tenantsBefore = (await services().tenants.list()).tenants.length;
    await t.admin('/registrations/fail', { name: '示例零售有限公司', legal_persona_wechat: 'li_si_99', status: 102 });
    const pushes = await t.until(async () => {
      const page = (await (await t.operator('/api/pushes?type=notify_third_fasteregister')).json()) as { pushes: { fields: Record<string, unknown> }[] };
      return page.pushes.find((p) => p.fields.status === '102');
    }, 20_000);
    expect(pushes.fields).toMatchObject({ status: '102', msg: expect.any(String) });
    expect((await services().tenants.list()).tenants).toHaveLength(tenantsBefore);
  });
});
