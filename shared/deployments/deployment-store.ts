import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodePageToken, encodePageToken } from '../db/page-token';
import { recordMetric } from '../metrics/record';
import type { Deployment, Target, TargetState } from './deployment';

const deploymentKey = (id: string) => ({ pk: `DEPLOY#${id}`, sk: 'META' });
const targetKey = (id: string, appid: string) => ({ pk: `DEPLOY#${id}`, sk: `TARGET#${appid}` });
const LIST_PARTITION = 'DEPLOYMENTS';
/** Index partition of targets waiting on an audit, sorted by submission time (for the reconciler). */
export const AUDITING_PARTITION = 'AUDITING';

export interface TransitionOptions {
  /** The transition happens only from one of these states. */
  from: readonly TargetState[];
  to: TargetState;
  set?: Record<string, unknown>;
  remove?: string[];
  /** Extra condition on the target, e.g. 'stepStartedAtMs = :expectedStart'. */
  condition?: string;
  values?: Record<string, unknown>;
}

/** Deployments and their targets. Every target change is one conditional write on its own item. */
export class DeploymentStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  async create(deployment: Deployment): Promise<void> {
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
    return Item ? (strip(Item) as unknown as Deployment) : undefined;
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
      deployments: (Items ?? []).map((item) => strip(item) as unknown as Deployment),
      ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}),
    };
  }

  /** Updates deployment-level fields (pause, release request, fan-out progress). */
  async update(id: string, set: Record<string, unknown>, remove: string[] = []): Promise<void> {
    const { expression, names, values } = updateExpression({ ...set, updatedAtMs: this.now() }, remove);
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: deploymentKey(id),
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Clears the pending operator action, unless a newer one has replaced it meanwhile. */
  async clearPendingAction(id: string, action: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deploymentKey(id),
          UpdateExpression: 'REMOVE pendingAction SET updatedAtMs = :now',
          ConditionExpression: 'pendingAction = :action',
          ExpressionAttributeValues: { ':action': action, ':now': this.now() },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records a target once; a repeated fan-out (SQS redelivery) leaves an existing one alone. */
  async addTarget(target: Target): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...targetKey(target.deploymentId, target.appid), ...target },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      recordMetric('DeployTransition', { by: target.state });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getTarget(id: string, appid: string): Promise<Target | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: targetKey(id, appid), ConsistentRead: true }));
    return Item ? (strip(Item) as unknown as Target) : undefined;
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
      targets: (Items ?? []).map((item) => strip(item) as unknown as Target),
      ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}),
    };
  }

  /** Every target of a deployment, page by page. */
  async *allTargets(id: string): AsyncGenerator<Target> {
    let nextToken: string | undefined;
    do {
      const page = await this.listTargets(id, 500, nextToken);
      yield* page.targets;
      nextToken = page.nextToken;
    } while (nextToken);
  }

  /** How many targets are in each state (read from the targets themselves, so never out of step). */
  async counts(id: string): Promise<Partial<Record<TargetState, number>>> {
    const counts: Partial<Record<TargetState, number>> = {};
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :target)',
          ExpressionAttributeValues: { ':pk': `DEPLOY#${id}`, ':target': 'TARGET#' },
          ProjectionExpression: '#state',
          ExpressionAttributeNames: { '#state': 'state' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) counts[item.state as TargetState] = (counts[item.state as TargetState] ?? 0) + 1;
      start = page.LastEvaluatedKey;
    } while (start);
    return counts;
  }

  /**
   * Moves a target from one of `from` to `to` in one conditional write; undefined when the target
   * is not in such a state (another delivery already moved it) — the caller then does nothing.
   * Every target state change goes through here, so this is where transitions are counted.
   */
  async transition(id: string, appid: string, options: TransitionOptions): Promise<Target | undefined> {
    const now = this.now();
    const { expression, names, values } = updateExpression({ ...options.set, state: options.to, updatedAtMs: now }, options.remove ?? []);
    const fromValues = Object.fromEntries(options.from.map((state, i) => [`:from${i}`, state]));
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: targetKey(id, appid),
          UpdateExpression: expression,
          ConditionExpression: `attribute_exists(pk) AND #s_current IN (${Object.keys(fromValues).join(', ')})${options.condition ? ` AND (${options.condition})` : ''}`,
          ExpressionAttributeNames: { ...names, '#s_current': 'state' },
          ExpressionAttributeValues: { ...values, ...fromValues, ...options.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      // A same-state write (a takeover, a parked audit result) updates the target without moving it.
      if (!options.from.includes(options.to)) recordMetric('DeployTransition', { by: options.to });
      return Attributes ? (strip(Attributes) as unknown as Target) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Every target waiting on an audit submitted before `beforeMs`, oldest first (for the reconciler). */
  async *auditingSince(beforeMs: number): AsyncGenerator<{ deploymentId: string; appid: string; auditId?: number; submittedAtMs: number }> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :auditing AND gsi1sk < :before',
          ExpressionAttributeValues: { ':auditing': AUDITING_PARTITION, ':before': auditIndexKey(beforeMs, '', '') },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        yield { deploymentId: item.deploymentId, appid: item.appid, auditId: item.auditId, submittedAtMs: Number(String(item.gsi1sk).split('#')[0]) };
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
}

/** Sort key of an auditing target in the index: submission time first. */
export function auditIndexKey(submittedAtMs: number, deploymentId: string, appid: string): string {
  return `${String(submittedAtMs).padStart(15, '0')}#${deploymentId}#${appid}`;
}

function updateExpression(set: Record<string, unknown>, remove: string[]) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(set)
    .filter(([, value]) => value !== undefined)
    .map(([name, value], i) => {
      names[`#u${i}`] = name;
      values[`:u${i}`] = value;
      return `#u${i} = :u${i}`;
    });
  const removes = remove.map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
  return { expression, names, values };
}

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...rest } = item;
  return rest;
}
