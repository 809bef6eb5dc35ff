/**
 * Issue #17: a staged rollout from the operator console, in a real browser (Debian's chromium,
 * driven by playwright-core) against the local stack and its WeChat emulator. The operator turns
 * on waves on the new-deployment page (the server's 400 for shares that do not grow shows at the
 * field), deploys to twelve tenants in waves of 25 / 100 %, watches the first wave settle while the
 * second waits, advances, and sees the deployment complete. Then a rollout with two pilot tenants
 * and a 50 % halt threshold halts when one pilot's audit is rejected, shows the numbers, and
 * resumes. Screenshots land in test-results/console/ (rollout-*.png, rollout.png).
 *
 *   npx vitest run test/console/console-rollout.test.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentView } from '../../shared/contract/operator-api';
import { authorizeTenants, startTestStack, type TestStack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-results', 'console');
const TOKEN = 'test-operator-token';
const FLEET = 12;

let t: TestStack;
let browser: Browser;
let page: Page;
let base: string;
let fleet: string[];
let assets: string;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const state = (appid: string) => page.getAttribute(`[data-testid=dep-target-${appid}]`, 'data-state');

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  process.env.DEPLOY_WAVE_CHECK_SECONDS = '1';
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  // The console built from the sources as they are, into a folder of this test's own (console/dist
  // is shared with whatever else builds it meanwhile).
  assets = mkdtempSync(path.join(tmpdir(), 'mpfleet-console-'));
  const { buildConsole } = (await import(pathToFileURL(path.resolve('console', 'build.mjs')).href)) as { buildConsole: (options: { outdir: string }) => Promise<unknown> };
  await buildConsole({ outdir: assets });
  t = await startTestStack({ env: { OPERATOR_TOKEN: TOKEN, CONSOLE_ASSETS_DIR: assets }, emulator: { miniPrograms: FLEET, auditDelayMs: 300 } });
  base = t.stack.url;
  fleet = await authorizeTenants(t, FLEET);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // English, for the screenshot in the docs.
  await page.addInitScript(() => localStorage.setItem('mpfleet.lang', 'en'));
  await page.goto(`${base}/`);
  await page.waitForURL(/\/console\/fleet$/);
  await page.fill('input[name=token]', TOKEN);
  await page.click('button[type=submit]');
  await page.waitForSelector(`tr[data-appid="${fleet[0]}"]`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  if (assets) rmSync(assets, { recursive: true, force: true });
  delete process.env.DEPLOY_WAVE_CHECK_SECONDS;
  delete process.env.DEPLOY_BACKOFF_BASE_SECONDS;
});

describe('a staged rollout in the console', () => {
  it('creates a deployment in waves of 25 / 100 %, shows the first wave settle, advances, and completes', { timeout: 180_000 }, async () => {
    await page.goto(`${base}/console/deployments/new`);
    await page.waitForSelector('[data-testid=nd-template] option[value="1"]', { state: 'attached' });
    await page.selectOption('[data-testid=nd-template]', '1');
    await page.fill('[data-testid=nd-version]', '1.0.0');
    await page.fill('[data-testid=nd-desc]', 'staged from the console');
    // Off by default: the form is the plain one until the operator asks for waves.
    expect(await page.locator('[data-testid=nd-waves]').count()).toBe(0);
    await page.check('[data-testid=nd-staged]');

    // Shares that do not grow: the server's 400 shows at the waves field.
    await page.fill('[data-testid=nd-waves]', '25, 20, 100');
    await page.click('[data-testid=nd-preflight]');
    await expect.poll(() => page.textContent('[data-testid=nd-staged-section] .field-error')).toContain('cumulative');

    await page.fill('[data-testid=nd-waves]', '25, 100');
    expect(await page.isChecked('[data-testid=nd-advance-manual]')).toBe(true);
    await page.click('[data-testid=nd-preflight]');
    await expect.poll(() => page.getAttribute('[data-testid=nd-preflight-result]', 'data-ready')).toBe(String(FLEET));
    await shot('rollout-new');
    await page.click('[data-testid=nd-deploy]');
    await page.waitForURL(/\/console\/deployments\/d-/);
    const id = page.url().split('/').at(-1)!;

    // Wave 1 (25 % of 12: three tenants) settles released; wave 2 waits for the operator.
    await page.waitForSelector('[data-testid=dep-waves]');
    expect(await page.textContent('[data-testid=dep-rollout-advance]')).toContain('manual');
    await expect.poll(() => page.getAttribute('[data-testid=dep-wave-0]', 'data-state'), { timeout: 90_000 }).toBe('settled');
    await expect.poll(() => page.getAttribute('[data-testid=dep-rollout-wait]', 'data-kind'), { timeout: 30_000 }).toBe('advance');
    expect(await page.getAttribute('[data-testid=dep-wave-1]', 'data-state')).toBe('pending');
    expect(await page.textContent('[data-testid=dep-rollout-wait]')).toContain('Wave 2 is ready');
    expect(await page.getAttribute('[data-testid=dep-status]', 'data-status')).toBe('paused');
    const first = await page.locator('tr[data-wave="0"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-state')));
    expect(first).toEqual(['released', 'released', 'released']);
    expect(await page.locator('tr[data-wave="1"][data-state=queued]').count()).toBe(FLEET - 3);
    // The wave filter keeps one wave's targets.
    await page.selectOption('[data-testid=dep-wave-filter]', '0');
    expect(await page.locator('tr[data-wave]').count()).toBe(3);
    await page.selectOption('[data-testid=dep-wave-filter]', '');
    await shot('rollout-ready');

    await page.click('[data-testid=dep-action-advance]');
    await expect.poll(() => page.getAttribute('[data-testid=dep-status]', 'data-status'), { timeout: 120_000 }).toBe('completed');
    await expect.poll(() => page.getAttribute('[data-testid=dep-wave-1]', 'data-state')).toBe('settled');
    expect(await page.locator('[data-testid=dep-rollout-wait]').count()).toBe(0);
    for (const appid of fleet) expect(await state(appid)).toBe('released');
    await shot('rollout');

    // The page showed what the API says.
    const view = (await (await t.operator(`/api/deployments/${id}`)).json()) as DeploymentView;
    expect(view.counts).toEqual({ released: FLEET });
    expect(view.rollout?.waves.map((wave) => wave.state)).toEqual(['settled', 'settled']);
  });

  it('halts after a pilot wave over the threshold, shows the numbers, and resumes', { timeout: 180_000 }, async () => {
    const [rejected, pilot] = fleet as [string, string];
    await t.admin('/audit-outcome', { appid: rejected, outcome: 'reject', reason: 'incomplete page content' });
    await page.goto(`${base}/console/deployments/new`);
    await page.waitForSelector('[data-testid=nd-template] option[value="1"]', { state: 'attached' });
    await page.selectOption('[data-testid=nd-template]', '1');
    await page.fill('[data-testid=nd-version]', '1.1.0');
    await page.fill('[data-testid=nd-desc]', 'pilots first');
    await page.check('[data-testid=nd-staged]');
    await page.fill('[data-testid=nd-waves]', '100');
    await page.fill('[data-testid=nd-pilot]', `${rejected}, ${pilot}`);
    await page.fill('[data-testid=nd-halt]', '50');
    await page.click('[data-testid=nd-preflight]');
    await expect.poll(() => page.getAttribute('[data-testid=nd-preflight-result]', 'data-ready')).toBe(String(FLEET));
    await page.click('[data-testid=nd-deploy]');
    await page.waitForURL(/\/console\/deployments\/d-/);

    await page.waitForSelector('[data-testid=dep-waves]');
    expect(await page.textContent('[data-testid=dep-wave-0]')).toContain('Wave 1 · 2 pilot tenants');
    expect(await page.textContent('[data-testid=dep-rollout-halt]')).toContain('50%');
    await expect.poll(() => page.getAttribute('[data-testid=dep-wave-0]', 'data-state'), { timeout: 90_000 }).toBe('halted');
    await expect.poll(() => page.getAttribute('[data-testid=dep-rollout-wait]', 'data-kind'), { timeout: 30_000 }).toBe('resume');
    expect(await page.textContent('[data-testid=dep-rollout-wait]')).toContain('1 of 2 failed or rejected (50% ≥ 50%)');
    expect(await page.getAttribute('[data-testid=dep-wave-1]', 'data-state')).toBe('pending');
    expect(await state(rejected)).toBe('rejected');
    await shot('rollout-halted');

    await page.click('[data-testid=dep-action-resume]');
    await expect.poll(() => page.getAttribute('[data-testid=dep-wave-1]', 'data-state'), { timeout: 120_000 }).toBe('settled');
    await expect.poll(() => page.locator('tr[data-wave="1"][data-state=released]').count()).toBe(FLEET - 2);
    expect(await page.locator('[data-testid=dep-action-resume]').count()).toBe(0);
  });

  it('tells when the next wave opens by itself after the soak time', { timeout: 120_000 }, async () => {
    await page.goto(`${base}/console/deployments/new`);
    await page.waitForSelector('[data-testid=nd-template] option[value="1"]', { state: 'attached' });
    await page.selectOption('[data-testid=nd-template]', '1');
    await page.fill('[data-testid=nd-version]', '1.2.0');
    await page.fill('[data-testid=nd-desc]', 'soaked');
    await page.check('[data-testid=nd-staged]');
    await page.fill('[data-testid=nd-waves]', '50, 100');
    await page.check('[data-testid=nd-advance-after]');
    await page.fill('[data-testid=nd-advance-minutes]', '30');
    await page.click('[data-testid=nd-preflight]');
    await expect.poll(() => page.getAttribute('[data-testid=nd-preflight-result]', 'data-ready')).toBe(String(FLEET));
    await page.click('[data-testid=nd-deploy]');
    await page.waitForURL(/\/console\/deployments\/d-/);
    expect(await page.textContent('[data-testid=dep-rollout-advance]')).toContain('30 min');
    await expect.poll(() => page.getAttribute('[data-testid=dep-rollout-wait]', 'data-kind'), { timeout: 90_000 }).toBe('soak');
    expect(await page.textContent('[data-testid=dep-rollout-wait]')).toMatch(/Wave 2 opens at \d\d\/\d\d\/\d{4}, \d\d:\d\d:\d\d/);
    expect(await page.locator('[data-testid=dep-action-advance]').count()).toBe(0);
    await shot('rollout-soak');
    // Stopped here: the later wave never opens.
    await page.click('[data-testid=dep-action-cancel]');
    await page.click('[data-testid=dep-action-cancel-confirm]');
    await expect.poll(() => page.getAttribute('[data-testid=dep-status]', 'data-status'), { timeout: 30_000 }).toBe('cancelled');
  });
});
