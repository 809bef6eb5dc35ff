import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Level } from 'level';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUseError, startDynamo, type LocalDynamo } from '../../../local/runtime/dynamodb';

const root = mkdtempSync(path.join(tmpdir(), 'mpfleet-dynamo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TABLE = 'mpfleet';
const start = (dataDir: string) => startDynamo({ dataDir, tableName: TABLE, region: 'us-east-1' });
const documents = (dynamo: LocalDynamo) =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));

describe('local DynamoDB on its own thread', () => {
  it('keeps what it stored across a close and a start on the same folder', async () => {
    const dataDir = path.join(root, 'persist');
    const first = await start(dataDir);
    const a = documents(first);
    try {
      await a.send(new PutCommand({ TableName: TABLE, Item: { pk: 'PERSIST', sk: 'CHECK', value: 42 } }));
    } finally {
      a.destroy();
      await first.close();
    }
    const second = await start(dataDir);
    const b = documents(second);
    try {
      const { Item } = await b.send(new GetCommand({ TableName: TABLE, Key: { pk: 'PERSIST', sk: 'CHECK' } }));
      expect(Item?.value).toBe(42);
    } finally {
      b.destroy();
      await second.close();
    }
  });

  it('close() ends the thread, stops listening and releases the LevelDB lock, even with a client still connected', async () => {
    const dataDir = path.join(root, 'close');
    const dynamo = await start(dataDir);
    const client = documents(dynamo);
    // A keep-alive connection left open, as the handlers' clients leave theirs.
    await client.send(new GetCommand({ TableName: TABLE, Key: { pk: 'A', sk: 'B' } }));
    await dynamo.close();
    await expect(dynamo.exited).resolves.toBeTypeOf('number');
    await expect(fetch(dynamo.endpoint)).rejects.toThrow();
    client.destroy();
    const probe = new Level(dataDir);
    await probe.open();
    await probe.close();
    await dynamo.close(); // a second close is harmless
  });

  it('refuses a folder another one holds, without a thread of its own left behind', async () => {
    const dataDir = path.join(root, 'locked');
    const holder = await start(dataDir);
    try {
      await expect(start(dataDir)).rejects.toThrow(DataDirInUseError);
    } finally {
      await holder.close();
    }
    const again = await start(dataDir);
    await again.close();
  });
});
