/**
 * The fault matrix, part 3: the deploy worker "dies" (its Lambda invocation throws, so SQS keeps
 * the whole batch and redelivers it after the visibility timeout) before doing anything, or after
 * WeChat accepted a step and our state was written. Redelivery must finish the deployment and
 * must not repeat a step WeChat already accepted.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LambdaHandler } from '../../local/runtime/functions';
import type { TargetState } from '../../shared/deployments/deployment';
import { services } from '../../shared/services';
import {
  addFault,
  callsOf,
  COMMIT,
  deploy,
  expectAllReleased,
  expectEachStepOnce,
  expectRefreshTokenKept,
  removeFaults,
  settle,
  startMatrixStack,
  SUBMIT_AUDIT,
} from '../support/fault-matrix';
import type { TestStack } from '../support/stack';

const VISIBILITY_TIMEOUT_SECONDS = 2;
const TENANTS_PER_ROW = 3;
const COMMITTED: ReadonlySet<TargetState> = new Set(['committed', 'submitting', 'auditing', 'approved', 'releasing', 'released']);

interface CrashPlan {
  appids: Set<string>;
  /** Die before the real worker runs, or after it when one of the row's targets got that far (or never). */
  when: 'before' | 'after-commit' | 'after-release' | 'never';
  crashed?: { appid: string; state?: TargetState };
  /** The worker finished a batch holding a redelivered message of the row. */
  redeliveryHandled: boolean;
}

let plan: CrashPlan | undefined;

// Imported on first use, not at the top: the worker reads DEPLOY_BACKOFF_BASE_SECONDS when loaded,
// and startMatrixStack sets it.
const realWorker = async (): Promise<LambdaHandler> => (await import('../../functions/deploy-worker/handler')).handler as LambdaHandler;

/** The real deploy worker, wrapped so it dies once as the current plan says. */
const crashingWorker: LambdaHandler = async (event: SQSEvent, context: Context) => {
  const current = plan;
  const mine = event.Records.map((record) => ({ record, message: JSON.parse(record.body) as { kind: string; deploymentId: string; appid: string } })).filter(
    ({ message }) => message.kind === 'advance' && current?.appids.has(message.appid),
  );
  const advances = mine.map(({ message }) => message);
  const redelivered = mine.some(({ record }) => Number(record.attributes.ApproximateReceiveCount) > 1);
  if (current?.when === 'before' && !current.crashed && advances[0]) {
    current.crashed = { appid: advances[0].appid };
    throw new Error('deploy worker died before doing anything');
  }
  const result: unknown = await (await realWorker())(event, context);
  if (current && redelivered) current.redeliveryHandled = true;
  if (current && (current.when === 'after-commit' || current.when === 'after-release') && !current.crashed) {
    for (const message of advances) {
      const state = (await services().deployments.getTarget(message.deploymentId, message.appid))?.state;
      const landed = current.when === 'after-commit' ? state !== undefined && COMMITTED.has(state) : state === 'released';
      if (landed) {
        current.crashed = { appid: message.appid, state };
        throw new Error('deploy worker died after WeChat accepted the step, before SQS deleted the message');
      }
    }
  }
  return result;
};

let t: TestStack;
let pool: string[];

beforeAll(async () => {
  ({ t, appids: pool } = await startMatrixStack(5 * TENANTS_PER_ROW, {
    queueVisibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    functionOverrides: { 'deploy-worker': crashingWorker },
  }));
}, 120_000);
afterAll(() => t?.close());

let nextRow = 0;
const nextFleet = () => pool.slice(nextRow * TENANTS_PER_ROW, ++nextRow * TENANTS_PER_ROW);

/** Deploys to `fleet` with the worker dying as planned; checks the outcome and what redelivery did. */
async function deployThrough(when: CrashPlan['when'], fleet: string[]): Promise<CrashPlan> {
  const current: CrashPlan = { appids: new Set(fleet), when, redeliveryHandled: false };
  plan = current;
  try {
    const id = await deploy(t, { userVersion: `7.${nextRow}.0`, tenants: fleet });
    const done = await settle(t, id, (v) => ['completed', 'paused', 'cancelled'].includes(v.status), 30_000);
    expectAllReleased(done, fleet);
    // The deployment may finish through other messages (the audit push queues the release)
    // before SQS hands the lost message back: wait until the worker has run it again, so the
    // counts below include whatever that redelivery did.
    await t.until(async () => current.redeliveryHandled || undefined, (VISIBILITY_TIMEOUT_SECONDS + 5) * 1000);
  } finally {
    plan = undefined;
  }
  await expectEachStepOnce(t, fleet);
  for (const appid of fleet) await expectRefreshTokenKept(t, appid);
  return current;
}

describe('fault matrix: the deploy worker dies mid-batch', () => {
  it('dies before doing anything: the redelivered batch completes the deployment', async () => {
    const { crashed } = await deployThrough('before', nextFleet());
    expect(crashed).toBeDefined();
  });

  it('dies after WeChat accepted the commit and our state was written: redelivery commits nothing twice', async () => {
    const { crashed } = await deployThrough('after-commit', nextFleet());
    expect(crashed?.state && COMMITTED.has(crashed.state)).toBe(true);
  });

  it('dies after the commit while submit_audit backs off: the redelivery and the backoff retry race, one submit wins', async () => {
    const fleet = nextFleet();
    // submit_audit answers -1 twice: the worker returns with the targets committed and a retry
    // queued, then dies. The lost message comes back (after 2 s) about when the second retry is
    // due (1 s + 2 s): both go for the same submit.
    const rules = await Promise.all(fleet.map((appid) => addFault(t, { path: SUBMIT_AUDIT, appid, errcode: -1, times: 2 })));
    const { crashed } = await deployThrough('after-commit', fleet);
    await removeFaults(t, rules);
    expect(crashed?.state).toBe('committed');
  });

  it('dies after WeChat accepted the release: redelivery releases nothing twice', async () => {
    const { crashed } = await deployThrough('after-release', nextFleet());
    expect(crashed?.state).toBe('released');
  });

  it('WeChat answers slower than the visibility timeout: the redelivered message finds the commit in flight', async () => {
    const fleet = nextFleet();
    const rules = await Promise.all(fleet.map((appid) => addFault(t, { path: COMMIT, appid, latencyMs: (VISIBILITY_TIMEOUT_SECONDS + 1) * 1000, times: 1 })));
    await deployThrough('never', fleet);
    await removeFaults(t, rules);
    for (const appid of fleet) expect((await callsOf(t, { path: COMMIT, appid })).filter((c) => c.fault !== undefined)).toHaveLength(1);
  });

  it('leaves nothing in the dead-letter queue', async () => {
    // The SDK finds the local queue through AWS_ENDPOINT_URL_SQS, as the handlers do.
    const { Attributes } = await new SQSClient({}).send(
      new GetQueueAttributesCommand({ QueueUrl: t.stack.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
