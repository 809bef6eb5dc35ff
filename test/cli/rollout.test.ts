/**
 * Issue #17: `mpfleet deploy --waves` against the local stack and the emulator (12 mini-programs).
 * Malformed wave flags are usage errors with nothing created; a watched staged deployment shows a
 * line per wave and stops (exit 6) where the rollout waits for the operator, naming the command
 * (`mpfleet advance`, or `mpfleet resume` after a halt); `advance` then `status --watch` completes
 * it; an advance with every wave open is the API's 409, exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentPage, DeploymentView } from '../../shared/contract/operator-api';
import { authorizeTenants, startTestStack, type TestStack } from '../support/stack';
import { runCli, type RunOptions } from './run-cli';

let t: TestStack;
let fleet: string[];

beforeAll(async () => {
  process.env.DEPLOY_WAVE_CHECK_SECONDS = '1';
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '1';
  t = await startTestStack({ emulator: { miniPrograms: 12, auditDelayMs: 200 } });
  fleet = await authorizeTenants(t, 12);
}, 120_000);
afterAll(async () => {
  await t?.close();
  delete process.env.DEPLOY_WAVE_CHECK_SECONDS;
  delete process.env.DEPLOY_BACKOFF_BASE_SECONDS;
});

const cli = (argv: string[], options: RunOptions = {}) => runCli(argv, { ...options, env: { MPFLEET_URL: t.stack.url, MPFLEET_TOKEN: t.stack.operatorToken, ...options.env } });
const deploy = (version: string, ...more: string[]) => ['deploy', '--template', '1', '--version', version, '--desc', 'staged', '--yes', ...more];
const deployments = async () => ((await (await t.operator('/api/deployments')).json()) as DeploymentPage).deployments;
const view = async (id: string) => (await (await t.operator(`/api/deployments/${id}?limit=100`)).json()) as DeploymentView;

describe('mpfleet deploy --waves', () => {
  it('refuses malformed wave flags before any request (exit 2), creating nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['--waves', '25,10,100'], /--waves <percents>.*cumulative, so each is larger than the one before \(10 after 25\)/],
      [['--waves', '25,25,100'], /each is larger than the one before/],
      [['--waves', '5,25'], /the last wave must be 100/],
      [['--waves', '0,100'], /"0" is not a whole percentage from 1 to 100/],
      [['--waves', '5.5,100'], /"5.5" is not a whole percentage/],
      [['--waves', '5,25,100', '--pilot', `${fleet[0]},wx-not-an-appid`], /--pilot <appids>.*"wx-not-an-appid" is not an appid/],
      [['--waves', '5,25,100', '--pilot', `${fleet[0]},${fleet[0]}`], /is named twice/],
      [['--waves', '50,100', '--tenants', fleet.slice(0, 3).join(','), '--pilot', fleet[5]!], /--pilot names tenants not in --tenants/],
      [['--waves', '5,25,100', '--advance', 'soon'], /--advance <manual\|minutes>.*must be manual, or the minutes/],
      [['--waves', '5,25,100', '--halt-when', '0'], /--halt-when <percent>.*from 1 to 100/],
      [['--waves', '1,2,3,4,5,6,7,8,9,100', '--pilot', fleet[0]!], /at most 10 waves \(the pilot counts as one\): got 11/],
      [['--advance', 'manual'], /^error: --advance applies to a staged rollout: add --waves/],
      [['--halt-when', '20'], /^error: --halt-when applies to a staged rollout: add --waves/],
      [['--pilot', fleet[0]!, '--advance', '30'], /^error: --pilot, --advance apply to a staged rollout: add --waves/],
    ];
    const before = (await deployments()).length;
    for (const [flags, message] of cases) {
      const result = await cli(deploy('0.0.1', ...flags));
      expect(result.code, flags.join(' ')).toBe(2);
      expect(result.stdout, flags.join(' ')).toBe('');
      expect(result.stderr, flags.join(' ')).toMatch(message);
    }
    expect(await deployments()).toHaveLength(before);
  });

  let id = '';

  it('deploy --waves 25,100 --watch stops when wave 1 settled, with a line per wave and the advance to run (exit 6)', async () => {
    const result = await cli(deploy('1.0.0', '--waves', '25,100', '--watch'));
    id = result.stdout.split('\n')[0]!;
    expect(id).toMatch(/^d-/);
    expect(result.stderr).toMatch(/^preflight: 12 ready/);
    // The plain lines of a non-terminal: each wave as it moves, then what the rollout waits for.
    expect(result.stdout).toMatch(/^wave 1\/2 \(25%\) {3}open {2}\d\/\d at rest {2}\S/m);
    expect(result.stdout).toMatch(/^wave 2\/2 \(100%\) {2}pending {2}0\/9 at rest {2}queued 9$/m);
    expect(result.stdout).toMatch(/^wave 1\/2 \(25%\) {3}settled {2}3\/3 at rest {2}released 3$/m);
    expect(result.stdout).toContain(`\nwave 2 is ready: mpfleet advance ${id}\n`);
    // The final status: the rollout block, then the counts and the targets with their wave.
    expect(result.stdout).toContain(
      [
        `deployment ${id}  paused  template 1  version 1.0.0  12 targets`,
        'rollout: 2 waves, advance manual (mpfleet advance)',
        '  wave 1/2 (25%)   settled  3/3 at rest  released 3',
        '  wave 2/2 (100%)  pending  0/9 at rest  queued 9',
        `wave 2 is ready: mpfleet advance ${id}`,
      ].join('\n'),
    );
    expect(result.stdout).toMatch(/^APPID\s+WAVE\s+STATE\s+AUDIT\s+ERROR$/m);
    expect(result.code).toBe(6);

    // status (no --watch) shows the same, exit 0.
    const status = await cli(['status', id]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`  wave 1/2 (25%)   settled  3/3 at rest  released 3\n  wave 2/2 (100%)  pending  0/9 at rest  queued 9\nwave 2 is ready: mpfleet advance ${id}\n`);
  }, 90_000);

  it('mpfleet advance opens wave 2, and status --watch follows it to completed (exit 0)', async () => {
    expect(await cli(['advance', id])).toEqual({ code: 0, stdout: `advance requested for ${id}; follow it with \`mpfleet status ${id} --watch\`\n`, stderr: '' });
    const result = await cli(['status', id, '--watch']);
    expect(result.stdout).toMatch(/^wave 2\/2 \(100%\) {2}settled {2}9\/9 at rest {2}released 9$/m);
    expect(result.stdout).toContain(`deployment ${id}  completed  template 1  version 1.0.0  12 targets\n`);
    expect(result.stdout.slice(result.stdout.indexOf(`deployment ${id}  completed`))).not.toMatch(/is ready: mpfleet advance/);
    expect(result.code).toBe(0);

    // A terminal gets a bar per wave instead.
    const bars = await cli(['status', id, '--watch'], { tty: true });
    expect(bars.code).toBe(0);
    expect(bars.stdout).toMatch(/wave 1\/2 \(25%\) +\S+ 3\/3 {2}settled {2}released 3/);
    expect(bars.stdout).toMatch(/wave 2\/2 \(100%\) \S+ 9\/9 {2}settled {2}released 9/);
  }, 90_000);

  it('advance with every wave open is refused: the API\'s last_wave_open, exit 1', async () => {
    const result = await cli(['advance', id]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: last_wave_open: wave 2 of 2 is the last: every wave is open\n$/);
  });

  it('a halted rollout (--pilot, --halt-when): the watch stops with the numbers and `mpfleet resume`; resume goes on', async () => {
    // Every second audit decided from now on is rejected: the pilots' second audit.
    await t.admin('/audit-outcome', { rejectPercent: 50 });
    try {
      const pilots = [fleet[10]!, fleet[11]!];
      const result = await cli(deploy('1.1.0', '--pilot', pilots.join(','), '--waves', '50,100', '--halt-when', '20'));
      expect(result.code).toBe(0);
      const staged = result.stdout.trim();
      // The halt is recorded as soon as the share is reached; wait for the wave's last step to land too.
      await t.until(async () => {
        const d = await view(staged);
        return d.rollout?.halt && (d.rollout.waves[0]!.counts.released ?? 0) + (d.rollout.waves[0]!.counts.rejected ?? 0) === 2;
      }, 60_000);
      const watched = await cli(['status', staged, '--watch']);
      expect(watched.stdout).toMatch(/^wave 1\/3 \(2 pilots\) {2}halted {2}2\/2 at rest {2}released 1, rejected 1$/m);
      expect(watched.stdout).toContain(`\nhalted at wave 1: 1 failed/rejected of 2 (50% ≥ 20%): mpfleet resume ${staged} | rollback | cancel\n`);
      expect(watched.stdout).toMatch(/\n1 target failed or rejected:\nAPPID\s+WAVE\s+STATE/);
      expect(watched.code).toBe(6);
      expect((await cli(['advance', staged])).stderr).toMatch(/^error: rollout_halted: /);

      await t.admin('/audit-outcome', { rejectPercent: 0 });
      expect(await cli(['resume', staged])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^resume requested for d-\S+; the next wave opens once the halted one settled/) });
      // The halted wave had settled: the next one opens without an advance.
      await t.until(async () => (await view(staged)).rollout!.openWave >= 1, 30_000);
      expect((await cli(['resume', staged])).stderr).toMatch(/^error: not_halted: /);
    } finally {
      await t.admin('/audit-outcome', { rejectPercent: 0 });
    }
  }, 90_000);
});
