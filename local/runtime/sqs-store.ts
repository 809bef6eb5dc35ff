import { Level } from 'level';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { DataDirInUseError } from './dynamodb';

/** A message attribute as SQS carries it (BinaryValue base64, as the JSON protocol sends it). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}

/** One message as it is kept on disk: everything needed to deliver it again after a restart. */
export interface StoredMessage {
  id: string;
  /** Arrival order within its queue (best-effort ordering, as a standard queue has). */
  seq: number;
  body: string;
  md5OfBody: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  md5OfMessageAttributes?: string;
  sentAt: number;
  /** Until then the message is delayed (never received) or in flight (received). */
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Set on a message the redrive policy moved to a dead-letter queue. */
  deadLetterSourceArn?: string;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface QueueSettings {
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  messageRetentionSeconds: number;
  maximumMessageSize: number;
  receiveMessageWaitTimeSeconds: number;
  redrivePolicy?: RedrivePolicy;
}

export interface QueueInfo extends QueueSettings {
  name: string;
  arn: string;
  createdAt: number;
  lastModifiedAt: number;
}

export interface SendEntry {
  body: string;
  delaySeconds?: number;
  messageAttributes?: Record<string, MessageAttributeValue>;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  visibilityTimeoutSeconds: 30,
  delaySeconds: 0,
  messageRetentionSeconds: 4 * 86_400,
  maximumMessageSize: 262_144,
  receiveMessageWaitTimeSeconds: 0,
};

type Batch = ({ type: 'put'; key: string; value: StoredMessage } | { type: 'del'; key: string })[];

interface Queue {
  info: QueueInfo;
  messages: Map<string, StoredMessage>;
}

const keyOf = (queueName: string, id: string) => `${queueName}!${id}`;

export const md5Hex = (data: string | Buffer) => createHash('md5').update(data).digest('hex');

/** SQS's digest of message attributes: names sorted, each field length-prefixed, a transport byte. */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const hash = createHash('md5');
  const field = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name]!;
    field(Buffer.from(name, 'utf8'));
    field(Buffer.from(value.DataType, 'utf8'));
    const binary = value.DataType.startsWith('Binary');
    hash.update(Buffer.from([binary ? 2 : 1]));
    field(binary ? Buffer.from(value.BinaryValue ?? '', 'base64') : Buffer.from(value.StringValue ?? '', 'utf8'));
  }
  return hash.digest('hex');
}

/**
 * The local queues' state, durable: every message is a record in a LevelDB store (one record per
 * message, keyed by queue and message id), and every change — a send, a receive (its receive
 * count and visibility deadline), a delete, a move to the dead-letter queue — is written with
 * fsync before the caller hears back. Reads come from memory, loaded once at open.
 *
 * Queue settings are not stored: the owner creates its queues on every start (with that start's
 * settings) and finds the messages left under those names. A message that was in flight when
 * the process died is visible again at once — whoever received it died with the process — and
 * keeps its receive count, so the redrive policy still catches a message that keeps failing.
 */
export class DurableQueueStore {
  private readonly queues = new Map<string, Queue>();
  private seq = 0;
  private pendingWrites: { batch: Batch; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;

  private constructor(
    private readonly db: Level<string, StoredMessage>,
    /** Messages found on disk, by queue name, until their queue is created. */
    private readonly found: Map<string, StoredMessage[]>,
    readonly region: string,
    readonly accountId: string,
  ) {}

  /** Opens (or creates) the store in `dir`; refuses a directory another process holds. */
  static async open(options: { dir: string; region: string; accountId: string }): Promise<DurableQueueStore> {
    mkdirSync(options.dir, { recursive: true });
    const db = new Level<string, StoredMessage>(options.dir, { valueEncoding: 'json' });
    try {
      await db.open();
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'LEVEL_LOCKED') throw new DataDirInUseError(options.dir);
      throw error;
    }
    const found = new Map<string, StoredMessage[]>();
    const now = Date.now();
    let seq = 0;
    for await (const [key, message] of db.iterator()) {
      const queueName = key.slice(0, key.indexOf('!'));
      // Received but not deleted when the process stopped: nobody is working on it any more.
      if (message.receiveCount > 0 && message.visibleAt > now) message.visibleAt = now;
      seq = Math.max(seq, message.seq);
      const list = found.get(queueName) ?? [];
      list.push(message);
      found.set(queueName, list);
    }
    for (const list of found.values()) list.sort((a, b) => a.seq - b.seq);
    const store = new DurableQueueStore(db, found, options.region, options.accountId);
    store.seq = seq;
    return store;
  }

  arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  /** Creates the queue, or applies new settings to it; messages stored under its name come back. */
  createQueue(name: string, settings: Partial<QueueSettings>): QueueInfo {
    const now = Date.now();
    const existing = this.queues.get(name);
    if (existing) {
      existing.info = { ...existing.info, ...settings, lastModifiedAt: now };
      return existing.info;
    }
    const info: QueueInfo = { ...DEFAULT_QUEUE_SETTINGS, ...settings, name, arn: this.arnOf(name), createdAt: now, lastModifiedAt: now };
    const messages = new Map((this.found.get(name) ?? []).map((m) => [m.id, m]));
    this.found.delete(name);
    this.queues.set(name, { info, messages });
    return info;
  }

  getQueue(name: string): QueueInfo | undefined {
    return this.queues.get(name)?.info;
  }

  queueByArn(arn: string): QueueInfo | undefined {
    return [...this.queues.values()].find((q) => q.info.arn === arn)?.info;
  }

  /** Stores the messages; resolves once they are on disk. */
  async send(queueName: string, entries: SendEntry[]): Promise<StoredMessage[]> {
    const queue = this.queue(queueName);
    const now = Date.now();
    const batch: Batch = [];
    const sent = entries.map((entry): StoredMessage => {
      const delaySeconds = entry.delaySeconds ?? queue.info.delaySeconds;
      const attributes = entry.messageAttributes && Object.keys(entry.messageAttributes).length ? entry.messageAttributes : undefined;
      const message: StoredMessage = {
        id: randomUUID(),
        seq: ++this.seq,
        body: entry.body,
        md5OfBody: md5Hex(entry.body),
        ...(attributes ? { messageAttributes: attributes, md5OfMessageAttributes: md5OfMessageAttributes(attributes) } : {}),
        sentAt: now,
        visibleAt: now + delaySeconds * 1000,
        receiveCount: 0,
      };
      queue.messages.set(message.id, message);
      batch.push({ type: 'put', key: keyOf(queueName, message.id), value: message });
      return message;
    });
    await this.write([...this.sweep(now), ...batch]);
    return sent.map((m) => ({ ...m }));
  }

  /**
   * Takes up to `max` visible messages, makes them invisible for the visibility timeout and counts
   * the receive; resolves (with copies) once that is on disk, so a crash cannot forget a receive.
   */
  async receive(queueName: string, options: { max: number; visibilityTimeoutSeconds?: number }): Promise<StoredMessage[]> {
    const queue = this.queue(queueName);
    const now = Date.now();
    const batch = this.sweep(now);
    const visibilityMs = (options.visibilityTimeoutSeconds ?? queue.info.visibilityTimeoutSeconds) * 1000;
    const received: StoredMessage[] = [];
    for (const message of queue.messages.values()) {
      if (received.length >= options.max) break;
      if (message.visibleAt > now) continue;
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + visibilityMs;
      batch.push({ type: 'put', key: keyOf(queueName, message.id), value: message });
      received.push({ ...message });
    }
    if (batch.length) await this.write(batch);
    return received;
  }

  /** Deletes messages by id (a stale receipt still deletes, as on a standard queue); true if found. */
  async delete(queueName: string, ids: string[]): Promise<boolean[]> {
    const queue = this.queue(queueName);
    const batch = this.sweep(Date.now());
    const found = ids.map((id) => {
      if (!queue.messages.delete(id)) return false;
      batch.push({ type: 'del', key: keyOf(queueName, id) });
      return true;
    });
    if (batch.length) await this.write(batch);
    return found;
  }

  /** Sets a received message's visibility deadline to `seconds` from now; false if it is gone. */
  async changeVisibility(queueName: string, id: string, seconds: number): Promise<boolean> {
    const queue = this.queue(queueName);
    const message = queue.messages.get(id);
    if (!message) return false;
    message.visibleAt = Date.now() + seconds * 1000;
    await this.write([{ type: 'put', key: keyOf(queueName, id), value: message }]);
    return true;
  }

  async purge(queueName: string): Promise<void> {
    const queue = this.queue(queueName);
    const batch: Batch = [...queue.messages.keys()].map((id) => ({ type: 'del', key: keyOf(queueName, id) }));
    queue.messages.clear();
    if (batch.length) await this.write(batch);
  }

  /** Moves due redrives and expires old messages now, so counts read right. */
  async settle(): Promise<void> {
    const batch = this.sweep(Date.now());
    if (batch.length) await this.write(batch);
  }

  counts(queueName: string): { visible: number; inFlight: number; delayed: number } {
    const now = Date.now();
    const counts = { visible: 0, inFlight: 0, delayed: 0 };
    for (const message of this.queue(queueName).messages.values()) {
      if (message.visibleAt <= now) counts.visible += 1;
      else if (message.receiveCount > 0) counts.inFlight += 1;
      else counts.delayed += 1;
    }
    return counts;
  }

  /** Waits for writes in progress, then closes the store (releasing its lock). */
  async close(): Promise<void> {
    while (this.writing) await this.writing.catch(() => undefined);
    await this.db.close();
  }

  private queue(name: string): Queue {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`queue ${name} does not exist`);
    return queue;
  }

  /**
   * In memory, now: a message whose visibility ran out after maxReceiveCount receives moves to the
   * dead-letter queue; a message older than its queue's retention period goes. Returns the writes.
   */
  private sweep(now: number): Batch {
    const batch: Batch = [];
    for (const { info, messages } of this.queues.values()) {
      const dlq = info.redrivePolicy && this.queues.get(info.redrivePolicy.deadLetterTargetArn.split(':').pop()!);
      for (const message of messages.values()) {
        if (message.sentAt + info.messageRetentionSeconds * 1000 <= now) {
          messages.delete(message.id);
          batch.push({ type: 'del', key: keyOf(info.name, message.id) });
          continue;
        }
        if (!dlq || message.visibleAt > now || message.receiveCount < info.redrivePolicy!.maxReceiveCount) continue;
        messages.delete(message.id);
        const moved: StoredMessage = { ...message, seq: ++this.seq, visibleAt: now, deadLetterSourceArn: info.arn };
        dlq.messages.set(moved.id, moved);
        batch.push({ type: 'del', key: keyOf(info.name, message.id) }, { type: 'put', key: keyOf(dlq.info.name, moved.id), value: moved });
      }
    }
    return batch;
  }

  /**
   * Writes in call order, with fsync. Writes asked for while one is on its way to disk go
   * together in the next one (one fsync for many callers), and each caller hears back once its
   * own changes are durable.
   */
  private write(batch: Batch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingWrites.push({ batch, resolve, reject });
      this.flush();
    });
  }

  private flush(): void {
    if (this.writing || this.pendingWrites.length === 0) return;
    const group = this.pendingWrites;
    this.pendingWrites = [];
    this.writing = this.db
      .batch(
        group.flatMap((g) => g.batch),
        { sync: true },
      )
      .then(
        () => group.forEach((g) => g.resolve()),
        (error: unknown) => group.forEach((g) => g.reject(error)),
      )
      .finally(() => {
        this.writing = undefined;
        this.flush();
      });
  }
}
