import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUseError } from '../../../local/runtime/dynamodb';
import { startQueue, type LocalQueue, type LocalQueueOptions } from '../../../local/runtime/sqs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CHILD = path.join(ROOT, 'test/local/runtime/queue-crash-child.ts');

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const freshDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mpfleet-queue-'));
  dirs.push(dir);
  return dir;
};

const open = (dataDir: string, options: Partial<LocalQueueOptions> = {}) =>
  startQueue({ dataDir, name: 'durable', region: 'us-east-1', visibilityTimeoutSeconds: 600, maxReceiveCount: 3, deadLetterRetentionSeconds: 3600, ...options });

/** Opens the queue on `dir`, runs `use`, closes it whatever happens. */
async function session<T>(dir: string, use: (queue: LocalQueue) => Promise<T>, options?: Partial<LocalQueueOptions>): Promise<T> {
  const queue = await open(dir, options);
  try {
    return await use(queue);
  } finally {
    await queue.close();
  }
}

const receive = async (queue: LocalQueue, url = queue.queueUrl): Promise<Message[]> =>
  (await queue.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }))).Messages ?? [];

const attributes = async (queue: LocalQueue, url = queue.queueUrl) =>
  (await queue.client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes!;

describe('the local queue keeps its messages under DATA_DIR', () => {
  it('delivers a message sent before the queue was closed and opened again', async () => {
    const dir = freshDir();
    await session(dir, (queue) => queue.client.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'kept' })));
    const received = await session(dir, (queue) => receive(queue));
    expect(received.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([['kept', '1']]);
  });

  it('redelivers a message that was received but not deleted, counting on, and dead-letters it after maxReceiveCount', async () => {
    const dir = freshDir();
    const first = await session(dir, async (queue) => {
      await queue.client.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'poison' }));
      return receive(queue);
    });
    expect(first.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['1']);

    // The visibility timeout (600 s) has not run out: the one who received it died with the process.
    for (const count of ['2', '3']) {
      const again = await session(dir, (queue) => receive(queue));
      expect(again.map((m) => [m.Body, m.MessageId, m.Attributes?.ApproximateReceiveCount])).toEqual([['poison', first[0]!.MessageId, count]]);
    }

    await session(dir, async (queue) => {
      expect(await receive(queue)).toEqual([]);
      expect(await attributes(queue)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
      expect(await attributes(queue, queue.deadLetterQueueUrl)).toMatchObject({ ApproximateNumberOfMessages: '1' });
      const dead = await receive(queue, queue.deadLetterQueueUrl);
      expect(dead.map((m) => [m.Body, m.MessageId])).toEqual([['poison', first[0]!.MessageId]]);
      expect(dead[0]!.Attributes?.DeadLetterQueueSourceArn).toMatch(/:durable$/);
    });
  });

  it('keeps honouring the visibility timeout while it runs', async () => {
    const dir = freshDir();
    await session(
      dir,
      async (queue) => {
        await queue.client.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody: 'later' }));
        expect(await receive(queue)).toHaveLength(1);
        expect(await receive(queue)).toEqual([]);
        expect(await attributes(queue)).toMatchObject({ ApproximateNumberOfMessagesNotVisible: '1' });
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect((await receive(queue)).map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2']);
      },
      { visibilityTimeoutSeconds: 1 },
    );
  });

  it('keeps a delayed message delayed across a restart, and delivers it when it is due', async () => {
    const dir = freshDir();
    const sentAt = Date.now();
    await session(dir, (queue) =>
      queue.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.queueUrl,
          Entries: [
            { Id: 'soon', MessageBody: 'soon', DelaySeconds: 2 },
            { Id: 'late', MessageBody: 'late', DelaySeconds: 900 },
          ],
        }),
      ),
    );
    await session(dir, async (queue) => {
      expect(await attributes(queue)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesDelayed: '2' });
      expect(await receive(queue)).toEqual([]);
      const received = await queue.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(2000);
      expect(received.Messages?.map((m) => m.Body)).toEqual(['soon']);
    });
    await session(dir, async (queue) => {
      expect(await attributes(queue)).toMatchObject({ ApproximateNumberOfMessagesDelayed: '1' });
    });
  });

  it('gives each data directory its own queue, and refuses a second opener of the same one', async () => {
    const [a, b] = [freshDir(), freshDir()];
    const queueA = await open(a);
    try {
      const queueB = await open(b);
      try {
        await queueA.client.send(new SendMessageCommand({ QueueUrl: queueA.queueUrl, MessageBody: 'only in a' }));
        expect(await receive(queueB)).toEqual([]);
        expect((await receive(queueA)).map((m) => m.Body)).toEqual(['only in a']);
      } finally {
        await queueB.close();
      }
      await expect(open(a)).rejects.toThrow(DataDirInUseError);
    } finally {
      await queueA.close();
    }
  });
});

interface ChildRun {
  lines: Record<string, unknown>[];
  signal: NodeJS.Signals | null;
  stderr: string;
  kill(): void;
  exited: Promise<void>;
}

function runChild(dir: string, count: number, mode: 'crash' | 'hold'): ChildRun & { ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(count), mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: ChildRun & { ready: Promise<void> } = {
    lines: [],
    signal: null,
    stderr: '',
    kill: () => child.kill('SIGKILL'),
    exited: new Promise((resolve) => child.on('exit', (_code, signal) => ((run.signal = signal), resolve()))),
    ready: new Promise((resolve) => {
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          run.lines.push(JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>);
          buffered = buffered.slice(nl + 1);
          resolve();
        }
      });
    }),
  };
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  // A child that died before saying anything must not leave the test waiting.
  run.ready = Promise.race([run.ready, run.exited.then(() => Promise.reject(new Error(`child exited: ${run.stderr}`)))]);
  return run;
}

describe('the local queue survives the process being killed', () => {
  it('delivers every message whose send was answered, the one in flight again, after SIGKILL', { timeout: 60_000 }, async () => {
    const dir = freshDir();
    const N = 45;
    const child = runChild(dir, N, 'crash');
    await child.exited;
    expect(child.signal, child.stderr).toBe('SIGKILL');
    const inFlight = child.lines[0]!.inFlight as string[];
    expect(inFlight).toHaveLength(10);

    const queue = await startQueue({ dataDir: dir, name: 'crash-test', region: 'us-east-1', visibilityTimeoutSeconds: 300, maxReceiveCount: 5, deadLetterRetentionSeconds: 3600 });
    try {
      expect(await attributes(queue)).toMatchObject({ ApproximateNumberOfMessages: String(N), ApproximateNumberOfMessagesDelayed: '1' });
      const received: Message[] = [];
      for (let batch = await receive(queue); batch.length; batch = await receive(queue)) received.push(...batch);
      const bodies = received.map((m) => (JSON.parse(m.Body!) as { appid: string }).appid);
      expect(bodies.sort()).toEqual(Array.from({ length: N }, (_, i) => `wx${i}`).sort());
      const countOf = new Map(received.map((m) => [m.Body!, m.Attributes?.ApproximateReceiveCount]));
      for (const body of inFlight) expect(countOf.get(body)).toBe('2');
      expect([...countOf.values()].filter((c) => c === '1')).toHaveLength(N - inFlight.length);
    } finally {
      await queue.close();
    }
  });

  it('refuses to open a data directory another process holds, and opens it once that process is gone', { timeout: 60_000 }, async () => {
    const dir = freshDir();
    const child = runChild(dir, 0, 'hold');
    try {
      await child.ready;
      const refused = await open(dir, { name: 'crash-test' }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(DataDirInUseError);
      expect(String(refused)).toContain('in use by another mpfleet process');
    } finally {
      child.kill();
      await child.exited;
    }
    await session(dir, async (queue) => expect(await receive(queue)).toEqual([]), { name: 'crash-test' });
  });
});
