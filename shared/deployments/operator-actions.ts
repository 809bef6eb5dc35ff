import { forEachConcurrently } from '../concurrency';
import { Conflict } from '../errors';
import type { DeployMessage } from './deploy-queue';
import { isActive, type BulkAction, type Deployment, type DeploymentPatch, type Target } from './deployment';
import type { DeployEngine } from './engine-ports';

type ActionEngine = Pick<DeployEngine, 'deployments' | 'deployQueue'>;

/**
 * Records the operator's intent on the deployment (so targets reaching the right state later
 * follow it too) and hands the per-target work to the queue: a deployment may have thousands.
 */
export async function requestAction(engine: ActionEngine, deployment: Deployment, action: BulkAction, options: { grayPercentage?: number } = {}): Promise<void> {
  const set: DeploymentPatch = { pendingAction: action };
  const remove: (keyof DeploymentPatch)[] = [];
  switch (action) {
    case 'release':
      if (deployment.release === 'auto') throw new Conflict('release_is_automatic', 'this deployment releases approved targets automatically');
      set.releaseRequested = { atMs: Date.now(), ...(options.grayPercentage !== undefined ? { grayPercentage: options.grayPercentage } : {}) };
      break;
    case 'rollback':
      set.rollbackRequested = true;
      break;
    case 'cancel':
      set.cancelRequested = true;
      break;
    case 'retry':
      if (deployment.cancelRequested) throw new Conflict('deployment_cancelled', 'a cancelled deployment cannot be retried: create a new one');
      // Retrying also lifts an audit-quota pause: the operator says the quota is back.
      remove.push('pausedReason');
      break;
  }
  await engine.deployments.update(deployment.id, set, remove);
  await engine.deployQueue.send([{ kind: 'bulk', deploymentId: deployment.id, action }]);
}

/**
 * The queue side of an operator action: visits every target once and re-drives each that has a
 * step to run — whatever state an earlier, interrupted run of this action left it in.
 */
export async function runBulkAction(engine: ActionEngine, deploymentId: string, action: BulkAction): Promise<void> {
  const deployment = await engine.deployments.get(deploymentId);
  if (!deployment) return;
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
  await engine.deployments.clearPendingAction(deploymentId, action);
}

/** Applies the action to one target and returns it as it now stands. */
async function applyToTarget(engine: ActionEngine, deployment: Deployment, action: BulkAction, target: Target): Promise<Target | undefined> {
  const store = engine.deployments;
  switch (action) {
    case 'retry':
      if (target.state !== 'failed') return target;
      // Back to the start of the step that failed: a failed release is released again, not rebuilt.
      return store.retryTarget(deployment.id, target.appid, target.resumeFrom ?? 'queued');
    case 'release':
    case 'rollback':
      return target;
    case 'cancel':
      // Only what has not been submitted to WeChat's audit yet; in-flight steps finish first.
      return (await store.cancelTarget(deployment.id, target.appid)) ?? target;
  }
}
