/**
 * Cancelling a deployment (issue #12), through the local stack against the emulator: once the
 * cancel is accepted (202) no WeChat write starts for a target that was not already in flight —
 * no commit, no submit_audit, no release — whether the deployment was committing, under audit or
 * approved; audits under review end `cancelled` with WeChat's result kept, or are withdrawn when
 * asked, as far as WeChat's withdrawal quota goes.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { services } from '../../shared/services';
import { accepted, allIn, approve, atWeChat, decideAudits, deploy, refused, settle, startLifecycleStack, targetOf, tenant, view, weChatLog, type LifecycleStack } from '../support/lifecycle';
import type { TestStack } from '../support/stack';
import type { Wire } from '../support/wechat-wire';

// Before the deploy worker is loaded: a quota error (45009, backoff 8 × base) is retried after 4 s.
const BACKOFF_BASE_SECONDS = vi.hoisted(() => {
  process.env.DEPLOY_BACKOFF_BASE_SECONDS = '0.5';
  return 0.5;
});

/** The WeChat calls a cancelled deployment must not start. */
const WRITES = ['/wxa/commit', '/wxa/submit_audit', '/wxa/release', '/wxa/grayrelease'];
const IN_FLIGHT = ['committing', 'submitting', 'releasing'];
const COMMIT_LATENCY_MS = 3000;

let s: LifecycleStack;
let t: TestStack;
let wire: Wire;

beforeAll(async () => {
  s = await startLifecycleStack(10);
  ({ t, wire } = s);
}, 60_000);
afterAll(() => s?.close());

/** Writes that reached WeChat from `since` on, by mpfleet's account and by WeChat's call log. */
async function writesSince(since: number, appids: string[]) {
  const sent = wire.calls({ since }).filter((c) => WRITES.includes(c.path) && appids.includes(c.appid!));
  const logged = (await weChatLog(t, { since })).filter((c) => WRITES.includes(c.path) && appids.includes(c.appid!));
  return { sent, logged };
}

describe('cancel', () => {
  it('during commits: the commits in flight land, nothing else starts at WeChat, every target ends cancelled', async () => {
    const [slow1, slow2, backingOff1, backingOff2] = s.take(4) as [string, string, string, string];
    const fleet = [slow1, slow2, backingOff1, backingOff2];
    const startedAt = Date.now();
    // Two commits held in flight by WeChat's latency; two waiting out a quota error's backoff
    // (queued again, not in flight, their next commit due in seconds).
    const latencyRules = new Set<string>();
    for (const appid of [slow1, slow2]) latencyRules.add((await t.admin<{ id: string }>('/faults', { path: '/wxa/commit', appid, latencyMs: COMMIT_LATENCY_MS, times: 1 })).id);
    for (const appid of [backingOff1, backingOff2]) await t.admin('/faults', { path: '/wxa/commit', appid, errcode: 45009, times: 1 });
    const id = await deploy(t, { userVersion: '1.0.0', tenants: fleet });
    await settle(
      t,
      id,
      (v) =>
        v.total === 4 &&
        [slow1, slow2].every((appid) => targetOf(v, appid).state === 'committing') &&
        [backingOff1, backingOff2].every((appid) => targetOf(v, appid).state === 'queued' && targetOf(v, appid).error?.code === 45009),
    );

    const cancelAt = Date.now();
    await accepted(t, id, 'cancel');
    const atAcceptance = await view(t, id);
    const inFlight = atAcceptance.targets.filter((x) => IN_FLIGHT.includes(x.state)).map((x) => x.appid);
    expect(atAcceptance.cancelled).toBe(true);
    expect(inFlight.sort()).toEqual([slow1, slow2].sort());

    const done = await settle(t, id, (v) => v.status === 'cancelled' && v.counts.cancelled === 4);
    expect(done.counts).toEqual({ cancelled: 4 });
    // Past the backed-off targets' retry: it finds them cancelled and calls nothing.
    const refusedAt = Math.max(...(await weChatLog(t, { path: '/wxa/commit', since: startedAt })).filter((c) => c.errcode === 45009).map((c) => c.time));
    await t.until(async () => Date.now() > refusedAt + BACKOFF_BASE_SECONDS * 8 * 1000 + 1000 || undefined);

    // Nothing started at WeChat after the cancel was asked for: mpfleet sent nothing…
    expect((await writesSince(cancelAt, fleet)).sent).toEqual([]);
    // …and WeChat's log agrees: each write it saw began before the cancel (a slowed call began its latency earlier).
    const logged = (await writesSince(startedAt, fleet)).logged;
    for (const call of logged) {
      const began = call.time - (call.fault && latencyRules.has(call.fault) ? COMMIT_LATENCY_MS : 0);
      expect(began, `${call.path} of ${call.appid}`).toBeLessThan(cancelAt);
    }
    // The in-flight commits landed; the backed-off targets never committed; nothing was submitted or released.
    expect(logged.map((c) => `${c.appid} ${c.path} ${c.errcode}`).sort()).toEqual(
      [`${slow1} /wxa/commit 0`, `${slow2} /wxa/commit 0`, `${backingOff1} /wxa/commit 45009`, `${backingOff2} /wxa/commit 45009`].sort(),
    );
    for (const appid of fleet) {
      const mp = await atWeChat(t, appid);
      expect(mp.audit).toBeNull();
      expect(mp.released).toBeNull();
    }
    for (const appid of [slow1, slow2]) expect((await atWeChat(t, appid)).committed?.userVersion).toBe('1.0.0');
  });

  it('during audits: nothing is released, and each audit ends cancelled with WeChat\'s result kept', async () => {
    const [approved, rejected] = s.take(2) as [string, string];
    const id = await deploy(t, { userVersion: '1.0.0', tenants: [approved, rejected] });
    await settle(t, id, allIn([approved, rejected], 'auditing'));

    const cancelAt = Date.now();
    await accepted(t, id, 'cancel');
    const atAcceptance = await view(t, id);
    expect(atAcceptance).toMatchObject({ cancelled: true, counts: { auditing: 2 } });

    // WeChat decides the audits afterwards, and pushes its results.
    await t.admin('/audit-outcome', { appid: rejected, outcome: 'reject', reason: '类目不符 / wrong category' });
    for (const appid of [approved, rejected]) await t.admin('/finish-audit', { appid });
    // The cancel's own pass over the targets may still be finishing (its pending action reads 'running'): wait for it too.
    const done = await settle(t, id, (v) => v.counts.cancelled === 2 && v.status !== 'running');
    expect(done.status).toBe('cancelled');
    expect(targetOf(done, approved)).toMatchObject({ state: 'cancelled', auditOutcome: 'approved', error: { code: 'deployment_cancelled' } });
    expect(targetOf(done, rejected)).toMatchObject({ state: 'cancelled', auditOutcome: 'rejected', reason: '类目不符 / wrong category' });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const { sent, logged } = await writesSince(cancelAt, [approved, rejected]);
    expect(sent).toEqual([]);
    expect(logged).toEqual([]);
    expect((await atWeChat(t, approved)).audit).toMatchObject({ status: 0, released: false });
    expect((await atWeChat(t, rejected)).audit).toMatchObject({ status: 1, released: false });
    for (const appid of [approved, rejected]) {
      expect((await atWeChat(t, appid)).released).toBeNull();
      expect((await tenant(t, appid)).releasedVersion).toBeNull();
    }
  });

  it('after approvals (manual release): nothing is released, and a release is refused', async () => {
    const fleet = s.take(2);
    const id = await deploy(t, { userVersion: '1.0.0', tenants: fleet, release: 'manual' });
    await decideAudits(t, id, approve(fleet));
    await settle(t, id, (v) => v.status === 'completed' && v.counts.approved === 2);

    const cancelAt = Date.now();
    await accepted(t, id, 'cancel');
    const done = await settle(t, id, (v) => v.status === 'cancelled' && v.counts.cancelled === 2);
    expect(done.counts).toEqual({ cancelled: 2 });
    expect(await refused(t, id, 'release', 'deployment_cancelled')).toBe('a cancelled deployment releases nothing: create a new one');

    // WeChat was asked nothing at all after the cancel.
    expect(wire.calls({ since: cancelAt })).toEqual([]);
    expect(await weChatLog(t, { since: cancelAt })).toEqual([]);
    for (const appid of fleet) {
      expect((await atWeChat(t, appid)).audit).toMatchObject({ status: 0, released: false });
      expect((await atWeChat(t, appid)).released).toBeNull();
      expect((await tenant(t, appid)).releasedVersion).toBeNull();
    }
  });

  it('with withdrawAudits: audits are withdrawn within WeChat\'s quota; beyond it the target shows 87013 and its audit runs on', async () => {
    const [spent, fresh] = s.take(2) as [string, string];
    // Today's five withdrawals of `spent` were used elsewhere (WeChat allows 5 a day per mini-program).
    const elsewhere = services().wechat.tenant(spent);
    await elsewhere.commit({ template_id: 1, ext_json: JSON.stringify({ extAppid: spent }), user_version: '0.0.1', user_desc: 'another tool' });
    for (let i = 0; i < 5; i++) {
      await elsewhere.submitAudit({ version_desc: 'another tool' });
      await elsewhere.undoCodeAudit();
    }

    const id = await deploy(t, { userVersion: '1.0.0', tenants: [spent, fresh] });
    await settle(t, id, allIn([spent, fresh], 'auditing'));
    const ours = { spent: (await atWeChat(t, spent)).audit!.auditid, fresh: (await atWeChat(t, fresh)).audit!.auditid };

    const cancelAt = Date.now();
    await accepted(t, id, 'cancel', { withdrawAudits: true });
    const withdrawn = await settle(t, id, (v) => targetOf(v, fresh).state === 'cancelled' && targetOf(v, spent).error?.code === 87013);
    expect(targetOf(withdrawn, fresh)).toMatchObject({ state: 'cancelled', auditOutcome: 'withdrawn', error: { code: 'audit_withdrawn' } });
    expect(targetOf(withdrawn, spent)).toMatchObject({ state: 'auditing', error: { code: 87013 } });
    expect(targetOf(withdrawn, spent).error!.message).toMatch(/^WeChat allows no more audit withdrawals for now/);
    expect((await atWeChat(t, fresh)).audit).toMatchObject({ auditid: ours.fresh, status: 3 });
    expect((await atWeChat(t, spent)).audit).toMatchObject({ auditid: ours.spent, underReview: true });

    // The refused withdrawal is not asked again; the audit's result settles the target.
    await t.admin('/finish-audit', { appid: spent });
    const done = await settle(t, id, (v) => v.counts.cancelled === 2);
    expect(done.status).toBe('cancelled');
    expect(targetOf(done, spent)).toMatchObject({ state: 'cancelled', auditOutcome: 'approved' });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const undo = wire.calls({ path: '/wxa/undocodeaudit', since: cancelAt });
    expect(undo.map((c) => `${c.appid} ${c.errcode}`).sort()).toEqual([`${fresh} 0`, `${spent} 87013`].sort());
    expect((await weChatLog(t, { path: '/wxa/undocodeaudit', since: cancelAt })).map((c) => `${c.appid} ${c.errcode}`).sort()).toEqual(
      [`${fresh} 0`, `${spent} 87013`].sort(),
    );
    const { sent, logged } = await writesSince(cancelAt, [spent, fresh]);
    expect(sent).toEqual([]);
    expect(logged).toEqual([]);
    expect((await atWeChat(t, spent)).audit).toMatchObject({ status: 0, released: false });
    for (const appid of [spent, fresh]) expect((await atWeChat(t, appid)).released).toBeNull();
  });
});
