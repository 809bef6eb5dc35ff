import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startQueue, type LocalQueue } from '../../../local/runtime/sqs';

const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-sqs-wire-'));
let queue: LocalQueue;

beforeAll(async () => {
  queue = await startQueue({ dataDir, name: 'wire', region: 'us-east-1', visibilityTimeoutSeconds: 30, maxReceiveCount: 3, deadLetterRetentionSeconds: 3600 });
});
beforeEach(() => queue.client.send(new PurgeQueueCommand({ QueueUrl: queue.queueUrl })));
afterAll(async () => {
  await queue.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local SQS wire protocol', () => {
  it('answers an unknown queue as SQS does', async () => {
    const error = await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: `${queue.endpoint}/000000000000/nope`, AttributeNames: ['All'] })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'QueueDoesNotExist' });
    expect((await queue.client.send(new GetQueueUrlCommand({ QueueName: 'wire' }))).QueueUrl).toBe(queue.queueUrl);
  });

  it('sends a batch entry by entry: a refused entry fails alone', async () => {
    const { Successful, Failed } = await queue.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.queueUrl,
        Entries: [
          { Id: 'good', MessageBody: 'fine' },
          { Id: 'bad', MessageBody: 'fine', DelaySeconds: 901 },
        ],
      }),
    );
    expect(Successful?.map((s) => s.Id)).toEqual(['good']);
    expect(Failed).toEqual([expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidParameterValue' })]);
    const tooMany = await queue.client
      .send(new SendMessageBatchCommand({ QueueUrl: queue.queueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: String(i), MessageBody: 'x' })) }))
      .catch((e: unknown) => e);
    expect(tooMany).toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
  });

  it('carries message attributes with their digest', async () => {
    const sent = await queue.client.send(
      new SendMessageCommand({
        QueueUrl: queue.queueUrl,
        MessageBody: 'with attributes',
        MessageAttributes: { trace: { DataType: 'String', StringValue: 'abc' }, blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([1, 2, 3]) } },
      }),
    );
    const { Messages } = await queue.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MessageAttributeNames: ['All'] }));
    expect(Messages?.[0]?.MessageAttributes?.trace).toMatchObject({ DataType: 'String', StringValue: 'abc' });
    expect(Messages?.[0]?.MessageAttributes?.blob?.BinaryValue).toEqual(Uint8Array.from([1, 2, 3]));
    expect(Messages?.[0]?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
  });

  it('answers a long poll as soon as a message arrives', async () => {
    const started = Date.now();
    const polling = queue.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, WaitTimeSeconds: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await queue.client.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'wake up' }));
    expect((await polling).Messages?.map((m) => m.Body)).toEqual(['wake up']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('deletes by receipt handle, refuses a forged one, and changes visibility', async () => {
    await queue.client.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'one' }));
    const [message] = (await queue.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl }))).Messages!;
    await queue.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.queueUrl, ReceiptHandle: message!.ReceiptHandle, VisibilityTimeout: 0 }));
    const [again] = (await queue.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl }))).Messages!;
    expect(again?.MessageId).toBe(message!.MessageId);
    const { Successful, Failed } = await queue.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.queueUrl,
        Entries: [
          { Id: 'real', ReceiptHandle: again!.ReceiptHandle },
          { Id: 'forged', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    expect(Successful).toEqual([{ Id: 'real' }]);
    expect(Failed).toEqual([expect.objectContaining({ Id: 'forged', Code: 'ReceiptHandleIsInvalid' })]);
    const { Attributes } = await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
