import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDynamo } from '../../local/runtime/dynamodb';

export interface TestDynamo {
  db: DynamoDBDocumentClient;
  table: string;
  endpoint: string;
  /** Stops dynalite and deletes its data directory. */
  close(): Promise<void>;
}

const REGION = 'us-east-1';

/**
 * A real (embedded) DynamoDB with the project's table, in a throw-away directory: the stores'
 * conditional writes and the index queries run exactly as the code sends them.
 */
export async function startTestDynamo(table = 'mpfleet-test'): Promise<TestDynamo> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mpfleet-dynamo-'));
  const local = await startDynamo({ dataDir, tableName: table, region: REGION });
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await untilActive(client, table);
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    db,
    table,
    endpoint: local.endpoint,
    close: async () => {
      client.destroy();
      await local.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * startDynamo returns once CreateTable is accepted, but dynalite answers ResourceNotFoundException
 * until the table (after a timer) turns ACTIVE: wait for it, or the first test's writes can fail.
 */
async function untilActive(client: DynamoDBClient, table: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}
