import { forEachConcurrently } from '../concurrency';
import { logger } from '../logger';
import type { Platform } from '../platform';
import { applyAuditOutcome, type AuditOutcome } from './audit-results';

export interface ReconcileReport {
  checked: number;
  resolved: number;
}

/**
 * Polls get_auditstatus for targets auditing longer than `olderThanMs`, so a lost audit push
 * never strands a tenant.
 */
export async function reconcileAudits(platform: Platform, options: { olderThanMs?: number; budgetMs?: number } = {}): Promise<ReconcileReport> {
  const waiting = platform.deployments.auditingSince(Date.now() - (options.olderThanMs ?? 10 * 60_000));
  // Stay inside the function's timeout; the oldest audits come first and the next run continues.
  const deadline = Date.now() + (options.budgetMs ?? 4 * 60_000);
  const report: ReconcileReport = { checked: 0, resolved: 0 };
  await forEachConcurrently(waiting, 8, async ({ deploymentId, appid, auditId }) => {
    if (auditId === undefined || Date.now() > deadline) return;
    report.checked += 1;
    try {
      const status = await platform.authorizerTokens.forTenant(appid).use((token) => platform.authorizerApi.getAuditStatus(token, auditId));
      const outcome: AuditOutcome | undefined =
        status.status === 0
          ? { status: 'approved' }
          : status.status === 1
            ? { status: 'rejected', reason: status.reason ?? 'rejected by WeChat', screenshot: status.screenshot }
            : status.status === 3
              ? { status: 'withdrawn' }
              : status.status === 4
                ? { status: 'delayed' }
                : undefined;
      if (outcome && (await applyAuditOutcome(platform, deploymentId, appid, outcome)) && outcome.status !== 'delayed') report.resolved += 1;
    } catch (error) {
      logger.warn('audit status poll failed', { deploymentId, appid, error: error as Error });
    }
  });
  if (report.checked) logger.info('audits reconciled', { ...report });
  return report;
}
