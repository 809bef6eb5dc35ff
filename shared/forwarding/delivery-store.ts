/**
 * The deliveries of forwarded messages: one item per message or event, created when the push
 * arrives (its key follows from the push alone, so WeChat's retry finds the same item), moved
 * through pending → retrying → delivered | dead by conditional writes, kept FORWARD_RETENTION_DAYS.
 *
 * Item layout:
 * - pk FWD#<appid>, sk DLV#<CreateTime ms, 15 digits>#<hash of the id>: newest first per tenant;
 * - gsi1pk FWD#<appid>#<status>, gsi1sk the sk: a tenant's deliveries in one status, newest first.
 */
import { PutCommand, QueryCommand, UpdateCommand, GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { conditionHeld } from '../db/conditional';
import { decodePageToken, encodePageToken } from '../db/page-token';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface DeliveryFailure {
  httpStatus?: number;
  message: string;
}

export interface Delivery {
  appid: string;
  /** The item's sort key: what the queue message names. */
  key: string;
  /** X-Mpfleet-Id. */
  id: string;
  type: string;
  /** The JSON POSTed, exactly as signed. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  createdAtMs: number;
  /** Start of the retry window (the first queueing, or the last redrive): the give-up clock. */
  windowStartMs: number;
  nextAttemptAtMs?: number;
  lastAttemptAtMs?: number;
  deliveredAtMs?: number;
  lastError?: DeliveryFailure;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  nextToken?: string;
}

const partition = (appid: string) => `FWD#${appid}`;
const statusPartition = (appid: string, status: DeliveryStatus) => `FWD#${appid}#${status}`;
const SORT_KEY = /^DLV#\d{15}#[0-9a-f]{24}$/;

export function deliveryKey(createdAtMs: number, id: string): string {
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 24);
  return `DLV#${String(Math.max(0, Math.trunc(createdAtMs))).padStart(15, '0')}#${hash}`;
}

export function isDeliveryKey(key: string): boolean {
  return SORT_KEY.test(key);
}

export class DeliveryStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
  ) {}

  /** Records a new delivery (pending); false when it exists already (a retried push). */
  async create(delivery: Pick<Delivery, 'appid' | 'id' | 'type' | 'body' | 'createdAtMs'>, nowMs = Date.now()): Promise<{ created: boolean; key: string }> {
    const key = deliveryKey(delivery.createdAtMs, delivery.id);
    const created = await conditionHeld(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: partition(delivery.appid),
            sk: key,
            gsi1pk: statusPartition(delivery.appid, 'pending'),
            gsi1sk: key,
            ...delivery,
            status: 'pending',
            attempts: 0,
            windowStartMs: nowMs,
            nextAttemptAtMs: nowMs,
            expiresAt: Math.floor(nowMs / 1000) + this.retentionDays * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return { created, key };
  }

  async get(appid: string, key: string): Promise<Delivery | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: partition(appid), sk: key }, ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  /**
   * Takes the next attempt: true for exactly one of several copies of a queue message that read the
   * same `attempts` (SQS delivers at least once), so each attempt is POSTed once.
   */
  async claimAttempt(delivery: Delivery, nowMs = Date.now()): Promise<Delivery | undefined> {
    const claimed = await this.transition(delivery, { attempts: delivery.attempts + 1, lastAttemptAtMs: nowMs }, ['pending', 'retrying']);
    return claimed ? { ...delivery, attempts: delivery.attempts + 1, lastAttemptAtMs: nowMs } : undefined;
  }

  /** After a 2xx; `delivery` is the one {@link claimAttempt} answered. */
  async markDelivered(delivery: Delivery, nowMs = Date.now()): Promise<void> {
    await this.transition(delivery, { status: 'delivered', deliveredAtMs: nowMs, nextAttemptAtMs: null }, ['pending', 'retrying']);
  }

  async markRetrying(delivery: Delivery, nextAttemptAtMs: number, failure: DeliveryFailure): Promise<void> {
    await this.transition(delivery, { status: 'retrying', nextAttemptAtMs, lastError: failure }, ['pending', 'retrying']);
  }

  async markDead(delivery: Delivery, failure: DeliveryFailure): Promise<void> {
    await this.transition(delivery, { status: 'dead', lastError: failure, nextAttemptAtMs: null }, ['pending', 'retrying']);
  }

  /** A dead (or stalled) delivery back to pending, with a new retry window; false when it moved meanwhile. */
  async requeue(delivery: Delivery, nowMs = Date.now()): Promise<boolean> {
    return this.transition(delivery, { status: 'pending', windowStartMs: nowMs, nextAttemptAtMs: nowMs }, [delivery.status]);
  }

  /** Newest first: every delivery of the tenant, or those in one status. */
  async list(appid: string, query: { status?: DeliveryStatus; limit?: number; nextToken?: string } = {}): Promise<DeliveryPage> {
    const byStatus = query.status !== undefined;
    const pk = byStatus ? statusPartition(appid, query.status!) : partition(appid);
    const tokenKeys = byStatus ? ['pk', 'sk', 'gsi1pk', 'gsi1sk'] : ['pk', 'sk'];
    const { Items, LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...(byStatus ? { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk' } : { KeyConditionExpression: 'pk = :pk' }),
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: { ':pk': pk, ':now': Math.floor(Date.now() / 1000) },
        ScanIndexForward: false,
        Limit: query.limit ?? 50,
        ...(query.nextToken
          ? { ExclusiveStartKey: decodePageToken(query.nextToken, tokenKeys, (k) => k.pk === partition(appid) && SORT_KEY.test(String(k.sk)) && (!byStatus || k.gsi1pk === pk)) }
          : {}),
      }),
    );
    return { deliveries: (Items ?? []).map(fromItem), ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}) };
  }

  /** How many of the tenant's kept deliveries are in `status` (counted up to `cap`). */
  count(appid: string, status: DeliveryStatus, cap = 100_000): Promise<number> {
    return this.countIn(statusPartition(appid, status), '', {}, cap);
  }

  /** Pending or retrying deliveries due before `cutoffMs`: their queue message was lost (a redrive takes them). */
  async countStalled(appid: string, cutoffMs: number): Promise<number> {
    const stalled = (status: DeliveryStatus) => this.countIn(statusPartition(appid, status), ' AND nextAttemptAtMs < :cutoff', { ':cutoff': cutoffMs });
    return (await stalled('pending')) + (await stalled('retrying'));
  }

  /** Every kept delivery of the tenant in `status`, oldest first (for a redrive). */
  async *inStatus(appid: string, status: DeliveryStatus): AsyncGenerator<Delivery> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ ...this.inPartition(statusPartition(appid, status), '', {}), ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) yield fromItem(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  private async countIn(partition: string, filter: string, values: Record<string, unknown>, cap = Infinity): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(new QueryCommand({ ...this.inPartition(partition, filter, values), Select: 'COUNT', ExclusiveStartKey: start }));
      total += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start && total < cap);
    return total;
  }

  /** A query of one status list, skipping expired deliveries DynamoDB has not deleted yet. */
  private inPartition(partition: string, filter: string, values: Record<string, unknown>) {
    return {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: `expiresAt > :now${filter}`,
      ExpressionAttributeValues: { ':pk': partition, ':now': Math.floor(Date.now() / 1000), ...values },
    };
  }

  /**
   * Writes `changes` if the delivery is still as it was read (same attempts, a status in `from`);
   * a status change moves it to its status's list too. `null` removes an attribute.
   */
  private async transition(delivery: Delivery, changes: Record<string, unknown>, from: DeliveryStatus[]): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status', '#attempts': 'attempts' };
    const values: Record<string, unknown> = { ':readAttempts': delivery.attempts };
    const sets: string[] = [];
    const removes: string[] = [];
    const all = { ...changes, ...(typeof changes.status === 'string' ? { gsi1pk: statusPartition(delivery.appid, changes.status as DeliveryStatus) } : {}) };
    for (const [name, value] of Object.entries(all)) {
      names[`#${name}`] = name;
      if (value === null) removes.push(`#${name}`);
      else {
        values[`:new_${name}`] = value;
        sets.push(`#${name} = :new_${name}`);
      }
    }
    from.forEach((status, i) => (values[`:from${i}`] = status));
    return conditionHeld(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: partition(delivery.appid), sk: delivery.key },
          UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
          ConditionExpression: `#attempts = :readAttempts AND #status IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}

function fromItem(item: Record<string, unknown>): Delivery {
  const lastError = item.lastError as DeliveryFailure | undefined;
  return {
    appid: String(item.appid),
    key: String(item.sk),
    id: String(item.id),
    type: String(item.type),
    body: String(item.body),
    status: item.status as DeliveryStatus,
    attempts: Number(item.attempts),
    createdAtMs: Number(item.createdAtMs),
    windowStartMs: Number(item.windowStartMs),
    ...(typeof item.nextAttemptAtMs === 'number' ? { nextAttemptAtMs: item.nextAttemptAtMs } : {}),
    ...(typeof item.lastAttemptAtMs === 'number' ? { lastAttemptAtMs: item.lastAttemptAtMs } : {}),
    ...(typeof item.deliveredAtMs === 'number' ? { deliveredAtMs: item.deliveredAtMs } : {}),
    ...(lastError ? { lastError } : {}),
  };
}
