/**
 * Issue #16: service keys and message forwarding in the operator console, in a real browser
 * (Debian's chromium, driven by playwright-core) against the local stack and its WeChat emulator.
 * An operator creates a service key and sees its secret once (it works against the runtime API,
 * and is gone after a reload), then revokes it (the secret is refused). On a tenant page they set
 * the tenant's forward URL (a small receiver this test runs), a user sends the mini-program a text
 * message, and the delivery shows as delivered in the panel while the receiver holds the message,
 * signed with the secret the panel showed; a message the receiver refuses turns dead, with the
 * receiver's HTTP status, and a redrive from the panel delivers it once the receiver works again.
 * On the template backend page (/console/keys) they set the platform default forward URL: a
 * message for a tenant without a URL of its own reaches the receiver, signed with the secret the
 * page shows (and reveals again after a reload), and stopping the default turns it off.
 * Screenshots land in test-results/console/.
 *
 *   npx vitest run test/console/console-keys-forwarding.test.ts
 */
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardingStatus } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-results', 'console');
const TOKEN = 'test-operator-token';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let t: TestStack;
let browser: Browser;
let page: Page;
let base: string;
let appid: string;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** While set, the receiver answers this status instead of 200. */
let failWith: number | undefined;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const runtimeToken = (secret: string) => fetch(`${base}/runtime/${appid}/access-token`, { headers: { authorization: `Bearer ${secret}` } });

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // The forward receiver: answers 200 to every POST and keeps what it got.
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (failWith !== undefined) return void response.writeHead(failWith, { 'content-type': 'text/plain' }).end('receiver down');
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/wechat/messages`;

  t = await startTestStack({ emulator: { miniPrograms: 2 } });
  base = t.stack.url;
  await t.until(async () => services().tickets.latest());
  appid = (await t.seededAppids())[0]!;
  await t.admin('/authorize', { appid });
  await t.until(async () => (await services().tenants.get(appid))?.status === 'active' || undefined);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${base}/console/fleet`);
  await page.fill('input[name=token]', TOKEN);
  await page.click('button[type=submit]');
  await page.waitForSelector(`tr[data-appid="${appid}"]`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
});

describe('service keys in the console', () => {
  let secret: string;
  let keyId: string;

  it('refuses a bad key request at the form with the server reason', async () => {
    await page.click('a[href="/console/keys"]');
    await page.waitForSelector('[data-testid=key-form]');
    await page.fill('[data-testid=key-name]', 'shop-backend');
    await page.fill('[data-testid=key-tenants]', 'not-an-appid');
    await page.click('[data-testid=key-create]');
    await expect.poll(() => page.textContent('[data-testid=key-error]')).toMatch(/appid/);
    expect(await page.locator('[data-testid=key-created]').count()).toBe(0);
  });

  it('creates a key and shows its secret once; the secret works against the runtime API', async () => {
    await page.fill('[data-testid=key-tenants]', appid);
    await page.uncheck('[data-testid=key-scope-proxy]');
    await page.click('[data-testid=key-create]');
    await page.waitForSelector('[data-testid=key-secret]');
    secret = (await page.textContent('[data-testid=key-secret]'))!.trim();
    keyId = (await page.getAttribute('[data-testid=key-created]', 'data-key-id'))!;
    expect(secret).toMatch(/^mpk_[a-z0-9]{12}_/);
    expect(await page.textContent('[data-testid=key-error]')).toBe('');
    // Listed with its tenant and scopes, never with the secret.
    const row = page.locator(`[data-testid=key-${keyId}]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(appid);
    expect(await row.textContent()).toContain('login');
    expect(await row.textContent()).not.toContain('proxy');
    expect(await page.textContent('[data-testid=keys]')).not.toContain(secret);
    // The secret is in the page only: not in storage, not in the URL.
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).not.toContain(secret);
    expect(page.url()).not.toContain(secret);
    await shot('keys');

    const answer = await runtimeToken(secret);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { accessToken?: string }).accessToken).toBeTruthy();
  });

  it('loses the secret on reload, keeps the key listed, and revokes it', async () => {
    await page.reload();
    await page.waitForSelector(`[data-testid=key-${keyId}]`);
    expect(await page.locator('[data-testid=key-secret]').count()).toBe(0);
    expect(await page.textContent('body')).not.toContain(secret);

    await page.click(`[data-testid=key-revoke-${keyId}]`);
    await page.click('[role=dialog] button.danger');
    await page.waitForSelector(`[data-testid=key-${keyId}]`, { state: 'detached' });
    expect((await runtimeToken(secret)).status).toBe(401);
  });
});

describe('message forwarding on the tenant page', () => {
  it('sets a forward URL, shows the signing secret, and shows a user message delivered to it', { timeout: 60_000 }, async () => {
    await page.goto(`${base}/console/tenants/${appid}`);
    await page.waitForSelector('[data-testid=forwarding-url]');
    expect(await page.getAttribute('[data-testid=forwarding-url]', 'data-source')).toBe('none');

    // The server's refusal shows at the form.
    await page.fill('[data-testid=forwarding-input]', 'ftp://example.com/x');
    await page.click('[data-testid=forwarding-save]');
    await expect.poll(() => page.textContent('[data-testid=forwarding-error]')).toMatch(/http/);

    await page.fill('[data-testid=forwarding-input]', receiverUrl);
    await page.click('[data-testid=forwarding-save]');
    await page.waitForSelector('[data-testid=forwarding-secret]');
    const signingSecret = (await page.textContent('[data-testid=forwarding-secret]'))!.trim();
    expect(signingSecret.length).toBeGreaterThan(20);
    await expect.poll(() => page.getAttribute('[data-testid=forwarding-url]', 'data-source')).toBe('tenant');
    expect(await page.textContent('[data-testid=forwarding-url]')).toContain(receiverUrl);

    const sent = await t.admin<{ msgId: number }>('/user-message', { appid, msgType: 'text', content: 'hello from a user' });
    const id = String(sent.msgId);
    // The panel polls: the delivery appears, delivered, without a reload.
    const row = page.locator(`tr[data-delivery-id="${id}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
    await expect.poll(() => page.getAttribute('[data-testid=forwarding-count-delivered]', 'data-count')).toBe('1');
    await shot('forwarding');

    // The receiver got the message, with its id, signed with the secret the panel showed.
    const got = received.find((r) => r.headers['x-mpfleet-id'] === id);
    expect(got).toBeDefined();
    expect(got!.body).toContain('hello from a user');
    const signature = String(got!.headers['x-mpfleet-signature']);
    const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature) ?? [];
    expect(v1).toBe(createHmac('sha256', signingSecret).update(`${ts}.${got!.body}`).digest('hex'));
  });

  it('shows a delivery the receiver refused as dead with its HTTP status, and redrives it once the receiver works', { timeout: 60_000 }, async () => {
    const saved = { base: process.env.FORWARD_RETRY_BASE_SECONDS, giveUp: process.env.FORWARD_GIVE_UP_SECONDS };
    // Retries a second apart, given up after two seconds: a dead letter within the test.
    Object.assign(process.env, { FORWARD_RETRY_BASE_SECONDS: '1', FORWARD_GIVE_UP_SECONDS: '2' });
    failWith = 503;
    try {
      expect(await page.locator('[data-testid=forwarding-redrive]').count()).toBe(0);
      const sent = await t.admin<{ msgId: number }>('/user-message', { appid, msgType: 'text', content: 'while the receiver is down' });
      const id = String(sent.msgId);
      const row = page.locator(`tr[data-delivery-id="${id}"]`);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('dead');
      await expect.poll(() => row.textContent()).toContain('HTTP 503');
      await expect.poll(() => page.getAttribute('[data-testid=forwarding-count-dead]', 'data-count')).toBe('1');
      await page.waitForSelector('[data-testid=forwarding-redrive]');
      await shot('forwarding-dead');
      await page.locator('[data-testid=forwarding]').screenshot({ path: path.join(SHOTS, 'forwarding-panel.png') });

      failWith = undefined;
      await page.click('[data-testid=forwarding-redrive]');
      await page.click('[role=dialog] button.danger');
      await expect.poll(() => page.textContent('[data-testid=forwarding-redriven]')).toContain('1');
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 30_000 }).toBe('delivered');
      await expect.poll(() => page.getAttribute('[data-testid=forwarding-count-dead]', 'data-count')).toBe('0');
      expect(received.some((r) => r.headers['x-mpfleet-id'] === id && r.body.includes('while the receiver is down'))).toBe(true);
    } finally {
      failWith = undefined;
      for (const [name, value] of [['FORWARD_RETRY_BASE_SECONDS', saved.base], ['FORWARD_GIVE_UP_SECONDS', saved.giveUp]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('filters the deliveries by status and stops forwarding', async () => {
    await page.click('[data-testid=forwarding-count-dead]');
    await page.waitForSelector('[data-testid=forwarding-deliveries]', { state: 'detached' });
    await page.click('[data-testid=forwarding-count-delivered]');
    await page.waitForSelector('tr[data-status=delivered]');
    await page.click('[data-testid=forwarding-count-all]');
    await page.waitForSelector('[data-testid=forwarding-deliveries]');

    await page.click('[data-testid=forwarding-stop]');
    await page.click('[role=dialog] button.danger');
    await expect.poll(() => page.getAttribute('[data-testid=forwarding-url]', 'data-source')).toBe('none');
  });
});

describe('the platform default forward URL on the template backend page', () => {
  it('sets the default URL, which forwards for a tenant without its own, signed with the secret the page shows; then stops it', { timeout: 60_000 }, async () => {
    // The tenant's own URL was stopped above: nothing is forwarded for it yet.
    const tenantForwarding = async () => (await (await fetch(`${base}/api/tenants/${appid}/forwarding`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as ForwardingStatus;
    expect((await tenantForwarding()).forwarding).toBeNull();

    await page.click('a[href="/console/keys"]');
    await page.waitForSelector('[data-testid=default-forwarding-url]');
    expect(await page.textContent('h1')).toMatch(/^(模板后端|Template backend)$/);
    expect(await page.getAttribute('[data-testid=default-forwarding-url]', 'data-state')).toBe('unset');
    expect(await page.locator('[data-testid=default-forwarding-stop]').count()).toBe(0);
    expect(await page.textContent('[data-testid=default-forwarding]')).toContain('docs/examples/template-backend.ts');

    // The server's refusal shows at the form.
    await page.fill('[data-testid=default-forwarding-input]', 'ftp://example.com/x');
    await page.click('[data-testid=default-forwarding-save]');
    await expect.poll(() => page.textContent('[data-testid=default-forwarding-error]')).toMatch(/http/);
    expect(await page.getAttribute('[data-testid=default-forwarding-url]', 'data-state')).toBe('unset');

    await page.fill('[data-testid=default-forwarding-input]', receiverUrl);
    await page.click('[data-testid=default-forwarding-save]');
    await page.waitForSelector('[data-testid=default-forwarding-secret]');
    const signingSecret = (await page.textContent('[data-testid=default-forwarding-secret]'))!.trim();
    expect(signingSecret).toMatch(/^mpfwd_/);
    expect(await page.textContent('[data-testid=default-forwarding-error]')).toBe('');
    await expect.poll(() => page.getAttribute('[data-testid=default-forwarding-url]', 'data-state')).toBe('set');
    expect(await page.textContent('[data-testid=default-forwarding-url]')).toContain(receiverUrl);
    expect((await tenantForwarding()).forwarding).toMatchObject({ url: receiverUrl, source: 'platform' });

    // After a reload the secret is behind the reveal toggle, and it is the same one.
    await page.reload();
    await page.waitForSelector('[data-testid=default-forwarding-reveal]');
    expect(await page.locator('[data-testid=default-forwarding-secret]').count()).toBe(0);
    await page.click('[data-testid=default-forwarding-reveal]');
    expect((await page.textContent('[data-testid=default-forwarding-secret]'))!.trim()).toBe(signingSecret);
    await page.locator('[data-testid=default-forwarding]').screenshot({ path: path.join(SHOTS, 'default-forwarding-panel.png') });
    await shot('keys-default-forwarding');

    const sent = await t.admin<{ msgId: number }>('/user-message', { appid, msgType: 'text', content: 'hello via the platform default' });
    const id = String(sent.msgId);
    await expect.poll(() => received.find((r) => r.headers['x-mpfleet-id'] === id), { timeout: 30_000 }).toBeDefined();
    const got = received.find((r) => r.headers['x-mpfleet-id'] === id)!;
    expect(got.body).toContain('hello via the platform default');
    expect(got.body).toContain(appid);
    const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got.headers['x-mpfleet-signature'])) ?? [];
    expect(v1).toBe(createHmac('sha256', signingSecret).update(`${ts}.${got.body}`).digest('hex'));

    await page.click('[data-testid=default-forwarding-stop]');
    await page.click('[role=dialog] button.danger');
    await expect.poll(() => page.getAttribute('[data-testid=default-forwarding-url]', 'data-state')).toBe('unset');
    expect(await page.locator('[data-testid=default-forwarding-secret]').count()).toBe(0);
    expect((await tenantForwarding()).forwarding).toBeNull();
  });
});
