import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import type { AddressInfo } from 'node:net';

export interface LocalQueue {
  endpoint: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  client: SQSClient;
  close(): Promise<void>;
}

export interface LocalQueueOptions {
  name: string;
  region: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  deadLetterRetentionSeconds: number;
}

/** An in-process SQS speaking the real wire protocol: a queue whose failures redrive to a DLQ. */
export async function startQueue(options: LocalQueueOptions): Promise<LocalQueue> {
  const server = await createSqsServer({ port: 0, hostname: '127.0.0.1', region: options.region });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SQSClient({ endpoint, region: options.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

  const dlq = await client.send(
    new CreateQueueCommand({
      QueueName: `${options.name}-dlq`,
      Attributes: { MessageRetentionPeriod: String(options.deadLetterRetentionSeconds) },
    }),
  );
  const dlqArn = (
    await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  const queue = await client.send(
    new CreateQueueCommand({
      QueueName: options.name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
      },
    }),
  );

  return {
    endpoint,
    queueUrl: queue.QueueUrl!,
    deadLetterQueueUrl: dlq.QueueUrl!,
    client,
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
