import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { syncAuthorizersIfDue, type SyncReport } from '../../shared/authorization/sync-authorizers';
import { runAllThenThrow } from '../../shared/concurrency';
import { logger } from '../../shared/logger';
import { services } from '../../shared/services';
import { refreshExpiringTokens, type RefreshRunReport } from '../../shared/tokens/scheduled-refresh';

export interface TokenRefresherReport extends RefreshRunReport {
  /** The authorizer sync, when it was this run's turn (hourly). */
  sync?: SyncReport;
}

/**
 * EventBridge, every 5 minutes: ticket watchdog and ahead-of-expiry token refresh, then (at most
 * hourly) the authorizer sync. Each runs even if the other fails; a failure still fails the run.
 */
export const handler = middy<ScheduledEvent, TokenRefresherReport>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const p = services();
    const [refresh, sync] = await runAllThenThrow([refreshExpiringTokens(p), syncAuthorizersIfDue(p)] as const);
    return { ...refresh, ...(sync ? { sync } : {}) };
  });
