import { forEachConcurrently } from '../concurrency';
import { logger } from '../logger';
import type { DeployEngine } from './engine-ports';
import { auditPollDue, FIRST_AUDIT_POLL_MS } from './audit-polling';
import { applyAuditOutcome, outcomeOfStatus } from './audit-results';

export interface ReconcileReport {
  checked: number;
  resolved: number;
}

export interface ReconcileOptions {
  budgetMs?: number;
  nowMs?: number;
}

/**
 * Polls get_auditstatus for audits whose result push may have been lost — each on a schedule
 * that thins out with age (auditPollDue) — so a lost push never strands a tenant.
 */
export async function reconcileAudits(services: Pick<DeployEngine, 'deployments' | 'deployQueue' | 'tenants' | 'wechat'>, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const now = options.nowMs ?? Date.now();
  const waiting = services.deployments.auditingSince(now - FIRST_AUDIT_POLL_MS);
  // Stay inside the function's timeout; the oldest audits come first and the next run continues.
  const deadline = Date.now() + (options.budgetMs ?? 4 * 60_000);
  const report: ReconcileReport = { checked: 0, resolved: 0 };
  await forEachConcurrently(waiting, 8, async ({ deploymentId, appid, auditId, submittedAtMs }) => {
    if (auditId === undefined || Date.now() > deadline) return;
    if (!auditPollDue(now - submittedAtMs)) return;
    report.checked += 1;
    try {
      const status = await services.wechat.tenant(appid).getAuditStatus(auditId);
      const outcome = outcomeOfStatus(status.status, status.reason, status.screenshot);
      if (outcome && (await applyAuditOutcome(services, deploymentId, appid, outcome)) && outcome.status !== 'delayed') report.resolved += 1;
    } catch (error) {
      logger.warn('audit status poll failed', { deploymentId, appid, error: error as Error });
    }
  });
  if (report.checked) logger.info('audits reconciled', { ...report });
  return report;
}
