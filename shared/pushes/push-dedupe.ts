import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../db/conditional';
import type { RecordedPush } from './push-log';

/** WeChat retries for well under a minute; a day of memory also absorbs deliberate replays. */
const RETRY_MARK_TTL_SECONDS = 24 * 3600;

/**
 * Handles each push once, however often WeChat delivers it, without a write of its own on the way
 * in: whether a delivery is the first is the push log's to say (its conditional write recorded the
 * push, see {@link PushLog.record}). A first delivery whose handling fails leaves a retry mark, and
 * the later delivery that takes the mark (WeChat's retry) handles the push again; any other repeat
 * is a duplicate.
 */
export class PushDedupe {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Runs `handle` for the delivery that recorded the push or takes its retry mark; others get `duplicate()`. */
  async once<T>(push: RecordedPush, handle: () => Promise<T>, duplicate: () => T, nowMs = Date.now()): Promise<T> {
    if (!push.first && !(await this.takeRetryMark(push.id, nowMs))) return duplicate();
    try {
      return await handle();
    } catch (error) {
      await this.leaveRetryMark(push.id);
      throw error;
    }
  }

  private async leaveRetryMark(id: string): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + RETRY_MARK_TTL_SECONDS;
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `PUSH#${id}`, sk: 'RETRY', expiresAt } }));
  }

  /** True for the one delivery that removes a live mark; an expired one (TTL not yet run) is no mark. */
  private async takeRetryMark(id: string, nowMs: number): Promise<boolean> {
    return conditionHeld(
      this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `PUSH#${id}`, sk: 'RETRY' },
          ConditionExpression: 'attribute_exists(pk) AND expiresAt >= :now',
          ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
        }),
      ),
    );
  }
}
