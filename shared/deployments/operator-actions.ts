import { forEachConcurrently } from '../concurrency';
import { conflict } from '../http/errors';
import type { Platform } from '../platform';
import type { DeployMessage } from './deploy-queue';
import type { Deployment, Target } from './deployment';

export type BulkAction = 'retry' | 'release' | 'rollback' | 'cancel';

/**
 * Records the operator's intent on the deployment (so targets reaching the right state later
 * follow it too) and hands the per-target work to the queue: a deployment may have thousands.
 */
export async function requestAction(platform: Platform, deployment: Deployment, action: BulkAction, options: { grayPercentage?: number } = {}): Promise<void> {
  const store = platform.deployments;
  switch (action) {
    case 'release':
      if (deployment.release === 'auto') throw conflict('release_is_automatic', 'this deployment releases approved targets automatically');
      await store.update(deployment.id, {
        releaseRequested: { atMs: Date.now(), ...(options.grayPercentage !== undefined ? { grayPercentage: options.grayPercentage } : {}) },
      });
      break;
    case 'rollback':
      await store.update(deployment.id, { rollbackRequested: true });
      break;
    case 'cancel':
      await store.update(deployment.id, { cancelRequested: true });
      break;
    case 'retry':
      // Retrying also lifts an audit-quota pause: the operator says the quota is back.
      await store.update(deployment.id, {}, ['pausedReason']);
      break;
  }
  await store.update(deployment.id, { pendingAction: action });
  await platform.deployQueue.send([{ kind: 'bulk', deploymentId: deployment.id, action }]);
}

/** The queue side of an operator action: visits every target once. */
export async function runBulkAction(platform: Platform, deploymentId: string, action: BulkAction): Promise<void> {
  const deployment = await platform.deployments.get(deploymentId);
  if (!deployment) return;
  const advance: DeployMessage[] = [];
  await forEachConcurrently(platform.deployments.allTargets(deploymentId), 16, async (target) => {
    if (await applyToTarget(platform, deployment, action, target)) advance.push({ kind: 'advance', deploymentId, appid: target.appid });
  });
  await platform.deployQueue.send(advance);
  await platform.deployments.update(deploymentId, {}, ['pendingAction']);
}

/** Whether the target now has a step to run. */
async function applyToTarget(platform: Platform, deployment: Deployment, action: BulkAction, target: Target): Promise<boolean> {
  const store = platform.deployments;
  switch (action) {
    case 'retry':
      if (target.state === 'failed') {
        return !!(await store.transition(deployment.id, target.appid, { from: ['failed'], to: 'queued', set: { attempts: 0 }, remove: ['error'] }));
      }
      return target.state === 'committed' && deployment.submitAudit;
    case 'release':
      return target.state === 'approved';
    case 'rollback':
      return target.state === 'released';
    case 'cancel':
      // Only what has not been submitted to WeChat's audit yet; in-flight steps finish first.
      await store.transition(deployment.id, target.appid, { from: ['queued', 'committed'], to: 'cancelled' });
      return false;
  }
}
