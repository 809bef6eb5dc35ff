import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

const IDLE_POLL_MS = 100;

const idle = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export interface QueuePollerOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  /** Parallel batches in flight, like the event source mapping's maximum concurrency. */
  maxConcurrency: number;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
  onError?: (error: unknown) => void;
}

/** Converts received SQS messages into the event Lambda's SQS event source would deliver. */
export function toSqsEvent(messages: Message[], queueArn: string, region: string): SQSEvent {
  return {
    Records: messages.map(
      (message): SQSRecord => ({
        messageId: message.MessageId!,
        receiptHandle: message.ReceiptHandle!,
        body: message.Body ?? '',
        attributes: {
          ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
          SentTimestamp: message.Attributes?.SentTimestamp ?? String(Date.now()),
          SenderId: message.Attributes?.SenderId ?? 'local',
          ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            { dataType: value.DataType ?? 'String', stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
          ]),
        ),
        md5OfBody: message.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: queueArn,
        awsRegion: region,
      }),
    ),
  };
}

/**
 * Stands in for Lambda's SQS event source: long-polls, invokes the handler with a batch, deletes
 * what succeeded. Messages named in batchItemFailures, or a whole batch whose invocation threw,
 * stay in the queue and reappear after the visibility timeout — after maxReceiveCount receives the
 * queue's redrive policy moves them to the dead-letter queue.
 */
export function startQueuePoller(options: QueuePollerOptions) {
  let running = true;
  const region = options.queueArn.split(':')[3] ?? 'local';
  const abort = new AbortController();

  async function pollOnce(): Promise<void> {
    const received = await options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: options.batchSize,
        // Short polls plus an idle pause deliver promptly, as Lambda's poller does.
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) {
      await idle(IDLE_POLL_MS, abort.signal);
      return;
    }

    let failed: Set<string>;
    try {
      const response = await options.handler(toSqsEvent(messages, options.queueArn, region));
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    } catch (error) {
      options.onError?.(error);
      return; // the whole batch is retried
    }
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length === 0) return;
    await options.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }

  async function loop(): Promise<void> {
    while (running) {
      try {
        await pollOnce();
      } catch (error) {
        if (!running) return;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  const loops = Array.from({ length: options.maxConcurrency }, () => loop());
  return {
    async stop(): Promise<void> {
      running = false;
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}
