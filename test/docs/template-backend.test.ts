/**
 * Issue #16, item 7: the sample template backend in docs/examples works as documented against the
 * local stack: it verifies and handles a forwarded message once (a forged or stale one is refused),
 * and turns a wx.login code into an openid through the runtime API.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplateBackend, verifyMpfleetSignature } from '../../docs/examples/template-backend';
import { signBody } from '../../shared/forwarding/signature';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let appid: string;
let backendUrl: string;
let close: () => Promise<void>;
let secret: string;
const handled: Record<string, unknown>[] = [];

beforeAll(async () => {
  t = await startTestStack({ emulator: { miniPrograms: 2 } });
  await t.until(async () => services().tickets.latest());
  [appid] = (await t.seededAppids()) as [string];
  await t.admin('/authorize', { appid });
  await t.until(async () => (await services().tenants.get(appid)) ?? undefined);

  const key = (await (await t.operator('/api/service-keys', { method: 'POST', body: JSON.stringify({ name: 'sample', tenants: [appid], scopes: ['login'] }) })).json()) as { secret: string };
  // The platform default URL is set after the backend listens; its secret is what the backend verifies with.
  let signingSecret = '';
  const server = createTemplateBackend({ mpfleetUrl: t.stack.url, serviceKey: key.secret, get signingSecret() { return signingSecret; }, onMessage: (m) => void handled.push(m) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
  const forwarding = (await (await t.operator('/api/forwarding', { method: 'PUT', body: JSON.stringify({ url: `${backendUrl}/wechat-messages` }) })).json()) as { signingSecret: string };
  signingSecret = secret = forwarding.signingSecret;
}, 60_000);
afterAll(async () => {
  await close?.();
  await t?.close();
});

describe('the sample template backend', () => {
  it("receives a user's message forwarded by mpfleet, verified, once", async () => {
    await t.admin('/user-message', { appid, msgType: 'text', content: '请问几点营业？' });
    await t.until(async () => handled.length === 1 || undefined, 15_000);
    expect(handled[0]).toMatchObject({ appid, MsgType: 'text', Content: '请问几点营业？' });
  });

  it('refuses a forged or stale signature and handles a repeated X-Mpfleet-Id once', async () => {
    const body = JSON.stringify({ appid, MsgType: 'text', Content: 'forged', MsgId: '1' });
    const post = (signature: string, id = 'm-1') =>
      fetch(`${backendUrl}/wechat-messages`, { method: 'POST', headers: { 'x-mpfleet-signature': signature, 'x-mpfleet-id': id, 'content-type': 'application/json' }, body });
    expect((await post(signBody('not-the-secret', body))).status).toBe(401);
    expect((await post(signBody(secret, body, Date.now() - 3600_000))).status).toBe(401);
    expect((await post('t=1,v1=zz')).status).toBe(401);
    const before = handled.length;
    expect((await post(signBody(secret, body))).status).toBe(200);
    expect((await post(signBody(secret, body))).status).toBe(200);
    expect(handled.length).toBe(before + 1);
    // The snippet's verifier agrees with mpfleet's signer, and only for this body.
    expect(verifyMpfleetSignature(secret, body, signBody(secret, body))).toBe(true);
    expect(verifyMpfleetSignature(secret, `${body} `, signBody(secret, body))).toBe(false);
  });

  it('logs a user in with a wx.login code through mpfleet, and passes WeChat’s refusal of a reused code on', async () => {
    const { code, openid } = await t.admin<{ code: string; openid: string }>('/wx-login', { appid });
    const login = () => fetch(`${backendUrl}/login`, { method: 'POST', body: JSON.stringify({ appid, code }) });
    const first = await login();
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ openid });
    const again = await login();
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: { code: 'wechat_40163' } });
  });
});
