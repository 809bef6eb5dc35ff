import { forEachConcurrently } from '../concurrency';
import type { DeployMessage } from '../deployments/deploy-messages';
import { logger } from '../logger';
import { activeTenant } from '../tenants/active-tenant';
import type { Tenant } from '../tenants/tenant';
import type { TenantStore } from '../tenants/tenant-store';
import { TenantUnusableError } from '../tokens/errors';
import type { WeChatClients } from '../wechat/bound-clients';
import { checkReadiness } from './check-readiness';
import type { Readiness } from './readiness';

/** What a readiness check needs: WeChat bound to the tenant's token, and where to store the answer. */
type ReadinessPorts = { wechat: Pick<WeChatClients, 'tenant'>; tenants: Pick<TenantStore, 'saveReadiness'> };

/** Stored readiness younger than this is trusted by preflight and the fan-out; older is read again. */
export function readinessMaxAgeMs(): number {
  const raw = process.env.READINESS_MAX_AGE_SECONDS?.trim();
  const seconds = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 30 * 60_000;
}

/** Reads the tenant's release gates from WeChat and stores them; undefined for a tenant that cannot be asked (revoked). */
export async function refreshReadiness(services: ReadinessPorts, appid: string, nowMs = Date.now()): Promise<Readiness | undefined> {
  let readiness: Readiness;
  try {
    readiness = await checkReadiness(services.wechat.tenant(appid), nowMs);
  } catch (error) {
    if (error instanceof TenantUnusableError) return undefined;
    throw error;
  }
  await services.tenants.saveReadiness(appid, readiness);
  return readiness;
}

/** On the operator's demand: the tenant with its release gates read now. NotFound for an unknown appid, Conflict for one that cannot be asked. */
export async function checkTenantReadiness(services: ReadinessPorts & { tenants: Pick<TenantStore, 'get'> }, appid: string): Promise<Tenant> {
  const tenant = await activeTenant(services, appid);
  const readiness = await refreshReadiness(services, appid);
  return { ...tenant, ...(readiness ? { readiness } : {}) };
}

/**
 * After an authorization: the check runs from the queue, so neither the merchant's redirect nor
 * WeChat's push waits for six more WeChat calls. A failed send is not the authorization's failure:
 * the schedule checks tenants without readiness within 30 minutes.
 */
export async function requestReadinessCheck(services: { deployQueue: { send(messages: DeployMessage[]): Promise<void> } }, appid: string): Promise<void> {
  try {
    await services.deployQueue.send([{ kind: 'check-readiness', appid }]);
  } catch (error) {
    logger.warn('could not queue the release-gate check; the schedule will run it', { appid, error: error as Error });
  }
}

/** After a push about the mini-program: a failure only delays the readiness until the next check. */
export async function refreshReadinessQuietly(services: ReadinessPorts, appid: string): Promise<void> {
  try {
    await refreshReadiness(services, appid);
  } catch (error) {
    logger.warn('could not check the release gates; the next scheduled check will', { appid, error: error as Error });
  }
}

const REFRESH_CONCURRENCY = 8;

/**
 * The tenants given, with readiness no older than the max age: stale or missing ones are read
 * again (a few at a time). A tenant WeChat could not be asked about keeps what was stored.
 */
export async function withFreshReadiness(services: ReadinessPorts, tenants: Tenant[], nowMs = Date.now()): Promise<Tenant[]> {
  const maxAge = readinessMaxAgeMs();
  const fresh = new Map<string, Readiness>();
  const stale = tenants.filter((t) => t.status === 'active' && (!t.readiness || nowMs - t.readiness.checkedAtMs > maxAge));
  await forEachConcurrently(stale, REFRESH_CONCURRENCY, async (tenant) => {
    try {
      const readiness = await refreshReadiness(services, tenant.appid, nowMs);
      if (readiness) fresh.set(tenant.appid, readiness);
    } catch (error) {
      logger.warn('could not check the release gates; using what was stored', { appid: tenant.appid, error: error as Error });
    }
  });
  return tenants.map((t) => (fresh.has(t.appid) ? { ...t, readiness: fresh.get(t.appid)! } : t));
}

export interface ScheduledCheckReport {
  /** Active tenants looked at, and of those checked again. */
  tenants: number;
  checked: number;
  /** Checks that failed (WeChat unreachable): tried again on the next run. */
  failed: number;
}

/** Readiness older than this is checked again by the schedule (pushes and deploys refresh it sooner). */
const SCHEDULED_MAX_AGE_MS = 6 * 3600_000;
/** Checks per scheduled run at most (six read calls each); the rest wait for the next run, oldest first. */
const SCHEDULED_MAX_CHECKS = 500;

/**
 * The schedule's pass: every active tenant whose readiness is missing or older than six hours is
 * checked again, the oldest first, up to a bound per run. Catches what no push announces (a
 * category removed, a privacy guide edited in the admin console, the monthly quota).
 */
export async function refreshStaleReadiness(services: ReadinessPorts & { tenants: Pick<TenantStore, 'all'> }, nowMs = Date.now()): Promise<ScheduledCheckReport> {
  const report: ScheduledCheckReport = { tenants: 0, checked: 0, failed: 0 };
  const stale: { appid: string; checkedAtMs: number }[] = [];
  for await (const tenant of services.tenants.all('active')) {
    report.tenants += 1;
    const checkedAtMs = tenant.readiness?.checkedAtMs ?? 0;
    if (nowMs - checkedAtMs > SCHEDULED_MAX_AGE_MS) stale.push({ appid: tenant.appid, checkedAtMs });
  }
  stale.sort((a, b) => a.checkedAtMs - b.checkedAtMs);
  await forEachConcurrently(stale.slice(0, SCHEDULED_MAX_CHECKS), REFRESH_CONCURRENCY, async ({ appid }) => {
    try {
      await refreshReadiness(services, appid, Date.now());
      report.checked += 1;
    } catch (error) {
      report.failed += 1;
      logger.warn('could not check the release gates; the next run tries again', { appid, error: error as Error });
    }
  });
  if (report.checked || report.failed) logger.info('release gates checked', { ...report });
  return report;
}
