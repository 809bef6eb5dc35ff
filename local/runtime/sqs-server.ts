import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  md5OfMessageAttributes,
  type DurableQueueStore,
  type MessageAttributeValue,
  type QueueInfo,
  type QueueSettings,
  type StoredMessage,
} from './sqs-store';
import { recordSqsRequest } from './usage-meter';

/**
 * The SQS wire protocol the AWS SDK speaks (AWS JSON 1.0: `POST /`, `X-Amz-Target:
 * AmazonSQS.<Action>`), over a DurableQueueStore, for the actions the platform and the local
 * event source use: CreateQueue, GetQueueUrl, GetQueueAttributes, SendMessage(Batch),
 * ReceiveMessage (with WaitTimeSeconds, VisibilityTimeout and attribute names), DeleteMessage(Batch),
 * ChangeMessageVisibility and PurgeQueue. Standard queues only.
 */

const JSON_1_0 = 'application/x-amz-json-1.0';
const MAX_BATCH = 10;
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;
const LONG_POLL_STEP_MS = 20;
/** Characters SQS accepts in a message body. */
const VALID_BODY = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

export class SqsError extends Error {
  constructor(
    /** The error shape the SDK maps to its exception class. */
    readonly type: string,
    /** The code the SQS query protocol would answer (the SDK reads it as the error's Code). */
    readonly queryCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const invalidParameter = (message: string) => new SqsError('com.amazon.coral.service#InvalidParameterValueException', 'InvalidParameterValue', message);
const missingParameter = (name: string) =>
  new SqsError('com.amazon.coral.service#MissingRequiredParameterException', 'MissingParameter', `The request must contain the parameter ${name}.`);

type Body = Record<string, unknown>;

function integer(body: Body, name: string, min: number, max: number): number | undefined {
  const raw = body[name];
  if (raw === undefined || raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw invalidParameter(`Value ${String(raw)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}.`);
  return value;
}

function text(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw missingParameter(name);
  return value;
}

const receiptHandleOf = (queue: string, message: StoredMessage) =>
  Buffer.from(JSON.stringify([queue, message.id, message.receiveCount, randomUUID()])).toString('base64url');

function messageIdOf(queue: string, handle: unknown): string | undefined {
  if (typeof handle !== 'string') return undefined;
  try {
    const [name, id] = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8')) as unknown[];
    return name === queue && typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function parseSettings(attributes: unknown): Partial<QueueSettings> {
  const settings: Partial<QueueSettings> = {};
  const body = (attributes ?? {}) as Body;
  const numeric: [string, keyof QueueSettings, number, number][] = [
    ['VisibilityTimeout', 'visibilityTimeoutSeconds', 0, 43_200],
    ['DelaySeconds', 'delaySeconds', 0, 900],
    ['MessageRetentionPeriod', 'messageRetentionSeconds', 60, 1_209_600],
    ['MaximumMessageSize', 'maximumMessageSize', 1024, 1_048_576],
    ['ReceiveMessageWaitTimeSeconds', 'receiveMessageWaitTimeSeconds', 0, 20],
  ];
  for (const name of Object.keys(body)) {
    const known = numeric.find(([attribute]) => attribute === name);
    if (known) {
      (settings as Record<string, number>)[known[1]] = integer(body, name, known[2], known[3])!;
    } else if (name === 'RedrivePolicy') {
      let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
      try {
        policy = JSON.parse(String(body[name])) as typeof policy;
      } catch {
        throw invalidParameter('Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.');
      }
      const maxReceiveCount = Number(policy.maxReceiveCount);
      if (typeof policy.deadLetterTargetArn !== 'string' || !Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
        throw invalidParameter(`Value ${String(body[name])} for parameter RedrivePolicy is invalid.`);
      }
      settings.redrivePolicy = { deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount };
    } else {
      throw new SqsError('com.amazonaws.sqs#InvalidAttributeName', 'InvalidAttributeName', `Unknown or unsupported attribute ${name}`);
    }
  }
  return settings;
}

function queueAttributes(info: QueueInfo, counts: { visible: number; inFlight: number; delayed: number }): Record<string, string> {
  return {
    QueueArn: info.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: String(Math.floor(info.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(info.lastModifiedAt / 1000)),
    VisibilityTimeout: String(info.visibilityTimeoutSeconds),
    DelaySeconds: String(info.delaySeconds),
    MessageRetentionPeriod: String(info.messageRetentionSeconds),
    MaximumMessageSize: String(info.maximumMessageSize),
    ReceiveMessageWaitTimeSeconds: String(info.receiveMessageWaitTimeSeconds),
    ...(info.redrivePolicy ? { RedrivePolicy: JSON.stringify(info.redrivePolicy) } : {}),
  };
}

function systemAttributes(message: StoredMessage): Record<string, string> {
  return {
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
    SentTimestamp: String(message.sentAt),
    SenderId: 'local',
    ...(message.deadLetterSourceArn ? { DeadLetterQueueSourceArn: message.deadLetterSourceArn } : {}),
  };
}

function pick<T>(all: Record<string, T>, names: string[], prefixes: boolean): Record<string, T> | undefined {
  const wanted = (name: string) =>
    names.some((n) => n === 'All' || n === name || (prefixes && (n === '.*' || (n.endsWith('.*') && name.startsWith(n.slice(0, -1))))));
  const picked = Object.fromEntries(Object.entries(all).filter(([name]) => wanted(name)));
  return Object.keys(picked).length ? picked : undefined;
}

const stringList = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

interface BatchEntryFailure {
  Id: string;
  SenderFault: boolean;
  Code: string;
  Message: string;
}

/** Validates a batch request's entries: 1 to 10, each with a well-formed, distinct Id. */
function batchEntries(body: Body): Body[] {
  const entries = body.Entries;
  if (entries === undefined) throw missingParameter('Entries');
  if (!Array.isArray(entries) || entries.length === 0) throw new SqsError('com.amazonaws.sqs#EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', 'There should be at least one entry in the request.');
  if (entries.length > MAX_BATCH) {
    throw new SqsError('com.amazonaws.sqs#TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${MAX_BATCH}. You have sent ${entries.length}.`);
  }
  const seen = new Set<string>();
  for (const entry of entries as Body[]) {
    const id = entry?.Id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,80}$/.test(id)) {
      throw new SqsError('com.amazonaws.sqs#InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (seen.has(id)) throw new SqsError('com.amazonaws.sqs#BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as Body[];
}

/** A message to send, or why SQS would refuse it. */
function sendEntry(entry: Body, info: QueueInfo): { body: string; delaySeconds?: number; messageAttributes?: Record<string, MessageAttributeValue> } {
  const body = entry.MessageBody;
  if (typeof body !== 'string' || body === '') throw missingParameter('MessageBody');
  if (!VALID_BODY.test(body)) throw new SqsError('com.amazonaws.sqs#InvalidMessageContents', 'InvalidMessageContents', 'Invalid characters found in the message body.');
  const attributes = (entry.MessageAttributes ?? undefined) as Record<string, MessageAttributeValue> | undefined;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (!/^(String|Number|Binary)(\..+)?$/.test(value?.DataType ?? '')) throw invalidParameter(`The message attribute '${name}' has an invalid message attribute type.`);
  }
  const size =
    Buffer.byteLength(body) +
    Object.entries(attributes ?? {}).reduce(
      (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value.DataType) + Buffer.byteLength(value.StringValue ?? '') + Buffer.from(value.BinaryValue ?? '', 'base64').length,
      0,
    );
  if (size > info.maximumMessageSize) throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${info.maximumMessageSize} bytes.`);
  const delaySeconds = integer(entry, 'DelaySeconds', 0, 900);
  return { body, ...(delaySeconds === undefined ? {} : { delaySeconds }), ...(attributes ? { messageAttributes: attributes } : {}) };
}

export interface SqsServer {
  endpoint: string;
  queueUrl(name: string): string;
  /** What answers the HTTP requests: clients of this process are handed to it without a socket. */
  requestListener: http.RequestListener;
  close(): Promise<void>;
}

export async function startSqsServer(store: DurableQueueStore, options: { host?: string; port?: number } = {}): Promise<SqsServer> {
  const host = options.host ?? '127.0.0.1';
  let endpoint = '';
  let closing = false;
  const queueUrl = (name: string) => `${endpoint}/${store.accountId}/${name}`;

  function queueOf(body: Body): QueueInfo {
    const url = text(body, 'QueueUrl');
    const name = url.split('/').filter(Boolean).pop() ?? '';
    const info = store.getQueue(name);
    if (!info) throw new SqsError('com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    return info;
  }

  async function receive(body: Body, gone: () => boolean): Promise<Body> {
    const info = queueOf(body);
    const max = integer(body, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibilityTimeoutSeconds = integer(body, 'VisibilityTimeout', 0, 43_200);
    const waitSeconds = integer(body, 'WaitTimeSeconds', 0, 20) ?? info.receiveMessageWaitTimeSeconds;
    const deadline = Date.now() + waitSeconds * 1000;
    let messages: StoredMessage[];
    for (;;) {
      messages = await store.receive(info.name, { max, ...(visibilityTimeoutSeconds === undefined ? {} : { visibilityTimeoutSeconds }) });
      if (messages.length || closing || gone() || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(LONG_POLL_STEP_MS, deadline - Date.now())));
    }
    const attributeNames = [...stringList(body.AttributeNames), ...stringList(body.MessageSystemAttributeNames)];
    const messageAttributeNames = stringList(body.MessageAttributeNames);
    if (!messages.length) return {};
    return {
      Messages: messages.map((message) => {
        const attributes = pick(systemAttributes(message), attributeNames, false);
        const messageAttributes = message.messageAttributes && pick(message.messageAttributes, messageAttributeNames, true);
        return {
          MessageId: message.id,
          ReceiptHandle: receiptHandleOf(info.name, message),
          MD5OfBody: message.md5OfBody,
          Body: message.body,
          ...(attributes ? { Attributes: attributes } : {}),
          ...(messageAttributes ? { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5OfMessageAttributes(messageAttributes) } : {}),
        };
      }),
    };
  }

  const actions: Record<string, (body: Body, gone: () => boolean) => Promise<Body>> = {
    CreateQueue: async (body) => {
      const name = text(body, 'QueueName');
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw invalidParameter('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
      const settings = parseSettings(body.Attributes);
      if (settings.redrivePolicy && !store.queueByArn(settings.redrivePolicy.deadLetterTargetArn)) {
        throw invalidParameter(`Value ${JSON.stringify(settings.redrivePolicy)} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.`);
      }
      store.createQueue(name, settings);
      return { QueueUrl: queueUrl(name) };
    },
    GetQueueUrl: async (body) => {
      const name = text(body, 'QueueName');
      if (!store.getQueue(name)) throw new SqsError('com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
      return { QueueUrl: queueUrl(name) };
    },
    GetQueueAttributes: async (body) => {
      const info = queueOf(body);
      await store.settle();
      const all = queueAttributes(info, store.counts(info.name));
      const names = stringList(body.AttributeNames);
      const unknown = names.find((n) => n !== 'All' && !(n in all) && n !== 'RedrivePolicy');
      if (unknown) throw new SqsError('com.amazonaws.sqs#InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${unknown}.`);
      return { Attributes: pick(all, names, false) ?? {} };
    },
    SendMessage: async (body) => {
      const info = queueOf(body);
      const [message] = await store.send(info.name, [sendEntry(body, info)]);
      return {
        MessageId: message!.id,
        MD5OfMessageBody: message!.md5OfBody,
        ...(message!.md5OfMessageAttributes ? { MD5OfMessageAttributes: message!.md5OfMessageAttributes } : {}),
      };
    },
    SendMessageBatch: async (body) => {
      const info = queueOf(body);
      const entries = batchEntries(body);
      const totalBytes = entries.reduce((sum, entry) => sum + (typeof entry.MessageBody === 'string' ? Buffer.byteLength(entry.MessageBody) : 0), 0);
      if (totalBytes > info.maximumMessageSize) {
        throw new SqsError('com.amazonaws.sqs#BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', `Batch requests cannot be longer than ${info.maximumMessageSize} bytes. You have sent ${totalBytes} bytes.`);
      }
      const failed: BatchEntryFailure[] = [];
      const accepted: { id: string; entry: ReturnType<typeof sendEntry> }[] = [];
      for (const entry of entries) {
        try {
          accepted.push({ id: entry.Id as string, entry: sendEntry(entry, info) });
        } catch (error) {
          if (!(error instanceof SqsError)) throw error;
          failed.push({ Id: entry.Id as string, SenderFault: true, Code: error.queryCode, Message: error.message });
        }
      }
      const sent = accepted.length ? await store.send(info.name, accepted.map((a) => a.entry)) : [];
      return {
        Successful: sent.map((message, i) => ({
          Id: accepted[i]!.id,
          MessageId: message.id,
          MD5OfMessageBody: message.md5OfBody,
          ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
        })),
        Failed: failed,
      };
    },
    ReceiveMessage: receive,
    DeleteMessage: async (body) => {
      const info = queueOf(body);
      const id = messageIdOf(info.name, text(body, 'ReceiptHandle'));
      if (!id) throw new SqsError('com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${String(body.ReceiptHandle)}" is not a valid receipt handle.`);
      await store.delete(info.name, [id]);
      return {};
    },
    DeleteMessageBatch: async (body) => {
      const info = queueOf(body);
      const entries = batchEntries(body);
      const failed: BatchEntryFailure[] = [];
      const valid: { Id: string; messageId: string }[] = [];
      for (const entry of entries) {
        const messageId = messageIdOf(info.name, entry.ReceiptHandle);
        if (messageId) valid.push({ Id: entry.Id as string, messageId });
        else failed.push({ Id: entry.Id as string, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: `The input receipt handle "${String(entry.ReceiptHandle)}" is not a valid receipt handle.` });
      }
      // A message already deleted (or moved) counts as deleted, as on SQS.
      if (valid.length) await store.delete(info.name, valid.map((v) => v.messageId));
      return { Successful: valid.map((v) => ({ Id: v.Id })), Failed: failed };
    },
    ChangeMessageVisibility: async (body) => {
      const info = queueOf(body);
      const id = messageIdOf(info.name, text(body, 'ReceiptHandle'));
      const seconds = integer(body, 'VisibilityTimeout', 0, 43_200);
      if (seconds === undefined) throw missingParameter('VisibilityTimeout');
      if (!id || !(await store.changeVisibility(info.name, id, seconds))) {
        throw new SqsError('com.amazonaws.sqs#ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', `The input receipt handle "${String(body.ReceiptHandle)}" is not a valid receipt handle.`);
      }
      return {};
    },
    PurgeQueue: async (body) => {
      await store.purge(queueOf(body).name);
      return {};
    },
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) throw invalidParameter('Request too large.');
      chunks.push(chunk);
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith(JSON_1_0) || !target.startsWith('AmazonSQS.')) {
      throw new SqsError('com.amazonaws.sqs#UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', 'This local SQS speaks only the AWS JSON 1.0 protocol.');
    }
    const action = actions[target.slice('AmazonSQS.'.length)];
    if (!action) throw new SqsError('com.amazonaws.sqs#UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', `${target} is not supported by the local SQS.`);
    let body: Body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Body;
    } catch {
      throw new SqsError('com.amazon.coral.service#SerializationException', 'MalformedInput', 'The request body is not valid JSON.');
    }
    let gone = false;
    res.once('close', () => (gone = true));
    const output = await action(body ?? {}, () => gone);
    const actionName = target.slice('AmazonSQS.'.length);
    recordSqsRequest(actionName, messagesIn(actionName, body ?? {}, output));
    res.writeHead(200, { 'content-type': JSON_1_0, 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(output));
  }

  /** The messages a request carried: the messages a receive answered (none: an empty poll), the entries of a batch, one otherwise. */
  function messagesIn(actionName: string, request: Body, output: Body): number {
    if (actionName === 'ReceiveMessage') return ((output as { Messages?: unknown[] }).Messages ?? []).length;
    const entries = (request as { Entries?: unknown[] }).Entries;
    return Array.isArray(entries) ? entries.length : 1;
  }

  const requestListener: http.RequestListener = (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      const known = error instanceof SqsError ? error : new SqsError('com.amazonaws.sqs#InternalError', 'InternalError', String(error), 500);
      res.writeHead(known.status, {
        'content-type': JSON_1_0,
        'x-amzn-requestid': randomUUID(),
        'x-amzn-query-error': `${known.queryCode};${known.status < 500 ? 'Sender' : 'Receiver'}`,
      });
      res.end(JSON.stringify({ __type: known.type, message: known.message }));
    });
  };
  const server = http.createServer(requestListener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  endpoint = `http://${host}:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    queueUrl,
    requestListener,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
