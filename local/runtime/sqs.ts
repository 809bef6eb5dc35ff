import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
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

const ACCOUNT_ID = '000000000000';

/**
 * An in-process SQS speaking the real wire protocol — a queue whose failures redrive to a DLQ —
 * whose messages survive a crash and a restart: every send, receive and delete is on disk under
 * `dataDir` before it is answered. A message in flight when the process stopped is delivered
 * again at the next start, its receive count carrying on.
 */
export async function startQueue(options: LocalQueueOptions): Promise<LocalQueue> {
  const store = await DurableQueueStore.open({ dir: options.dataDir, region: options.region, accountId: ACCOUNT_ID });
  let server: Awaited<ReturnType<typeof startSqsServer>>;
  try {
    server = await startSqsServer(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  const client = new SQSClient({ endpoint: server.endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const close = async () => {
    client.destroy();
    await server.close();
    await store.close();
  };

  try {
    const dlq = await client.send(
      new CreateQueueCommand({
        QueueName: `${options.name}-dlq`,
        Attributes: { MessageRetentionPeriod: String(options.deadLetterRetentionSeconds) },
      }),
    );
    const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: options.name,
        Attributes: {
          VisibilityTimeout: String(options.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
        },
      }),
    );
    return { endpoint: server.endpoint, queueUrl: queue.QueueUrl!, deadLetterQueueUrl: dlq.QueueUrl!, client, close };
  } catch (error) {
    await close();
    throw error;
  }
}
