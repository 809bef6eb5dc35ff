import { waveIsOpen, type Deployment, type RestingTarget } from './deployment';
import type { StepName } from './target-machine';

/**
 * Which step a target at rest runs next, given its deployment's settings and the operator's latest
 * word (release, gray, revert-gray, rollback, cancel). Undefined: it waits (for an audit, the
 * operator, or nothing at all). A cancelled deployment starts no WeChat write: only rollbacks,
 * gray reverts and audit withdrawals still run.
 */
export function dueStep(deployment: Deployment, target: RestingTarget): StepName | undefined {
  const step = nextFor(deployment, target);
  // A step WeChat refused is not asked again until the operator issues the action again.
  return step !== undefined && step === target.refused ? undefined : step;
}

function nextFor(deployment: Deployment, target: RestingTarget): StepName | undefined {
  const cancelled = !!deployment.cancelRequested;
  const requested = deployment.releaseRequested;
  // A halted rollout starts no commit and no submit (its audits would be for a wave that may never release).
  const halted = !!deployment.waveProgress?.halt;
  switch (target.state) {
    case 'queued':
      return cancelled || halted || !waveIsOpen(deployment, target) ? undefined : 'commit';
    case 'committed':
      return !cancelled && !halted && deployment.submitAudit && !deployment.pausedReason ? 'submit' : undefined;
    case 'auditing':
      return cancelled && deployment.withdrawAudits ? 'withdraw' : undefined;
    case 'approved':
      if (cancelled || deployment.rollbackRequested) return undefined;
      if (requested) return requested.grayPercentage !== undefined ? 'gray' : 'release';
      return deployment.release === 'auto' ? 'release' : undefined;
    case 'gray':
      if (deployment.rollbackRequested) return 'rollback_gray';
      if (deployment.revertGrayRequested) return 'revert_gray';
      if (cancelled || !requested) return undefined;
      if (requested.grayPercentage === undefined) return 'complete';
      // Without the target's own percentage (a status computed from counts) a gray target is at
      // rest: its widening shows as in flight once a worker has claimed it.
      return target.grayPercentage !== undefined && requested.grayPercentage > target.grayPercentage ? 'widen' : undefined;
    case 'released':
      return deployment.rollbackRequested ? 'rollback' : undefined;
    default:
      return undefined;
  }
}
