/**
 * Issue #15: the operator console in a real browser (Debian's chromium, driven by playwright-core;
 * no browser download) against the local stack and its WeChat emulator. An operator signs in,
 * authorizes a tenant through the emulator's consent page, sets its configuration (and sees the
 * server's validation error at the field), runs a preflight, deploys to three tenants and watches
 * them reach `released`, sees an audit the emulator rejected with its reason, and rolls back.
 * Screenshots of every page land in test-results/console/ (not committed).
 *
 *   npx vitest run test/console
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-results', 'console');
const TOKEN = 'test-operator-token';

let t: TestStack;
let browser: Browser;
let page: Page;
let base: string;
let fleet: string[];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const api = async <T>(p: string, init?: RequestInit): Promise<T> => (await (await t.operator(p, init)).json()) as T;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  t = await startTestStack({ emulator: { miniPrograms: 6, auditDelayMs: 300 } });
  base = t.stack.url;
  await t.until(async () => services().tickets.latest());
  fleet = (await t.seededAppids()).slice(0, 4);
  // Three tenants already run version 1.0.0 (a rollback needs an earlier version at WeChat).
  for (const appid of fleet.slice(1)) await t.admin('/authorize', { appid });
  await t.until(async () => (await services().tenants.list()).tenants.length === 3 || undefined);
  const first = await api<{ id: string }>('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '1.0.0', userDesc: 'first', tenants: fleet.slice(1) }) });
  await t.until(async () => ((await api<{ status: string }>(`/api/deployments/${first.id}`)).status === 'completed' ? true : undefined), 60_000);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the operator console in a browser', () => {
  it('refuses a wrong token with the reason, then signs in with the right one', async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(/\/console\/fleet$/);
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('[role=alert]').textContent()).toBeTruthy();
    await shot('sign-in');
    await page.fill('input[name=token]', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForSelector(`tr[data-appid="${fleet[1]}"]`);
    // Kept for the browser session only: never in localStorage, never in the URL.
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(TOKEN);
    expect(page.url()).not.toContain(TOKEN);
    await shot('fleet');
  });

  it('authorizes a merchant through the emulator consent page', async () => {
    await page.click('a[href="/console/authorize"]');
    await page.click('[data-testid=auth-create]');
    await page.waitForSelector('[data-testid=auth-qr] svg');
    await shot('authorize');
    const pcUrl = await page.getAttribute('[data-testid=auth-pc-link]', 'href');
    expect(pcUrl).toBeTruthy();
    const consent = await browser.newPage();
    await consent.goto(pcUrl!);
    // The emulator's consent page: choose the one mini-program not yet authorized.
    await consent.check(`input[name=authorizer_appid][value="${fleet[0]}"]`);
    await consent.click('button[type=submit]');
    await consent.waitForURL(/\/auth\/callback/);
    expect(await consent.textContent('body')).toContain(fleet[0]!);
    await consent.close();
    await t.until(async () => (await services().tenants.get(fleet[0]!))?.status === 'active' || undefined);
  });

  it('edits a tenant configuration, showing the server validation error at the field', async () => {
    await page.goto(`${base}/console/tenants/${fleet[0]}`);
    await page.waitForSelector('[data-testid=config-editor]');
    await page.waitForSelector('[data-testid=readiness]');
    await page.fill('[data-testid=config-editor]', JSON.stringify({ ext: { shopId: 'shop-0' }, window: { navigationBarTextStyle: 'purple' } }, null, 2));
    await page.click('[data-testid=config-save]');
    const error = page.locator('[data-testid=config-error]');
    await expect.poll(() => error.textContent()).toContain('navigationBarTextStyle');
    await shot('tenant-config-error');
    await page.fill('[data-testid=config-editor]', JSON.stringify({ ext: { shopId: 'shop-0' } }, null, 2));
    await page.click('[data-testid=config-save]');
    await t.until(async () => ((await services().tenants.get(fleet[0]!))?.config as { ext?: { shopId?: string } } | undefined)?.ext?.shopId === 'shop-0' || undefined);
    await shot('tenant');
  });

  it('lists the templates and their release profile editor', async () => {
    await page.goto(`${base}/console/templates`);
    await page.waitForSelector('[data-testid=profile-editor-1]');
    await shot('templates');
  });

  it('runs the preflight, deploys to three tenants, shows a rejected audit with its reason, and rolls back', { timeout: 180_000 }, async () => {
    const [rejected, ...approved] = fleet.slice(1);
    await t.admin('/audit-outcome', { appid: rejected, outcome: 'reject', reason: '页面内容不完整 incomplete page content' });

    await page.goto(`${base}/console/deployments/new`);
    await page.waitForSelector('[data-testid=nd-template] option[value="1"]', { state: 'attached' });
    await page.selectOption('[data-testid=nd-template]', '1');
    await page.fill('[data-testid=nd-version]', '1.1.0');
    await page.fill('[data-testid=nd-desc]', 'from the console');
    await page.check('[data-testid=nd-tenants-chosen]');
    for (const appid of fleet.slice(1)) await page.check(`[data-testid=nd-tenant-${appid}]`);
    await page.click('[data-testid=nd-preflight]');
    const preflight = page.locator('[data-testid=nd-preflight-result]');
    await expect.poll(() => preflight.textContent()).toMatch(/3/);
    await shot('new-deployment');
    await page.click('[data-testid=nd-deploy]');
    await page.waitForURL(/\/console\/deployments\/d-/);
    const id = page.url().split('/').at(-1)!;

    // Live, without reloading: two released, one rejected with WeChat's reason.
    for (const appid of approved) await expect.poll(() => page.getAttribute(`[data-testid=dep-target-${appid}]`, 'data-state'), { timeout: 60_000 }).toBe('released');
    await expect.poll(() => page.getAttribute(`[data-testid=dep-target-${rejected}]`, 'data-state'), { timeout: 60_000 }).toBe('rejected');
    expect(await page.textContent(`[data-testid=dep-target-${rejected}]`)).toContain('incomplete page content');
    await page.waitForSelector('[data-testid=dep-bar]');
    await shot('deployment');

    await page.click('[data-testid=dep-action-rollback]');
    await page.click('[role=dialog] button.danger');
    for (const appid of approved) await expect.poll(() => page.getAttribute(`[data-testid=dep-target-${appid}]`, 'data-state'), { timeout: 60_000 }).toBe('rolled_back');
    await shot('deployment-rolled-back');
    // The same API the CLI calls: WeChat now runs the earlier version again.
    for (const appid of approved) expect(t.stack.emulator!.state.get(appid)!.released?.userVersion).toBe('1.0.0');
    expect((await api<{ rolledBack?: boolean }>(`/api/deployments/${id}`)).rolledBack).toBe(true);
  });

  it('switches to English and back, remembering the choice', async () => {
    await page.goto(`${base}/console/fleet`);
    await page.click('button[aria-label=language]');
    await page.waitForSelector('text=Fleet');
    await page.reload();
    await page.waitForSelector('text=Fleet');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('fleet-phone-en');
    await page.click('button[aria-label=language]');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('signs out', async () => {
    await page.click('[data-testid=sign-out]');
    await page.waitForSelector('input[name=token]');
  });
});
