import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHeld } from '../db/conditional';

export interface VerifyTicket {
  ticket: string;
  /** WeChat's CreateTime (epoch seconds) of the push that carried it. */
  createTime: number;
  receivedAtMs: number;
}

const KEY = { pk: 'PLATFORM', sk: 'VERIFY_TICKET' };

/**
 * The component_verify_ticket WeChat pushes every ten minutes. The newest CreateTime always wins:
 * a replayed or delayed older push never overwrites a newer ticket (one conditional write).
 */
export class VerifyTicketStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async save(ticket: string, createTime: number, receivedAtMs = Date.now()): Promise<'stored' | 'stale'> {
    const stored = await conditionHeld(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...KEY, ticket, createTime, receivedAtMs },
          // Equal CreateTime is a replay (WeChat pushes tickets minutes apart): the stored one stays.
          ConditionExpression: 'attribute_not_exists(createTime) OR createTime < :createTime',
          ExpressionAttributeValues: { ':createTime': createTime },
        }),
      ),
    );
    return stored ? 'stored' : 'stale';
  }

  async latest(): Promise<VerifyTicket | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: KEY, ConsistentRead: true }));
    if (!Item) return undefined;
    return { ticket: Item.ticket, createTime: Item.createTime, receivedAtMs: Item.receivedAtMs };
  }
}
