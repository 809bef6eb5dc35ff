import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodePageToken, encodePageToken } from '../db/page-token';
import { recordMetric } from '../metrics/record';
import type { TenantConfig } from '../tenant-config/schema';
import type { Tenant, TenantProfile, TenantStatus } from './tenant';

const profileKey = (appid: string) => ({ pk: `TENANT#${appid}`, sk: 'PROFILE' });
/** All tenants share one index partition, sorted by appid: a cheap, stable, paginated list. */
const LIST_PARTITION = 'TENANTS';
const isListKey = (k: Record<string, unknown>) => k.gsi1pk === LIST_PARTITION && k.sk === 'PROFILE' && k.pk === `TENANT#${String(k.gsi1sk)}`;

export interface TenantPage {
  tenants: Tenant[];
  nextToken?: string;
}

/** The tenant registry in DynamoDB. */
export class TenantStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(appid: string): Promise<Tenant | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: profileKey(appid), ConsistentRead: true }));
    return Item ? toTenant(Item) : undefined;
  }

  async list(options: { limit?: number; nextToken?: string; status?: TenantStatus } = {}): Promise<TenantPage> {
    const { Items, LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :list',
        ...(options.status
          ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }
          : {}),
        ExpressionAttributeValues: { ':list': LIST_PARTITION, ...(options.status ? { ':status': options.status } : {}) },
        Limit: options.limit ?? 100,
        ...(options.nextToken ? { ExclusiveStartKey: decodePageToken(options.nextToken, ['gsi1pk', 'gsi1sk', 'pk', 'sk'], isListKey) } : {}),
      }),
    );
    return {
      tenants: (Items ?? []).map(toTenant),
      ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}),
    };
  }

  /** Every tenant with the given status, page by page. */
  async *all(status?: TenantStatus): AsyncGenerator<Tenant> {
    let nextToken: string | undefined;
    do {
      const page = await this.list({ limit: 500, nextToken, status });
      yield* page.tenants;
      nextToken = page.nextToken;
    } while (nextToken);
  }

  /** Records a (re-)authorization at `atMs`; a later authorization is never undone by an earlier one. */
  async saveAuthorization(appid: string, permissions: number[], atMs: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          UpdateExpression:
            'SET appid = :appid, #status = :active, #permissions = :permissions, authorizedAtMs = :at, updatedAtMs = :at, gsi1pk = :list, gsi1sk = :appid REMOVE statusReason',
          // A later authorization wins, and so does a revocation or re-auth demand made after this one.
          ConditionExpression:
            '(attribute_not_exists(authorizedAtMs) OR authorizedAtMs <= :at) AND (attribute_not_exists(statusAtMs) OR statusAtMs < :at)',
          ExpressionAttributeNames: { '#status': 'status', '#permissions': 'permissions' },
          ExpressionAttributeValues: { ':appid': appid, ':active': 'active', ':permissions': permissions, ':at': atMs, ':list': LIST_PARTITION },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async saveProfile(appid: string, profile: TenantProfile, atMs = Date.now()): Promise<void> {
    const fields = Object.entries(profile).filter(([, value]) => value !== undefined);
    if (fields.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':at': atMs };
    const sets = fields.map(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: profileKey(appid),
        UpdateExpression: `SET ${sets.join(', ')}, updatedAtMs = :at`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Stores the tenant's validated ext_json fragment; false when there is no such tenant. */
  async saveConfig(appid: string, config: TenantConfig): Promise<boolean> {
    return this.conditionalUpdate(appid, 'SET #config = :config, updatedAtMs = :now', 'attribute_exists(pk)', { ':config': config, ':now': Date.now() }, { '#config': 'config' });
  }

  /** Remembers the tenant's latest deployment (shown by the tenants API). */
  async recordLastDeployment(appid: string, deploymentId: string): Promise<void> {
    await this.conditionalUpdate(appid, 'SET lastDeployment = :id', 'attribute_exists(pk)', { ':id': deploymentId });
  }

  /**
   * Sends the tenant's audit results to `deploymentId` from now on, keeping the deployment it
   * replaces: a submit refused with 85009 leaves that one's audit running. One conditional write
   * each way, so two submits cannot interleave.
   */
  async pointAuditAt(appid: string, deploymentId: string): Promise<void> {
    const replaced = await this.conditionalUpdate(
      appid,
      'SET previousAuditingDeployment = auditingDeployment, auditingDeployment = :id',
      'attribute_exists(pk) AND attribute_exists(auditingDeployment) AND auditingDeployment <> :id',
      { ':id': deploymentId },
    );
    if (!replaced) await this.conditionalUpdate(appid, 'SET auditingDeployment = :id', 'attribute_exists(pk) AND attribute_not_exists(auditingDeployment)', { ':id': deploymentId });
  }

  /** One conditional update of the profile item; false when the condition did not hold (no such tenant, nothing to change). */
  private async conditionalUpdate(
    appid: string,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Records a released version, unless a newer deployment's release is already recorded. */
  async recordRelease(appid: string, version: string, deploymentCreatedAtMs: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          UpdateExpression: 'SET releasedVersion = :version, releasedDeploymentAtMs = :at',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(releasedDeploymentAtMs) OR releasedDeploymentAtMs <= :at)',
          ExpressionAttributeValues: { ':version': version, ':at': deploymentCreatedAtMs },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Moves an authorized tenant to revoked / needs_reauth because of something that happened at
   * `eventAtMs`; a re-authorization after that moment wins, so a late push cannot undo it.
   */
  async markUnusable(appid: string, status: Exclude<TenantStatus, 'active'>, reason: string, eventAtMs = Date.now()): Promise<boolean> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          UpdateExpression: 'SET #status = :status, statusReason = :reason, statusAtMs = :event, updatedAtMs = :now',
          ConditionExpression: 'attribute_exists(pk) AND authorizedAtMs <= :event',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':reason': reason, ':event': eventAtMs, ':now': Date.now() },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      // Counted on entering the status only: a repeated push or a second failing call is not news.
      if (Attributes?.status !== status) recordMetric(status === 'revoked' ? 'TenantRevoked' : 'TenantNeedsReauth');
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function toTenant(item: Record<string, unknown>): Tenant {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest as unknown as Tenant;
}
