import type { DeploymentSummary, RolloutView, TargetCounts, TargetState, WaveView } from '../shared/contract/operator-api';
import { countsInline } from './format';

/**
 * A staged rollout (deploy --waves) as the CLI shows it: one line (or bar) per wave, and what the
 * rollout waits for. The server's own notion of a wave at rest lives in shared/deployments/waves.ts;
 * the bin carries no server code, so the list is repeated here.
 */

/** Where a wave's targets are done for the wave: nothing of theirs moves until the operator acts. */
const AT_REST: readonly TargetState[] = ['released', 'gray', 'rolled_back', 'failed', 'blocked', 'rejected', 'skipped', 'cancelled'];

/** A wave's targets at rest (a `committed` target rests too when the deployment does not submit for audit). */
export function waveDone(wave: Pick<WaveView, 'counts'>, submitAudit: boolean): number {
  const counts: Partial<Record<string, number>> = wave.counts;
  const resting = submitAudit ? AT_REST : [...AT_REST, 'committed'];
  return resting.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

/** `wave 1/3 (5%)`, `wave 1/3 (2 pilots)`: one-based, as the operator counts. */
export function waveLabel(wave: Pick<WaveView, 'index' | 'spec'>, waves: number): string {
  const what = 'tenants' in wave.spec ? `${wave.spec.tenants} pilot${wave.spec.tenants === 1 ? '' : 's'}` : `${wave.spec.percent}%`;
  return `wave ${wave.index + 1}/${waves} (${what})`;
}

/** The wave's state, its targets at rest out of its targets, and its counts: `settled  5/5 at rest  released 5`. */
export function waveProgressText(wave: WaveView, submitAudit: boolean): string {
  return `${wave.state}  ${waveDone(wave, submitAudit)}/${wave.total} at rest  ${waveCounts(wave.counts)}`;
}

const waveCounts = (counts: TargetCounts) => (Object.values(counts).some((n) => (n ?? 0) > 0) ? countsInline(counts) : 'no targets');

/** One line per wave, labels padded to line up: `wave 1/3 (5%)    settled  5/5 at rest  released 5`. */
export function waveLines(d: DeploymentSummary & { rollout: RolloutView }): string[] {
  const { waves } = d.rollout;
  const labels = waves.map((wave) => waveLabel(wave, waves.length));
  const width = Math.max(...labels.map((label) => label.length));
  return waves.map((wave, i) => `${labels[i]!.padEnd(width)}  ${waveProgressText(wave, d.submitAudit)}`);
}

/** How the rollout moves on, and when it stops: `rollout: 3 waves, advance manual (mpfleet advance), halt at 20% failed or rejected`. */
export function rolloutHeader(rollout: RolloutView): string {
  const advance = rollout.advance === 'manual' ? 'advance manual (mpfleet advance)' : `advance ${rollout.advance.afterMinutes} minute${rollout.advance.afterMinutes === 1 ? '' : 's'} after a wave settled`;
  const halt = rollout.haltWhen ? `, halt at ${rollout.haltWhen.failedOrRejectedPercent}% failed or rejected` : '';
  return `rollout: ${rollout.waves.length} wave${rollout.waves.length === 1 ? '' : 's'}, ${advance}${halt}`;
}

/**
 * What the rollout waits for, with the command that moves it on:
 * `wave 2 is ready: mpfleet advance <id>`, `wave 2 opens at <time>`,
 * `wave 2 waits for audit quota: needs 9, WeChat leaves 1`,
 * `halted at wave 1: 2 failed/rejected of 5 (40% ≥ 20%): mpfleet resume <id> | rollback | cancel`.
 */
export function rolloutWaitLine(d: DeploymentSummary): string | undefined {
  const wait = d.rollout?.waitingFor;
  if (!wait) return undefined;
  const wave = `wave ${wait.wave + 1}`;
  // The operator already asked: the rollout reads as before until the queue has applied it.
  const asked = d.pendingAction && !d.pendingAction.expired && (d.pendingAction.action === 'advance' || d.pendingAction.action === 'resume') ? d.pendingAction.action : undefined;
  if (asked && (wait.kind === 'advance' || wait.kind === 'resume')) return `${wave}: ${asked} requested, being applied`;
  switch (wait.kind) {
    case 'advance':
      return `${wave} is ready: mpfleet advance ${d.id}`;
    case 'soak':
      return `${wave} opens at ${wait.until}`;
    case 'quota':
      return `${wave} waits for audit quota: needs ${wait.needed}, WeChat leaves ${wait.left}`;
    case 'resume': {
      const halt = d.rollout?.halt;
      const threshold = d.rollout?.haltWhen?.failedOrRejectedPercent;
      const numbers = halt ? `: ${halt.failed + halt.rejected} failed/rejected of ${halt.total} (${halt.percent}%${threshold === undefined ? '' : ` ≥ ${threshold}%`})` : '';
      return `halted at wave ${(halt?.wave ?? wait.wave) + 1}${numbers}: mpfleet resume ${d.id} | rollback | cancel`;
    }
    default:
      // A wait the server adds later: its kind and wave still say something.
      return `${wave}: waiting (${(wait as { kind: string }).kind})`;
  }
}

/** The rollout block of `status`: how it moves on, a line per wave, what it waits for. */
export function rolloutBlock(d: DeploymentSummary): string[] {
  if (!d.rollout) return [];
  const wait = rolloutWaitLine(d);
  return [rolloutHeader(d.rollout), ...waveLines({ ...d, rollout: d.rollout }).map((line) => `  ${line}`), ...(wait ? [wait] : [])];
}

/**
 * Where `--watch` stops for a staged rollout that is `paused` between waves: it waits for the
 * operator (advance, resume, a manual release, a retry) or for audit quota. A soak runs out by
 * itself, so the watch goes on (as it does in the moment between a wave settling and its soak
 * being timed).
 */
export function rolloutStopsWatch(d: DeploymentSummary): boolean {
  const rollout = d.rollout;
  if (!rollout || d.status !== 'paused') return false;
  if (d.pausedReason || d.paused) return true;
  const wait = rollout.waitingFor;
  if (wait) return wait.kind !== 'soak';
  const open = rollout.waves[rollout.openWave];
  return !(open?.state === 'settled' && rollout.advance !== 'manual' && rollout.openWave < rollout.waves.length - 1);
}
