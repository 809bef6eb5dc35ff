import type { Deployment, Target } from './deployment';
import type { DeploymentStore } from './deployment-store';

/**
 * How long a check asked for waits for others to share it: a batch's records claim their steps
 * at about the same moment (they start together, and their WeChat calls take about as long).
 */
export const SHARED_CHECK_WINDOW_MS = 5;

type Reader = { deployments: Pick<DeploymentStore, 'get'> };
type TargetReader = { deployments: Pick<DeploymentStore, 'getTargets'> };

/**
 * Reads a deploy-worker batch shares: its messages mostly advance targets of one deployment, which
 * is read once for all of them rather than once each; their targets, each read as its record starts,
 * in one request for the records that start together; and each step that a cancel may stop reads
 * the deployment again once claimed (advance-target.ts), one read for the records that ask within a few ms.
 */
export interface BatchReads {
  deployment(engine: Reader, id: string): Promise<Deployment | undefined>;
  /** A read that starts after this call (so it sees every write done before it), shared with the calls of the next few ms. */
  deploymentFromNow(engine: Reader, id: string): Promise<Deployment | undefined>;
  /** The target as it is now: one read for the targets of the deployment asked for in the same turn of the event loop, started after them all. */
  target(engine: TargetReader, deploymentId: string, appid: string): Promise<Target | undefined>;
}

export function batchReads(): BatchReads {
  const deployments = new Map<string, Promise<Deployment | undefined>>();
  const nextReads = new Map<string, Promise<Deployment | undefined>>();
  const targetReads = new Map<string, { appids: Set<string>; read: Promise<Map<string, Target>> }>();
  return {
    deployment(engine, id) {
      let read = deployments.get(id);
      if (!read) {
        read = engine.deployments.get(id);
        deployments.set(id, read);
      }
      return read;
    },
    deploymentFromNow(engine, id) {
      let read = nextReads.get(id);
      if (!read) {
        read = new Promise<void>((resolve) => setTimeout(resolve, SHARED_CHECK_WINDOW_MS)).then(() => {
          // From here on a caller needs a read of its own: this one may have started before its call.
          nextReads.delete(id);
          return engine.deployments.get(id);
        });
        nextReads.set(id, read);
      }
      return read;
    },
    async target(engine, deploymentId, appid) {
      let shared = targetReads.get(deploymentId);
      if (!shared) {
        const appids = new Set<string>();
        const read = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          // Asked for from here on: a read of its own, as this one may have started before the ask.
          targetReads.delete(deploymentId);
          return engine.deployments.getTargets(deploymentId, [...appids]);
        });
        shared = { appids, read };
        targetReads.set(deploymentId, shared);
      }
      shared.appids.add(appid);
      return (await shared.read).get(appid);
    },
  };
}
