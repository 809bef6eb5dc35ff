/**
 * Work in progress always resumes (issue #13), through the local stack against the emulator: a
 * fan-out whose message dead-lettered is resumed by the operator's retry from its cursor.
 * A fan-out message "dead-letters" when the deploy worker reports it failed on every delivery,
 * as a worker throwing for it would.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LambdaHandler } from '../../local/runtime/functions';
import { accepted, deploy, settle, startLifecycleStack, view, type LifecycleStack } from '../support/lifecycle';
import type { TestStack } from '../support/stack';

// Read when the deploy modules load, so set before any import.
const ENV = vi.hoisted(() => {
  const values = { DEPLOY_STALE_STEP_SECONDS: '3', DEPLOY_PENDING_ACTION_EXPIRY_SECONDS: '8' };
  Object.assign(process.env, values);
  return values;
});
const VISIBILITY_TIMEOUT_SECONDS = 1;

/** While set, every fan-out message fails on every delivery. */
let fanOutPoisoned = false;

const realWorker = async (): Promise<LambdaHandler> => (await import('../../functions/deploy-worker/handler')).handler as LambdaHandler;

/** The real deploy worker, except for the messages a test makes fail. */
const worker: LambdaHandler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const failing = event.Records.filter((record) => fanOutPoisoned && (JSON.parse(record.body) as { kind: string }).kind === 'fan-out');
  const rest = event.Records.filter((record) => !failing.includes(record));
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
