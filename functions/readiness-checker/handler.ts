import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { refreshStaleReadiness, type ScheduledCheckReport } from '../../shared/readiness/refresh-readiness';
import { services } from '../../shared/services';

/** EventBridge, every 30 minutes: checks the release gates of tenants whose readiness is stale (ICP, privacy guide, basic info, categories, quota). */
export const handler = middy<ScheduledEvent, ScheduledCheckReport>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(() => refreshStaleReadiness(services()));
