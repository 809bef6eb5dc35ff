/**
 * The release gates from the operator's terminal, against the local stack and the emulator's
 * realistic fleet (seed index 0 and 4 ready, 1 not ICP-filed, 2 without a privacy guide, 3 without
 * an introduction): `tenants --ready/--not-ready`, `readiness`, `templates profile`, `preflight`,
 * and `deploy`'s question before it deploys past blocked tenants.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentPage, DeploymentView, PreflightResult, ReleaseProfileView, TenantPage, TenantView } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';
import { runCli, type RunOptions } from './run-cli';

let t: TestStack;
/** By seed index: 0 and 4 ready, 1 unfiled, 2 without a privacy guide, 3 without a signature. */
let fleet: string[];
let files: string;

const cli = (argv: string[], options: RunOptions = {}) =>
  runCli(argv, { ...options, env: { MPFLEET_URL: t.stack.url, MPFLEET_TOKEN: t.stack.operatorToken, ...options.env } });

const deploymentCount = async () => (JSON.parse((await cli(['deployments', '--all', '--json'])).stdout) as DeploymentPage).deployments.length;

const PROFILE = {
  privacy: {
    owner_setting: { contact_email: 'shop@example.com', notice_method: '弹窗提示' },
    setting_list: [{ privacy_key: 'Location', privacy_text: '为你推荐附近的门店' }],
  },
  privacyApis: ['wx.getLocation'],
};

beforeAll(async () => {
  t = await startTestStack({ emulator: { fleet: 'realistic', miniPrograms: 5, auditDelayMs: 200 } });
  await t.until(async () => services().tickets.latest());
  fleet = (await t.seededAppids()).slice(0, 5);
  for (const appid of fleet) await t.admin('/authorize', { appid });
  // Authorization reads each tenant's gates.
  await t.until(async () => (await Promise.all(fleet.map(async (appid) => (await services().tenants.get(appid))?.readiness))).every(Boolean) || undefined, 30_000);
  files = mkdtempSync(path.join(tmpdir(), 'mpfleet-cli-gates-'));
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

const row = (stdout: string, appid: string) => stdout.split('\n').find((line) => line.startsWith(appid));

describe('mpfleet tenants --ready / --not-ready', () => {
  it('lists every tenant with a READINESS column: ready, or the first blocker', async () => {
    const { code, stdout } = await cli(['tenants']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^APPID\s+NAME\s+STATUS\s+READINESS\s+RELEASED\s+LAST DEPLOYMENT\n/);
    expect(row(stdout, fleet[0]!)).toMatch(/\sactive\s+ready\s/);
    expect(row(stdout, fleet[1]!)).toMatch(/\sactive\s+icp_not_filed\s/);
    expect(row(stdout, fleet[2]!)).toMatch(/\sactive\s+privacy_not_configured\s/);
    expect(row(stdout, fleet[3]!)).toMatch(/\sactive\s+basic_info_incomplete\s/);
  });

  it('filters on the server: --not-ready the blocked ones, --ready the others; both at once is a usage error', async () => {
    const notReady = await cli(['tenants', '--not-ready']);
    expect(notReady.code).toBe(0);
    const listed = (stdout: string) => stdout.split('\n').slice(1).filter(Boolean).map((line) => line.split(/\s+/)[0]).sort();
    expect(listed(notReady.stdout)).toEqual([fleet[1], fleet[2], fleet[3]].sort());
    expect(listed((await cli(['tenants', '--ready'])).stdout)).toEqual([fleet[0], fleet[4]].sort());
    const json = JSON.parse((await cli(['tenants', '--not-ready', '--all', '--json'])).stdout) as TenantPage;
    expect(json.tenants.every((x) => x.readiness?.ready === false)).toBe(true);

    const both = await cli(['tenants', '--ready', '--not-ready']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: option '--(not-)?ready' cannot be used with option '--(not-)?ready'/);
  });
});

describe('mpfleet readiness', () => {
  it('a ready tenant: the checklist, all ticked, exit 0', async () => {
    const { code, stdout, stderr } = await cli(['readiness', fleet[0]!]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${fleet[0]} \\(.+\\): ready, checked \\d{4}-\\d\\d-\\d\\dT`));
    expect(stdout).toMatch(/^ {2}✓ ICP filing\s+filed \(status 6\)$/m);
    expect(stdout).toMatch(/^ {2}✓ privacy guide\s+set/m);
    expect(stdout).toMatch(/^ {2}✓ location APIs\s+granted: .*wx\.getLocation/m);
    expect(stdout).toMatch(/^ {2}✓ basic info\s+complete/m);
    expect(stdout).toMatch(/^ {2}✓ categories\s+\S/m);
    expect(stdout).toMatch(/^ {2}✓ audit quota\s+\d+ of \d+ left this month$/m);
    expect(stdout).not.toMatch(/blockers:/);
  });

  it('a blocked tenant: what fails, then each blocker with its fix, exit 5', async () => {
    const { code, stdout } = await cli(['readiness', fleet[1]!]);
    expect(code).toBe(5);
    expect(stdout).toMatch(/: blocked \(1 blocker\), checked /);
    expect(stdout).toMatch(/^ {2}✗ ICP filing\s+not filed \(status 1024\)$/m);
    expect(stdout).toMatch(/^blockers:\n {2}icp_not_filed: the mini-program has no ICP filing.*\n {4}fix: The merchant files the mini-program for ICP/m);

    const noIntro = await cli(['readiness', fleet[3]!]);
    expect(noIntro.code).toBe(5);
    expect(noIntro.stdout).toMatch(/^ {2}✗ basic info\s+missing: introduction$/m);
    expect(noIntro.stdout).toMatch(/^ {2}basic_info_incomplete: /m);
  });

  it('--refresh reads the gates from WeChat again; without it, the last check is shown', async () => {
    const appid = fleet[3]!;
    await t.admin('/basic-info', { appid, signature: '一家小店' });
    try {
      expect((await cli(['readiness', appid])).code).toBe(5);
      const refreshed = await cli(['readiness', appid, '--refresh']);
      expect(refreshed.code).toBe(0);
      expect(refreshed.stdout).toMatch(/: ready, checked /);
      expect(refreshed.stdout).toMatch(/^ {2}✓ basic info\s+complete/m);
      expect((JSON.parse((await cli(['readiness', appid, '--json'])).stdout) as TenantView).readiness?.ready).toBe(true);
    } finally {
      await t.admin('/basic-info', { appid, signature: '' });
      expect((await cli(['readiness', appid, '--refresh'])).code).toBe(5);
    }
  });

  it('an unknown appid is the API error, exit 1', async () => {
    const result = await cli(['readiness', 'wx0000000000000000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: \w+: .+\n$/);
  });
});

describe('mpfleet preflight', () => {
  it('tables the blocked tenants, prints each fix once, the counts and the quota; exit 0', async () => {
    const { code, stdout, stderr } = await cli(['preflight', '--template', '1']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [tablePart, rest] = stdout.split('\nfixes:\n');
    const lines = tablePart!.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^APPID\s+NAME\s+BLOCKER\s+MESSAGE$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0]).sort()).toEqual([fleet[1], fleet[2], fleet[3]].sort());
    expect(row(stdout, fleet[1]!)).toMatch(/\sicp_not_filed\s+the mini-program has no ICP filing/);
    expect(row(stdout, fleet[2]!)).toMatch(/\sprivacy_not_configured\s/);
    expect(row(stdout, fleet[3]!)).toMatch(/\sbasic_info_incomplete\s/);
    for (const code of ['icp_not_filed', 'privacy_not_configured', 'basic_info_incomplete']) expect(rest!.match(new RegExp(`^ {2}${code}: `, 'gm'))).toHaveLength(1);
    expect(stdout).toMatch(/^2 ready, 3 blocked, 0 skipped \(not active\)$/m);
    expect(stdout).toMatch(/^audit quota: \d+ of \d+ left, this deployment needs 2\n$/m);
    expect(stdout).not.toMatch(/warning/);
  });

  it('--json prints the API answer; the options change the gates as they would the deploy', async () => {
    const json = JSON.parse((await cli(['preflight', '--template', '1', '--version', '9.0.0', '--json'])).stdout) as PreflightResult;
    expect(json.counts).toEqual({ ready: 2, blocked: 3, skipped: 0 });
    expect(json.tenants.find((x) => x.appid === fleet[1])?.blockers.map((b) => b.code)).toEqual(['icp_not_filed']);

    // A deploy that only commits meets none of the audit and release gates.
    const commitOnly = await cli(['preflight', '--template', '1', '--no-audit']);
    expect(commitOnly.stdout).toMatch(/^no tenant is blocked\n\n5 ready, 0 blocked, 0 skipped \(not active\)\naudit quota: \d+ of \d+ left, this deployment needs 0\n$/);
    const two = await cli(['preflight', '--template', '1', '--tenants', `${fleet[0]},${fleet[1]}`]);
    expect(two.stdout).toMatch(/^1 ready, 1 blocked, 0 skipped/m);
  });

  it('warns when the deployment needs more audits than the quota has left', async () => {
    const { limit } = await t.admin<{ limit: number }>('/quota', {});
    await t.admin('/quota', { used: limit - 1 });
    try {
      const { code, stdout } = await cli(['preflight', '--template', '1']);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^audit quota: 1 of ${limit} left, this deployment needs 2\\nwarning: the audit quota is short by 1: `, 'm'));
    } finally {
      await t.admin('/quota', { used: 0 });
    }
  });

  it('an unknown template or tenant is the API error (exit 1); a missing --template a usage error (exit 2)', async () => {
    expect(await cli(['preflight', '--template', '999'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: template_not_found: /) });
    expect(await cli(['preflight', '--template', '1', '--tenants', 'wx00000000000000aa'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: unknown_tenants: /) });
    expect(await cli(['preflight', '--version', '1.0.0'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: required option '--template <id>'/) });
  });
});

describe('mpfleet templates profile', () => {
  it('none yet: says so and how to set one (exit 1)', async () => {
    const result = await cli(['templates', 'profile', '2']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: profile_not_found: template 2 has no release profile yet; set one with: mpfleet templates profile 2 profile.json\n',
    });
  });

  it('a file that is not JSON is a usage error, and nothing is sent', async () => {
    const file = path.join(files, 'broken-profile.json');
    writeFileSync(file, '{privacy: ');
    const result = await cli(['templates', 'profile', '2', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: the release profile in .*broken-profile\.json is not JSON/);
    expect((await t.operator('/api/templates/2/profile')).status).toBe(404);
  });

  it('sets it from a file and prints what was saved; then prints it; a profile the API refuses exits 1', async () => {
    const file = path.join(files, 'profile.json');
    writeFileSync(file, JSON.stringify(PROFILE));
    const set = await cli(['templates', 'profile', '2', file]);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    const [head, ...body] = set.stdout.split('\n');
    expect(head).toMatch(/^saved the release profile of template 2 \(\d{4}-\d\d-\d\dT.+\):$/);
    expect(JSON.parse(body.join('\n'))).toEqual(PROFILE);

    const get = await cli(['templates', 'profile', '2']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual(PROFILE);
    expect((JSON.parse((await cli(['templates', 'profile', '2', '--json'])).stdout) as ReleaseProfileView).templateId).toBe(2);

    const refused = await cli(['templates', 'profile', '2', '-'], { stdin: '{"privacyApis":["getLocation"]}' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: validation_failed: privacyApis/);
    expect(JSON.parse((await cli(['templates', 'profile', '2'])).stdout)).toEqual(PROFILE);
  });

  it("the profile's privacy guide unblocks the tenant without one, in the preflight of that template", async () => {
    const preflight = JSON.parse((await cli(['preflight', '--template', '2', '--json'])).stdout) as PreflightResult;
    expect(preflight.tenants.find((x) => x.appid === fleet[2])).toMatchObject({ ready: true });
    expect(preflight.counts).toEqual({ ready: 3, blocked: 2, skipped: 0 });
  });
});

describe('mpfleet deploy through the gates', () => {
  const deployArgs = (version: string, ...more: string[]) => ['deploy', '--template', '1', '--version', version, '--desc', 'gates', ...more];

  it('nothing blocked: prints the preflight summary on stderr and deploys without asking', async () => {
    const result = await cli(deployArgs('6.0.0', '--tenants', `${fleet[0]},${fleet[4]}`, '--watch'));
    expect(result.stderr).toMatch(/^preflight: 2 ready, 0 blocked, 0 skipped \(not active\)\naudit quota: \d+ of \d+ left, this deployment needs 2\n$/);
    expect(result.stderr).not.toMatch(/\[y\/N\]/);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^d-/);
    expect(result.stdout).toMatch(/^completed: released 2 \(2 targets\)$/m);
  });

  it('blocked tenants and no terminal: refuses with a usage error asking for --yes, and creates nothing', async () => {
    const before = await deploymentCount();
    const result = await cli(deployArgs('6.1.0'));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^preflight: 2 ready, 3 blocked, 0 skipped \(not active\)\n {2}APPID\s+NAME\s+BLOCKED BY\n/);
    expect(result.stderr).toMatch(new RegExp(`^ {2}${fleet[1]}\\s+.*icp_not_filed$`, 'm'));
    expect(result.stderr).toMatch(/\nerror: 3 tenants are blocked: pass --yes to deploy to the 2 ready tenants anyway \(nothing was created\)\n$/);
    expect(await deploymentCount()).toBe(before);
  });

  it('a short audit quota asks too, even with nothing blocked', async () => {
    const { limit } = await t.admin<{ limit: number }>('/quota', {});
    await t.admin('/quota', { used: limit - 1 });
    try {
      const result = await cli(deployArgs('6.2.0', '--tenants', `${fleet[0]},${fleet[4]}`));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/warning: the audit quota is short by 1/);
      expect(result.stderr).toMatch(/error: the audit quota is short: pass --yes to deploy to the 2 ready tenants anyway/);
    } finally {
      await t.admin('/quota', { used: 0 });
    }
  });

  it('on a terminal it asks; no (or just Enter) creates nothing and exits 5', async () => {
    const before = await deploymentCount();
    for (const answer of ['n\n', '\n', '']) {
      const result = await cli(deployArgs('6.3.0'), { stdinTty: true, stdin: answer });
      expect(result.code, JSON.stringify(answer)).toBe(5);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/Deploy to the 2 ready tenants\? \[y\/N\] not deployed: nothing was created\n$/);
    }
    expect(await deploymentCount()).toBe(before);
  });

  it('yes on a terminal deploys to the ready tenants; --watch ends blocked targets like failed ones, naming the blockers (exit 3)', async () => {
    const result = await cli(deployArgs('6.4.0', '--watch'), { stdinTty: true, stdin: 'y\n' });
    expect(result.stderr).toMatch(/Deploy to the 2 ready tenants\? \[y\/N\] $/);
    expect(result.code).toBe(3);
    const id = result.stdout.split('\n')[0]!;
    expect(result.stdout).toMatch(/^completed: released 2, blocked 3 \(5 targets\)$/m);
    expect(result.stdout).toMatch(/^ {2}blocked\s+3$/m);
    expect(result.stdout).toMatch(/^3 targets failed, blocked or rejected:$/m);
    expect(result.stdout).toMatch(new RegExp(`^${fleet[1]}\\s+blocked\\s+-\\s+icp_not_filed: .*Fix: `, 'm'));
    expect(result.stdout).toMatch(/^blocked by release gates: (?=.*icp_not_filed \(1\))(?=.*privacy_not_configured \(1\))(?=.*basic_info_incomplete \(1\))/m);
    expect(result.stdout).toContain(`then \`mpfleet retry ${id}\``);
    const view = JSON.parse((await cli(['status', id, '--json'])).stdout) as DeploymentView;
    expect(view.counts).toMatchObject({ released: 2, blocked: 3 });
  }, 60_000);

  it('--yes deploys without a terminal and without asking', async () => {
    const result = await cli(deployArgs('6.5.0', '--tenants', `${fleet[0]},${fleet[1]}`, '--yes', '--no-audit'));
    // Only committing: no gate applies, so no question either way.
    expect(result.code).toBe(0);
    const blocked = await cli(deployArgs('6.6.0', '--tenants', `${fleet[1]},${fleet[2]}`, '--yes', '--watch'));
    expect(blocked.stderr).toMatch(/^preflight: 0 ready, 2 blocked/);
    expect(blocked.stderr).not.toMatch(/\[y\/N\]/);
    expect(blocked.code).toBe(3);
    expect(blocked.stdout).toMatch(/^completed: blocked 2 \(2 targets\)$/m);
  }, 60_000);
});
