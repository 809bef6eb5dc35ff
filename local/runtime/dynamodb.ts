import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { Level } from 'level';
import dynalite from 'dynalite';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { TABLE_DEFINITION } from '../../shared/db/table-definition';

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Embedded DynamoDB (dynalite), persisted under `dataDir` so tokens survive a restart, with the
 * table created from the same definition the CDK stack uses.
 */
export async function startDynamo(options: { dataDir: string; tableName: string; region: string }): Promise<LocalDynamo> {
  mkdirSync(options.dataDir, { recursive: true });
  await ensureNotLocked(options.dataDir);
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await ensureTable(client, options.tableName);
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // dynalite's close also closes its LevelDB store, releasing the lock on dataDir.
        server.close((error?: Error) => (error ? reject(error) : resolve()));
      }),
  };
}

export class DataDirInUseError extends Error {
  constructor(readonly dataDir: string) {
    super(`${dataDir} is in use by another mpfleet process (stop it, or set DATA_DIR)`);
    this.name = 'DataDirInUseError';
  }
}

/** dynalite crashes the process on a locked store; find out first, and say so. */
async function ensureNotLocked(dataDir: string): Promise<void> {
  const probe = new Level(dataDir);
  try {
    await probe.open();
  } catch {
    throw new DataDirInUseError(dataDir);
  }
  await probe.close();
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { partitionKey, sortKey, indexes } = TABLE_DEFINITION;
  const attributes = new Set<string>([partitionKey, sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
}
