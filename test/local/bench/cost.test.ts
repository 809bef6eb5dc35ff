/**
 * The bench's cost arithmetic: usage counted by the local runtime's meter, divided per unit and
 * priced; idle queue polling is not charged to the work.
 */
import { describe, expect, it } from 'vitest';
import { PRICES, unitCost } from '../../../local/bench/cost';
import { recordInvocation, recordSqsRequest, startUsageMeter, stopUsageMeter } from '../../../local/runtime/usage-meter';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startTestDynamo } from '../../support/dynamo';

describe('cost of a unit of work', () => {
  it('prices reads, writes, queue requests, invocations and GB-seconds per unit', () => {
    const cost = unitCost(
      {
        dynamo: { GetItemCommand: { requests: 20, capacityUnits: 20 }, QueryCommand: { requests: 10, capacityUnits: 5 }, UpdateItemCommand: { requests: 30, capacityUnits: 40 } },
        sqs: { SendMessageBatch: { requests: 2, messages: 20 }, ReceiveMessage: { requests: 2, messages: 20 }, 'ReceiveMessage (empty poll)': { requests: 500, messages: 0 } },
        lambda: { 'deploy-worker': { invocations: 2, ms: 1999.5, billedMs: 2000 }, 'wechat-callback': { invocations: 10, ms: 990, billedMs: 1000 } },
      },
      10,
      'tenant deployed',
    );
    expect(cost).toMatchObject({ dynamoReads: 3, readUnits: 2.5, dynamoWrites: 3, writeUnits: 4, sqsRequests: 0.4, lambdaInvocations: 1.2, httpRequests: 1 });
    // Both at the default 512 MB: 2 s → 1 GB-s and 1 s → 0.5 GB-s; per tenant 0.15.
    expect(cost.lambdaGbSeconds).toBeCloseTo(0.15, 10);
    const expected = 2.5 * PRICES.dynamoReadRequestUnit + 4 * PRICES.dynamoWriteRequestUnit + 0.4 * PRICES.sqsRequest + 1.2 * PRICES.lambdaRequest + 0.15 * PRICES.lambdaGbSecond + 1 * PRICES.httpApiRequest;
    expect(cost.dollars).toBeCloseTo(expected, 15);
    expect(cost.dynamoByCommand).toEqual({ GetItem: 2, Query: 1, UpdateItem: 3 });
  });

  it('counts only while a meter runs, and keeps empty receives apart', () => {
    recordInvocation('health', 5);
    startUsageMeter(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'local', endpoint: 'http://127.0.0.1:9' })));
    recordSqsRequest('ReceiveMessage', 0);
    recordSqsRequest('ReceiveMessage', 3);
    recordInvocation('health', 1.2);
    const usage = stopUsageMeter();
    expect(usage.sqs).toEqual({ 'ReceiveMessage (empty poll)': { requests: 1, messages: 0 }, ReceiveMessage: { requests: 1, messages: 3 } });
    expect(usage.lambda).toEqual({ health: { invocations: 1, ms: 1.2, billedMs: 2 } });
    recordInvocation('health', 5);
    expect(stopUsageMeter().lambda).toEqual({});
  });

  it('classes what the document client sends by what DynamoDB bills: a batch read is reads, not writes', async () => {
    const dynamo = await startTestDynamo();
    try {
      const { db, table } = dynamo;
      await db.send(new PutCommand({ TableName: table, Item: { pk: 'A', sk: 'X', n: 1 } }));
      startUsageMeter(db);
      await db.send(new GetCommand({ TableName: table, Key: { pk: 'A', sk: 'X' }, ConsistentRead: true }));
      await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: [{ pk: 'A', sk: 'X' }, { pk: 'B', sk: 'X' }], ConsistentRead: true } } }));
      await db.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'A' } }));
      await db.send(new PutCommand({ TableName: table, Item: { pk: 'B', sk: 'X' } }));
      await db.send(new UpdateCommand({ TableName: table, Key: { pk: 'A', sk: 'X' }, UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': 1 } }));
      const cost = unitCost(stopUsageMeter(), 1, 'test');
      expect(cost).toMatchObject({ dynamoReads: 3, dynamoWrites: 2 });
      expect(cost.dynamoByCommand).toEqual({ GetItem: 1, BatchGetItem: 1, Query: 1, PutItem: 1, UpdateItem: 1 });
      expect(cost.readUnits).toBeGreaterThan(0);
      expect(cost.writeUnits).toBe(2);
    } finally {
      await dynamo.close();
    }
  });
});
