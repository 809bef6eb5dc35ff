import { refreshReadinessQuietly } from '../readiness/refresh-readiness';
import { forEachConcurrently } from '../concurrency';
import { Conflict } from '../errors';
import type { AuditItem } from '../wechat/types';
import type { DeployMessage } from './deploy-queue';
import { describeCounts, isActive, waveIsOpen, type BulkAction, type Deployment, type DeploymentPatch, type Target } from './deployment';
import type { DeployEngine } from './engine-ports';
import { resumeFanOut } from './fan-out';
import type { StepName, TargetState } from './target-machine';
import { letGoIfSettled } from './tenant-turns';
import { ensureWaveWatcher, progressWaves, requestAdvance } from './waves';

type ActionEngine = Pick<DeployEngine, 'deployments' | 'deployQueue' | 'tenants' | 'wechat'>;

export interface ActionOptions {
  /** release: to this share of users (a gray release), or fully online without it. */
  grayPercentage?: number;
  /** retry: resubmitted rejected targets carry this to the reviewer (submit_audit feedback_info). */
  feedbackInfo?: string;
  /** retry: resubmitted rejected targets use these audit items instead of the deployment's. */
  auditItems?: AuditItem[];
  /** cancel: also withdraw the audits still under review (undocodeaudit, within WeChat's quota). */
  withdrawAudits?: boolean;
}

/** Above this many released targets, a rollback's impossibility is found per target rather than up front. */
const ROLLBACK_PRECHECK_LIMIT = 100;

/**
 * Records the operator's intent on the deployment (so targets reaching the right state later
 * follow it too) and hands the per-target work to the queue: a deployment may have thousands.
 * An action that cannot apply to any target is refused with a Conflict saying why, and nothing
 * is recorded.
 */
export async function requestAction(engine: ActionEngine, deployment: Deployment, action: BulkAction, options: ActionOptions = {}): Promise<void> {
  const counts = await engine.deployments.counts(deployment.id);
  const count = (...states: TargetState[]) => states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
  const nowMs = Date.now();
  const set: DeploymentPatch = { pendingAction: { action, atMs: nowMs } };
  const remove: (keyof DeploymentPatch)[] = [];
  switch (action) {
    case 'release': {
      if (deployment.release === 'auto') throw new Conflict('release_is_automatic', 'this deployment releases approved targets automatically');
      if (deployment.cancelRequested) throw new Conflict('deployment_cancelled', 'a cancelled deployment releases nothing: create a new one');
      if (deployment.rollbackRequested) throw new Conflict('deployment_rolled_back', 'this deployment was rolled back: create a new one to release again');
      if (count('approved', 'gray') === 0) throw new Conflict('nothing_to_release', `no target is approved or in a gray release (${describeCounts(counts)})`);
      const wanted = options.grayPercentage;
      const current = count('gray') > 0 ? deployment.releaseRequested?.grayPercentage : undefined;
      if (wanted !== undefined && current !== undefined && wanted <= current) {
        throw new Conflict('gray_not_wider', `targets are gray at ${current}%: a gray release only widens (ask for more than ${current}%) or completes (ask without a percentage)`);
      }
      set.releaseRequested = { atMs: nowMs, ...(wanted !== undefined ? { grayPercentage: wanted } : {}) };
      remove.push('revertGrayRequested');
      break;
    }
    case 'revert-gray':
      if (count('gray') === 0) throw new Conflict('no_gray_release', `no target is in a gray release (${describeCounts(counts)})`);
      set.revertGrayRequested = true;
      // Reverted targets go back to approved and wait for the operator's next release.
      remove.push('releaseRequested');
      break;
    case 'rollback':
      if (count('released', 'gray') === 0) {
        throw new Conflict('nothing_to_roll_back', deployment.rollbackRequested ? 'this deployment was already rolled back' : `no target is released or in a gray release (${describeCounts(counts)})`);
      }
      if (count('gray') === 0 && count('released') <= ROLLBACK_PRECHECK_LIMIT) await refuseImpossibleRollback(engine, deployment);
      set.rollbackRequested = true;
      break;
    case 'cancel': {
      // Until the fan-out is done, targets are still being recorded: there is always something to cancel.
      const cancellable = count('queued', 'waiting', 'committed', 'approved', 'auditing', 'committing', 'submitting', 'releasing');
      if (deployment.fanOutDone && cancellable === 0) throw new Conflict('nothing_to_cancel', `every target has settled (${describeCounts(counts)})`);
      set.cancelRequested = true;
      if (options.withdrawAudits) set.withdrawAudits = true;
      break;
    }
    case 'advance':
    case 'resume':
      await requestAdvance(engine, deployment.id, action === 'resume');
      break;
    case 'retry':
      if (deployment.cancelRequested) throw new Conflict('deployment_cancelled', 'a cancelled deployment cannot be retried: create a new one');
      // A fan-out that never finished (a crash, a dead-lettered page) resumes from its cursor: always something to retry.
      if (deployment.fanOutDone && count('failed', 'blocked', 'rejected') === 0 && !deployment.pausedReason) throw new Conflict('nothing_to_retry', `no target failed, was blocked or was rejected (${describeCounts(counts)})`);
      // Retrying also lifts an audit-quota pause: the operator says the quota is back.
      remove.push('pausedReason', 'pausedCode');
      if (options.feedbackInfo !== undefined || options.auditItems !== undefined) {
        set.resubmission = { atMs: nowMs, ...(options.feedbackInfo !== undefined ? { feedbackInfo: options.feedbackInfo } : {}), ...(options.auditItems ? { auditItems: options.auditItems } : {}) };
      }
      break;
  }
  // The action gives the deployment work again: the sweeper looks after it until it settles.
  await engine.deployments.activate(deployment.id);
  await engine.deployments.update(deployment.id, set, remove);
  if (action === 'retry') await resumeFanOut(engine, deployment);
  await engine.deployQueue.send([{ kind: 'bulk', deploymentId: deployment.id, action, requestedAtMs: nowMs }]);
}

/**
 * A rollback no released target can make is refused up front: WeChat's get_history_version
 * lists the versions a mini-program can go back to, and a first release has none.
 */
async function refuseImpossibleRollback(engine: ActionEngine, deployment: Deployment): Promise<void> {
  const released: Target[] = [];
  for await (const target of engine.deployments.allTargets(deployment.id)) if (target.state === 'released') released.push(target);
  let possible = false;
  await forEachConcurrently(released, 8, async (target) => {
    if (possible || target.rollbackTo) {
      possible = true;
      return;
    }
    const { version_list } = await engine.wechat.tenant(target.appid).getHistoryVersion();
    if (version_list.some((version) => version.user_version !== deployment.userVersion)) possible = true;
  });
  if (!possible) {
    throw new Conflict('no_earlier_version', `no earlier version to roll back to: WeChat keeps no version before ${deployment.userVersion} for ${released.map((t) => t.appid).join(', ')}`);
  }
}

/**
 * The queue side of an operator action: visits every target once and re-drives each that has a
 * step to run — whatever state an earlier, interrupted run of this action left it in.
 */
export async function runBulkAction(engine: ActionEngine, request: { deploymentId: string; action: BulkAction; requestedAtMs?: number }): Promise<void> {
  const { deploymentId, action } = request;
  if (action === 'advance' || action === 'resume') await progressWaves(engine, deploymentId);
  const deployment = await engine.deployments.get(deploymentId);
  if (!deployment) return;
  // The rollout's watcher takes it from here (a new loop: the wave just opened, or the halt lifted).
  if (action === 'advance' || action === 'resume') await ensureWaveWatcher(engine, deployment, Date.now(), 0);
  let advance: DeployMessage[] = [];
  const flush = async () => {
    const batch = advance;
    advance = [];
    await engine.deployQueue.send(batch);
  };
  await forEachConcurrently(engine.deployments.allTargets(deploymentId), 16, async (target) => {
    const current = await applyToTarget(engine, deployment, action, target);
    if (current && isActive(current, deployment)) advance.push({ kind: 'advance', deploymentId, appid: target.appid });
    // Sent as it goes, so a crash part-way loses nothing that was already moved.
    if (advance.length >= 100) await flush();
  });
  await flush();
  const pending = deployment.pendingAction;
  if (pending && pending.action === action && (request.requestedAtMs === undefined || pending.atMs === request.requestedAtMs)) {
    await engine.deployments.clearPendingAction(deploymentId, pending);
  }
}

/** Applies the action to one target and returns it as it now stands. */
async function applyToTarget(engine: ActionEngine, deployment: Deployment, action: BulkAction, target: Target): Promise<Target | undefined> {
  const store = engine.deployments;
  switch (action) {
    case 'retry': {
      if (target.state !== 'failed' && target.state !== 'blocked' && target.state !== 'rejected') return target;
      // The operator fixed what blocked it (or says so): its gates are read again before it runs.
      if (target.state === 'blocked') await refreshReadinessQuietly(engine, target.appid);
      // Resume mid-way only if no other deployment used the tenant since: otherwise what this one
      // left at WeChat (its commit) is gone, and it starts again from the commit, in turn.
      const turn = await engine.tenants.hold(target.appid, deployment.id);
      const continuing = turn.held && turn.continuing;
      if (target.state === 'rejected') return store.resubmitTarget(deployment.id, target.appid, target.reason, continuing ? 'committed' : 'queued');
      // Back to the start of the step that failed: a failed release is released again, not rebuilt.
      return store.retryTarget(deployment.id, target.appid, continuing ? (target.resumeFrom ?? 'queued') : 'queued');
    }
    case 'cancel': {
      // What has not reached WeChat's audit is cancelled now; audits under review end cancelled
      // when their result arrives (or are withdrawn, if asked); in-flight steps land first.
      if (target.state === 'auditing' && target.refused === 'withdraw') return (await store.reconsider(deployment.id, target.appid, target.state)) ?? target;
      const cancelled = await store.cancelTarget(deployment.id, target.appid);
      if (!cancelled) return target;
      await letGoIfSettled(engine, deployment, cancelled);
      return cancelled;
    }
    case 'rollback': {
      // A staged rollout rolled back never opens its remaining waves (nor submits what a halt held): those targets end now, saying why.
      const neverReleased = target.state === 'queued' ? !waveIsOpen(deployment, target) || !!deployment.waveProgress?.halt : target.state === 'committed' && !!deployment.waveProgress?.halt;
      if (deployment.waves && neverReleased) {
        return (await store.cancelTarget(deployment.id, target.appid, { code: 'rollout_rolled_back', message: 'the staged rollout was rolled back before this target was released' })) ?? target;
      }
      if (target.refused && RETRIED_BY[action].includes(target.refused)) return (await store.reconsider(deployment.id, target.appid, target.state)) ?? target;
      return target;
    }
    default: {
      // Issued again: a step WeChat refused for this target (no earlier version, no withdrawal quota) is tried again.
      if (target.refused && RETRIED_BY[action].includes(target.refused)) return (await store.reconsider(deployment.id, target.appid, target.state)) ?? target;
      return target;
    }
  }
}

/** The refusable steps an action asks for again. */
const RETRIED_BY: Record<BulkAction, readonly StepName[]> = {
  rollback: ['rollback', 'rollback_gray'],
  'revert-gray': ['revert_gray'],
  cancel: ['withdraw'],
  release: [],
  retry: [],
  advance: [],
  resume: [],
};
