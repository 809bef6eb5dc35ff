import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../db/conditional';
import { logger } from '../logger';
import { requestReadinessCheck } from '../readiness/refresh-readiness';
import type { Services } from '../services';
import { TenantUnusableError } from '../tokens/errors';
import { MAX_AUTHORIZER_PAGE } from '../wechat/component-api';
import type { AuthorizerListItem } from '../wechat/types';
import { refreshProfile } from './exchange-code';

const SYNC_CONCURRENCY = 20;

export interface SyncReport {
  /** Authorizers WeChat listed. */
  checked: number;
  /** Appids whose authorization mpfleet had lost and now holds again (active, with a working token). */
  recovered: string[];
}

/**
 * Compares WeChat's authorizer list (api_get_authorizer_list, with each authorizer's current refresh
 * token) with the tenants and recovers every authorization mpfleet lost: a tenant missing, or
 * revoked / needs_reauth while WeChat holds an authorization newer than that, becomes active again.
 * `only`: look for that one appid (stops paging once found).
 */
export async function syncAuthorizers(services: Services, options: { only?: string } = {}): Promise<SyncReport> {
  const report: SyncReport = { checked: 0, recovered: [] };
  for (let offset = 0; ; offset += MAX_AUTHORIZER_PAGE) {
    const page = await services.wechat.component.getAuthorizerList(offset, MAX_AUTHORIZER_PAGE);
    const entries = options.only ? page.list.filter((entry) => entry.authorizer_appid === options.only) : page.list;
    // A few at a time: most are active tenants (one read each), and the API answers within 30 s.
    for (let i = 0; i < entries.length; i += SYNC_CONCURRENCY) {
      await Promise.all(
        entries.slice(i, i + SYNC_CONCURRENCY).map(async (entry) => {
          report.checked++;
          try {
            if (await recoverAuthorizer(services, entry)) report.recovered.push(entry.authorizer_appid);
          } catch (error) {
            // One authorizer's failure (WeChat busy on it) must not stop the others; the next sync retries.
            logger.warn('could not recover an authorizer from the authorizer list', { appid: entry.authorizer_appid, error: error as Error });
          }
        }),
      );
    }
    if (options.only && entries.length > 0) return report;
    if (page.list.length === 0 || offset + page.list.length >= page.total_count) return report;
  }
}

/** One listed authorizer: true if mpfleet had lost it and holds it again. */
async function recoverAuthorizer(services: Services, entry: AuthorizerListItem): Promise<boolean> {
  const appid = entry.authorizer_appid;
  const tenant = await services.tenants.get(appid);
  if (tenant?.status === 'active') return false;
  if (!entry.refresh_token) return false;
  const authorizedAtMs = entry.auth_time * 1000;
  // Through the same conditions as a normal authorization: never over a newer refresh token, never
  // over a revocation made after WeChat's authorization. Refused, the stored token may still be the
  // current one (the tenant row alone was lost): the token itself decides below.
  await services.authorizerTokens.storeRecoveredRefreshToken(appid, entry.refresh_token, authorizedAtMs);
  try {
    await services.authorizerTokens.forTenant(appid).get();
  } catch (error) {
    if (error instanceof TenantUnusableError) return false;
    throw error;
  }
  const info = await services.wechat.component.getAuthorizerInfo(appid);
  const permissions = (info.authorization_info.func_info ?? []).map((f) => f.funcscope_category.id);
  if (!(await services.tenants.saveAuthorization(appid, permissions, authorizedAtMs))) return false;
  await refreshProfile(services, appid);
  await requestReadinessCheck(services, appid);
  logger.info('authorization recovered from the authorizer list', { appid });
  return true;
}

const syncKey = { pk: 'AUTHORIZER_SYNC', sk: 'LAST_RUN' };

/** How often the schedule may read WeChat's authorizer list (a quota'd API). */
export function syncIntervalMs(): number {
  const seconds = Number(process.env.AUTHORIZER_SYNC_INTERVAL_SECONDS);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 3600_000;
}

/**
 * The scheduled sync: at most once per interval across every instance (a conditional write on the
 * stored last-run time claims the run). Undefined when it was not this run's turn. A run that fails
 * gives its turn back, so the next schedule (minutes later, not an interval later) tries again.
 */
export async function syncAuthorizersIfDue(services: Services, nowMs = Date.now()): Promise<SyncReport | undefined> {
  const { Item } = await services.db.send(new GetCommand({ TableName: services.table, Key: syncKey, ConsistentRead: true }));
  const last = typeof Item?.lastRunAtMs === 'number' ? Item.lastRunAtMs : undefined;
  if (last !== undefined && nowMs - last < syncIntervalMs()) return undefined;
  const claimed = await conditionHeld(
    services.db.send(
      new PutCommand({
        TableName: services.table,
        Item: { ...syncKey, lastRunAtMs: nowMs },
        ConditionExpression: last === undefined ? 'attribute_not_exists(pk)' : 'lastRunAtMs = :last',
        ...(last === undefined ? {} : { ExpressionAttributeValues: { ':last': last } }),
      }),
    ),
  );
  if (!claimed) return undefined;
  try {
    return await syncAuthorizers(services);
  } catch (error) {
    await giveTurnBack(services, nowMs, last);
    throw error;
  }
}

/** Restores the last-run time this run claimed over (only if no later run has claimed since). */
async function giveTurnBack(services: Services, claimedAtMs: number, previous: number | undefined): Promise<void> {
  const mine = { ConditionExpression: 'lastRunAtMs = :mine', ExpressionAttributeValues: { ':mine': claimedAtMs } };
  await conditionHeld(
    previous === undefined
      ? services.db.send(new DeleteCommand({ TableName: services.table, Key: syncKey, ...mine }))
      : services.db.send(new PutCommand({ TableName: services.table, Item: { ...syncKey, lastRunAtMs: previous }, ...mine })),
  );
}
