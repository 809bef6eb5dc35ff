import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo, tableName } from '../db/client';
import { conditionHeld } from '../db/conditional';
import { definedFields, numberField, objectField, required, stringField } from '../db/item-fields';
import { decodePageToken, encodePageToken } from '../db/page-token';
import type { XmlFields } from '../wechat/xml';

export type PushSource = 'component' | 'message';

/** A push as recorded: what WeChat sent (secrets removed), when, and for whom. */
export interface PushRecord {
  /** `component`: the authorization-event URL (/wechat/ticket); `message`: /wechat/callback/{appid}. */
  source: PushSource;
  /** InfoType; for message pushes `event:<Event>` or the MsgType. */
  type: string;
  /** The mini-program the push is about; absent for platform-level pushes. */
  appid?: string;
  /** WeChat's CreateTime in ms (0 when the push carried none that reads as epoch seconds). */
  createdAtMs: number;
  receivedAtMs: number;
  /** The decrypted fields, secrets redacted (see {@link withoutSecrets}). */
  fields: XmlFields;
}

/** A delivery as the log saw it: the push's id, and whether this delivery was the first to record it. */
export interface RecordedPush {
  id: string;
  first: boolean;
}

export interface PushLogPage {
  pushes: PushRecord[];
  nextToken?: string;
}

export interface PushLogQuery {
  appid?: string;
  type?: string;
  limit?: number;
  nextToken?: string;
}

export const DEFAULT_PUSH_RETENTION_DAYS = 30;

/** `PUSH_RETENTION_DAYS` (whole days, at least 1), or the default when unset or not such a number. */
export function pushRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PUSH_RETENTION_DAYS?.trim();
  if (!raw || !/^\d{1,5}$/.test(raw) || Number(raw) < 1) return DEFAULT_PUSH_RETENTION_DAYS;
  return Number(raw);
}

/** The longest type kept (and accepted as a filter): WeChat's InfoTypes and events are short. */
export const MAX_PUSH_TYPE_LENGTH = 128;

const REDACTED = '[redacted]';
/** Field names whose values are secrets (AuthorizationCode, PreAuthCode, ComponentVerifyTicket, auth_code, …). */
const SECRET_NAME = /code|ticket|token|secret|key/i;
/** The full-network check sends a live authorization code inside a text message's Content. */
const QUERY_AUTH_PREFIX = 'QUERY_AUTH_CODE:';

/**
 * The fields to keep: every field whose name says it holds a secret is redacted (at any depth),
 * the Encrypt envelope is dropped, and a text carrying an authorization code keeps only its prefix.
 */
export function withoutSecrets(fields: XmlFields): XmlFields {
  const kept: XmlFields = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'Encrypt') continue;
    if (SECRET_NAME.test(name)) kept[name] = REDACTED;
    else if (typeof value !== 'string') kept[name] = withoutSecrets(value);
    else kept[name] = value.startsWith(QUERY_AUTH_PREFIX) ? `${QUERY_AUTH_PREFIX}${REDACTED}` : value;
  }
  return kept;
}

/**
 * What makes two deliveries the same push: where it came to, for whom, and every decrypted field.
 * WeChat's retry re-encrypts the same message, so the decrypted fields are equal; a hash keeps the
 * secrets among them out of the key.
 */
export function pushId(source: PushSource, appid: string | undefined, fields: XmlFields): string {
  return createHash('sha256')
    .update(JSON.stringify([source, appid ?? '', canonical(fields)]))
    .digest('hex')
    .slice(0, 32);
}

function canonical(fields: XmlFields): unknown {
  return Object.keys(fields)
    .sort()
    .map((name) => {
      const value = fields[name]!;
      return [name, typeof value === 'string' ? value : canonical(value)];
    });
}

/*
 * Item layout. Each push is written as two items whose keys follow from the push alone, so a
 * retried delivery lands on the same items (and a delivery interrupted between the two writes is
 * completed by the retry):
 * - the fleet-wide list:    pk PUSHLOG,                       sk <createdAtMs, 15 digits>#<id>
 * - per appid and per type: pk PUSHLOG#APPID#<appid|PLATFORM>, sk the same; gsi1pk PUSHLOG#TYPE#<type>, gsi1sk the same.
 * Sort keys start with WeChat's CreateTime, so a descending query is newest first.
 */
const ALL_PARTITION = 'PUSHLOG';
const appidPartition = (appid: string | undefined) => `PUSHLOG#APPID#${appid ?? 'PLATFORM'}`;
const typePartition = (type: string) => `PUSHLOG#TYPE#${type}`;
const sortKey = (createdAtMs: number, id: string) => `${String(Math.max(0, Math.trunc(createdAtMs))).padStart(15, '0')}#${id}`;
const SORT_KEY = /^\d{15}#[0-9a-f]{32}$/;

/**
 * The record of every authentic push WeChat sent, kept `retentionDays` (DynamoDB's TTL deletes it
 * afterwards; until it does, readers skip it).
 */
export class PushLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays = DEFAULT_PUSH_RETENTION_DAYS,
  ) {}

  /**
   * Records the push (its fields as WeChat sent them; secrets are removed here). `first` is false
   * when this push was recorded before: a retry or replay of it.
   */
  async record(push: Omit<PushRecord, 'receivedAtMs'> & { receivedAtMs?: number }): Promise<RecordedPush> {
    const receivedAtMs = push.receivedAtMs ?? Date.now();
    const type = push.type.slice(0, MAX_PUSH_TYPE_LENGTH);
    const id = pushId(push.source, push.appid, push.fields);
    const sk = sortKey(push.createdAtMs, id);
    const now = Math.floor(receivedAtMs / 1000);
    const record = definedFields({
      source: push.source,
      type,
      appid: push.appid,
      createdAtMs: push.createdAtMs,
      receivedAtMs,
      fields: withoutSecrets(push.fields),
      expiresAt: now + this.retentionDays * 86_400,
    });
    // One write after the other, each kept only the first time: the retry of a delivery that died
    // between them writes the missing one and is still not listed twice. The second decides which
    // delivery was first: of two at once only one writes it, and one that died before it leaves
    // being first to the retry.
    await this.putOnce({ pk: ALL_PARTITION, sk, ...record }, now);
    const first = await this.putOnce({ pk: appidPartition(push.appid), sk, gsi1pk: typePartition(type), gsi1sk: sk, ...record }, now);
    return { id, first };
  }

  /** Newest first: every push, an appid's, a type's, or an appid's of one type. */
  async list(query: PushLogQuery = {}, nowMs = Date.now()): Promise<PushLogPage> {
    const names: Record<string, string> = { '#expiresAt': 'expiresAt' };
    const values: Record<string, unknown> = { ':now': Math.floor(nowMs / 1000) };
    const filters = ['#expiresAt > :now'];
    let input: Pick<QueryCommandInput, 'IndexName' | 'KeyConditionExpression'>;
    let tokenKeys: string[];
    let validToken: (key: Record<string, unknown>) => boolean;

    if (query.appid !== undefined) {
      const partition = appidPartition(query.appid);
      input = { KeyConditionExpression: 'pk = :partition' };
      values[':partition'] = partition;
      tokenKeys = ['pk', 'sk'];
      validToken = (k) => k.pk === partition && SORT_KEY.test(String(k.sk));
      if (query.type !== undefined) {
        names['#type'] = 'type';
        values[':type'] = query.type;
        filters.push('#type = :type');
      }
    } else if (query.type !== undefined) {
      const partition = typePartition(query.type);
      input = { IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :partition' };
      values[':partition'] = partition;
      tokenKeys = ['pk', 'sk', 'gsi1pk', 'gsi1sk'];
      validToken = (k) => k.gsi1pk === partition && String(k.pk).startsWith('PUSHLOG#APPID#') && k.sk === k.gsi1sk && SORT_KEY.test(String(k.sk));
    } else {
      input = { KeyConditionExpression: 'pk = :partition' };
      values[':partition'] = ALL_PARTITION;
      tokenKeys = ['pk', 'sk'];
      validToken = (k) => k.pk === ALL_PARTITION && SORT_KEY.test(String(k.sk));
    }

    const { Items, LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        ...input,
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: query.limit ?? 100,
        ...(query.nextToken ? { ExclusiveStartKey: decodePageToken(query.nextToken, tokenKeys, validToken) } : {}),
      }),
    );
    return {
      pushes: (Items ?? []).map(fromItem),
      ...(LastEvaluatedKey ? { nextToken: encodePageToken(LastEvaluatedKey) } : {}),
    };
  }

  private async putOnce(item: Record<string, unknown>, now: number): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          // An expired record DynamoDB has not deleted yet counts as gone.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }
}

function fromItem(item: Record<string, unknown>): PushRecord {
  const what = `${String(item.pk)} ${String(item.sk)}`;
  const source = item.source === 'component' || item.source === 'message' ? item.source : undefined;
  return {
    source: required(source, what, 'source'),
    type: required(stringField(item.type), what, 'type'),
    ...definedFields({ appid: stringField(item.appid) }),
    createdAtMs: required(numberField(item.createdAtMs), what, 'createdAtMs'),
    receivedAtMs: required(numberField(item.receivedAtMs), what, 'receivedAtMs'),
    // Written by record() from parsed XML: strings and nested fields only.
    fields: required(objectField(item.fields), what, 'fields') as XmlFields,
  };
}

/**
 * The push log on the container's table, without the rest of the services: a reader of the log
 * (GET /api/pushes) then bundles no WeChat client, and runs outside the egress network.
 */
export function pushLogFromEnv(env: NodeJS.ProcessEnv = process.env): PushLog {
  return new PushLog(dynamo(), tableName(env), pushRetentionDays(env));
}
