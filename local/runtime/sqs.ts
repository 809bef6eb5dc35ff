import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sendDirectly, serveListenerDirectly } from './direct-transport';
import { startSqsServer } from './sqs-server';
import { DurableQueueStore } from './sqs-store';

export interface LocalQueue {
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  client: SQSClient;
  close(): Promise<void>;
}

export interface LocalQueueOptions {
  /** Where the messages are kept (e.g. `<DATA_DIR>/queue`); one process at a time. */
  dataDir: string;
  name: string;
  region: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  deadLetterRetentionSeconds: number;
}

export type QueueSpec = Pick<LocalQueueOptions, 'name' | 'visibilityTimeoutSeconds' | 'maxReceiveCount' | 'deadLetterRetentionSeconds'>;

export interface LocalQueues {
  endpoint: string;
  client: SQSClient;
  /** By QueueSpec name. */
  queues: Record<string, { queueUrl: string; deadLetterQueueUrl: string }>;
  close(): Promise<void>;
}

const ACCOUNT_ID = '000000000000';

/** One queue (and its DLQ) on its own local SQS: see {@link startQueues}. */
export async function startQueue(options: LocalQueueOptions): Promise<LocalQueue> {
  const started = await startQueues({ dataDir: options.dataDir, region: options.region, queues: [options] });
  return { endpoint: started.endpoint, client: started.client, close: started.close, ...started.queues[options.name]! };
}

/**
 * An in-process SQS speaking the real wire protocol — queues whose failures redrive to their DLQs
 * — whose messages survive a crash and a restart: every send, receive and delete is on disk under
 * `dataDir` before it is answered. A message in flight when the process stopped is delivered
 * again at the next start, its receive count carrying on. One endpoint for all the queues, as
 * AWS_ENDPOINT_URL_SQS is one variable.
 */
export async function startQueues(options: { dataDir: string; region: string; queues: QueueSpec[] }): Promise<LocalQueues> {
  const store = await DurableQueueStore.open({ dir: options.dataDir, region: options.region, accountId: ACCOUNT_ID });
  let server: Awaited<ReturnType<typeof startSqsServer>>;
  try {
    server = await startSqsServer(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  const client = new SQSClient({ endpoint: server.endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  // The event source's polls (and the functions' sends, see local/stack.ts) reach the queue without a socket.
  const stopServing = serveListenerDirectly(server.endpoint, server.requestListener);
  sendDirectly(client);
  const close = async () => {
    stopServing();
    client.destroy();
    await server.close();
    await store.close();
  };

  try {
    const queues: LocalQueues['queues'] = {};
    for (const spec of options.queues) {
      const dlq = await client.send(
        new CreateQueueCommand({ QueueName: `${spec.name}-dlq`, Attributes: { MessageRetentionPeriod: String(spec.deadLetterRetentionSeconds) } }),
      );
      const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
      const queue = await client.send(
        new CreateQueueCommand({
          QueueName: spec.name,
          Attributes: {
            VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: spec.maxReceiveCount }),
          },
        }),
      );
      queues[spec.name] = { queueUrl: queue.QueueUrl!, deadLetterQueueUrl: dlq.QueueUrl! };
    }
    return { endpoint: server.endpoint, client, queues, close };
  } catch (error) {
    await close();
    throw error;
  }
}
