import type { DeploymentSummary, RolloutView, TargetView, WaveState } from '../contract/operator-api';
import { pendingActionExpired, type Deployment, type DeploymentStatus, type Target, type TargetState } from './deployment';
import { haltTrips, waveNumbers } from './waves';

// Overloaded so a timestamp that is always there reads as a string in the contract.
function iso(ms: number): string;
function iso(ms: number | undefined): string | undefined;
function iso(ms: number | undefined) {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** Targets that would still be submitted for audit. */
const STILL_TO_SUBMIT: readonly TargetState[] = ['queued', 'waiting', 'committing', 'committed', 'submitting'];

export function deploymentSummary(
  deployment: Deployment,
  status: DeploymentStatus,
  counts: Partial<Record<TargetState, number>>,
  byWave: Partial<Record<TargetState, number>>[] = [],
): DeploymentSummary {
  return {
    id: deployment.id,
    status,
    templateId: deployment.templateId,
    userVersion: deployment.userVersion,
    userDesc: deployment.userDesc,
    submitAudit: deployment.submitAudit,
    release: deployment.release,
    ...(deployment.pausedReason ? { pausedReason: deployment.pausedReason } : {}),
    // WeChat refused the next submission (85085): nothing is left, and these still wait for an audit.
    ...(deployment.pausedCode ? { paused: { code: deployment.pausedCode, needed: STILL_TO_SUBMIT.reduce((sum, state) => sum + (counts[state] ?? 0), 0), left: 0 } } : {}),
    ...(deployment.releaseRequested?.grayPercentage !== undefined ? { grayPercentage: deployment.releaseRequested.grayPercentage } : {}),
    ...(deployment.pendingAction
      ? { pendingAction: { action: deployment.pendingAction.action, since: iso(deployment.pendingAction.atMs), expired: pendingActionExpired(deployment.pendingAction) } }
      : {}),
    ...(deployment.cancelRequested ? { cancelled: true } : {}),
    ...(deployment.rollbackRequested ? { rolledBack: true } : {}),
    counts,
    total: Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0),
    createdAt: iso(deployment.createdAtMs),
    updatedAt: iso(deployment.updatedAtMs),
    ...(deployment.lastSweptAtMs !== undefined ? { lastSweptAt: iso(deployment.lastSweptAtMs) } : {}),
    ...(deployment.waves && deployment.waveEnds ? { rollout: rolloutView(deployment, byWave) } : {}),
  };
}

function rolloutView(deployment: Deployment, byWave: Partial<Record<TargetState, number>>[]): RolloutView {
  const progress = deployment.waveProgress;
  const open = progress?.openWave ?? 0;
  const advance = deployment.advance ?? 'manual';
  const waves = deployment.waves!.map((spec, index) => {
    const counts = byWave[index] ?? {};
    const numbers = waveNumbers(deployment, counts);
    const state: WaveState = index > open ? 'pending' : progress?.halt?.wave === index ? 'halted' : numbers.settled && deployment.fanOutDone ? 'settled' : 'open';
    return {
      index,
      spec: 'tenants' in spec ? { tenants: spec.tenants.length } : { percent: spec.percent },
      state,
      total: Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0),
      counts,
      quotaNeeded: deployment.submitAudit ? STILL_TO_SUBMIT.reduce((sum, s) => sum + (counts[s] ?? 0), 0) : 0,
    };
  });
  const last = waves.length - 1;
  // An advance already asked for (the watcher opens the wave in a moment) is not waited for; nor is
  // one the watcher's next look will refuse (the open wave's numbers trip the halt).
  const tripping = !progress?.halt && haltTrips(deployment, open, waveNumbers(deployment, byWave[open]));
  const settled = waves[open]?.state === 'settled' && progress?.advanceRequested !== open + 1 && !tripping;
  const halt = progress?.halt;
  const waitingFor: RolloutView['waitingFor'] = halt
    ? { kind: 'resume', wave: halt.wave }
    : progress?.quotaWait
      ? { kind: 'quota', wave: progress.quotaWait.wave, needed: progress.quotaWait.needed, left: progress.quotaWait.left }
      : settled && open < last && !deployment.cancelRequested && !deployment.rollbackRequested
        ? advance === 'manual' || progress?.settledAtMs === undefined
          ? advance === 'manual'
            ? { kind: 'advance', wave: open + 1 }
            : undefined
          : { kind: 'soak', wave: open + 1, until: iso(progress.settledAtMs + advance.afterMinutes * 60_000) }
        : undefined;
  return {
    advance,
    ...(deployment.haltWhen ? { haltWhen: deployment.haltWhen } : {}),
    openWave: open,
    waves,
    ...(waitingFor ? { waitingFor } : {}),
    ...(halt ? { halt: { wave: halt.wave, failed: halt.failed, rejected: halt.rejected, total: halt.total, percent: halt.percent, at: iso(halt.atMs) } } : {}),
  };
}

export function targetView(target: Target): TargetView {
  return {
    appid: target.appid,
    state: target.state,
    ...(target.wave !== undefined ? { wave: target.wave } : {}),
    ...(target.auditId !== undefined ? { auditId: target.auditId } : {}),
    ...(target.auditDelayed ? { auditDelayed: true } : {}),
    ...(target.error ? { error: target.error } : {}),
    ...(target.reason ? { reason: target.reason } : {}),
    ...(target.screenshot ? { screenshot: target.screenshot } : {}),
    ...(target.state === 'gray' && target.grayPercentage !== undefined ? { grayPercentage: target.grayPercentage } : {}),
    ...(target.state === 'waiting' && target.waitingFor ? { waitingFor: target.waitingFor } : {}),
    ...(target.rollbackTo ? { rollbackTo: target.rollbackTo.userVersion } : {}),
    ...(target.auditOutcome ? { auditOutcome: target.auditOutcome } : {}),
    attempts: target.attempts,
    updatedAt: iso(target.updatedAtMs),
  };
}
