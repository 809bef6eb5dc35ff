import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sendDirectly, serveDirectly, type DirectRequest } from '../../../local/runtime/direct-transport';
import { startDynamo } from '../../../local/runtime/dynamodb';

const root = mkdtempSync(path.join(tmpdir(), 'mpfleet-direct-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TABLE = 'mpfleet';
const documents = (endpoint: string) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 }));

describe('requests handed to a local service in this process', () => {
  it('reach the served endpoint without a socket or a signature, and come back through the SDK as usual', async () => {
    // Nothing listens on this port: only the in-process handler can answer.
    const endpoint = 'http://127.0.0.1:9';
    const seen: DirectRequest[] = [];
    const stop = serveDirectly(endpoint, async (request) => {
      seen.push(request);
      return { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ Item: { pk: { S: 'A' }, sk: { S: 'B' }, n: { N: '7' } } }) };
    });
    const client = documents(endpoint);
    sendDirectly(client);
    try {
      const { Item } = await client.send(new GetCommand({ TableName: TABLE, Key: { pk: 'A', sk: 'B' } }));
      expect(Item).toEqual({ pk: 'A', sk: 'B', n: 7 });
      expect(seen).toHaveLength(1);
      expect(seen[0]!.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
      expect(seen[0]!.headers.authorization).toBeUndefined();
      expect(JSON.parse(Buffer.from(seen[0]!.body).toString())).toMatchObject({ TableName: TABLE, Key: { pk: { S: 'A' } } });
    } finally {
      stop();
    }
    // Once the endpoint is no longer served here, the same client goes over HTTP (and finds nobody).
    await expect(client.send(new GetCommand({ TableName: TABLE, Key: { pk: 'A', sk: 'B' } }))).rejects.toThrow(/ECONNREFUSED|connect/);
    expect(seen).toHaveLength(1);
    client.destroy();
  });

  it('against dynalite: the same items and the same refusals as over HTTP, and a clear error once it is closed', async () => {
    const dynamo = await startDynamo({ dataDir: path.join(root, 'dynamo'), tableName: TABLE, region: 'us-east-1' });
    const direct = documents(dynamo.endpoint);
    sendDirectly(direct);
    const overHttp = documents(dynamo.endpoint);
    try {
      await direct.send(new PutCommand({ TableName: TABLE, Item: { pk: 'T#1', sk: 'A', state: 'queued', tags: new Set(['x']) } }));
      expect((await overHttp.send(new GetCommand({ TableName: TABLE, Key: { pk: 'T#1', sk: 'A' } }))).Item).toEqual({ pk: 'T#1', sk: 'A', state: 'queued', tags: new Set(['x']) });
      await overHttp.send(new PutCommand({ TableName: TABLE, Item: { pk: 'T#1', sk: 'B', state: 'committed' } }));
      const { Items } = await direct.send(new QueryCommand({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'T#1' } }));
      expect(Items?.map((item) => item.sk)).toEqual(['A', 'B']);

      // A conditional write that does not hold is the same named error either way.
      const claim = () =>
        new UpdateCommand({ TableName: TABLE, Key: { pk: 'T#1', sk: 'B' }, UpdateExpression: 'SET #s = :to', ConditionExpression: '#s = :from', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':from': 'queued', ':to': 'committing' } });
      await expect(direct.send(claim())).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      await expect(overHttp.send(claim())).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
      // So is a request DynamoDB would refuse as invalid.
      await expect(direct.send(new GetCommand({ TableName: 'x', Key: { pk: 'T#1', sk: 'A' } }))).rejects.toMatchObject({ name: 'ValidationException' });
    } finally {
      overHttp.destroy();
      await dynamo.close();
    }
    await expect(direct.send(new GetCommand({ TableName: TABLE, Key: { pk: 'T#1', sk: 'A' } }))).rejects.toThrow();
    direct.destroy();
  });
});
