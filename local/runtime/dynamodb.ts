import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { Level } from 'level';
import { mkdirSync } from 'node:fs';
import { MessageChannel, Worker } from 'node:worker_threads';
import { TABLE_DEFINITION } from '../../shared/db/table-definition';
import { serveDirectly, type DirectResponse } from './direct-transport';

export interface LocalDynamo {
  endpoint: string;
  /** Settles with the exit code once dynalite's thread has ended (after close(), or if it failed). */
  exited: Promise<number>;
  /** dynalite's thread's JavaScript heap and buffers, in bytes (the process's RSS counts them; process.memoryUsage() does not). */
  memory(): Promise<{ heapBytes: number; buffersBytes: number }>;
  close(): Promise<void>;
}

const WORKER = new URL('./dynamodb-worker.mjs', import.meta.url);

/**
 * Embedded DynamoDB (dynalite), persisted under `dataDir` so tokens survive a restart, with the
 * table created from the same definition the CDK stack uses. dynalite runs on a worker thread of
 * its own (./dynamodb-worker.mjs), so its request handling uses the second core instead of the
 * main thread's event loop; being a thread, not a process, it dies with the process (a kill -9
 * leaves no orphan holding the LevelDB lock). `close()` closes its store and ends the thread.
 * Clients in this process given to sendDirectly() reach it over a MessagePort, not its HTTP port.
 */
export async function startDynamo(options: { dataDir: string; tableName: string; region: string; onError?: (error: unknown) => void }): Promise<LocalDynamo> {
  mkdirSync(options.dataDir, { recursive: true });
  await ensureNotLocked(options.dataDir);
  const channel = new MessageChannel();
  const worker = new Worker(WORKER, { workerData: { path: options.dataDir, requests: channel.port2 }, transferList: [channel.port2], stdout: false, stderr: false });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let closing = false;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      worker.once('message', (message: { port?: number; error?: string }) => (message.port ? resolve(message.port) : reject(new Error(`dynalite: ${message.error}`))));
      worker.once('error', reject);
      void exited.then((code) => reject(new Error(`dynalite's thread exited (${code}) before it listened`)));
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  worker.on('error', (error) => options.onError?.(error));
  void exited.then((code) => {
    if (!closing) options.onError?.(new Error(`dynalite's thread exited unexpectedly (${code})`));
  });

  const close = async () => {
    if (closing) return void (await exited);
    closing = true;
    const closed = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: { closed?: boolean; error?: string }) => {
        if (!message.closed) return;
        if (message.error) reject(new Error(message.error));
        else resolve();
      });
      void exited.then(() => resolve());
    });
    worker.postMessage('close');
    try {
      await closed;
    } finally {
      // The thread ends by itself once its server and store are closed; make sure of it.
      await worker.terminate();
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const pending = new Map<number, (response: DirectResponse) => void>();
  let nextId = 0;
  channel.port1.on('message', ({ id, ...response }: DirectResponse & { id: number }) => {
    pending.get(id)?.(response);
    pending.delete(id);
  });
  channel.port1.unref();
  const stopServing = serveDirectly(endpoint, (request) => {
    if (closing) return Promise.reject(new Error('the local DynamoDB is closed'));
    const id = nextId++;
    return new Promise<DirectResponse>((resolve) => {
      pending.set(id, resolve);
      channel.port1.postMessage({ id, ...request });
    });
  });
  void exited.then(() => {
    stopServing();
    channel.port1.close();
    for (const settle of pending.values()) settle({ statusCode: 503, headers: {}, body: '{"__type":"com.amazonaws.dynamodb#ServiceUnavailable","message":"the local DynamoDB stopped"}' });
    pending.clear();
  });
  const client = new DynamoDBClient({ endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await ensureTable(client, options.tableName);
  } catch (error) {
    await close();
    throw error;
  } finally {
    client.destroy();
  }
  const memory = async () => {
    const heap = await worker.getHeapStatistics();
    return { heapBytes: heap.total_heap_size, buffersBytes: heap.external_memory };
  };
  return { endpoint, exited, close, memory };
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
