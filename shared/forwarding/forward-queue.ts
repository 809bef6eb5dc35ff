import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { sqs } from '../queue-client';

/** A queue message names a delivery; the delivery item holds the body, so a message stays tiny. */
export const ForwardMessageSchema = z.object({ appid: z.string(), key: z.string() }).strict();
export type ForwardMessage = z.infer<typeof ForwardMessageSchema>;

const SQS_BATCH = 10;
/** SQS's longest visibility timeout is 12 hours; the retry policy stays far below it. */
const MAX_VISIBILITY_SECONDS = 43_200;

/** The forwarding queue (FORWARD_QUEUE_URL): sends deliveries, and holds a failed one back for its backoff. */
export class ForwardQueue {
  constructor(private readonly queueUrl: string) {}

  async send(messages: ForwardMessage[]): Promise<void> {
    const client = this.client();
    for (let start = 0; start < messages.length; start += SQS_BATCH) {
      const batch = messages.slice(start, start + SQS_BATCH);
      const { Failed } = await client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((message, i) => ({ Id: String(i), MessageBody: JSON.stringify(message) })) }),
      );
      if (Failed?.length) throw new Error(`SQS refused ${Failed.length} of ${batch.length} forward messages: ${Failed[0]!.Message}`);
    }
  }

  /** The received message comes back in `seconds` (the consumer then reports it failed, so it is not deleted). */
  async holdBack(receiptHandle: string, seconds: number): Promise<void> {
    await this.client().send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.round(seconds))) }),
    );
  }

  private client(): SQSClient {
    if (!this.queueUrl) throw new Error('FORWARD_QUEUE_URL is not set');
    return sqs();
  }
}
