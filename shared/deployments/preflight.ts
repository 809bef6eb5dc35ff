import type { PreflightResult } from '../contract/operator-api';
import { logger } from '../logger';
import { gateBlockers } from '../readiness/deployment-gates';
import { withFreshReadiness } from '../readiness/refresh-readiness';
import type { Services } from '../services';
import type { Tenant } from '../tenants/tenant';
import { checkDeploymentRequest } from './create-deployment';

/**
 * What a deployment would meet, before it exists: each tenant's release gates (its readiness, read
 * again where older than the max age, against the template's release profile) and the audit quota.
 * Only read calls reach WeChat; nothing is committed, submitted or stored but the readiness read.
 */
export async function preflightDeployment(services: Services, body: unknown): Promise<PreflightResult> {
  const { request, profile } = await checkDeploymentRequest(services, body);
  const named = request.tenants ? await Promise.all(request.tenants.map((appid) => services.tenants.get(appid))) : undefined;
  const candidates = named ? named.filter((t): t is Tenant => t !== undefined) : await allActive(services);
  const active = await withFreshReadiness(services, candidates.filter((t) => t.status === 'active'));

  const tenants: PreflightResult['tenants'] = active.map((tenant) => {
    const blockers = gateBlockers(tenant, profile, { submitAudit: request.submitAudit });
    return { appid: tenant.appid, nickName: tenant.nickName ?? null, ready: blockers.length === 0, blockers };
  });
  const ready = tenants.filter((t) => t.ready).length;
  return {
    tenants,
    counts: { ready, blocked: tenants.length - ready, skipped: candidates.length - active.length },
    quota: await auditQuota(services, active, request.submitAudit ? ready : 0),
  };
}

async function allActive(services: Services): Promise<Tenant[]> {
  const tenants: Tenant[] = [];
  for await (const tenant of services.tenants.all('active')) tenants.push(tenant);
  return tenants;
}

/** queryquota is the platform's, asked with any tenant's token: the first that answers. */
async function auditQuota(services: Services, tenants: Tenant[], planned: number): Promise<PreflightResult['quota']> {
  for (const tenant of tenants.slice(0, 3)) {
    try {
      const { rest, limit } = await services.wechat.tenant(tenant.appid).queryQuota();
      return { rest, limit, planned };
    } catch (error) {
      logger.warn('queryquota failed; asking with another tenant', { appid: tenant.appid, error: error as Error });
    }
  }
  return null;
}
