import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { reconcileAudits, type ReconcileReport } from '../../shared/deployments/reconcile-audits';
import { sweepDeployments, type SweepReport } from '../../shared/deployments/sweep';
import { runAllThenThrow } from '../../shared/concurrency';
import { logger } from '../../shared/logger';
import { services } from '../../shared/services';

/**
 * EventBridge, every 5 minutes: polls audits whose result push has not arrived, and sweeps the
 * unsettled deployments for work whose message was lost (stranded targets, unfinished fan-outs).
 */
export const handler = middy<ScheduledEvent, ReconcileReport & { sweep: SweepReport }>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const [reconciled, sweep] = await runAllThenThrow([reconcileAudits(services()), sweepDeployments(services())] as const);
    return { ...reconciled, sweep };
  });
