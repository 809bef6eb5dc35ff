import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../db/conditional';

/** WeChat retries for well under a minute; a day of memory also absorbs deliberate replays. */
const DEDUPE_TTL_SECONDS = 24 * 3600;

/**
 * Remembers which pushes were handled, so a retried or replayed push is answered without being
 * handled twice. A push whose handling fails is forgotten again, so WeChat's retry can succeed.
 */
export class PushDedupe {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** True the first time `key` is seen (within the TTL). */
  async firstTime(key: string, nowMs = Date.now()): Promise<boolean> {
    const now = Math.floor(nowMs / 1000);
    return conditionHeld(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `PUSH#${key}`, sk: 'SEEN', expiresAt: now + DEDUPE_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  async forget(key: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `PUSH#${key}`, sk: 'SEEN' } }));
  }

  /** Runs `handle` once per key; duplicates get `duplicate()` instead. */
  async once<T>(key: string, handle: () => Promise<T>, duplicate: () => T): Promise<T> {
    if (!(await this.firstTime(key))) return duplicate();
    try {
      return await handle();
    } catch (error) {
      await this.forget(key);
      throw error;
    }
  }
}
