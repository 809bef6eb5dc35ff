/**
 * Where a tenant's messages and events are forwarded: the tenant's own URL, else the platform
 * default. Each setting has its signingSecret, kept (a PUT with the same or a new URL keeps it)
 * until the operator asks for a new one.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { batchGetConsistent } from '../db/batch-get';
import { NotFound } from '../errors';
import type { Services } from '../services';
import { parseInput } from '../validation';

type Store = Pick<Services, 'db' | 'table'>;

export interface ForwardingSetting {
  /** Absent: the platform default. */
  appid?: string;
  url: string;
  signingSecret: string;
  updatedAtMs: number;
}

export interface EffectiveForwarding extends ForwardingSetting {
  source: 'tenant' | 'platform';
}

function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

export const ForwardingRequest = z
  .object({
    url: z
      .string()
      .trim()
      .max(2048)
      .refine((value) => /^https?:$/.test(parsedUrl(value)?.protocol ?? ''), 'must be an absolute http or https URL')
      .refine((value) => !parsedUrl(value)?.username && !parsedUrl(value)?.password, 'must not carry credentials (the signature proves the sender)'),
    rotateSecret: z.boolean().optional(),
  })
  .strict();

const PLATFORM = 'PLATFORM';
const settingKey = (appid: string | undefined) => ({ pk: `FORWARDING#${appid ?? PLATFORM}`, sk: 'SETTINGS' });
const newSecret = () => `mpfwd_${randomBytes(32).toString('base64url')}`;

/** Sets (or changes) where messages go; the answer carries the signingSecret. */
export async function putForwarding(store: Store, appid: string | undefined, body: unknown, nowMs = Date.now()): Promise<ForwardingSetting> {
  const request = parseInput(ForwardingRequest, body);
  const current = await getForwarding(store, appid);
  const setting: ForwardingSetting = {
    ...(appid ? { appid } : {}),
    url: request.url,
    signingSecret: current && !request.rotateSecret ? current.signingSecret : newSecret(),
    updatedAtMs: nowMs,
  };
  await store.db.send(new PutCommand({ TableName: store.table, Item: { ...settingKey(appid), ...setting } }));
  return setting;
}

export async function getForwarding(store: Store, appid: string | undefined): Promise<ForwardingSetting | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.table, Key: settingKey(appid), ConsistentRead: true }));
  return Item ? fromItem(Item) : undefined;
}

/** Stops forwarding (for the tenant, or the platform default); 404 when there was nothing to stop. */
export async function deleteForwarding(store: Store, appid: string | undefined): Promise<void> {
  const { Attributes } = await store.db.send(new DeleteCommand({ TableName: store.table, Key: settingKey(appid), ReturnValues: 'ALL_OLD' }));
  if (!Attributes) throw new NotFound('forwarding_not_set', appid ? `${appid} has no forwarding URL of its own` : 'no platform forwarding URL is set');
}

/** The setting in effect for a tenant: its own, else the platform's (both in one request: every message push asks). */
export async function effectiveForwarding(store: Store, appid: string): Promise<EffectiveForwarding | undefined> {
  const items = await batchGetConsistent(store.db, store.table, [settingKey(appid), settingKey(undefined)]);
  const own = items.find((item) => item.pk === settingKey(appid).pk);
  if (own) return { ...fromItem(own), source: 'tenant' };
  const platform = items.find((item) => item.pk === settingKey(undefined).pk);
  return platform ? { ...fromItem(platform), source: 'platform' } : undefined;
}

function fromItem(item: Record<string, unknown>): ForwardingSetting {
  return {
    ...(typeof item.appid === 'string' ? { appid: item.appid } : {}),
    url: String(item.url),
    signingSecret: String(item.signingSecret),
    updatedAtMs: Number(item.updatedAtMs),
  };
}
