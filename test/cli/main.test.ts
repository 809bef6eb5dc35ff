import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayWidth } from '../../cli/format';
import type { DeploymentView } from '../../shared/contract/operator-api';
import { services } from '../../shared/services';
import { nextSecond, startTestStack, type TestStack } from '../support/stack';
import { runCli, type RunOptions } from './run-cli';

let t: TestStack;
let appids: string[];
let files: string;

/** The CLI configured as an operator would: MPFLEET_URL and MPFLEET_TOKEN from `npm start`. */
const cli = (argv: string[], options: RunOptions = {}) =>
  runCli(argv, { ...options, env: { MPFLEET_URL: t.stack.url, MPFLEET_TOKEN: t.stack.operatorToken, ...options.env } });

// Strips cli-progress's cursor movement so the text a terminal would keep can be searched.
const ANSI = /\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g; // eslint-disable-line no-control-regex

beforeAll(async () => {
  t = await startTestStack({ emulator: { auditDelayMs: 200 } });
  await t.until(async () => services().tickets.latest());
  appids = (await t.seededAppids()).slice(0, 3);
  for (const appid of appids) await t.admin('/authorize', { appid });
  await t.until(async () => (await services().tenants.list()).tenants.length === appids.length);
  files = mkdtempSync(path.join(tmpdir(), 'mpfleet-cli-'));
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

describe('mpfleet tenants', () => {
  it('prints an aligned table with one row per authorized tenant', async () => {
    const { code, stdout, stderr } = await cli(['tenants']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const [header, ...rows] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/^APPID\s+NAME\s+STATUS\s+READINESS\s+RELEASED\s+LAST DEPLOYMENT$/);
    expect(rows).toHaveLength(3);
    for (const appid of appids) expect(rows.some((row) => row.startsWith(appid) && /\sactive\s/.test(row))).toBe(true);
    // STATUS starts in the same terminal column on every row, even after a Chinese nickname.
    const statusColumn = displayWidth(header!.slice(0, header!.indexOf('STATUS')));
    for (const row of rows) expect(displayWidth(row.slice(0, row.indexOf(' active ') + 1))).toBe(statusColumn);
  });

  it('--json prints the API answer for scripts; --all follows pages; --status filters', async () => {
    const json = JSON.parse((await cli(['tenants', '--json'])).stdout) as { tenants: { appid: string; status: string }[] };
    expect(json.tenants.map((x) => x.appid).sort()).toEqual([...appids].sort());
    const all = JSON.parse((await cli(['tenants', '--all', '--json'])).stdout) as typeof json;
    expect(all.tenants).toHaveLength(3);
    const revoked = JSON.parse((await cli(['tenants', '--status', 'revoked', '--json'])).stdout) as typeof json;
    expect(revoked.tenants).toEqual([]);
  });

  it('sync recovers a tenant whose record was lost while WeChat still has its authorization', async () => {
    const lost = appids[2]!;
    await services().db.send(new DeleteCommand({ TableName: services().table, Key: { pk: `TENANT#${lost}`, sk: 'PROFILE' } }));
    const { code, stdout, stderr } = await cli(['tenants', 'sync']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('1 recovered');
    expect(stdout).toContain(lost);
    expect((await services().tenants.get(lost))?.status).toBe('active');
    expect(JSON.parse((await cli(['tenants', 'sync', '--json'])).stdout)).toEqual({ checked: 3, recovered: [] });
  });

  it('--url and --token override the environment', async () => {
    const result = await runCli(['tenants', '--json', '--url', t.stack.url, '--token', t.stack.operatorToken], { env: { MPFLEET_URL: 'http://127.0.0.1:1', MPFLEET_TOKEN: 'stale' } });
    expect(result.code).toBe(0);
  });
});

describe('mpfleet auth-link', () => {
  it('prints the PC and in-WeChat links for one fresh pre_auth_code', async () => {
    const { code, stdout } = await cli(['auth-link', '--auth-type', '2', '--biz-appid', appids[0]!]);
    expect(code).toBe(0);
    const urls = stdout.match(/https?:\/\/\S+/g)!;
    expect(urls).toHaveLength(2);
    const [pc, mobile] = urls.map((u) => new URL(u));
    expect(pc!.searchParams.get('pre_auth_code')).toBeTruthy();
    expect(pc!.searchParams.get('pre_auth_code')).toBe(mobile!.searchParams.get('pre_auth_code'));
    expect(pc!.searchParams.get('auth_type')).toBe('2');
    expect(mobile!.searchParams.get('biz_appid')).toBe(appids[0]);
    expect(stdout).toMatch(/expires\s+\d{4}-\d\d-\d\dT/);
  });
});

describe('mpfleet config', () => {
  it('set from a file, then get returns it', async () => {
    const file = path.join(files, 'shop.json');
    const config = { ext: { shopId: 'shop-7', theme: 'dark' }, window: { navigationBarTitleText: '小店' } };
    writeFileSync(file, JSON.stringify(config));
    const set = await cli(['config', 'set', appids[1]!, file]);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    const get = await cli(['config', 'get', appids[1]!]);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toEqual(config);
  });

  it('set reads stdin with `-`', async () => {
    const set = await cli(['config', 'set', appids[2]!, '-'], { stdin: '{"ext":{"shopId":"piped"}}' });
    expect(set.code).toBe(0);
    expect(JSON.parse((await cli(['config', 'get', appids[2]!])).stdout)).toEqual({ ext: { shopId: 'piped' } });
  });

  it('a file that is not JSON is a usage error and nothing is sent', async () => {
    const file = path.join(files, 'broken.json');
    writeFileSync(file, '{ext: nope');
    const before = JSON.parse((await cli(['config', 'get', appids[1]!])).stdout);
    const set = await cli(['config', 'set', appids[1]!, file]);
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/^error: .*not JSON/);
    expect(JSON.parse((await cli(['config', 'get', appids[1]!])).stdout)).toEqual(before);
  });

  it('a configuration the API refuses exits 1 with its error code', async () => {
    const set = await cli(['config', 'set', appids[1]!, '-'], { stdin: '{"unknownField":1}' });
    expect(set.code).toBe(1);
    expect(set.stderr).toMatch(/^error: \w+: .+\n$/);
  });
});

describe('mpfleet templates', () => {
  it('lists the template library and the drafts', async () => {
    const templates = await cli(['templates']);
    expect(templates.code).toBe(0);
    expect(templates.stdout).toMatch(/^ID\s+VERSION\s+TYPE\s+CREATED\s+DESCRIPTION\n/);
    expect(templates.stdout).toMatch(/^1\s+1\.0\.0\s+normal\s+\d{4}-\d\d-\d\d\s+\S/m);
    const drafts = await cli(['templates', 'drafts', '--json']);
    expect(JSON.parse(drafts.stdout).drafts.map((d: { draftId: number }) => d.draftId)).toEqual(expect.arrayContaining([1, 2, 3]));
  });

  it('add puts a draft into the library', async () => {
    const before = JSON.parse((await cli(['templates', '--json'])).stdout).templates.length;
    const added = await cli(['templates', 'add', '3']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^added draft 3 as template \d+\n$/);
    expect(JSON.parse((await cli(['templates', '--json'])).stdout).templates).toHaveLength(before + 1);
  });

  it('add of a draft already in the library warns, and adds it again as WeChat does', async () => {
    const again = await cli(['templates', 'add', '3']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^warning: draft 3 is already in the library as template \d+ \(same version and description\); adding it again makes another template\n$/);
    expect(again.stdout).toMatch(/^added draft 3 as template \d+\n$/);
  });
});

describe('errors', () => {
  it('a bad token exits 1 with the API error on one line', async () => {
    const result = await cli(['tenants'], { env: { MPFLEET_TOKEN: 'wrong-token' } });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: unauthorized: .+\n$/);
  });

  it('an unreachable API exits 1 with a network error', async () => {
    const result = await cli(['tenants'], { env: { MPFLEET_URL: 'http://127.0.0.1:1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: network_error: cannot reach http:\/\/127\.0\.0\.1:1: .+\n$/);
  });

  it('usage errors exit 2: unknown command, bad option value, missing required option, no token', async () => {
    for (const argv of [['nope'], ['tenants', '--status', 'gone'], ['deploy', '--template', '1'], ['release', 'd-x', '--gray', '0']]) {
      const result = await cli(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(/^error: /);
    }
    const noToken = await runCli(['tenants'], { env: { MPFLEET_URL: t.stack.url } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/MPFLEET_TOKEN/);
  });

  it('--help documents the exit codes and exits 0', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Exit codes:[\s\S]*3 {2}status --watch/);
  });
});

describe('mpfleet deploy --watch', () => {
  it('commits to two tenants without audit, draws bars, and ends with both committed (exit 0)', async () => {
    const fleet = appids.slice(0, 2);
    const result = await cli(['deploy', '--template', '1', '--version', '3.1.0', '--desc', 'cli deploy', '--tenants', fleet.join(','), '--no-audit', '--watch'], { tty: true });
    // The preflight's summary goes to stderr; every tenant passes the gates, so nothing is asked.
    expect(result.stderr).toMatch(/^preflight: 2 ready, 0 blocked, 0 skipped \(not active\)\naudit quota: \d+ of \d+ left, this deployment needs 0\n$/);
    expect(result.code).toBe(0);
    const id = result.stdout.split('\n')[0]!;
    expect(id).toMatch(/^d-[a-z0-9]+-[0-9a-f]{8}$/);
    const [progress, summary] = result.stdout.split(/\n(?=deployment d-)/);
    expect(progress).toMatch(/committed\s+[░█]+ 2\/2/); // a live bar reached the total
    const plain = summary!.replace(ANSI, '');
    expect(plain).toMatch(new RegExp(`^deployment ${id}\\s+completed\\s+template 1\\s+version 3\\.1\\.0\\s+2 targets\\n`));
    expect(plain).toMatch(/^ {2}committed\s+2$/m);
    for (const appid of fleet) expect(plain).toMatch(new RegExp(`^${appid}\\s+committed\\b`, 'm'));
    expect(plain).not.toMatch(/failed or rejected/);

    const status = JSON.parse((await cli(['status', id, '--json'])).stdout);
    expect(status).toMatchObject({ id, status: 'completed', counts: { committed: 2 }, total: 2 });
    expect((await cli(['deployments'])).stdout).toMatch(new RegExp(`^${id}\\s+completed\\s+3\\.1\\.0\\s+2\\s+committed 2\\s`, 'm'));
  });

  it('without a terminal, prints one plain progress line per change', async () => {
    const result = await cli(['deploy', '--template', '1', '--version', '3.2.0', '--desc', 'piped', '--tenants', appids[2]!, '--no-audit', '--watch']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(ANSI);
    const lines = result.stdout.split('\n');
    const id = lines[0]!;
    expect(lines[1]).toBe(`watching ${id} (Ctrl-C stops watching, not the deployment)`);
    const progress = lines.slice(2, lines.indexOf(''));
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress) expect(line).toMatch(/^(preparing|running|completed): (no targets yet|([a-z_]+ \d+)(, [a-z_]+ \d+)*) \(\d+ targets?\)$/);
    expect(new Set(progress).size).toBe(progress.length); // only changes are printed
    expect(progress.at(-1)).toBe('completed: committed 1 (1 target)');
  });

  it('exits 3 and lists the failed target with WeChat\'s error; retry then completes it', async () => {
    const [victim, healthy] = [appids[0]!, appids[1]!];
    const fault = await t.admin<{ id: string }>('/faults', { path: '/wxa/commit', appid: victim, errcode: 85013, errmsg: 'invalid ext_json' });
    const result = await cli(['deploy', '--template', '1', '--version', '3.3.0', '--desc', 'one fails', '--tenants', `${victim},${healthy}`, '--no-audit', '--watch']);
    expect(result.code).toBe(3);
    const id = result.stdout.split('\n')[0]!;
    expect(result.stdout).toMatch(/^completed: committed 1, failed 1 \(2 targets\)$/m);
    const failures = result.stdout.split('1 target failed or rejected:\n')[1]!;
    expect(failures).toMatch(new RegExp(`^APPID\\s+STATE\\s+AUDIT\\s+ERROR\\n${victim}\\s+failed\\s+-\\s+85013: .*invalid ext_json`));
    expect(failures).not.toContain(healthy);

    await t.admin(`/faults/${fault.id}`, undefined, 'DELETE');
    const retry = await cli(['retry', id]);
    expect(retry).toEqual({ code: 0, stdout: `retry requested for ${id}\n`, stderr: '' });
    // The API applies a retry through its queue: until then the deployment still reads completed with a failure.
    await t.until(async () => !JSON.parse((await cli(['status', id, '--json'])).stdout).counts.failed);
    const watched = await cli(['status', id, '--watch']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^completed: committed 2 \(2 targets\)$/m);
  });

  it('manual release: stops at approved; release, gray → widen → revert-gray → gray → complete, rollback; 409s exit 1', async () => {
    const appid = appids[2]!;
    const deployManual = async (version: string) => {
      // Audit events are told apart by their whole-second CreateTime: two audits of one tenant
      // decided within the same second would look like one push sent twice.
      await nextSecond();
      const deployed = await cli(['deploy', '--template', '1', '--version', version, '--desc', 'manual', '--tenants', appid, '--manual-release', '--watch']);
      expect(deployed.code).toBe(0);
      expect(deployed.stdout).toMatch(new RegExp(`^${appid}\\s+approved\\s+\\d+\\s+-$`, 'm'));
      return deployed.stdout.split('\n')[0]!;
    };
    const releasedVersion = async () =>
      JSON.parse((await cli(['tenants', '--json'])).stdout).tenants.find((x: { appid: string }) => x.appid === appid).releasedVersion;
    // The operator's view once the action was applied (no pending action) and the target rests in `state`.
    const rests = (id: string, state: string, grayPercentage?: number) =>
      t.until(async () => {
        const view = JSON.parse((await cli(['status', id, '--json'])).stdout) as DeploymentView;
        const target = view.targets[0]!;
        return !view.pendingAction && target.state === state && target.grayPercentage === grayPercentage && view;
      });

    const first = await deployManual('4.0.0');
    expect(await cli(['release', first])).toEqual({ code: 0, stdout: `release requested for ${first}\n`, stderr: '' });
    const released = await cli(['status', first, '--watch']);
    expect(released.stdout).toMatch(/^completed: released 1 \(1 target\)$/m);
    expect(released.code).toBe(0);
    expect(await releasedVersion()).toBe('4.0.0');
    expect(await cli(['release', first])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: nothing_to_release: no target is approved or in a gray release \(1 released\)\n$/) });

    // A gray release needs a version online: 4.0.0 is.
    const second = await deployManual('4.1.0');
    expect(await cli(['release', second, '--gray', '20'])).toEqual({ code: 0, stdout: `gray release to 20% requested for ${second}\n`, stderr: '' });
    expect(await rests(second, 'gray', 20)).toMatchObject({ grayPercentage: 20, counts: { gray: 1 } });
    const gray = (await cli(['status', second])).stdout;
    expect(gray).toMatch(/^gray release: 20% of users \(widen: release --gray <more than 20>; complete: release without --gray; undo: revert-gray\)$/m);
    expect(gray).toMatch(new RegExp(`^${appid}\\s+gray\\s+20% of users\\s+\\d+\\s+-$`, 'm'));

    // Widen: only to a larger share.
    expect(await cli(['release', second, '--gray', '10'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: gray_not_wider: targets are gray at 20%: .+\n$/) });
    expect((await cli(['release', second, '--gray', '50'])).code).toBe(0);
    await rests(second, 'gray', 50);

    // Revert: back to approved, and again it is refused.
    expect(await cli(['revert-gray', second])).toEqual({ code: 0, stdout: `revert-gray requested for ${second}\n`, stderr: '' });
    await rests(second, 'approved');
    expect(await cli(['revert-gray', second])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: no_gray_release: no target is in a gray release \(1 approved\)\n$/) });
    expect(await releasedVersion()).toBe('4.0.0');

    // Gray again, then complete: fully online.
    expect((await cli(['release', second, '--gray', '30'])).code).toBe(0);
    await rests(second, 'gray', 30);
    expect(await cli(['release', second])).toEqual({ code: 0, stdout: `release requested for ${second}\n`, stderr: '' });
    const completed = await cli(['status', second, '--watch']);
    expect(completed.stdout).toMatch(/^completed: released 1 \(1 target\)$/m);
    expect(completed.code).toBe(0);
    expect(await releasedVersion()).toBe('4.1.0');
    const grayCalls = (await t.calls({ path: '/wxa/grayrelease' })).filter((c) => c.appid === appid && c.errcode === 0);
    expect(grayCalls).toHaveLength(3);

    // Rollback: back to 4.0.0, shown per target; a second rollback has nothing to roll back.
    expect((await cli(['rollback', second, '--json'])).stdout).toBe(`${JSON.stringify({ id: second, action: 'rollback' }, null, 2)}\n`);
    const rolledBack = await cli(['status', second, '--watch']);
    expect(rolledBack.stdout).toMatch(/^completed: rolled_back 1 \(1 target\)$/m);
    expect(rolledBack.stdout).toMatch(/^rollback requested: /m);
    expect(rolledBack.stdout).toMatch(new RegExp(`^${appid}\\s+rolled_back\\s+rollback to 4\\.0\\.0\\s+\\d+\\s+-$`, 'm'));
    expect(rolledBack.code).toBe(0);
    expect(await releasedVersion()).toBe('4.0.0');
    expect(await cli(['rollback', second])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: nothing_to_roll_back: this deployment was already rolled back\n$/) });
  }, 90_000);

  it('one deployment per tenant at a time: a second one waits, cancel stops it, --supersede takes the tenant over', async () => {
    const appid = appids[0]!;
    await nextSecond();
    const holder = (await cli(['deploy', '--template', '1', '--version', '5.0.0', '--desc', 'holds', '--tenants', appid, '--manual-release', '--watch'])).stdout.split('\n')[0]!;
    // Approved and not released: the holder is mid-lifecycle on the tenant.
    const waiter = (await cli(['deploy', '--template', '1', '--version', '5.1.0', '--desc', 'waits', '--tenants', appid, '--no-audit'])).stdout.trim();
    await t.until(async () => JSON.parse((await cli(['status', waiter, '--json'])).stdout).targets[0]?.state === 'waiting');
    const waiting = await cli(['status', waiter]);
    expect(waiting.stdout).toMatch(new RegExp(`^deployment ${waiter}\\s+running\\s`));
    expect(waiting.stdout).toMatch(new RegExp(`^${appid}\\s+waiting\\s+waits for ${holder}\\s+-\\s+-$`, 'm'));

    expect(await cli(['cancel', waiter])).toEqual({ code: 0, stdout: `cancel requested for ${waiter}\n`, stderr: '' });
    expect((await cli(['status', waiter, '--watch'])).stdout).toMatch(/^cancelled: cancelled 1 \(1 target\)$/m);
    expect(await cli(['cancel', waiter])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: nothing_to_cancel: every target has settled \(1 cancelled\)\n$/) });
    expect(await cli(['retry', waiter])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: deployment_cancelled: /) });

    const taker = await cli(['deploy', '--template', '1', '--version', '5.2.0', '--desc', 'takes over', '--tenants', appid, '--no-audit', '--supersede', '--watch']);
    expect(taker.code).toBe(0);
    expect(taker.stdout).toMatch(/^completed: committed 1 \(1 target\)$/m);
    const superseded = JSON.parse((await cli(['status', holder, '--json'])).stdout) as DeploymentView;
    expect(superseded.targets[0]).toMatchObject({ appid, state: 'cancelled', error: { code: 'superseded' } });
  }, 60_000);

  it('release of an automatic deployment is refused by the API: exit 1', async () => {
    const { deployments } = JSON.parse((await cli(['deployments', '--json'])).stdout) as { deployments: { id: string; release: string }[] };
    const result = await cli(['release', deployments.find((d) => d.release === 'auto')!.id]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: release_is_automatic: /);
  });

  it('a deployment of an unknown template exits 1 with the API error', async () => {
    const result = await cli(['deploy', '--template', '999', '--version', '1.0.0', '--desc', 'x', '--no-audit']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: template_not_found: /);
  });
});
