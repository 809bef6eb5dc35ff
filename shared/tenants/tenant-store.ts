import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHeld, ifConditionHeld } from '../db/conditional';
import { definedFields, numberField, objectField, required, stringField } from '../db/item-fields';
import { decodePageToken, encodePageToken } from '../db/page-token';
import { updateExpression } from '../db/update-expression';
import { recordMetric } from '../metrics/record';
import type { TenantSummary } from '../contract/operator-api';
import { unavailable, type Readiness } from '../readiness/readiness';
import type { TenantConfig } from '../tenant-config/schema';
import { TENANT_STATUSES, type NicknameAudit, type Tenant, type TenantProfile, type TenantStatus } from './tenant';

const profileKey = (appid: string) => ({ pk: `TENANT#${appid}`, sk: 'PROFILE' });
/** All tenants share one index partition, sorted by appid: a cheap, stable, paginated list. */
const LIST_PARTITION = 'TENANTS';
const isListKey = (k: Record<string, unknown>) => k.gsi1pk === LIST_PARTITION && k.sk === 'PROFILE' && k.pk === `TENANT#${String(k.gsi1sk)}`;

export interface TenantPage {
  tenants: Tenant[];
  nextToken?: string;
}

/**
 * A deployment's ask for a tenant: held (`continuing` when no other deployment held it since this
 * one last did; `pointedAudit` when the same write pointed its audit results here; the tenant as
 * it was, when known), or held by another deployment, since when.
 */
export type TenantTurn = { held: true; continuing: boolean; pointedAudit?: boolean; tenant?: Tenant } | { held: false; holder: string; heldSinceMs?: number };

/** A hold's writes (`:me` the deployment, `:now` when): the tenant's latest deployment (the tenants API shows it) is the one taking its turn now. */
const HOLD = 'heldBy = :me, heldSinceMs = :now, lastHeldBy = :me, lastDeployment = :me';
/** A tenant a deployment may hold: nobody else holds it. */
const HOLDABLE = 'attribute_exists(pk) AND (attribute_not_exists(heldBy) OR heldBy = :me)';

/** The tenant registry in DynamoDB. */
export class TenantStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(appid: string): Promise<Tenant | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: profileKey(appid), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  /** `ready`: only tenants whose last readiness check found them ready (true) or blocked (false); unchecked ones match neither. */
  /**
   * `q`: an appid prefix or part of the nickname; `version`: the online version (`-`: none yet).
   * Filters apply within each page, so a filtered page may hold fewer than `limit` (follow nextToken).
   */
  async list(options: { limit?: number; nextToken?: string; status?: TenantStatus; ready?: boolean; q?: string; version?: string } = {}): Promise<TenantPage> {
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':list': LIST_PARTITION };
    if (options.q) {
      filters.push('(begins_with(appid, :q) OR contains(nickName, :q))');
      values[':q'] = options.q;
    }
    if (options.version === '-') filters.push('attribute_not_exists(releasedVersion)');
    else if (options.version) {
      filters.push('releasedVersion = :version');
      values[':version'] = options.version;
    }
    if (options.status) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = options.status;
    }
    if (options.ready !== undefined) {
      filters.push('readiness.ready = :ready');
      values[':ready'] = options.ready;
    }
    const { Items, LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :list',
        ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        Limit: options.limit ?? 100,
        ...(options.nextToken ? { ExclusiveStartKey: decodePageToken(options.nextToken, ['gsi1pk', 'gsi1sk', 'pk', 'sk'], isListKey) } : {}),
      }),
    );
    return {
      tenants: (Items ?? []).map(fromItem),
      ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}),
    };
  }

  /** Counts over the whole fleet: per status, per online version, and by readiness. */
  async summary(): Promise<TenantSummary> {
    const summary: TenantSummary = { total: 0, byStatus: {}, byVersion: [], ready: 0, blocked: 0, unchecked: 0 };
    const versions = new Map<string | null, number>();
    for await (const tenant of this.all()) {
      summary.total += 1;
      summary.byStatus[tenant.status] = (summary.byStatus[tenant.status] ?? 0) + 1;
      versions.set(tenant.releasedVersion ?? null, (versions.get(tenant.releasedVersion ?? null) ?? 0) + 1);
      if (!tenant.readiness) summary.unchecked += 1;
      else if (tenant.readiness.ready) summary.ready += 1;
      else summary.blocked += 1;
    }
    summary.byVersion = [...versions].map(([version, count]) => ({ version, count })).sort((a, b) => b.count - a.count || String(a.version).localeCompare(String(b.version)));
    return summary;
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

  /** Records a (re-)authorization at `atMs`; a later authorization is never undone by an earlier one. False if it was. */
  async saveAuthorization(appid: string, permissions: number[], atMs: number): Promise<boolean> {
    return this.conditionalUpdate(
      appid,
      updateExpression(
        { appid, status: 'active', permissions, authorizedAtMs: atMs, updatedAtMs: atMs, gsi1pk: LIST_PARTITION, gsi1sk: appid },
        ['statusReason'],
      ),
      // A later authorization wins, and so does a revocation or re-auth demand made after this one;
      // a tie goes to the authorization (a revocation is dated at the start of its CreateTime second).
      '(attribute_not_exists(authorizedAtMs) OR authorizedAtMs <= :at) AND (attribute_not_exists(statusAtMs) OR statusAtMs <= :at)',
      { ':at': atMs },
    );
  }

  /** Saves the profile fields given (undefined ones are left as they were); the tenant must exist. */
  async saveProfile(appid: string, profile: TenantProfile, atMs = Date.now()): Promise<void> {
    if (Object.values(profile).every((value) => value === undefined)) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: profileKey(appid),
        ...updateExpression({ ...profile, updatedAtMs: atMs }),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  /** Stores what a readiness check found, unless a later check is already stored; false then (or without a tenant). */
  async saveReadiness(appid: string, readiness: Readiness): Promise<boolean> {
    // The name, avatar, introduction and categories WeChat answered keep the profile current.
    const { nickName, headImage, signature } = readiness.basicInfo;
    const categories = unavailable(readiness, 'categories') ? undefined : readiness.categories.map((c) => ({ first: c.first, second: c.second }));
    return this.conditionalUpdate(
      appid,
      updateExpression({ readiness, ...definedFields({ nickName, headImg: headImage, signature, categories }) }),
      'attribute_exists(pk) AND (attribute_not_exists(readiness) OR readiness.checkedAtMs <= :checkedAt)',
      { ':checkedAt': readiness.checkedAtMs },
    );
  }

  /** Records a rename's review (submitted, or decided by its push), unless a later one is stored; false then (or without a tenant). */
  async saveNicknameAudit(appid: string, audit: NicknameAudit): Promise<boolean> {
    return this.conditionalUpdate(
      appid,
      updateExpression({ nicknameAudit: audit }),
      'attribute_exists(pk) AND (attribute_not_exists(nicknameAudit) OR nicknameAudit.atMs <= :at)',
      { ':at': audit.atMs },
    );
  }

  /** Names the fast registration that created the tenant's mini-program. */
  async linkRegistration(appid: string, registrationId: string): Promise<boolean> {
    return this.conditionalUpdate(appid, updateExpression({ registrationId }), 'attribute_exists(pk)');
  }

  /** Stores the tenant's validated ext_json fragment; false when there is no such tenant. */
  async saveConfig(appid: string, config: TenantConfig): Promise<boolean> {
    return this.conditionalUpdate(appid, updateExpression({ config, updatedAtMs: Date.now() }), 'attribute_exists(pk)');
  }

  /**
   * Sends the tenant's audit results to `deploymentId` from now on, keeping the deployment it
   * replaces: a submit refused with 85009 leaves that one's audit running. One conditional write
   * each way, so two submits cannot interleave.
   */
  async pointAuditAt(appid: string, deploymentId: string, current?: { auditingDeployment?: string }): Promise<void> {
    // Already pointed (by the hold, or an earlier submit of this deployment): both writes would be refused.
    if (current?.auditingDeployment === deploymentId) return;
    const replace = () =>
      this.conditionalUpdate(
        appid,
        // Copies one attribute into another: not a plain value, so written out.
        { UpdateExpression: 'SET previousAuditingDeployment = auditingDeployment, auditingDeployment = :id' },
        'attribute_exists(pk) AND attribute_exists(auditingDeployment) AND auditingDeployment <> :id',
        { ':id': deploymentId },
      );
    const first = () => this.conditionalUpdate(appid, updateExpression({ auditingDeployment: deploymentId }), 'attribute_exists(pk) AND attribute_not_exists(auditingDeployment)');
    // The caller's view of the tenant picks the write that holds (a refused one costs a write too).
    if (current && current.auditingDeployment === undefined) {
      if (!(await first())) await replace();
    } else if (!(await replace())) await first();
  }

  /**
   * Records the version WeChat now has fully online, unless a later one is already recorded.
   * Deployments take turns on a tenant (hold / letGo), so releases land in the order WeChat saw
   * them: the landing time decides, not when the deployment was created.
   */
  async recordRelease(appid: string, version: string, releasedAtMs: number): Promise<void> {
    await this.conditionalUpdate(
      appid,
      updateExpression({ releasedVersion: version, releasedAtMs }, ['releasedDeploymentAtMs', 'gray']),
      'attribute_exists(pk) AND (attribute_not_exists(releasedAtMs) OR releasedAtMs <= :at)',
      { ':at': releasedAtMs },
    );
  }

  /**
   * The release landed and the deployment is done with the tenant: both in one write (the release
   * recorded, the hold let go of), answering the deployments waiting for the tenant. Undefined,
   * changing nothing, when `deploymentId` no longer holds it or a later release is recorded: the
   * caller then does the two on their own terms.
   */
  async recordReleaseAndLetGo(appid: string, deploymentId: string, version: string, releasedAtMs: number): Promise<string[] | undefined> {
    const answer = await ifConditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          UpdateExpression: 'SET releasedVersion = :version, releasedAtMs = :at REMOVE releasedDeploymentAtMs, gray, heldBy, heldSinceMs, waitingDeployments',
          ConditionExpression: 'attribute_exists(pk) AND heldBy = :me AND (attribute_not_exists(releasedAtMs) OR releasedAtMs <= :at)',
          ExpressionAttributeValues: { ':version': version, ':at': releasedAtMs, ':me': deploymentId },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!answer) return undefined;
    const waiting = answer.Attributes?.waitingDeployments;
    return waiting instanceof Set ? [...(waiting as Set<string>)].filter((id) => id !== deploymentId) : [];
  }

  /** A rollback put `toVersion` back online: recorded only while `fromVersion` is the recorded one. */
  async recordRollback(appid: string, fromVersion: string, toVersion: string, atMs: number): Promise<void> {
    await this.conditionalUpdate(appid, updateExpression({ releasedVersion: toVersion, releasedAtMs: atMs }, ['gray']), 'attribute_exists(pk) AND releasedVersion = :from', { ':from': fromVersion });
  }

  /** A gray release of `version` to `percentage` of the users is running (the fleet page shows it). */
  async recordGray(appid: string, version: string, percentage: number): Promise<void> {
    await this.conditionalUpdate(appid, updateExpression({ gray: { version, percentage } }), 'attribute_exists(pk)');
  }

  /** The gray release of `version` ended without going fully online (reverted, or rolled back). */
  async clearGray(appid: string, version: string): Promise<void> {
    await this.conditionalUpdate(appid, updateExpression({}, ['gray']), 'attribute_exists(pk) AND gray.version = :version', { ':version': version });
  }

  /**
   * Holds the tenant for one deployment's lifecycle (commit → audit → release): two deployments
   * on one mini-program would overwrite each other's commit and share one audit. Answers who
   * holds it when another deployment does, and since when.
   */
  async hold(appid: string, deploymentId: string, nowMs = Date.now(), options: { pointAudit?: boolean } = {}): Promise<TenantTurn> {
    if (options.pointAudit) {
      const pointed = await this.holdPointingAudit(appid, deploymentId, nowMs);
      if (pointed) return pointed;
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await ifConditionHeld(
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: profileKey(appid),
            UpdateExpression: `SET ${HOLD}`,
            ConditionExpression: HOLDABLE,
            ExpressionAttributeValues: { ':me': deploymentId, ':now': nowMs },
            // The whole tenant as it was: the step that follows the hold needs it (no read of its own).
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      // `continuing`: no other deployment held the tenant since this one last did, so what this
      // deployment left at WeChat (its commit, its audit) is still there.
      if (answer) {
        const tenant = answer.Attributes ? tenantOrNothing(answer.Attributes) : undefined;
        return { held: true, continuing: answer.Attributes?.lastHeldBy === deploymentId, ...(tenant ? { tenant } : {}) };
      }
      const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: profileKey(appid), ConsistentRead: true }));
      const tenant = Item ? fromItem(Item) : undefined;
      if (!tenant) return { held: true, continuing: false }; // no such tenant: its commit fails on its own terms
      if (tenant.heldBy && tenant.heldBy !== deploymentId) return { held: false, holder: tenant.heldBy, ...definedFields({ heldSinceMs: numberField(Item!.heldSinceMs) }) };
      // let go of between the write and the read: try again
    }
    throw new Error(`tenant ${appid} changed hands three times while ${deploymentId} asked for it; the message is redelivered`);
  }

  /**
   * The hold of a deployment that will submit, pointing the tenant's audit results at it in the same
   * write (as pointAuditAt would before its submit). Only while nobody else holds the tenant and its
   * audits go elsewhere, so the deployment they went to is kept as the previous one; otherwise
   * undefined, changing nothing, and the plain hold and pointAuditAt answer for themselves.
   */
  private async holdPointingAudit(appid: string, deploymentId: string, nowMs: number): Promise<TenantTurn | undefined> {
    const answer = await ifConditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          // Right-hand sides are the item as it was: the previous is the deployment the audits went to (itself, for none: see fromItem).
          UpdateExpression: `SET ${HOLD}, previousAuditingDeployment = if_not_exists(auditingDeployment, :me), auditingDeployment = :me`,
          ConditionExpression: `${HOLDABLE} AND (attribute_not_exists(auditingDeployment) OR auditingDeployment <> :me)`,
          ExpressionAttributeValues: { ':me': deploymentId, ':now': nowMs },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!answer) return undefined;
    const before = answer.Attributes ? tenantOrNothing(answer.Attributes) : undefined;
    const tenant = before && { ...before, auditingDeployment: deploymentId, ...definedFields({ previousAuditingDeployment: before.auditingDeployment }) };
    return { held: true, continuing: answer.Attributes?.lastHeldBy === deploymentId, pointedAudit: true, ...(tenant ? { tenant } : {}) };
  }

  /** Asks to be woken when the tenant is let go of. */
  async waitFor(appid: string, deploymentId: string): Promise<void> {
    await this.conditionalUpdate(appid, { UpdateExpression: 'ADD waitingDeployments :me' }, 'attribute_exists(pk)', { ':me': new Set([deploymentId]) });
  }

  /** Lets go of the tenant (if `deploymentId` holds it) and answers the deployments waiting for it. */
  async letGo(appid: string, deploymentId: string): Promise<string[]> {
    const answer = await ifConditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          UpdateExpression: 'REMOVE heldBy, heldSinceMs, waitingDeployments',
          ConditionExpression: 'heldBy = :me',
          ExpressionAttributeValues: { ':me': deploymentId },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    const waiting = answer?.Attributes?.waitingDeployments;
    return waiting instanceof Set ? [...(waiting as Set<string>)].filter((id) => id !== deploymentId) : [];
  }

  /** Hands the tenant from `from` to `to` (a superseding deployment), if `from` still holds it. */
  async handOver(appid: string, from: string, to: string, nowMs = Date.now()): Promise<boolean> {
    return this.conditionalUpdate(appid, updateExpression({ heldBy: to, heldSinceMs: nowMs }), 'heldBy = :from', { ':from': from });
  }

  /**
   * Moves an authorized tenant to revoked / needs_reauth because of something that happened at
   * `eventAtMs`; a re-authorization after that moment wins, so a late push cannot undo it.
   */
  async markUnusable(appid: string, status: Exclude<TenantStatus, 'active'>, reason: string, eventAtMs = Date.now()): Promise<boolean> {
    const update = updateExpression({ status, statusReason: reason, statusAtMs: eventAtMs, updatedAtMs: Date.now() });
    const answer = await ifConditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          ...update,
          // Strictly after the authorization: a tie goes to the authorization (see saveAuthorization).
          ConditionExpression: 'attribute_exists(pk) AND authorizedAtMs < :event',
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':event': eventAtMs },
          ReturnValues: 'UPDATED_OLD',
        }),
      ),
    );
    if (!answer) return false;
    // Counted on entering the status only: a repeated push or a second failing call is not news.
    if (answer.Attributes?.status !== status) recordMetric(status === 'revoked' ? 'TenantRevoked' : 'TenantNeedsReauth');
    return true;
  }

  /**
   * One conditional update of the profile item; false when the condition did not hold (no such
   * tenant, nothing to change). `conditionValues` are the condition's own placeholders.
   */
  private async conditionalUpdate(
    appid: string,
    update: { UpdateExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> },
    condition: string,
    conditionValues: Record<string, unknown> = {},
  ): Promise<boolean> {
    const values = { ...update.ExpressionAttributeValues, ...conditionValues };
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: profileKey(appid),
          ...update,
          ConditionExpression: condition,
          ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
        }),
      ),
    );
  }
}

/** The tenant in an item that may not be a whole one (a hold's old image): undefined then, and the step reads it. */
function tenantOrNothing(item: Record<string, unknown>): Tenant | undefined {
  try {
    return fromItem(item);
  } catch {
    return undefined;
  }
}

/** The tenant in a profile item: each field it knows, checked; storage keys and bookkeeping (statusAtMs, releasedDeploymentAtMs) left behind. */
function fromItem(item: Record<string, unknown>): Tenant {
  const what = String(item.pk);
  const status = TENANT_STATUSES.find((known) => known === item.status);
  return {
    appid: required(stringField(item.appid), what, 'appid'),
    status: required(status, what, 'status'),
    permissions: Array.isArray(item.permissions) ? item.permissions.filter((id): id is number => typeof id === 'number') : [],
    authorizedAtMs: required(numberField(item.authorizedAtMs), what, 'authorizedAtMs'),
    updatedAtMs: required(numberField(item.updatedAtMs), what, 'updatedAtMs'),
    ...definedFields({
      statusReason: stringField(item.statusReason),
      nickName: stringField(item.nickName),
      headImg: stringField(item.headImg),
      principalName: stringField(item.principalName),
      userName: stringField(item.userName),
      signature: stringField(item.signature),
      categories: Array.isArray(item.categories) ? (item.categories as TenantProfile['categories']) : undefined,
      // Validated by parseTenantConfig before it was stored (and again before each commit).
      config: objectField(item.config) as TenantConfig | undefined,
      releasedVersion: stringField(item.releasedVersion),
      lastDeployment: stringField(item.lastDeployment),
      auditingDeployment: stringField(item.auditingDeployment),
      heldBy: stringField(item.heldBy),
      // Written as the deployment itself by a hold that found none before it (holdPointingAudit).
      previousAuditingDeployment: item.previousAuditingDeployment === item.auditingDeployment ? undefined : stringField(item.previousAuditingDeployment),
      gray: objectField(item.gray) as Tenant['gray'],
      // Written whole by saveReadiness from a checked Readiness.
      readiness: objectField(item.readiness) as Readiness | undefined,
      registrationId: stringField(item.registrationId),
      nicknameAudit: objectField(item.nicknameAudit) as Tenant['nicknameAudit'],
    }),
  };
}
