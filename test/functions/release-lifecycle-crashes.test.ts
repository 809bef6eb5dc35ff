/**
 * The release lifecycle when a worker dies or a message never gets through (issue #12), through
 * the local stack against the emulator. A worker "dies" after WeChat accepted its call: the call
 * reaches WeChat and is answered, and the worker never hears back (test/support/wechat-wire.ts),
 * so the target stays in flight until the stale window passes and a redelivered message takes the
 * step over. A bulk message "dead-letters" when the deploy worker reports it failed on every
 * delivery, as a worker throwing for it would.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LambdaHandler } from '../../local/runtime/functions';
import { services } from '../../shared/services';
import { accepted, approve, atWeChat, decideAudits, deploy, expectOnline, releaseThrough, settle, startLifecycleStack, targetOf, view, weChatLog, type LifecycleStack } from '../support/lifecycle';
import { untilDeployQueueQuiet, type TestStack } from '../support/stack';
import type { Wire } from '../support/wechat-wire';

// Read when the deploy modules load, so set before any import: an in-flight step is stale after
// 3 s, and an operator action still pending after 8 s has expired — longer than its message takes
// to dead-letter (5 receives, 1 s apart), as 40 minutes is longer than 5 × 6 minutes on AWS.
const ENV = vi.hoisted(() => {
  const values = { DEPLOY_STALE_STEP_SECONDS: '3', DEPLOY_PENDING_ACTION_EXPIRY_SECONDS: '8' };
  Object.assign(process.env, values);
  return values;
});
const STALE_MS = Number(ENV.DEPLOY_STALE_STEP_SECONDS) * 1000;
const VISIBILITY_TIMEOUT_SECONDS = 1;

/** Deployments whose bulk messages fail every delivery. */
const poisoned = new Set<string>();

// Imported on first use: the worker reads the environment above when it loads.
const realWorker = async (): Promise<LambdaHandler> => (await import('../../functions/deploy-worker/handler')).handler as LambdaHandler;

/** The real deploy worker, except that it reports a poisoned deployment's bulk messages as failed. */
const worker: LambdaHandler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const isPoisoned = (body: string) => {
    const message = JSON.parse(body) as { kind: string; deploymentId: string };
    return message.kind === 'bulk' && poisoned.has(message.deploymentId);
  };
  const failing = event.Records.filter((record) => isPoisoned(record.body));
  const rest = event.Records.filter((record) => !failing.includes(record));
  const result = rest.length ? ((await (await realWorker())({ Records: rest }, context)) as SQSBatchResponse | undefined) : undefined;
  return { batchItemFailures: [...(result?.batchItemFailures ?? []), ...failing.map((record) => ({ itemIdentifier: record.messageId }))] };
};

let s: LifecycleStack;
let t: TestStack;
let wire: Wire;

beforeAll(async () => {
  s = await startLifecycleStack(5, { queueVisibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS, functionOverrides: { 'deploy-worker': worker } });
  ({ t, wire } = s);
}, 60_000);
afterAll(async () => {
  await s?.close();
  for (const name of Object.keys(ENV)) delete process.env[name];
});

async function deadLetters(): Promise<number> {
  const { Attributes } = await new SQSClient({}).send(new GetQueueAttributesCommand({ QueueUrl: t.stack.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

describe('a worker dies after WeChat accepted its call', () => {
  it('takeover of submitting with a parked audit result submits nothing: the target is released on the audit that landed', async () => {
    const [appid] = s.take(1) as [string];
    wire.dieAfter((call) => call.path === '/wxa/submit_audit' && call.appid === appid);
    try {
      const id = await deploy(t, { userVersion: '1.0.0', tenants: [appid] });
      // submit_audit landed at WeChat; the worker never heard back, so the target is still submitting.
      await t.until(async () => (await atWeChat(t, appid)).audit?.underReview || undefined);
      const [lost] = wire.calls({ path: '/wxa/submit_audit', appid });
      expect(lost).toMatchObject({ errcode: 0, lost: true });
      expect(targetOf(await view(t, id), appid).state).toBe('submitting');

      // WeChat decides and pushes the result while the target is still submitting: it is kept.
      await t.admin('/finish-audit', { appid });
      await t.until(async () => (await services().deployments.getTarget(id, appid))?.earlyAuditOutcome?.status === 'approved' || undefined);
      const pushed = (await t.calls({ kind: 'push' })).filter((c) => c.appid === appid && c.type === 'weapp_audit_success');
      expect(pushed.map((c) => c.responseBody)).toEqual(['success']);
      const parked = await view(t, id);
      expect(targetOf(parked, appid).state).toBe('submitting');
      expect(Date.now() - lost!.startedAt).toBeLessThan(STALE_MS);

      // Once the step is stale a redelivered message takes it over, finds our audit at WeChat and
      // adopts it with the parked result: approved, then released.
      const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.released === 1, 20_000);
      expect(targetOf(done, appid)).not.toHaveProperty('error');
      expect(wire.calls({ path: '/wxa/submit_audit', appid })).toHaveLength(1);
      expect(await weChatLog(t, { path: '/wxa/submit_audit', appid })).toHaveLength(1);
      const [lookup] = wire.calls({ path: '/wxa/get_latest_auditstatus', appid });
      expect(lookup!.startedAt - lost!.startedAt).toBeGreaterThanOrEqual(STALE_MS);
      const mp = await atWeChat(t, appid);
      expect(mp.audit).toMatchObject({ auditid: targetOf(done, appid).auditId, status: 0, released: true, userVersion: '1.0.0' });
      expect(wire.successes('/wxa/release', appid)).toHaveLength(1);
      await expectOnline(t, appid, '1.0.0');
    } finally {
      wire.revive();
    }
  });

  it('a redelivered rollback reverts once: to the version before, not two back', async () => {
    const [appid] = s.take(1) as [string];
    await releaseThrough(t, [appid], '1.0.0');
    await releaseThrough(t, [appid], '1.1.0');
    const id = await releaseThrough(t, [appid], '1.2.0');
    const previous = t.stack.emulator!.state.get(appid)!.releaseHistory.find((version) => version.userVersion === '1.1.0')!.appVersion;

    wire.dieAfter((call) => call.path === '/wxa/revertcoderelease' && call.appid === appid && call.query.action === undefined);
    try {
      const rollbackAt = Date.now();
      await accepted(t, id, 'rollback');
      // WeChat rolled back; the worker that asked died before recording it.
      await t.until(async () => (await atWeChat(t, appid)).released?.userVersion === '1.1.0' || undefined);
      expect(targetOf(await view(t, id), appid)).toMatchObject({ state: 'rolling_back', rollbackTo: '1.1.0' });

      const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.rolled_back === 1, 20_000);
      expect(targetOf(done, appid)).toMatchObject({ state: 'rolled_back', rollbackTo: '1.1.0' });
      expect(targetOf(done, appid)).not.toHaveProperty('error');
      // One revert, pinned to 1.1.0's app_version; the takeover saw 1.1.0 online and reverted nothing more.
      const reverts = wire.calls({ path: '/wxa/revertcoderelease', appid, action: null });
      expect(reverts).toHaveLength(1);
      expect(reverts[0]).toMatchObject({ errcode: 0, lost: true, query: { app_version: String(previous) } });
      const sinceRollback = wire.calls({ path: '/wxa/revertcoderelease', appid, since: rollbackAt });
      expect(await weChatLog(t, { path: '/wxa/revertcoderelease', appid, since: rollbackAt })).toHaveLength(sinceRollback.length);
      expect(wire.successes('/wxa/getversioninfo', appid)).toHaveLength(2);
      expect((await atWeChat(t, appid)).released).toMatchObject({ userVersion: '1.1.0', appVersion: previous, rolledBack: true });
      await expectOnline(t, appid, '1.1.0');
    } finally {
      wire.revive();
    }
  });
});

describe('an operator action whose message never gets through', () => {
  it('expires once its bulk message dead-letters: the deployment no longer shows running, and the action can be issued again', async () => {
    const [appid] = s.take(1) as [string];
    const fault = await t.admin<{ id: string }>('/faults', { path: '/wxa/commit', appid, errcode: 85013, errmsg: 'invalid ext_json', times: 1 });
    const id = await deploy(t, { userVersion: '1.0.0', tenants: [appid], submitAudit: false });
    expect(await settle(t, id, (v) => v.status === 'completed')).toMatchObject({ counts: { failed: 1 } });
    await t.admin(`/faults/${fault.id}`, undefined, 'DELETE').catch(() => undefined); // used up already

    poisoned.add(id);
    const deadBefore = await deadLetters();
    await accepted(t, id, 'retry');
    expect(await view(t, id)).toMatchObject({ status: 'running', pendingAction: { action: 'retry', expired: false } });
    // Every delivery fails: after its fifth receive SQS moves the message to the dead-letter queue.
    await t.until(async () => (await deadLetters()) > deadBefore || undefined, 20_000);
    const expired = await settle(t, id, (v) => v.pendingAction?.expired === true, 15_000);
    expect(expired.status).toBe('completed');
    expect(expired.counts).toEqual({ failed: 1 });
    expect(wire.calls({ path: '/wxa/commit', appid })).toHaveLength(1);

    // Issued again, with the worker healthy, the retry goes through.
    poisoned.delete(id);
    await accepted(t, id, 'retry');
    const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.committed === 1 && v.pendingAction === undefined);
    expect(targetOf(done, appid)).not.toHaveProperty('error');
    expect(wire.successes('/wxa/commit', appid)).toHaveLength(1);
    expect((await atWeChat(t, appid)).committed?.userVersion).toBe('1.0.0');
  });

  it('a release that expires leaves the approved targets waiting for the operator (not running), and releasing again works', async () => {
    const fleet = s.take(1);
    const [appid] = fleet as [string];
    const id = await deploy(t, { userVersion: '1.0.0', tenants: fleet, release: 'manual' });
    await decideAudits(t, id, approve(fleet));
    await settle(t, id, (v) => v.status === 'completed' && v.counts.approved === 1);
    // A step the approval set off, still queued when the release is asked for, would follow it (as it should).
    await untilDeployQueueQuiet(t);

    poisoned.add(id);
    const deadBefore = await deadLetters();
    await accepted(t, id, 'release');
    expect(await view(t, id)).toMatchObject({ status: 'running', pendingAction: { action: 'release', expired: false } });
    await t.until(async () => (await deadLetters()) > deadBefore || undefined, 20_000);
    const expired = await settle(t, id, (v) => v.pendingAction?.expired === true, 15_000);
    // Nothing will release them: they wait for the operator, as before the release was asked for.
    expect(expired).toMatchObject({ status: 'completed', counts: { approved: 1 } });
    expect(wire.calls({ path: '/wxa/release', appid })).toEqual([]);

    poisoned.delete(id);
    await accepted(t, id, 'release');
    const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.released === 1 && v.pendingAction === undefined);
    expect(done.counts).toEqual({ released: 1 });
    expect(wire.successes('/wxa/release', appid)).toHaveLength(1);
    await expectOnline(t, appid, '1.0.0');
  });
});
