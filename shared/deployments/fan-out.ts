import { forEachConcurrently } from '../concurrency';
import { logger } from '../logger';
import { blockedError } from '../readiness/blockers';
import { gateBlockers } from '../readiness/deployment-gates';
import { withFreshReadiness } from '../readiness/refresh-readiness';
import type { Tenant } from '../tenants/tenant';
import type { DeployMessage } from './deploy-queue';
import type { Deployment, Target } from './deployment';
import type { DeployEngine } from './engine-ports';
import { waveOfIndex } from './waves';

/** Most tenants recorded per fan-out message: one page, then the next page is its own message. */
export const FAN_OUT_PAGE = 500;
/**
 * A fan-out's first page: its steps start once this many targets are recorded, not a whole page.
 * Each page after it is twice the one before (up to FAN_OUT_PAGE), so the next page is recorded
 * while the workers run this one's steps.
 */
export const FIRST_FAN_OUT_PAGE = 50;
const WRITE_CONCURRENCY = 16;

/** How many tenants the page after a page of `size` records. */
function nextPageSize(size: number): number {
  return Math.min(FAN_OUT_PAGE, size * 2);
}

/**
 * Records one page of a deployment's targets and enqueues their first step, then hands the next
 * page to a new message — durable at any size, resumable after a crash. Re-running a page (SQS
 * redelivery) adds nothing twice and re-enqueues steps that are harmless to repeat.
 */
export async function fanOutPage(engine: DeployEngine, deploymentId: string, cursor?: string, pageSize = FIRST_FAN_OUT_PAGE): Promise<void> {
  const deployment = await engine.deployments.get(deploymentId);
  if (!deployment) return;

  // A redelivered page runs even after the last page finished: its steps may never have been sent.
  const size = Math.min(FAN_OUT_PAGE, Math.max(1, pageSize));
  const page = await pageOfTenants(engine, deployment, cursor, size);
  const { next } = page;
  const tenants = await withCurrentReadiness(engine, deployment, page.tenants);
  const advance: DeployMessage[] = [];
  await forEachConcurrently(tenants, WRITE_CONCURRENCY, async ({ appid, tenant, index }) => {
    const fresh = initialTarget(deployment, appid, tenant, waveOfIndex(deployment, index));
    const added = await engine.deployments.addTarget(fresh);
    // Decide from what is stored: a target recorded by an earlier delivery keeps its own state.
    const state = added ? fresh.state : (await engine.deployments.getTarget(deploymentId, appid))?.state;
    // A target of a wave not open yet waits for it: its step is sent when the wave opens (waves.ts).
    if (state === 'queued' && (fresh.wave ?? 0) <= (deployment.waveProgress?.openWave ?? 0)) advance.push({ kind: 'advance', deploymentId, appid });
  });
  if (deployment.fanOutDone) {
    await engine.deployQueue.send(advance);
    return;
  }
  // The next page goes first, so recording the fleet is not queued behind this page's steps.
  if (next !== undefined) {
    await engine.deployments.update(deploymentId, { fanOutCursor: next });
    await engine.deployQueue.send([{ kind: 'fan-out', deploymentId, cursor: next, pageSize: nextPageSize(size) }]);
  }
  await engine.deployQueue.send(advance);
  if (next === undefined) {
    await engine.deployments.update(deploymentId, { fanOutDone: true }, ['fanOutCursor']);
    logger.info('deployment fanned out', { deploymentId });
  }
}

async function pageOfTenants(
  engine: DeployEngine,
  deployment: Deployment,
  cursor: string | undefined,
  size: number,
): Promise<{ tenants: { appid: string; tenant?: Tenant; index: number }[]; next?: string }> {
  if (deployment.tenants) {
    const offset = Number(cursor ?? 0);
    const appids = deployment.tenants.slice(offset, offset + size);
    const tenants = await Promise.all(appids.map(async (appid, i) => ({ appid, tenant: await engine.tenants.get(appid), index: offset + i })));
    const end = offset + appids.length;
    return { tenants, ...(end < deployment.tenants.length ? { next: String(end) } : {}) };
  }
  const page = await engine.tenants.list({ limit: size, nextToken: cursor });
  // Only a deployment without waves reaches every tenant by listing them (index unused).
  return { tenants: page.tenants.map((tenant) => ({ appid: tenant.appid, tenant, index: 0 })), ...(page.nextToken ? { next: page.nextToken } : {}) };
}

/**
 * Sends the fan-out on again from where it got to (its stored cursor): after a crash, a
 * dead-lettered fan-out message, or a queue send that failed right after the deployment was
 * stored. Pages are idempotent, so a fan-out still running meanwhile records nothing twice.
 */
export async function resumeFanOut(engine: Pick<DeployEngine, 'deployQueue'>, deployment: Pick<Deployment, 'id' | 'fanOutDone' | 'fanOutCursor'>): Promise<boolean> {
  if (deployment.fanOutDone) return false;
  await engine.deployQueue.send([{ kind: 'fan-out', deploymentId: deployment.id, ...(deployment.fanOutCursor !== undefined ? { cursor: deployment.fanOutCursor } : {}) }]);
  logger.info('deployment fan-out resumed', { deploymentId: deployment.id, cursor: deployment.fanOutCursor });
  return true;
}

/**
 * The page's tenants with readiness no older than the max age, when the deployment submits for
 * audit (only then do the release gates apply): the gates are judged from it as targets are recorded.
 */
async function withCurrentReadiness<T extends { appid: string; tenant?: Tenant }>(engine: DeployEngine, deployment: Deployment, page: T[]): Promise<T[]> {
  if (!deployment.submitAudit) return page;
  const present = page.map((entry) => entry.tenant).filter((tenant): tenant is Tenant => tenant !== undefined);
  const fresh = new Map((await withFreshReadiness(engine, present)).map((tenant) => [tenant.appid, tenant]));
  return page.map((entry) => ({ ...entry, tenant: fresh.get(entry.appid) }));
}

/**
 * Active tenants are queued, or blocked by a release gate (nothing of theirs reaches WeChat); the
 * others are skipped with the reason, so the operator sees them.
 */
function initialTarget(deployment: Deployment, appid: string, tenant: Tenant | undefined, wave: number | undefined): Target {
  const now = Date.now();
  const base = { deploymentId: deployment.id, appid, ...(wave !== undefined ? { wave } : {}), attempts: 0, createdAtMs: now, updatedAtMs: now };
  if (!tenant) return { ...base, state: 'skipped', error: { code: 'tenant_not_found', message: 'no such tenant' } };
  if (tenant.status !== 'active') {
    return { ...base, state: 'skipped', error: { code: `tenant_${tenant.status}`, message: tenant.statusReason ?? `tenant is ${tenant.status}` } };
  }
  const [gate] = gateBlockers(tenant, deployment.profile, { submitAudit: deployment.submitAudit });
  if (gate) return { ...base, state: 'blocked', error: blockedError(gate) };
  return { ...base, state: 'queued' };
}
