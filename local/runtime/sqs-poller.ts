import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

const IDLE_POLL_MS = 100;

/**
 * Waits `ms`, or less if `signal` aborts. The listener goes when the wait ends: the signal is the
 * poller's for its whole life, and listeners left on it would pile up (one per idle poll, every
 * loop) until each add and remove on it, the SDK's too, walked a list of hundreds of thousands.
 */
const idle = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
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
 *
 * Like Lambda's pollers, it scales with the queue: while the queue is empty one loop at a time
 * polls it (every IDLE_POLL_MS) and the others wait; the moment a poll receives messages, they
 * all (up to maxConcurrency) poll again, and the one that received hands the polling on while it
 * runs its batch. Every loop polling an empty queue ten times a second would keep a core a third
 * busy locally.
 */
export function startQueuePoller(options: QueuePollerOptions) {
  let running = true;
  const region = options.queueArn.split(':')[3] ?? 'local';
  const abort = new AbortController();
  let queueEmpty = false;
  /** A loop is polling the empty queue (the others wait for what it receives). */
  let scouting = false;
  let wakeWaiting: (() => void) | undefined;
  let messagesSeen: Promise<void> | undefined;

  /** For the loops not polling the empty queue: until a poll receives something. */
  function untilMessages(): Promise<void> {
    messagesSeen ??= new Promise<void>((resolve) => {
      const wake = () => {
        abort.signal.removeEventListener('abort', wake);
        wakeWaiting = undefined;
        messagesSeen = undefined;
        resolve();
      };
      wakeWaiting = wake;
      abort.signal.addEventListener('abort', wake, { once: true });
    });
    return messagesSeen;
  }

  function seen(received: number): void {
    queueEmpty = received === 0;
    if (received > 0) wakeWaiting?.();
  }

  /** `handOn` ends this loop's turn at polling the empty queue, if it had it. */
  async function pollOnce(handOn: () => void): Promise<void> {
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
    seen(messages.length);
    if (messages.length === 0) {
      await idle(IDLE_POLL_MS, abort.signal);
      return;
    }
    handOn();

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
      if (queueEmpty && scouting) {
        await untilMessages();
        continue;
      }
      let scout = queueEmpty;
      if (scout) scouting = true;
      const handOn = () => {
        if (!scout) return;
        scout = false;
        scouting = false;
      };
      try {
        await pollOnce(handOn);
      } catch (error) {
        if (!running) return;
        options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 200));
      } finally {
        handOn();
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
