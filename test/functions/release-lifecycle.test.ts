/**
 * The release lifecycle off the happy path (issue #12), through the local stack against the
 * emulator: gray releases that widen, complete or roll back, rollbacks WeChat cannot make,
 * resubmitted rejections, actions that do not apply, and two deployments on one tenant. Each
 * scenario checks what the operator sees and what WeChat has. Audits are decided when a scenario
 * says so; every scenario has tenants of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accepted,
  allIn,
  approve,
  atWeChat,
  decideAudits,
  deploy,
  expectOnline,
  refused,
  releaseThrough,
  settle,
  startLifecycleStack,
  targetOf,
  tenant,
  view,
  weChatLog,
  type LifecycleStack,
} from '../support/lifecycle';
import type { TestStack } from '../support/stack';
import type { Wire } from '../support/wechat-wire';

let s: LifecycleStack;
let t: TestStack;
let wire: Wire;

beforeAll(async () => {
  s = await startLifecycleStack(16);
  ({ t, wire } = s);
}, 60_000);
afterAll(() => s?.close());

describe('gray release', () => {
  it('gray 20% → widen to 50% → complete: WeChat and mpfleet agree on the online version at every step', async () => {
    const fleet = s.take(2);
    await releaseThrough(t, fleet, '1.0.0');
    const id = await deploy(t, { userVersion: '1.1.0', tenants: fleet, release: 'manual' });
    await decideAudits(t, id, approve(fleet));
    await settle(t, id, (v) => v.status === 'completed' && v.counts.approved === 2);

    for (const percentage of [20, 50]) {
      await accepted(t, id, 'release', { grayPercentage: percentage });
      const gray = await settle(t, id, (v) => v.targets.every((x) => x.state === 'gray' && x.grayPercentage === percentage));
      expect(gray.grayPercentage).toBe(percentage);
      for (const appid of fleet) {
        expect(targetOf(gray, appid)).toMatchObject({ state: 'gray', grayPercentage: percentage });
        expect((await atWeChat(t, appid)).gray).toMatchObject({ status: 1, gray_percentage: percentage });
        // Everyone else still has 1.0.0, at WeChat and in mpfleet's records.
        await expectOnline(t, appid, '1.0.0');
        // The fleet page shows the gray release on the tenant.
        expect(((await (await t.operator(`/api/tenants/${appid}`)).json()) as { gray?: unknown }).gray).toEqual({ version: '1.1.0', percentage });
      }
    }

    await accepted(t, id, 'release');
    const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.released === 2);
    expect(done.counts).toEqual({ released: 2 });
    for (const appid of fleet) {
      await expectOnline(t, appid, '1.1.0');
      expect((await (await t.operator(`/api/tenants/${appid}`)).json()) as object).not.toHaveProperty('gray');
      expect((await atWeChat(t, appid)).gray).toMatchObject({ status: 3, gray_percentage: 50 });
      expect(wire.successes('/wxa/grayrelease', appid).map((c) => c.body?.gray_percentage)).toEqual([20, 50]);
      // One release for 1.0.0, one completing 1.1.0.
      expect(wire.successes('/wxa/release', appid)).toHaveLength(2);
    }
  });

  it('gray 20% → rollback: the gray release is reverted, no target fails, the old version stays online', async () => {
    const fleet = s.take(2);
    await releaseThrough(t, fleet, '1.0.0');
    const id = await deploy(t, { userVersion: '1.1.0', tenants: fleet, release: 'manual' });
    await decideAudits(t, id, approve(fleet));
    await settle(t, id, (v) => v.counts.approved === 2);
    await accepted(t, id, 'release', { grayPercentage: 20 });
    await settle(t, id, allIn(fleet, 'gray'));

    await accepted(t, id, 'rollback');
    const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.rolled_back === 2);
    expect(done.counts).toEqual({ rolled_back: 2 });
    expect(done.rolledBack).toBe(true);
    for (const appid of fleet) {
      expect(targetOf(done, appid)).not.toHaveProperty('error');
      expect(wire.successes('/wxa/revertgrayrelease', appid)).toHaveLength(1);
      // A gray release is undone by reverting the plan, never by rolling the online version back.
      expect(wire.calls({ path: '/wxa/revertcoderelease', appid })).toEqual([]);
      expect((await atWeChat(t, appid)).gray).toMatchObject({ status: 4, gray_percentage: 20 });
      await expectOnline(t, appid, '1.0.0');
      expect((await (await t.operator(`/api/tenants/${appid}`)).json()) as object).not.toHaveProperty('gray');
    }
  });
});

describe('rollback', () => {
  it('a rollback of a first release is refused up front (409 no_earlier_version): nothing fails, nothing changes at WeChat', async () => {
    const fleet = s.take(2);
    const id = await releaseThrough(t, fleet, '1.0.0');
    const since = Date.now();
    const message = await refused(t, id, 'rollback', 'no_earlier_version');
    expect(message).toMatch(/no earlier version to roll back to/);
    for (const appid of fleet) expect(message).toContain(appid);

    const after = await view(t, id);
    expect(after).toMatchObject({ status: 'completed', counts: { released: 2 } });
    expect(after).not.toHaveProperty('rolledBack');
    expect(after).not.toHaveProperty('pendingAction');
    for (const appid of fleet) {
      expect(targetOf(after, appid)).not.toHaveProperty('error');
      await expectOnline(t, appid, '1.0.0');
      expect((await atWeChat(t, appid)).released?.rolledBack).toBe(false);
    }
    // All WeChat was asked: which versions could it go back to (revertcoderelease?action=get_history_version).
    const asked = wire.calls({ since });
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((c) => c.path === '/wxa/revertcoderelease' && c.query.action === 'get_history_version')).toBe(true);
    expect((await weChatLog(t, { since })).map((c) => c.path)).toEqual(asked.map(() => '/wxa/revertcoderelease'));
  });
});

describe('rollback, part of the fleet', () => {
  it('a tenant with no earlier version stays live with the refusal, the others roll back, and nothing fails', async () => {
    const [second, first] = s.take(2) as [string, string];
    await releaseThrough(t, [second], '1.0.0');
    const id = await releaseThrough(t, [second, first], '1.1.0');

    await accepted(t, id, 'rollback');
    const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.rolled_back === 1 && targetOf(v, first).error !== undefined);
    expect(done.counts).toEqual({ rolled_back: 1, released: 1 });
    expect(targetOf(done, second)).toMatchObject({ state: 'rolled_back', rollbackTo: '1.0.0' });
    expect(targetOf(done, first)).toMatchObject({ state: 'released', error: { code: 87012 } });
    expect(targetOf(done, first).error!.message).toMatch(/no earlier version to roll back to/);
    await expectOnline(t, second, '1.0.0');
    await expectOnline(t, first, '1.1.0');
    // The first release was looked up, never reverted.
    expect(wire.calls({ path: '/wxa/revertcoderelease', appid: first }).every((c) => c.query.action === 'get_history_version')).toBe(true);
    expect(wire.successes('/wxa/revertcoderelease', second, null)).toHaveLength(1);

    // Asked again, nothing is left that WeChat could roll back: refused up front.
    expect(await refused(t, id, 'rollback', 'no_earlier_version')).toContain(first);
    expect(targetOf(await view(t, id), first).state).toBe('released');
  });
});

describe('retry', () => {
  it('a rejected target is resubmitted with the feedback for the reviewer, and released', async () => {
    const [rejected, approved] = s.take(2);
    const id = await deploy(t, { userVersion: '1.0.0', tenants: [rejected, approved] });
    await decideAudits(t, id, { [rejected!]: 'reject', [approved!]: 'approve' }, '功能不完整 / incomplete feature');
    const first = await settle(t, id, (v) => v.status === 'completed' && v.counts.rejected === 1 && v.counts.released === 1);
    expect(targetOf(first, rejected!)).toMatchObject({ state: 'rejected', reason: '功能不完整 / incomplete feature' });

    const feedbackInfo = 'The feature is complete now: see the settings page.';
    await accepted(t, id, 'retry', { feedbackInfo });
    await decideAudits(t, id, { [rejected!]: 'approve' });
    const done = await settle(t, id, (v) => v.status === 'completed' && v.counts.released === 2);
    expect(targetOf(done, rejected!)).not.toHaveProperty('error');
    expect(targetOf(done, rejected!)).not.toHaveProperty('reason');

    // The same commit, submitted again with the feedback; the approved tenant is left alone.
    expect(wire.successes('/wxa/commit', rejected)).toHaveLength(1);
    const submits = wire.successes('/wxa/submit_audit', rejected);
    expect(submits.map((c) => c.body?.feedback_info)).toEqual([undefined, feedbackInfo]);
    expect(wire.successes('/wxa/submit_audit', approved)).toHaveLength(1);
    expect(wire.successes('/wxa/release', rejected)).toHaveLength(1);
    expect((await atWeChat(t, rejected!)).audit).toMatchObject({ status: 0, released: true, auditid: targetOf(done, rejected!).auditId });
    await expectOnline(t, rejected!, '1.0.0');
  });
});

describe('actions that do not apply', () => {
  it('each answers 409 saying why, and records nothing', async () => {
    const [appid] = s.take(1);
    await releaseThrough(t, [appid!], '1.0.0');
    const id = await deploy(t, { userVersion: '1.1.0', tenants: [appid], release: 'manual' });
    await settle(t, id, allIn([appid!], 'auditing'));
    const since = Date.now();

    expect(await refused(t, id, 'release', 'nothing_to_release')).toBe('no target is approved or in a gray release (1 auditing)');
    expect(await refused(t, id, 'rollback', 'nothing_to_roll_back')).toBe('no target is released or in a gray release (1 auditing)');
    expect(await refused(t, id, 'retry', 'nothing_to_retry')).toBe('no target failed, was blocked or was rejected (1 auditing)');
    expect(await refused(t, id, 'revert-gray', 'no_gray_release')).toBe('no target is in a gray release (1 auditing)');
    const unchanged = await view(t, id);
    expect(unchanged).toMatchObject({ status: 'running', counts: { auditing: 1 } });
    for (const key of ['pendingAction', 'grayPercentage', 'rolledBack', 'cancelled']) expect(unchanged).not.toHaveProperty(key);
    expect(wire.calls({ since })).toEqual([]);

    await decideAudits(t, id, { [appid!]: 'approve' });
    await settle(t, id, allIn([appid!], 'approved'));
    await accepted(t, id, 'release', { grayPercentage: 30 });
    await settle(t, id, (v) => targetOf(v, appid!).grayPercentage === 30 && v.status === 'completed');
    for (const grayPercentage of [30, 10]) {
      expect(await refused(t, id, 'release', 'gray_not_wider', { grayPercentage })).toBe(
        'targets are gray at 30%: a gray release only widens (ask for more than 30%) or completes (ask without a percentage)',
      );
    }
    const stillGray = await view(t, id);
    expect(stillGray).toMatchObject({ status: 'completed', grayPercentage: 30 });
    expect(stillGray).not.toHaveProperty('pendingAction');
    expect(wire.successes('/wxa/grayrelease', appid)).toHaveLength(1);
    expect((await atWeChat(t, appid!)).gray).toMatchObject({ status: 1, gray_percentage: 30 });
    await expectOnline(t, appid!, '1.0.0');
  });
});

describe('one tenant, one deployment at a time', () => {
  it('two deployments started together take turns on each tenant: one commits, the other waits, then follows', async () => {
    const fleet = s.take(2);
    const [a, b] = await Promise.all([deploy(t, { userVersion: '2.0.0', tenants: fleet }), deploy(t, { userVersion: '2.1.0', tenants: fleet })]);
    const version = { [a]: '2.0.0', [b]: '2.1.0' };
    // Per tenant, one deployment reaches WeChat's audit while the other's target waits for it, visibly.
    const order = new Map<string, [string, string]>();
    await t.until(async () => {
      const [va, vb] = await Promise.all([view(t, a), view(t, b)]);
      for (const appid of fleet) {
        const [ta, tb] = [va.targets.find((x) => x.appid === appid)?.state, vb.targets.find((x) => x.appid === appid)?.state];
        if (ta === 'auditing' && tb === 'waiting') order.set(appid, [a, b]);
        if (tb === 'auditing' && ta === 'waiting') order.set(appid, [b, a]);
      }
      return order.size === fleet.length || undefined;
    });
    for (const appid of fleet) {
      const [first, second] = order.get(appid)!;
      expect(targetOf(await view(t, second), appid)).toMatchObject({ state: 'waiting', waitingFor: first });
      expect((await atWeChat(t, appid)).committed?.userVersion).toBe(version[first]);
    }

    // Each tenant's first deployment is released; then the waiting one commits, and is released too.
    for (const appid of fleet) await decideAudits(t, order.get(appid)![0], { [appid]: 'approve' });
    for (const appid of fleet) await decideAudits(t, order.get(appid)![1], { [appid]: 'approve' });
    for (const id of [a, b]) expect(await settle(t, id, (v) => v.status === 'completed')).toMatchObject({ counts: { released: 2 } });

    for (const appid of fleet) {
      const [first, second] = order.get(appid)!;
      // At WeChat: the first deployment's whole lifecycle, then the second's, never interleaved.
      const calls = wire.calls({ appid }).filter((c) => ['/wxa/commit', '/wxa/submit_audit', '/wxa/release'].includes(c.path) && c.errcode === 0);
      expect(calls.map((c) => c.path + (c.path === '/wxa/commit' ? ` ${String(c.body?.user_version)}` : ''))).toEqual([
        `/wxa/commit ${version[first]!}`,
        '/wxa/submit_audit',
        '/wxa/release',
        `/wxa/commit ${version[second]!}`,
        '/wxa/submit_audit',
        '/wxa/release',
      ]);
      expect(calls[3]!.startedAt).toBeGreaterThanOrEqual(calls[2]!.endedAt!);
      await expectOnline(t, appid, version[second]!);
    }
  });

  it('a deployment with supersede takes the tenants over: the older targets are cancelled and their audits withdrawn', async () => {
    const fleet = s.take(2);
    const older = await deploy(t, { userVersion: '3.0.0', tenants: fleet });
    await settle(t, older, allIn(fleet, 'auditing'));
    const olderAudits = await Promise.all(fleet.map(async (appid) => (await atWeChat(t, appid)).audit!.auditid));

    const newer = await deploy(t, { userVersion: '3.1.0', tenants: fleet, supersede: true });
    const superseded = await settle(t, older, allIn(fleet, 'cancelled'));
    for (const appid of fleet) {
      expect(targetOf(superseded, appid)).toMatchObject({ state: 'cancelled', auditOutcome: 'withdrawn', error: { code: 'audit_withdrawn' } });
      expect(targetOf(superseded, appid).error!.message).toContain('superseded');
    }
    await decideAudits(t, newer, approve(fleet));
    expect(await settle(t, newer, (v) => v.status === 'completed')).toMatchObject({ counts: { released: 2 } });

    for (const [i, appid] of fleet.entries()) {
      expect(wire.successes('/wxa/undocodeaudit', appid)).toHaveLength(1);
      // The older audit was withdrawn before the newer version was committed over it.
      const withdrawn = wire.successes('/wxa/undocodeaudit', appid)[0]!;
      const commits = wire.successes('/wxa/commit', appid);
      expect(commits.map((c) => c.body?.user_version)).toEqual(['3.0.0', '3.1.0']);
      expect(commits[1]!.startedAt).toBeGreaterThanOrEqual(withdrawn.endedAt!);
      const audit = (await atWeChat(t, appid)).audit!;
      expect(audit.auditid).not.toBe(olderAudits[i]);
      expect(audit).toMatchObject({ userVersion: '3.1.0', status: 0, released: true });
      await expectOnline(t, appid, '3.1.0');
      expect((await tenant(t, appid)).lastDeployment).toBe(newer);
    }
  });
});
