import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../infra/routes';
import { authorizeTenants, startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let appids: string[];
beforeAll(async () => {
  t = await startTestStack();
  appids = await authorizeTenants(t, 3);
});
afterAll(() => t?.close());

const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

describe('operator API authentication', () => {
  const operatorRoutes = ROUTES.filter((route) => route.caller === 'operator');

  it.each(operatorRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s refuses a missing or wrong bearer token', async (_key, route) => {
    const path = route.path.replace('{appid}', appids[0]!).replace(/\{\w+\}/g, '1');
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${t.stack.operatorToken}`, 'Bearer ']) {
      const response = await t.api(path, { method: route.method, headers: authorization ? { authorization } : {} });
      expect(response.status, `${authorization}`).toBe(401);
      expect(await errorCode(response)).toBe('unauthorized');
    }
  });
});

describe('GET /api/tenants', () => {
  it('lists tenants wrapped in {tenants}, paginated with nextToken', async () => {
    const first = await t.operator('/api/tenants?limit=2');
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as { tenants: { appid: string; status: string }[]; nextToken?: string };
    expect(page1.tenants).toHaveLength(2);
    expect(page1.nextToken).toBeTypeOf('string');
    const page2 = (await (await t.operator(`/api/tenants?limit=2&nextToken=${page1.nextToken}`)).json()) as typeof page1;
    expect(page2.tenants).toHaveLength(1);
    expect(page2.nextToken).toBeUndefined();
    expect([...page1.tenants, ...page2.tenants].map((x) => x.appid).sort()).toEqual([...appids].sort());
    expect(page1.tenants[0]).toMatchObject({ status: 'active', config: {}, releasedVersion: null, lastDeployment: null });
  });

  it('filters by status and rejects bad query values with 400', async () => {
    const revoked = (await (await t.operator('/api/tenants?status=revoked')).json()) as { tenants: unknown[] };
    expect(revoked.tenants).toEqual([]);
    expect(await errorCode(await t.operator('/api/tenants?limit=0'))).toBe('validation_failed');
    expect(await errorCode(await t.operator('/api/tenants?status=gone'))).toBe('validation_failed');
    expect(await errorCode(await t.operator('/api/tenants?nextToken=bm9wZQ'))).toBe('invalid_next_token');
  });
});

describe('GET /api/tenants/{appid}', () => {
  it('returns the tenant bare, with its profile', async () => {
    const response = await t.operator(`/api/tenants/${appids[0]}`);
    expect(response.status).toBe(200);
    const tenant = (await response.json()) as Record<string, unknown>;
    expect(tenant).toMatchObject({ appid: appids[0], status: 'active' });
    expect(tenant.nickName).toBeTypeOf('string');
    expect(tenant).not.toHaveProperty('pk');
  });

  it('404s an unknown tenant and 400s something that is not an appid', async () => {
    expect((await t.operator('/api/tenants/wx0000000000000000')).status).toBe(404);
    expect(await errorCode(await t.operator('/api/tenants/nope'))).toBe('invalid_appid');
  });
});

describe('POST /api/auth-links', () => {
  it('returns PC and mobile URLs around one fresh pre_auth_code', async () => {
    const response = await t.operator('/api/auth-links', { method: 'POST', body: JSON.stringify({ authType: 3, bizAppid: appids[1] }) });
    expect(response.status).toBe(200);
    const links = (await response.json()) as { pcUrl: string; mobileUrl: string; expiresAt: string };
    const pc = new URL(links.pcUrl);
    const mobile = new URL(links.mobileUrl);
    expect(pc.searchParams.get('pre_auth_code')).toBe(mobile.searchParams.get('pre_auth_code'));
    expect(pc.searchParams.get('auth_type')).toBe('3');
    expect(mobile.searchParams.get('biz_appid')).toBe(appids[1]);
    expect(mobile.hash).toBe('#wechat_redirect');
    expect(Date.parse(links.expiresAt)).toBeGreaterThan(Date.now());
  });

  it('rejects malformed JSON and unknown or invalid fields with 400', async () => {
    for (const body of ['{', '[]', '{"authType":4}', '{"bizAppid":"x"}', '{"extra":true}']) {
      const response = await t.operator('/api/auth-links', { method: 'POST', body });
      expect(response.status, body).toBe(400);
    }
  });
});
