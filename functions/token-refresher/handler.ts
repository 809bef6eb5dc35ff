import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { logger } from '../../shared/logger';
import { services } from '../../shared/services';
import { refreshExpiringTokens, type RefreshRunReport } from '../../shared/tokens/scheduled-refresh';

/** EventBridge, every 5 minutes: ticket watchdog and ahead-of-expiry token refresh. */
export const handler = middy<ScheduledEvent, RefreshRunReport>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(() => refreshExpiringTokens(services()));
