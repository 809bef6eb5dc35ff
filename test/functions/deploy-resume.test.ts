/**
 * Work in progress always resumes and no target is stranded (issue #13), through the local stack
 * against the emulator: a fan-out whose message dead-lettered is resumed from its cursor by the
 * operator's retry or by the sweeper, and a target whose message was lost is re-driven by the
 * sweeper (the audit reconciler's schedule). A fan-out message "dead-letters" when the deploy
 * worker reports it failed on every delivery, as a worker throwing for it would; a target's message
 * is "lost" when the worker deletes it unread, as a hand purging the queue would.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LambdaHandler } from '../../local/runtime/functions';
import { accepted, deploy, settle, startLifecycleStack, targetOf, view, type LifecycleStack } from '../support/lifecycle';
import type { TestStack } from '../support/stack';

// Read when the deploy modules load, so set before any import.
const ENV = vi.hoisted(() => {
  const values = { DEPLOY_STALE_STEP_SECONDS: '3', DEPLOY_PENDING_ACTION_EXPIRY_SECONDS: '8', DEPLOY_SWEEP_AFTER_SECONDS: '1' };
  Object.assign(process.env, values);
  return values;
});
const VISIBILITY_TIMEOUT_SECONDS = 1;

/** While set, every fan-out message fails on every delivery. */
let fanOutPoisoned = false;
/** Tenants whose advance messages are deleted unread, and how many were. */
const lost = new Set<string>();
let lostMessages = 0;

const realWorker = async (): Promise<LambdaHandler> => (await import('../../functions/deploy-worker/handler')).handler as LambdaHandler;

/** The real deploy worker, except for the messages a test makes fail. */
const worker: LambdaHandler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const body = (record: { body: string }) => JSON.parse(record.body) as { kind: string; appid?: string };
  const failing = event.Records.filter((record) => fanOutPoisoned && body(record).kind === 'fan-out');
  const dropped = event.Records.filter((record) => body(record).kind === 'advance' && lost.has(body(record).appid ?? ''));
  lostMessages += dropped.length;
  const rest = event.Records.filter((record) => !failing.includes(record) && !dropped.includes(record));
  const result = rest.length ? ((await (await realWorker())({ Records: rest }, context)) as SQSBatchResponse | undefined) : undefined;
  return { batchItemFailures: [...(result?.batchItemFailures ?? []), ...failing.map((record) => ({ itemIdentifier: record.messageId }))] };
};

let s: LifecycleStack;
let t: TestStack;

beforeAll(async () => {
  s = await startLifecycleStack(6, { queueVisibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS, functionOverrides: { 'deploy-worker': worker } });
  ({ t } = s);
}, 60_000);
afterAll(async () => {
  await s?.close();
  for (const name of Object.keys(ENV)) delete process.env[name];
});

async function deadLetters(): Promise<number> {
  const { Attributes } = await new SQSClient({}).send(new GetQueueAttributesCommand({ QueueUrl: t.stack.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

describe('a fan-out that never finished', () => {
  it('is resumed by retry once its message dead-lettered, and every tenant is deployed', async () => {
    const appids = s.take(3);
    const before = await deadLetters();
    fanOutPoisoned = true;
    let id: string;
    try {
      id = await deploy(t, { userVersion: '1.0.0', tenants: appids, submitAudit: false });
      await t.until(async () => (await deadLetters()) > before || undefined, 20_000);
    } finally {
      fanOutPoisoned = false;
    }
    const stuck = await view(t, id);
    expect(stuck).toMatchObject({ status: 'preparing', total: 0 });

    await accepted(t, id, 'retry');
    const done = await settle(t, id, (v) => v.status === 'completed');
    expect(done.counts).toEqual({ committed: 3 });
    expect(done.targets.map((target) => target.appid).sort()).toEqual([...appids].sort());
  }, 40_000);
});

/** Waits past the sweeper's bound, then runs the audit reconciler's schedule once, as EventBridge would. */
async function sweepOnce(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  await t.stack.runSchedule('audit-reconciler');
}

describe('the sweeper', () => {
  it('re-drives a target whose queue message was lost, within one sweep, and the GET shows when it swept', async () => {
    const [appid] = s.take(1) as [string];
    lost.add(appid);
    let id: string;
    try {
      id = await deploy(t, { userVersion: '1.0.0', tenants: [appid], submitAudit: false });
      await t.until(async () => lostMessages > 0 || undefined);
    } finally {
      lost.delete(appid);
    }
    // The fan-out marks itself done just after sending the (lost) message: wait for that, not for a sweep.
    const stranded = await t.until(async () => {
      const current = await view(t, id);
      return current.status !== 'preparing' ? current : undefined;
    });
    expect(stranded).toMatchObject({ status: 'running' });
    expect(targetOf(stranded, appid).state).toBe('queued');
    expect(stranded).not.toHaveProperty('lastSweptAt');

    const before = Date.now();
    await sweepOnce();
    const done = await settle(t, id, (v) => v.status === 'completed');
    expect(targetOf(done, appid).state).toBe('committed');
    expect(Date.parse(done.lastSweptAt ?? '')).toBeGreaterThanOrEqual(before);
  }, 30_000);

  it('resumes a fan-out whose message dead-lettered: every tenant is deployed with no operator action', async () => {
    const appids = s.take(2);
    const before = await deadLetters();
    fanOutPoisoned = true;
    let id: string;
    try {
      id = await deploy(t, { userVersion: '1.0.0', tenants: appids, submitAudit: false });
      await t.until(async () => (await deadLetters()) > before || undefined, 20_000);
    } finally {
      fanOutPoisoned = false;
    }
    expect(await view(t, id)).toMatchObject({ status: 'preparing', total: 0 });

    await sweepOnce();
    const done = await settle(t, id, (v) => v.status === 'completed');
    expect(done.counts).toEqual({ committed: 2 });
  }, 40_000);
});
