import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { reconcileAudits, type ReconcileReport } from '../../shared/deployments/reconcile-audits';
import { logger } from '../../shared/logger';
import { services } from '../../shared/services';

/** EventBridge, every 5 minutes: polls audits whose result push has not arrived. */
export const handler = middy<ScheduledEvent, ReconcileReport>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(() => reconcileAudits(services()));
