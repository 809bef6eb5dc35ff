import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../queue-client';
import type { DeployMessage } from './deploy-messages';

export type { DeployMessage } from './deploy-messages';

/** SQS caps a delay at 15 minutes. */
const MAX_DELAY_SECONDS = 900;
const SQS_BATCH = 10;

export class DeployQueue {
  constructor(private readonly queueUrl: string) {}

  async send(messages: DeployMessage[], delaySeconds = 0): Promise<void> {
    if (!this.queueUrl) throw new Error('DEPLOY_QUEUE_URL is not set');
    const client = sqs();
    const delay = Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds)));
    for (let start = 0; start < messages.length; start += SQS_BATCH) {
      const batch = messages.slice(start, start + SQS_BATCH);
      const { Failed } = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((message, i) => ({ Id: String(i), MessageBody: JSON.stringify(message), DelaySeconds: delay })),
        }),
      );
      // A message SQS refused must not vanish silently: the caller's redelivery will send it again.
      if (Failed?.length) throw new Error(`SQS refused ${Failed.length} of ${batch.length} deploy messages: ${Failed[0]!.Message}`);
    }
  }
}
