import type { TenantDeployments } from '../contract/operator-api';
import { NotFound } from '../errors';
import type { Services } from '../services';
import { deploymentStatus } from './deployment';
import { targetView } from './deployment-view';

/** How many of the latest deployments are looked through for a tenant's (one read each). */
const LOOKED_THROUGH = 50;

/**
 * The recent deployments that include a tenant, newest first, with its target in each: the latest
 * 50 deployments are read and, for each, the tenant's target (deployments are not indexed by tenant;
 * an operator asks about recent ones).
 */
export async function tenantDeployments(services: Services, appid: string): Promise<TenantDeployments> {
  if (!(await services.tenants.get(appid))) throw new NotFound('tenant_not_found', `no tenant ${appid}`);
  const { deployments } = await services.deployments.list(LOOKED_THROUGH);
  const found = await Promise.all(
    deployments.map(async (deployment) => {
      const target = await services.deployments.getTarget(deployment.id, appid);
      if (!target) return undefined;
      const status = deploymentStatus(deployment, await services.deployments.tally(deployment.id));
      return { id: deployment.id, status, userVersion: deployment.userVersion, createdAt: new Date(deployment.createdAtMs).toISOString(), target: targetView(target) };
    }),
  );
  return { deployments: found.filter((d) => d !== undefined) };
}
