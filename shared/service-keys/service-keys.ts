/**
 * Service keys: how a template's backend proves itself to mpfleet's runtime API. A key names its
 * tenants (or `*`) and scopes (`login`, `token`, `proxy`); its secret is shown once, at creation,
 * and stored only as a SHA-256 hash. The secret carries the key's id (`mpk_<id>_<random>`), so a
 * request costs one read; the hash is compared in constant time. Revoking deletes the key: the next
 * request with its secret is refused.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { NotFound } from '../errors';
import type { Services } from '../services';
import { APPID_PATTERN } from '../tenants/tenant';
import { parseInput } from '../validation';

export const SERVICE_KEY_SCOPES = ['login', 'token', 'proxy'] as const;
export type ServiceKeyScope = (typeof SERVICE_KEY_SCOPES)[number];

export const CreateServiceKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(64),
    tenants: z.union([z.literal('*'), z.array(z.string().regex(APPID_PATTERN, 'must be an appid')).min(1).max(1000)]),
    scopes: z.array(z.enum(SERVICE_KEY_SCOPES)).min(1).max(3),
  })
  .strict();

export interface ServiceKey {
  id: string;
  name: string;
  tenants: string[] | '*';
  scopes: ServiceKeyScope[];
  createdAtMs: number;
}

const keyItem = (id: string) => ({ pk: `SERVICEKEY#${id}`, sk: 'META' });
const LIST_PARTITION = 'SERVICEKEYS';
const SECRET = /^mpk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

const hash = (secret: string) => createHash('sha256').update(secret).digest();

type Store = Pick<Services, 'db' | 'table'>;

/** Creates a key; the answer is the only place its secret ever appears. */
export async function createServiceKey(services: Store, body: unknown, nowMs = Date.now()): Promise<ServiceKey & { secret: string }> {
  const request = parseInput(CreateServiceKeyRequest, body);
  const id = randomBytes(8).toString('hex').slice(0, 12);
  const secret = `mpk_${id}_${randomBytes(32).toString('base64url')}`;
  const key: ServiceKey = { id, name: request.name, tenants: request.tenants === '*' ? '*' : [...new Set(request.tenants)], scopes: [...new Set(request.scopes)], createdAtMs: nowMs };
  await services.db.send(
    new PutCommand({
      TableName: services.table,
      Item: { ...keyItem(id), ...key, secretHash: hash(secret).toString('hex'), gsi1pk: LIST_PARTITION, gsi1sk: `${String(nowMs).padStart(15, '0')}#${id}` },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return { ...key, secret };
}

export async function listServiceKeys(services: Store): Promise<ServiceKey[]> {
  const keys: ServiceKey[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await services.db.send(
      new QueryCommand({ TableName: services.table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :list', ExpressionAttributeValues: { ':list': LIST_PARTITION }, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) keys.push(fromItem(item));
    start = page.LastEvaluatedKey;
  } while (start);
  return keys;
}

export async function revokeServiceKey(services: Store, id: string): Promise<void> {
  const { Attributes } = await services.db.send(new DeleteCommand({ TableName: services.table, Key: keyItem(id), ReturnValues: 'ALL_OLD' }));
  if (!Attributes) throw new NotFound('service_key_not_found', `no service key ${id}`);
}

/** The key a secret belongs to, or undefined for an unknown, malformed or revoked secret. */
export async function keyForSecret(services: Store, secret: string): Promise<ServiceKey | undefined> {
  const match = SECRET.exec(secret);
  if (!match) return undefined;
  const { Item } = await services.db.send(new GetCommand({ TableName: services.table, Key: keyItem(match[1]!), ConsistentRead: true }));
  if (!Item || typeof Item.secretHash !== 'string') return undefined;
  const stored = Buffer.from(Item.secretHash, 'hex');
  const presented = hash(secret);
  return stored.length === presented.length && timingSafeEqual(stored, presented) ? fromItem(Item) : undefined;
}

export function keyAllows(key: ServiceKey, appid: string, scope: ServiceKeyScope): boolean {
  return key.scopes.includes(scope) && (key.tenants === '*' || key.tenants.includes(appid));
}

function fromItem(item: Record<string, unknown>): ServiceKey {
  return {
    id: String(item.id),
    name: String(item.name),
    tenants: item.tenants === '*' ? '*' : Array.isArray(item.tenants) ? item.tenants.map(String) : [],
    scopes: Array.isArray(item.scopes) ? (item.scopes.filter((s) => SERVICE_KEY_SCOPES.includes(s as ServiceKeyScope)) as ServiceKeyScope[]) : [],
    createdAtMs: Number(item.createdAtMs),
  };
}
