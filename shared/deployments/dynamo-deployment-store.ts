import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { batchGetConsistent } from '../db/batch-get';
import { conditionHeld, ifConditionHeld } from '../db/conditional';
import { numberField, stringField } from '../db/item-fields';
import { decodePageToken, encodePageToken } from '../db/page-token';
import { updateExpression } from '../db/update-expression';
import { deploymentFromItem, restingFromItem, targetFromItem, TallyBuilder } from './deployment-records';
import type { BulkAction, Deployment, DeploymentPatch, Target, TargetTally, WaveProgress } from './deployment';
import { DeploymentStore, type ActiveDeployment, type AuditingTarget, type IndexBackfill, type TargetMove } from './deployment-store';
import { AUDIT_PENDING } from './target-machine';

const deploymentKey = (id: string) => ({ pk: `DEPLOY#${id}`, sk: 'META' });
const targetKey = (id: string, appid: string) => ({ pk: `DEPLOY#${id}`, sk: `TARGET#${appid}` });
const LIST_PARTITION = 'DEPLOYMENTS';
/** Index partition of targets waiting on an audit, sorted by submission time (for the reconciler). */
const AUDITING_PARTITION = 'AUDITING';

/** Index partition of deployments not yet settled, least recently swept first (for the sweeper). */
const ACTIVE_PARTITION = 'ACTIVE';
/** A deployment's entry in the sweeper's index: its own item, as the deployment item is in the list partition. */
const activeKey = (id: string) => ({ pk: `DEPLOY#${id}`, sk: 'ACTIVE' });
const backfillKey = { pk: 'SWEEP_INDEX', sk: 'BACKFILL' };
const activeIndexKey = (sweptAtMs: number, id: string) => `${String(sweptAtMs).padStart(15, '0')}#${id}`;

/** Sort key of an auditing target in the index: submission time first. */
function auditIndexKey(submittedAtMs: number, deploymentId: string, appid: string): string {
  return `${String(submittedAtMs).padStart(15, '0')}#${deploymentId}#${appid}`;
}

/**
 * Deployments and their targets in the single table: a deployment is `DEPLOY#<id>/META`, its
 * targets `DEPLOY#<id>/TARGET#<appid>`. The `gsi1` index lists deployments newest first and, for
 * the audit reconciler, the targets that are auditing, oldest submission first; for the sweeper, a
 * `DEPLOY#<id>/ACTIVE` item per deployment not yet settled, least recently swept first.
 */
export class DynamoDeploymentStore extends DeploymentStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    now?: () => number,
  ) {
    super(now);
  }

  async create(deployment: Deployment): Promise<void> {
    // Indexed first: a crash in between leaves an entry the sweeper drops, never a deployment it cannot find.
    await this.activate(deployment.id);
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...deploymentKey(deployment.id), ...deployment, gsi1pk: LIST_PARTITION, gsi1sk: `${new Date(deployment.createdAtMs).toISOString()}#${deployment.id}` },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(id: string): Promise<Deployment | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: deploymentKey(id), ConsistentRead: true }));
    return Item ? deploymentFromItem(Item) : undefined;
  }

  async list(limit: number, nextToken?: string): Promise<{ deployments: Deployment[]; nextToken?: string }> {
    const { Items, LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :list',
        ExpressionAttributeValues: { ':list': LIST_PARTITION },
        ScanIndexForward: false,
        Limit: limit,
        ...(nextToken
          ? { ExclusiveStartKey: decodePageToken(nextToken, ['gsi1pk', 'gsi1sk', 'pk', 'sk'], (k) => k.gsi1pk === LIST_PARTITION && k.sk === 'META' && String(k.pk).startsWith('DEPLOY#')) }
          : {}),
      }),
    );
    return {
      deployments: (Items ?? []).map(deploymentFromItem),
      ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}),
    };
  }

  async update(id: string, set: DeploymentPatch, remove: readonly (keyof DeploymentPatch)[] = []): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: deploymentKey(id),
        ...updateExpression({ ...set, updatedAtMs: this.now() }, remove),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  async saveWaveProgress(id: string, next: Omit<WaveProgress, 'version'>, expectedVersion: number | undefined): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deploymentKey(id),
          UpdateExpression: 'SET waveProgress = :next, updatedAtMs = :now',
          ConditionExpression: expectedVersion === undefined ? 'attribute_exists(pk) AND attribute_not_exists(waveProgress)' : 'waveProgress.version = :expected',
          ExpressionAttributeValues: {
            ':next': { ...next, version: (expectedVersion ?? 0) + 1 },
            ':now': this.now(),
            ...(expectedVersion === undefined ? {} : { ':expected': expectedVersion }),
          },
        }),
      ),
    );
  }

  async clearPendingAction(id: string, pending: { action: BulkAction; atMs: number }): Promise<void> {
    await conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deploymentKey(id),
          UpdateExpression: 'REMOVE pendingAction SET updatedAtMs = :now',
          // Only this request's: a newer one issued meanwhile stays pending. (A bare name is how it was stored before it carried a time.)
          ConditionExpression: '(pendingAction.#action = :action AND pendingAction.atMs = :at) OR pendingAction = :action',
          ExpressionAttributeNames: { '#action': 'action' },
          ExpressionAttributeValues: { ':action': pending.action, ':at': pending.atMs, ':now': this.now() },
        }),
      ),
    );
  }

  async activate(id: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: activeKey(id),
        // An entry already there keeps its place in the sweep order (and its cursor).
        UpdateExpression: 'SET deploymentId = :id, activeSinceMs = if_not_exists(activeSinceMs, :now), gsi1pk = :active, gsi1sk = if_not_exists(gsi1sk, :first)',
        ExpressionAttributeValues: { ':id': id, ':now': this.now(), ':active': ACTIVE_PARTITION, ':first': activeIndexKey(0, id) },
      }),
    );
  }

  async retire(id: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: activeKey(id) }));
  }

  async markSwept(id: string, atMs: number, cursor?: string): Promise<void> {
    const update = updateExpression({ gsi1sk: activeIndexKey(atMs, id), sweepCursor: cursor }, cursor === undefined ? ['sweepCursor'] : []);
    // Retired meanwhile (settled, or an operator action re-added it): nothing to record in the index.
    await conditionHeld(this.db.send(new UpdateCommand({ TableName: this.table, Key: activeKey(id), ...update, ConditionExpression: 'attribute_exists(pk)' })));
    await conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deploymentKey(id),
          UpdateExpression: 'SET lastSweptAtMs = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': atMs },
        }),
      ),
    );
  }

  async indexBackfill(): Promise<IndexBackfill> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: backfillKey, ConsistentRead: true }));
    if (Item?.done === true) return { done: true };
    const nextToken = stringField(Item?.nextToken);
    return { done: false, ...(nextToken === undefined ? {} : { nextToken }) };
  }

  async saveIndexBackfill(progress: IndexBackfill): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...backfillKey, ...progress, updatedAtMs: this.now() } }));
  }

  async *activeDeployments(): AsyncGenerator<ActiveDeployment> {
    const items = this.queryAll({ IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :active', ExpressionAttributeValues: { ':active': ACTIVE_PARTITION } });
    for await (const item of items) {
      if (typeof item.deploymentId !== 'string') continue;
      yield { id: item.deploymentId, ...(typeof item.sweepCursor === 'string' ? { sweepCursor: item.sweepCursor } : {}), ...(typeof item.activeSinceMs === 'number' ? { activeSinceMs: item.activeSinceMs } : {}) };
    }
  }

  protected insertTarget(target: Target): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...targetKey(target.deploymentId, target.appid), ...target },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async getTarget(id: string, appid: string): Promise<Target | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: targetKey(id, appid), ConsistentRead: true }));
    return Item ? targetFromItem(Item) : undefined;
  }

  /** One consistent BatchGetItem for them all, rather than a GetItem each. */
  override async getTargets(id: string, appids: readonly string[]): Promise<Map<string, Target>> {
    const items = await batchGetConsistent(this.db, this.table, [...new Set(appids)].map((appid) => targetKey(id, appid)));
    return new Map(items.map(targetFromItem).map((target) => [target.appid, target]));
  }

  async listTargets(id: string, limit: number, nextToken?: string): Promise<{ targets: Target[]; nextToken?: string }> {
    const { Items, LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :target)',
        ExpressionAttributeValues: { ':pk': `DEPLOY#${id}`, ':target': 'TARGET#' },
        Limit: limit,
        ...(nextToken ? { ExclusiveStartKey: decodePageToken(nextToken, ['pk', 'sk'], (k) => k.pk === `DEPLOY#${id}` && String(k.sk).startsWith('TARGET#')) } : {}),
      }),
    );
    return {
      targets: (Items ?? []).map(targetFromItem),
      ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}),
    };
  }

  async tally(id: string): Promise<TargetTally> {
    const tally = new TallyBuilder();
    const items = this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :target)',
      ExpressionAttributeValues: { ':pk': `DEPLOY#${id}`, ':target': 'TARGET#' },
      ProjectionExpression: '#state, grayPercentage, refused, wave',
      ExpressionAttributeNames: { '#state': 'state' },
    });
    for await (const item of items) tally.add(restingFromItem(item));
    return tally.done();
  }

  async *auditingSince(beforeMs: number): AsyncGenerator<AuditingTarget> {
    const items = this.queryAll({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :auditing AND gsi1sk < :before',
      ExpressionAttributeValues: { ':auditing': AUDITING_PARTITION, ':before': auditIndexKey(beforeMs, '', '') },
    });
    for await (const item of items) {
      const [deploymentId, appid] = [stringField(item.deploymentId), stringField(item.appid)];
      if (!deploymentId || !appid) continue;
      yield { deploymentId, appid, auditId: numberField(item.auditId), submittedAtMs: Number(String(item.gsi1sk).split('#')[0]) };
    }
  }

  /** Every item a query matches, page after page. */
  private async *queryAll(query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): AsyncGenerator<Record<string, unknown>> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ ...query, TableName: this.table, ExclusiveStartKey: start }));
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /**
   * One UpdateItem whose condition is the move's: the target exists, is in one of `from`, and
   * (for a step's own writes) is still owned by the claim that started at `ownedBy`. A target
   * landing in `auditing` with its submission time enters the audit index; it stays there while
   * its audit is pending at WeChat (a withdrawal in flight included) and leaves it with the result.
   */
  protected async write(deploymentId: string, appid: string, move: TargetMove, nowMs: number): Promise<Target | undefined> {
    const set: Record<string, unknown> = { ...move.set, state: move.to, updatedAtMs: nowMs };
    const remove: string[] = [...(move.remove ?? [])];
    if (AUDIT_PENDING.has(move.to) && move.set?.submittedAtMs !== undefined) {
      set.gsi1pk = AUDITING_PARTITION;
      set.gsi1sk = auditIndexKey(move.set.submittedAtMs, deploymentId, appid);
    } else if (!AUDIT_PENDING.has(move.to) && move.from.some((state) => AUDIT_PENDING.has(state) || state === 'submitting')) {
      remove.push('gsi1pk', 'gsi1sk');
    }
    const update = updateExpression(set, remove);
    const fromValues = Object.fromEntries(move.from.map((state, i) => [`:from${i}`, state]));
    const owned = move.ownedBy !== undefined ? { ':ownedBy': move.ownedBy } : {};
    const { Attributes } =
      (await ifConditionHeld(
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: targetKey(deploymentId, appid),
            ...update,
            ConditionExpression: `attribute_exists(pk) AND #state_now IN (${Object.keys(fromValues).join(', ')})${move.ownedBy !== undefined ? ' AND stepStartedAtMs = :ownedBy' : ''}`,
            ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#state_now': 'state' },
            ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...fromValues, ...owned },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      )) ?? {};
    return Attributes ? targetFromItem(Attributes) : undefined;
  }
}
