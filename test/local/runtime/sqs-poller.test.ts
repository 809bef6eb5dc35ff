import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQueue, type LocalQueue } from '../../../local/runtime/sqs';
import { startQueuePoller } from '../../../local/runtime/sqs-poller';

const MAX_RECEIVES = 3;
const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-poller-'));
let queue: LocalQueue;

beforeAll(async () => {
  queue = await startQueue({ dataDir, name: 'poller-test', region: 'us-east-1', visibilityTimeoutSeconds: 1, maxReceiveCount: MAX_RECEIVES, deadLetterRetentionSeconds: 3600 });
});
afterAll(async () => {
  await queue.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('SQS event source stand-in', () => {
  it('deletes successes, redelivers reported failures and dead-letters a message that keeps failing', async () => {
    const seen: Record<string, number[]> = {};
    const arn = (await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const poller = startQueuePoller({
      client: queue.client,
      queueUrl: queue.queueUrl,
      queueArn: arn,
      batchSize: 10,
      maxConcurrency: 2,
      handler: async (event: SQSEvent) => {
        const failures: { itemIdentifier: string }[] = [];
        for (const record of event.Records) {
          (seen[record.body] ??= []).push(Number(record.attributes.ApproximateReceiveCount));
          const failsNow = record.body === 'poison' || (record.body === 'flaky' && seen.flaky!.length === 1);
          if (failsNow) failures.push({ itemIdentifier: record.messageId });
        }
        return { batchItemFailures: failures };
      },
    });
    try {
      await queue.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.queueUrl,
          Entries: ['ok', 'flaky', 'poison'].map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
      await until(async () => {
        const dead = await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
        return dead.Attributes?.ApproximateNumberOfMessages === '1';
      });
    } finally {
      await poller.stop();
    }

    expect(seen.ok).toEqual([1]);
    expect(seen.flaky).toEqual([1, 2]);
    expect(seen.poison).toEqual([1, 2, 3]);
    const dead = await queue.client.send(new ReceiveMessageCommand({ QueueUrl: queue.deadLetterQueueUrl, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['poison']);
    const left = await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['All'] }));
    expect(left.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

  it('retries the whole batch when the handler throws', async () => {
    let calls = 0;
    const delivered: string[] = [];
    const arn = (await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const poller = startQueuePoller({
      client: queue.client,
      queueUrl: queue.queueUrl,
      queueArn: arn,
      batchSize: 10,
      maxConcurrency: 1,
      handler: async (event) => {
        calls += 1;
        if (calls === 1) throw new Error('crashed mid-batch');
        delivered.push(...event.Records.map((r) => r.body));
      },
    });
    try {
      await queue.client.send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: [{ Id: 'a', MessageBody: 'again' }] }));
      await until(() => delivered.length > 0);
    } finally {
      await poller.stop();
    }
    expect(calls).toBe(2);
    expect(delivered).toEqual(['again']);
  });
  it('polls an idle queue with one loop and runs maxConcurrency batches side by side once messages come', async () => {
    const arn = (await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    let running = 0;
    let most = 0;
    let handled = 0;
    const poller = startQueuePoller({
      client: queue.client,
      queueUrl: queue.queueUrl,
      queueArn: arn,
      batchSize: 1,
      maxConcurrency: 4,
      handler: async (event: SQSEvent) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 150));
        running -= 1;
        handled += event.Records.length;
      },
    });
    try {
      await new Promise((r) => setTimeout(r, 300)); // idle first: the other loops wait
      await queue.client.send(
        new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `m${i}` })) }),
      );
      await until(() => handled === 10);
    } finally {
      await poller.stop();
    }
    expect(most).toBe(4);
  });

  it('keeps polling while a loop runs a long batch, so a message sent meanwhile is not held up by it', async () => {
    const arn = (await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const handledAt: Record<string, number> = {};
    const poller = startQueuePoller({
      client: queue.client,
      queueUrl: queue.queueUrl,
      queueArn: arn,
      batchSize: 1,
      maxConcurrency: 2,
      handler: async (event: SQSEvent) => {
        const body = event.Records[0]!.body;
        if (body === 'slow') await new Promise((r) => setTimeout(r, 3000));
        handledAt[body] = Date.now();
      },
    });
    try {
      await new Promise((r) => setTimeout(r, 300));
      await queue.client.send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: [{ Id: '0', MessageBody: 'slow' }] }));
      await new Promise((r) => setTimeout(r, 500));
      const sentAt = Date.now();
      await queue.client.send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: [{ Id: '0', MessageBody: 'fast' }] }));
      await until(() => handledAt.fast !== undefined && handledAt.slow !== undefined);
      expect(handledAt.fast! - sentAt).toBeLessThan(1000);
      expect(handledAt.fast!).toBeLessThan(handledAt.slow!);
    } finally {
      await poller.stop();
    }
  });

  it('leaves no listener behind on its abort signal after idle polls', async () => {
    const signals = new Set<AbortSignal>();
    let receives = 0;
    const client = {
      send: async (_command: unknown, options?: { abortSignal?: AbortSignal }) => {
        if (options?.abortSignal) signals.add(options.abortSignal);
        receives += 1;
        return {};
      },
    } as unknown as SQSClient;
    const poller = startQueuePoller({ client, queueUrl: 'http://local/0/idle', queueArn: 'arn:aws:sqs:us-east-1:0:idle', batchSize: 10, maxConcurrency: 4, handler: async () => undefined });
    try {
      await until(() => receives >= 12);
      expect(signals.size).toBe(1);
      // At most one per loop, for the pause it is in now; not one per idle poll so far.
      expect(getEventListeners([...signals][0]!, 'abort').length).toBeLessThanOrEqual(4);
    } finally {
      await poller.stop();
    }
    expect(getEventListeners([...signals][0]!, 'abort')).toHaveLength(0);
  });
});
