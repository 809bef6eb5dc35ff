import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { reconcileAudits, type ReconcileReport } from '../../shared/deployments/reconcile-audits';
import { sweepDeployments, type SweepReport } from '../../shared/deployments/sweep';
import { logger } from '../../shared/logger';
import { services } from '../../shared/services';

/**
 * EventBridge, every 5 minutes: polls audits whose result push has not arrived, and sweeps the
 * unsettled deployments for work whose message was lost (stranded targets, unfinished fan-outs).
 */
export const handler = middy<ScheduledEvent, ReconcileReport & { sweep: SweepReport }>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    // Each runs whatever becomes of the other; a failure still fails the run, so it is seen.
    const [reconciled, sweep] = await Promise.allSettled([reconcileAudits(services()), sweepDeployments(services())]);
    if (reconciled.status === 'rejected') throw reconciled.reason;
    if (sweep.status === 'rejected') throw sweep.reason;
    return { ...reconciled.value, sweep: sweep.value };
  });
