import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** DynamoDB answers at most this many keys per BatchGetItem. */
const MAX_KEYS_PER_REQUEST = 100;
/** A throttled table may leave keys of a batch read unprocessed: they are asked for again, a few times. */
const ATTEMPTS = 4;

type Key = Record<string, string>;

/**
 * The items at `keys` (those that exist), read consistently in as few requests as DynamoDB allows:
 * one request instead of one per key. Unprocessed keys are asked for again with backoff; still
 * unprocessed after a few attempts, the read fails, as a failed GetItem would.
 */
export async function batchGetConsistent(db: Pick<DynamoDBDocumentClient, 'send'>, table: string, keys: readonly Key[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let at = 0; at < keys.length; at += MAX_KEYS_PER_REQUEST) {
    let pending = keys.slice(at, at + MAX_KEYS_PER_REQUEST);
    for (let attempt = 1; pending.length; attempt++) {
      if (attempt > ATTEMPTS) throw new Error(`batch read incomplete: DynamoDB left ${pending.length} key(s) unprocessed ${ATTEMPTS} times`);
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      const { Responses, UnprocessedKeys } = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
      found.push(...(Responses?.[table] ?? []));
      pending = (UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
    }
  }
  return found;
}
