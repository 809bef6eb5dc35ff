import type { Deployment } from './deployment';
import type { DeploymentStore } from './deployment-store';

/**
 * Reads a deploy-worker batch shares: its messages mostly advance targets of one deployment, which
 * is read once for all of them rather than once each (each step that a cancel may stop still reads
 * it again once claimed, advance-target.ts).
 */
export interface BatchReads {
  deployment(engine: { deployments: Pick<DeploymentStore, 'get'> }, id: string): Promise<Deployment | undefined>;
}

export function batchReads(): BatchReads {
  const deployments = new Map<string, Promise<Deployment | undefined>>();
  return {
    deployment(engine, id) {
      let read = deployments.get(id);
      if (!read) {
        read = engine.deployments.get(id);
        deployments.set(id, read);
      }
      return read;
    },
  };
}
