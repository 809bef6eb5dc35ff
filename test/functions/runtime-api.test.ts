/**
 * Issue #16, the runtime API a template's backend calls with a service key, through the local
 * runtime against the emulator: wx.login codes become openids (a reused code is WeChat's 40163 as a
 * 4xx), keys act only for their tenants and scopes, the access token comes from mpfleet's store,
 * the proxy serves only its allowlist, 200 logins at once after the component token died refresh it
 * once, and a revoked key stops at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  t = await startTestStack({ emulator: { miniPrograms: 3 } });
  await t.until(async () => services().tickets.latest());
  [tenantA, tenantB] = (await t.seededAppids()).slice(0, 2) as [string, string];
  for (const appid of [tenantA, tenantB]) await t.admin('/authorize', { appid });
  await t.until(async () => (await services().tenants.list()).tenants.length === 2 || undefined);
}, 60_000);
afterAll(() => t?.close());

interface CreatedKey {
  id: string;
  secret: string;
  name: string;
  tenants: string[] | '*';
  scopes: string[];
}

async function createKey(body: Record<string, unknown>): Promise<CreatedKey> {
  const response = await t.operator('/api/service-keys', { method: 'POST', body: JSON.stringify(body) });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as CreatedKey;
}

const runtime = (secret: string | undefined, path: string, init: RequestInit = {}) =>
  t.api(path, { ...init, headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...(init.headers as Record<string, string>) } });

async function wxLoginCode(appid: string, openid?: string): Promise<string> {
  return (await t.admin<{ code: string }>('/wx-login', { appid, ...(openid ? { openid } : {}) })).code;
}

describe('service keys', () => {
  it('shows the secret once, lists keys without it, and refuses a malformed request changing nothing', async () => {
    const key = await createKey({ name: 'shop backend', tenants: [tenantA], scopes: ['login', 'token'] });
    expect(key.secret).toMatch(/^mpk_/);
    const listed = await (await t.operator('/api/service-keys')).json();
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    expect(listed).toMatchObject({ keys: expect.arrayContaining([expect.objectContaining({ id: key.id, name: 'shop backend', tenants: [tenantA], scopes: ['login', 'token'] })]) });
    // Only its hash is stored.
    expect(JSON.stringify(await t.snapshot())).not.toContain(key.secret);

    const before = (await (await t.operator('/api/service-keys')).json()) as { keys: unknown[] };
    for (const bad of [{ name: 'x', tenants: [tenantA], scopes: ['deploy'] }, { name: 'x', tenants: ['nope'], scopes: ['login'] }, { name: '', tenants: '*', scopes: ['login'] }, { name: 'x', tenants: '*', scopes: [] }]) {
      expect((await t.operator('/api/service-keys', { method: 'POST', body: JSON.stringify(bad) })).status, JSON.stringify(bad)).toBe(400);
    }
    expect(((await (await t.operator('/api/service-keys')).json()) as { keys: unknown[] }).keys).toHaveLength(before.keys.length);
  });
});

describe('the runtime API', () => {
  it('turns a wx.login code into an openid once; the reused code is refused with 40163 as a 4xx', async () => {
    const key = await createKey({ name: 'login', tenants: [tenantA], scopes: ['login'] });
    const code = await wxLoginCode(tenantA, 'o-user-1');
    const first = await runtime(key.secret, `/runtime/${tenantA}/login`, { method: 'POST', body: JSON.stringify({ code }) });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ openid: 'o-user-1', sessionKey: expect.any(String) });

    const again = await runtime(key.secret, `/runtime/${tenantA}/login`, { method: 'POST', body: JSON.stringify({ code }) });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: 'wechat_40163' } });
    const forged = await runtime(key.secret, `/runtime/${tenantA}/login`, { method: 'POST', body: JSON.stringify({ code: 'not-a-code' }) });
    expect(await forged.json()).toMatchObject({ error: { code: 'wechat_40029' } });
  });

  it('lets a key act only for its tenants and scopes (403), and refuses a missing or unknown secret (401)', async () => {
    const key = await createKey({ name: 'narrow', tenants: [tenantA], scopes: ['login'] });
    const code = await wxLoginCode(tenantB);
    const otherTenant = await runtime(key.secret, `/runtime/${tenantB}/login`, { method: 'POST', body: JSON.stringify({ code }) });
    expect(otherTenant.status).toBe(403);
    expect((await runtime(key.secret, `/runtime/${tenantA}/access-token`)).status).toBe(403);
    expect((await runtime(key.secret, `/runtime/${tenantA}/wechat/wxa/generatescheme`, { method: 'POST', body: '{}' })).status).toBe(403);
    // The refused login did not spend tenant B's code.
    const wide = await createKey({ name: 'wide', tenants: '*', scopes: ['login'] });
    expect((await runtime(wide.secret, `/runtime/${tenantB}/login`, { method: 'POST', body: JSON.stringify({ code }) })).status).toBe(200);

    expect((await runtime(undefined, `/runtime/${tenantA}/access-token`)).status).toBe(401);
    expect((await runtime('mpk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', `/runtime/${tenantA}/access-token`)).status).toBe(401);
    expect((await runtime(`${key.secret}x`, `/runtime/${tenantA}/login`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('answers the access token from mpfleet\'s store, with no new WeChat token call', async () => {
    const key = await createKey({ name: 'token', tenants: [tenantA], scopes: ['token'] });
    const stored = await services().authorizerTokens.forTenant(tenantA).get();
    await t.admin('/calls', undefined, 'DELETE');
    const response = await runtime(key.secret, `/runtime/${tenantA}/access-token`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { accessToken: string; expiresAt: string };
    expect(body.accessToken).toBe(stored);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
    expect(await t.calls({ path: '/cgi-bin/component/api_authorizer_token' })).toEqual([]);
  });

  it('proxies the allowlisted WeChat APIs with the token injected, answers WeChat as it is, and refuses any other path (403)', async () => {
    const key = await createKey({ name: 'proxy', tenants: [tenantA], scopes: ['proxy'] });
    // A user of the mini-program (logged in through wx.login) gets a subscribe message.
    const { openid } = await t.admin<{ openid: string }>('/wx-login', { appid: tenantA, openid: 'o-subscriber' });
    const sent = await runtime(key.secret, `/runtime/${tenantA}/wechat/cgi-bin/message/subscribe/send`, {
      method: 'POST',
      body: JSON.stringify({ touser: openid, template_id: 'tpl-order-shipped', page: 'pages/order/index', data: { thing1: { value: '已发货' } } }),
    });
    expect(sent.status).toBe(200);
    expect(await sent.json()).toMatchObject({ errcode: 0 });
    const [call] = await t.calls({ path: '/cgi-bin/message/subscribe/send' });
    expect(call).toMatchObject({ appid: tenantA, errcode: 0 });
    // WeChat's refusal comes back as WeChat gave it: a URL scheme needs a released version.
    const refused = await runtime(key.secret, `/runtime/${tenantA}/wechat/wxa/generatescheme`, { method: 'POST', body: JSON.stringify({ jump_wxa: { path: 'pages/index/index' } }) });
    expect(await refused.json()).toMatchObject({ errcode: 85079 });
    const offList = await runtime(key.secret, `/runtime/${tenantA}/wechat/wxa/commit`, { method: 'POST', body: '{}' });
    expect(offList.status).toBe(403);
    expect(await offList.json()).toMatchObject({ error: { code: 'path_not_allowed' } });
  });

  it('refreshes the component token once for 200 logins at once after WeChat invalidated it', { timeout: 60_000 }, async () => {
    const key = await createKey({ name: 'burst', tenants: [tenantA], scopes: ['login'] });
    const codes = await Promise.all(Array.from({ length: 200 }, (_, i) => wxLoginCode(tenantA, `o-burst-${i}`)));
    await t.admin('/invalidate-token', {});
    await t.admin('/calls', undefined, 'DELETE');
    const answers = await Promise.all(codes.map((code) => runtime(key.secret, `/runtime/${tenantA}/login`, { method: 'POST', body: JSON.stringify({ code }) }).then((r) => r.status)));
    expect(answers.filter((s) => s === 200)).toHaveLength(200);
    expect((await t.calls({ path: '/cgi-bin/component/api_component_token' })).filter((c) => c.errcode === 0)).toHaveLength(1);
  });

  it('stops a revoked key at once', async () => {
    const key = await createKey({ name: 'short-lived', tenants: [tenantA], scopes: ['token'] });
    expect((await runtime(key.secret, `/runtime/${tenantA}/access-token`)).status).toBe(200);
    expect((await t.operator(`/api/service-keys/${key.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await runtime(key.secret, `/runtime/${tenantA}/access-token`)).status).toBe(401);
    expect((await t.operator(`/api/service-keys/${key.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});
