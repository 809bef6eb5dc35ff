import { forEachConcurrently } from '../concurrency';
import { logger } from '../logger';
import { recordMetric } from '../metrics/record';
import type { Services } from '../services';
import { TICKET_STALE_AFTER_MS } from '../tickets/ticket-freshness';
import { NoVerifyTicketError, TenantUnusableError } from './errors';

export interface RefreshRunOptions {
  /** Refresh tokens expiring within this window (longer than the schedule's period). */
  windowMs?: number;
  concurrency?: number;
  nowMs?: number;
}

export interface RefreshRunReport {
  ticketAgeMs: number | null;
  ticketPushRequested: boolean;
  componentToken: 'fresh' | 'refreshed' | 'failed';
  tenantsChecked: number;
  tenantsRefreshed: number;
  tenantsFailed: number;
}

/**
 * The scheduled background refresh: a ticket watchdog, then the component token, then every
 * active tenant's authorizer token that would expire before the next runs — so request paths
 * almost never wait for WeChat's token APIs.
 */
export async function refreshExpiringTokens(services: Services, options: RefreshRunOptions = {}): Promise<RefreshRunReport> {
  const now = options.nowMs ?? Date.now();
  const windowMs = options.windowMs ?? 20 * 60_000;
  const report: RefreshRunReport = {
    ticketAgeMs: null,
    ticketPushRequested: false,
    componentToken: 'fresh',
    tenantsChecked: 0,
    tenantsRefreshed: 0,
    tenantsFailed: 0,
  };

  const ticket = await services.tickets.latest();
  report.ticketAgeMs = ticket ? now - ticket.receivedAtMs : null;
  // No data point without a ticket: the alarm treats a missing age as "not known to be fresh".
  if (ticket) recordMetric('VerifyTicketAgeSeconds', { value: Math.max(0, Math.round(report.ticketAgeMs! / 1000)) });
  if (!ticket || report.ticketAgeMs! > TICKET_STALE_AFTER_MS) {
    logger.warn('component_verify_ticket is stale; asking WeChat to push one', { ticketAgeMs: report.ticketAgeMs });
    try {
      await services.componentApi.startPushTicket(await services.componentSecret());
      report.ticketPushRequested = true;
    } catch (error) {
      logger.error('api_start_push_ticket failed', { error: error as Error });
    }
  }

  try {
    report.componentToken = await services.componentToken.refreshIfExpiring(windowMs);
  } catch (error) {
    report.componentToken = 'failed';
    if (error instanceof NoVerifyTicketError) logger.warn(error.message);
    else logger.error('component token refresh failed', { error: error as Error });
    // Without a component token no authorizer token can be refreshed either.
    return report;
  }

  await forEachConcurrently(services.tenants.all('active'), options.concurrency ?? 8, async (tenant) => {
    report.tenantsChecked += 1;
    try {
      const outcome = await services.authorizerTokens.forTenant(tenant.appid).refreshIfExpiring(windowMs);
      if (outcome === 'refreshed') report.tenantsRefreshed += 1;
    } catch (error) {
      report.tenantsFailed += 1;
      if (error instanceof TenantUnusableError) logger.warn('tenant can no longer be refreshed', { appid: tenant.appid, reason: error.reason });
      else logger.error('authorizer token refresh failed', { appid: tenant.appid, error: error as Error });
    }
  });
  logger.info('token refresh run', { ...report });
  return report;
}
