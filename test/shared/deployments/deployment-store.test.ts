import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../shared/deployments/deployment';
import type { DeploymentStore, LandPatch } from '../../../shared/deployments/deployment-store';
import { DynamoDeploymentStore } from '../../../shared/deployments/dynamo-deployment-store';
import { claimedNext, IllegalTransition, sourcesOf, STEP_NAMES, STEPS, TARGET_STATES, TRANSITIONS, type StepName, type TargetState, type Transition } from '../../../shared/deployments/target-machine';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';
import { appidOf, deploymentOf, MemoryDeploymentStore, targetOf } from '../../support/memory-deploy-engine';

/**
 * The store port's contract, run against the in-memory store the engine's tests use and the
 * DynamoDB adapter on dynalite: both must answer every move the same way.
 */

const NOW = 1_700_000_000_000;
/** When the step being landed, reverted or stopped was claimed. */
const CLAIMED_AT = NOW - 5_000;
const A = appidOf(0xa);
/** Another deployment, holding the tenant. */
const OTHER = 'd-0-00000000';

/** Steps WeChat may refuse, by the table: a `refuse` row leads from their in-flight state back to their start. */
const refusable = (name: StepName) => TRANSITIONS.some((r) => r.event === 'refuse' && r.from === STEPS[name].via && r.to === STEPS[name].from);

/** The steps whose declaration produces a row like `t` (several steps share `releasing` and `rolling_back`). */
function stepsMaking(t: Transition): StepName[] {
  return STEP_NAMES.filter((name) => {
    const { from, via, to, stoppedByCancel } = STEPS[name];
    switch (t.event) {
      case 'claim':
        return t.from === from && t.to === via;
      case 'take_over':
        return t.from === via;
      case 'land':
        return t.from === via && t.to === to;
      case 'land_and_claim': {
        const next = claimedNext(name);
        return t.from === via && next !== undefined && t.to === STEPS[next].via;
      }
      case 'revert':
      case 'refuse':
        return t.from === via && t.to === from && (t.event === 'revert' || refusable(name));
      case 'stop':
        return t.from === via && !refusable(name);
      case 'cancel_unstarted':
        return t.from === via && stoppedByCancel;
      case 'pin':
        return name === 'rollback';
      case 'recommit':
        return name === 'submit';
      default:
        return false;
    }
  });
}

/** Each row of the table with the step it belongs to: the n-th row of a repeated move is the n-th step making it. */
const ROWS: { t: Transition; step?: StepName }[] = (() => {
  const seen = new Map<string, number>();
  return TRANSITIONS.map((t) => {
    const move = `${t.event}:${t.from}:${t.to}`;
    const n = seen.get(move) ?? 0;
    seen.set(move, n + 1);
    return { t, step: stepsMaking(t)[n] };
  });
})();

/** What each step's worker writes when WeChat accepted it. */
const LANDED: Record<StepName, LandPatch> = {
  commit: { committedAtMs: NOW, auditsOursSinceMs: NOW },
  submit: { auditId: 42, submittedAtMs: NOW },
  withdraw: { auditOutcome: 'withdrawn', error: { code: 'audit_withdrawn', message: 'the deployment was cancelled: its audit was withdrawn (undocodeaudit)' } },
  release: { releasedAtMs: NOW },
  gray: { grayPercentage: 10 },
  widen: { grayPercentage: 30 },
  complete: { releasedAtMs: NOW },
  revert_gray: {},
  rollback: { rolledBackAtMs: NOW },
  rollback_gray: { rolledBackAtMs: NOW },
};

/** Drives one row of the table through the typed store method that produces it. */
function drive(store: DeploymentStore, id: string, t: Transition, step: StepName | undefined): Promise<Target | undefined> {
  const ofStep = (): StepName => {
    if (!step) throw new Error(`no step for ${t.event} from ${t.from}`);
    return step;
  };
  switch (t.event) {
    case 'wait':
      return store.waitForTenant(id, A, OTHER);
    case 'wake':
      return store.wake(id, A);
    case 'claim':
      return store.claimStep(id, A, ofStep(), NOW);
    case 'take_over':
      return store.claimStep(id, A, ofStep(), NOW, { abandonedAtMs: CLAIMED_AT });
    case 'pin':
      return store.pinRollback(id, A, CLAIMED_AT, { appVersion: 3, userVersion: '1.1.0' });
    case 'land':
      return store.landStep(id, A, ofStep(), CLAIMED_AT, LANDED[ofStep()]);
    case 'land_and_claim':
      return store.landAndClaim(id, A, ofStep(), CLAIMED_AT, LANDED[ofStep()], NOW);
    case 'revert':
      return store.revertStep(id, A, ofStep(), CLAIMED_AT, { attempts: 1, error: { code: -1, message: 'system busy' } });
    case 'recommit':
      return store.revertStep(id, A, ofStep(), CLAIMED_AT, { attempts: 0, error: { code: 85086, message: 'not committed' }, recommits: 1 }, true);
    case 'refuse':
      return store.refuseStep(id, A, ofStep(), CLAIMED_AT, { code: 87012, message: 'no earlier version to roll back to' });
    case 'stop':
      return store.stopStep(id, A, ofStep(), CLAIMED_AT, t.to as 'failed' | 'skipped', { code: 61003, message: 'revoked' });
    case 'cancel_unstarted':
      return store.cancelUnstarted(id, A, ofStep(), CLAIMED_AT);
    case 'park_audit_outcome':
      return store.parkAuditOutcome(id, A, { status: 'approved' });
    case 'audit_approved':
      return store.recordAuditOutcome(id, A, { status: 'approved' });
    case 'audit_rejected':
      return store.recordAuditOutcome(id, A, { status: 'rejected', reason: 'blurry icon', screenshot: 'media-1' });
    case 'audit_delayed':
      return store.recordAuditOutcome(id, A, { status: 'delayed', reason: 'holiday' });
    case 'audit_withdrawn':
      return store.recordAuditOutcome(id, A, { status: 'withdrawn' });
    case 'audit_after_cancel':
      return store.recordAuditOutcome(id, A, { status: 'approved' }, true);
    case 'retry':
      return store.retryTarget(id, A, t.to);
    case 'resubmit':
      return store.resubmitTarget(id, A, 'blurry icon', t.to as 'committed' | 'queued');
    case 'cancel':
      return store.cancelTarget(id, A);
    case 'reconsider':
      return store.reconsider(id, A, t.from);
  }
}

/** A state the same move must not start from: where it leads, if that is not a source, else the first that is not. */
function wrongStateFor(t: Transition): TargetState {
  const sources = sourcesOf(t.event, t.to);
  return [t.to, ...TARGET_STATES].find((state) => !sources.includes(state))!;
}

interface Subject {
  store: DeploymentStore;
  close(): Promise<void>;
}

const subjects: [string, () => Promise<Subject>][] = [
  ['MemoryDeploymentStore', async () => ({ store: new MemoryDeploymentStore(() => NOW), close: async () => undefined })],
  [
    'DynamoDeploymentStore',
    async () => {
      const dynamo: TestDynamo = await startTestDynamo(`mpfleet-${randomUUID()}`);
      return { store: new DynamoDeploymentStore(dynamo.db, dynamo.table, () => NOW), close: () => dynamo.close() };
    },
  ],
];

describe.each(subjects)('%s', (_, open) => {
  let subject: Subject;
  let store: DeploymentStore;
  beforeAll(async () => {
    subject = await open();
    store = subject.store;
  });
  afterAll(() => subject.close());

  /** A fresh deployment per test (the DynamoDB table is shared by the suite). */
  async function deploymentWith(...targets: [string, TargetState, Partial<Target>?][]): Promise<string> {
    const id = `d-${randomUUID()}`;
    await store.create(deploymentOf({ id }));
    for (const [appid, state, over] of targets) await store.addTarget(targetOf(id, appid, state, over));
    return id;
  }

  describe('every transition of the table, through the store method that makes it', () => {
    it('drives every row, each with the step it belongs to', () => {
      for (const { t, step } of ROWS) if (!['wait', 'wake', 'park_audit_outcome', 'retry', 'resubmit', 'cancel', 'reconsider'].includes(t.event) && !t.event.startsWith('audit_')) expect(step, `${t.event} ${t.from} → ${t.to}`).toBeDefined();
    });

    it.each(ROWS.map(({ t, step }) => [`${t.event} ${t.from} → ${t.to}${step ? ` (${step})` : ''}`, t, step] as const))('%s', async (_, t, step) => {
      const id = await deploymentWith([A, t.from, { stepStartedAtMs: CLAIMED_AT }]);

      const moved = await drive(store, id, t, step);

      expect(moved).toMatchObject({ deploymentId: id, appid: A, state: t.to, updatedAtMs: NOW });
      // A claim records which step it is: several steps share an in-flight state.
      if (t.event === 'claim' || t.event === 'take_over') expect(moved).toMatchObject({ step, stepStartedAtMs: NOW });
      // Landing and claiming in one write: the landing's record, and the next step owned from NOW.
      if (t.event === 'land_and_claim') expect(moved).toMatchObject({ ...LANDED[step!], step: claimedNext(step!), stepStartedAtMs: NOW, attempts: 0 });
      expect(await store.getTarget(id, A)).toEqual(moved);
    });

    it.each(ROWS.map(({ t, step }) => [`${t.event} to ${t.to}${step ? ` (${step})` : ''}`, wrongStateFor(t), t, step] as const))(
      '%s answers undefined from %s and writes nothing',
      async (_, wrong, t, step) => {
        const id = await deploymentWith([A, wrong, { stepStartedAtMs: CLAIMED_AT }]);
        const before = await store.getTarget(id, A);

        expect(await drive(store, id, t, step)).toBeUndefined();
        expect(await store.getTarget(id, A)).toEqual(before);
      },
    );
  });

  it('answers undefined for a target that does not exist', async () => {
    const id = await deploymentWith();
    expect(await store.claimStep(id, A, 'commit', NOW)).toBeUndefined();
    expect(await store.recordAuditOutcome(id, A, { status: 'approved' })).toBeUndefined();
    expect(await store.getTarget(id, A)).toBeUndefined();
  });

  it('reads several targets at once as it reads one, leaving out those that do not exist', async () => {
    const B = appidOf(0xb);
    const missing = appidOf(0xc);
    const id = await deploymentWith([A, 'queued'], [B, 'committed']);
    await store.claimStep(id, A, 'commit', NOW);

    const read = await store.getTargets(id, [A, missing, B, A]);

    expect([...read.keys()].sort()).toEqual([A, B].sort());
    expect(read.get(A)).toEqual(await store.getTarget(id, A));
    expect(read.get(B)).toEqual(await store.getTarget(id, B));
    expect((await store.getTargets(id, [])).size).toBe(0);
  });

  it('records a target once: a repeated fan-out leaves the stored one alone', async () => {
    const id = await deploymentWith();
    expect(await store.addTarget(targetOf(id, A, 'queued'))).toBe(true);
    await store.claimStep(id, A, 'commit', NOW);

    expect(await store.addTarget(targetOf(id, A, 'queued'))).toBe(false);
    expect(await store.getTarget(id, A)).toMatchObject({ state: 'committing', stepStartedAtMs: NOW });
  });

  describe('a claim and its owner', () => {
    it('claims a step with its start time, which the landing then clears', async () => {
      const id = await deploymentWith([A, 'queued', { attempts: 2, error: { code: -1, message: 'busy' } }]);

      expect(await store.claimStep(id, A, 'commit', NOW)).toMatchObject({ state: 'committing', stepStartedAtMs: NOW });
      expect(await store.claimStep(id, A, 'commit', NOW + 1)).toBeUndefined(); // a duplicate message

      const landed = await store.landStep(id, A, 'commit', NOW, { committedAtMs: NOW });
      expect(landed).toMatchObject({ state: 'committed', committedAtMs: NOW, attempts: 0 });
      expect(landed).not.toHaveProperty('stepStartedAtMs');
      expect(landed).not.toHaveProperty('error');
    });

    it.each([
      ['lands', (s: DeploymentStore, id: string, owner: number) => s.landStep(id, A, 'commit', owner, { committedAtMs: NOW })],
      ['reverts', (s: DeploymentStore, id: string, owner: number) => s.revertStep(id, A, 'commit', owner, { attempts: 1, error: { code: -1, message: 'busy' } })],
      ['stops', (s: DeploymentStore, id: string, owner: number) => s.stopStep(id, A, 'commit', owner, 'failed', { code: 85013, message: 'bad' })],
    ])('only the claim’s owner %s the step', async (_, act) => {
      const id = await deploymentWith([A, 'committing', { stepStartedAtMs: CLAIMED_AT }]);
      const before = await store.getTarget(id, A);

      expect(await act(store, id, CLAIMED_AT - 1)).toBeUndefined();
      expect(await store.getTarget(id, A)).toEqual(before);
      expect(await act(store, id, CLAIMED_AT)).toBeDefined();
    });

    it('refuses an owned move on a target with no claim time at all', async () => {
      const id = await deploymentWith([A, 'committing']);
      expect(await store.landStep(id, A, 'commit', CLAIMED_AT, { committedAtMs: NOW })).toBeUndefined();
    });

    it('hands an abandoned step to the worker taking it over: the old owner’s landing changes nothing', async () => {
      const id = await deploymentWith([A, 'submitting', { stepStartedAtMs: CLAIMED_AT }]);

      const taken = await store.claimStep(id, A, 'submit', NOW, { abandonedAtMs: CLAIMED_AT });
      expect(taken).toMatchObject({ state: 'submitting', stepStartedAtMs: NOW });
      // A second worker that saw the same abandoned claim loses the race.
      expect(await store.claimStep(id, A, 'submit', NOW + 1, { abandonedAtMs: CLAIMED_AT })).toBeUndefined();

      expect(await store.landStep(id, A, 'submit', CLAIMED_AT, { auditId: 1, submittedAtMs: CLAIMED_AT })).toBeUndefined();
      expect(await store.getTarget(id, A)).toEqual(taken);
      expect(await store.landStep(id, A, 'submit', NOW, { auditId: 2, submittedAtMs: NOW })).toMatchObject({ state: 'auditing', auditId: 2 });
    });
  });

  describe('the audit index', () => {
    async function auditing(beforeMs: number, id: string) {
      const found = [];
      for await (const t of store.auditingSince(beforeMs)) if (t.deploymentId === id) found.push(t);
      return found;
    }

    /** A target submitted at `submittedAtMs`, landed the way the submit step lands it. */
    async function submitted(id: string, appid: string, submittedAtMs: number, auditId: number) {
      await store.addTarget(targetOf(id, appid, 'submitting', { stepStartedAtMs: CLAIMED_AT }));
      await store.landStep(id, appid, 'submit', CLAIMED_AT, { auditId, submittedAtMs });
    }

    it('lists auditing targets submitted before the bound, oldest first', async () => {
      const id = await deploymentWith();
      await submitted(id, appidOf(1), NOW - 3_000, 31);
      await submitted(id, appidOf(2), NOW - 1_000, 11);
      await submitted(id, appidOf(3), NOW - 2_000, 21);
      await submitted(id, appidOf(4), NOW, 1); // exactly at the bound: not before it
      await store.addTarget(targetOf(id, appidOf(5), 'committed'));

      expect(await auditing(NOW, id)).toEqual([
        { deploymentId: id, appid: appidOf(1), auditId: 31, submittedAtMs: NOW - 3_000 },
        { deploymentId: id, appid: appidOf(3), auditId: 21, submittedAtMs: NOW - 2_000 },
        { deploymentId: id, appid: appidOf(2), auditId: 11, submittedAtMs: NOW - 1_000 },
      ]);
      expect(await auditing(NOW - 2_000, id)).toHaveLength(1);
    });

    it('keeps a delayed audit and drops one that is approved, rejected or withdrawn', async () => {
      const id = await deploymentWith();
      const [delayed, approved, rejected, withdrawn] = [1, 2, 3, 4].map(appidOf) as [string, string, string, string];
      for (const appid of [delayed, approved, rejected, withdrawn]) await submitted(id, appid, NOW - 1_000, 7);

      await store.recordAuditOutcome(id, delayed, { status: 'delayed', reason: 'holiday' });
      await store.recordAuditOutcome(id, approved, { status: 'approved' });
      await store.recordAuditOutcome(id, rejected, { status: 'rejected', reason: 'no' });
      await store.recordAuditOutcome(id, withdrawn, { status: 'withdrawn' });

      expect((await auditing(NOW, id)).map((t) => t.appid)).toEqual([delayed]);
    });

    it('never lists a submit that was stopped, reverted or sent back to commit', async () => {
      const id = await deploymentWith(
        [appidOf(1), 'submitting', { stepStartedAtMs: CLAIMED_AT }],
        [appidOf(2), 'submitting', { stepStartedAtMs: CLAIMED_AT }],
        [appidOf(3), 'submitting', { stepStartedAtMs: CLAIMED_AT }],
      );
      await store.stopStep(id, appidOf(1), 'submit', CLAIMED_AT, 'failed', { code: 85013, message: 'bad' });
      await store.revertStep(id, appidOf(2), 'submit', CLAIMED_AT, { attempts: 1, error: { code: 61039, message: 'scan' } });
      await store.revertStep(id, appidOf(3), 'submit', CLAIMED_AT, { attempts: 0, error: { code: 85086, message: 'x' }, recommits: 1 }, true);

      expect(await auditing(NOW + 1, id)).toEqual([]);
    });

    it('keeps an audit listed while its withdrawal is in flight or refused, and drops it once the target is cancelled', async () => {
      const id = await deploymentWith();
      const [withdrawn, refused, decided] = [1, 2, 3].map(appidOf) as [string, string, string];
      for (const appid of [withdrawn, refused, decided]) {
        await submitted(id, appid, NOW - 1_000, 7);
        await store.claimStep(id, appid, 'withdraw', CLAIMED_AT);
      }
      expect((await auditing(NOW, id)).map((t) => t.appid)).toEqual([withdrawn, refused, decided]);

      await store.landStep(id, withdrawn, 'withdraw', CLAIMED_AT, LANDED.withdraw);
      await store.refuseStep(id, refused, 'withdraw', CLAIMED_AT, { code: 87013, message: 'no quota' });
      await store.recordAuditOutcome(id, decided, { status: 'approved' }, true);

      expect((await auditing(NOW, id)).map((t) => t.appid)).toEqual([refused]);
      await store.recordAuditOutcome(id, refused, { status: 'rejected', reason: 'icon' }, true);
      expect(await auditing(NOW, id)).toEqual([]);
    });

    it('lists a target submitted again after a withdrawn audit at its new submission time', async () => {
      const id = await deploymentWith();
      await submitted(id, A, NOW - 5_000, 1);
      await store.recordAuditOutcome(id, A, { status: 'withdrawn' });
      await store.retryTarget(id, A, 'committed');
      await store.claimStep(id, A, 'submit', CLAIMED_AT);
      await store.landStep(id, A, 'submit', CLAIMED_AT, { auditId: 2, submittedAtMs: NOW - 1_000 });

      expect(await auditing(NOW, id)).toEqual([{ deploymentId: id, appid: A, auditId: 2, submittedAtMs: NOW - 1_000 }]);
    });
  });

  describe('audit results', () => {
    it('parks a result that arrives while the submit is in flight, and only then', async () => {
      const id = await deploymentWith([A, 'submitting', { stepStartedAtMs: CLAIMED_AT }], [appidOf(2), 'auditing']);

      expect(await store.parkAuditOutcome(id, A, { status: 'rejected', reason: 'icon' })).toMatchObject({
        state: 'submitting',
        stepStartedAtMs: CLAIMED_AT,
        earlyAuditOutcome: { status: 'rejected', reason: 'icon' },
      });
      expect(await store.parkAuditOutcome(id, appidOf(2), { status: 'approved' })).toBeUndefined();
      // The landing carries the parked result to whoever applies it.
      expect(await store.landStep(id, A, 'submit', CLAIMED_AT, { auditId: 5, submittedAtMs: NOW })).toMatchObject({
        state: 'auditing',
        earlyAuditOutcome: { status: 'rejected', reason: 'icon' },
      });
    });

    it('keeps the rejection reason and screenshot, and clears what the audit left behind', async () => {
      const id = await deploymentWith([A, 'auditing', { auditDelayed: true, earlyAuditOutcome: { status: 'rejected', reason: 'icon' } }]);

      const rejected = await store.recordAuditOutcome(id, A, { status: 'rejected', reason: 'icon', screenshot: 'm1|m2' });

      expect(rejected).toMatchObject({ state: 'rejected', reason: 'icon', screenshot: 'm1|m2', error: { code: 'audit_rejected', message: 'icon' } });
      expect(rejected).not.toHaveProperty('auditDelayed');
      expect(rejected).not.toHaveProperty('earlyAuditOutcome');
    });

    it('settles a cancelled deployment’s audit as cancelled, keeping what WeChat decided', async () => {
      const id = await deploymentWith([A, 'auditing', { auditDelayed: true }], [appidOf(2), 'withdrawing', { stepStartedAtMs: CLAIMED_AT }], [appidOf(3), 'auditing']);

      const rejected = await store.recordAuditOutcome(id, A, { status: 'rejected', reason: 'icon', screenshot: 'm1' }, true);
      expect(rejected).toMatchObject({
        state: 'cancelled',
        auditOutcome: 'rejected',
        reason: 'icon',
        screenshot: 'm1',
        error: { code: 'deployment_cancelled', message: 'the deployment was cancelled; its audit ended rejected: icon' },
      });
      expect(rejected).not.toHaveProperty('auditDelayed');
      const approved = await store.recordAuditOutcome(id, appidOf(2), { status: 'approved' }, true);
      expect(approved).toMatchObject({ state: 'cancelled', auditOutcome: 'approved', error: { message: 'the deployment was cancelled; its audit ended approved' } });
      expect(approved).not.toHaveProperty('stepStartedAtMs');
      // A delay decides nothing: the audit runs on.
      expect(await store.recordAuditOutcome(id, appidOf(3), { status: 'delayed' }, true)).toMatchObject({ state: 'auditing', auditDelayed: true });
    });

    it('marks a delayed audit and stamps an approval', async () => {
      const id = await deploymentWith([A, 'auditing']);
      expect(await store.recordAuditOutcome(id, A, { status: 'delayed', reason: 'holiday' })).toMatchObject({ state: 'auditing', auditDelayed: true, delayReason: 'holiday' });
      const approved = await store.recordAuditOutcome(id, A, { status: 'approved' });
      expect(approved).toMatchObject({ state: 'approved', approvedAtMs: NOW });
      expect(approved).not.toHaveProperty('auditDelayed');
      expect(await store.recordAuditOutcome(id, A, { status: 'approved' })).toBeUndefined(); // a push retry
    });
  });

  describe('a failed target and the operator', () => {
    it.each(STEP_NAMES.filter((name) => !refusable(name)))('a %s that failed is retried from the start of that step, with a clean slate', async (step) => {
      const { from, via } = STEPS[step];
      const id = await deploymentWith([A, via, { stepStartedAtMs: CLAIMED_AT, attempts: 4 }]);

      const failed = await store.stopStep(id, A, step, CLAIMED_AT, 'failed', { code: -1, message: 'busy' });
      expect(failed).toMatchObject({ state: 'failed', resumeFrom: from, error: { code: -1, message: 'busy' } });
      expect(failed).not.toHaveProperty('stepStartedAtMs');

      const retried = await store.retryTarget(id, A, failed!.resumeFrom!);
      expect(retried).toMatchObject({ state: from, attempts: 0 });
      expect(retried).not.toHaveProperty('error');
      expect(retried).not.toHaveProperty('resumeFrom');
    });

    it('resubmits a rejected target with a clean slate, keeping the rejection for the record and its audits ours from now', async () => {
      const id = await deploymentWith([
        A,
        'rejected',
        { attempts: 2, auditId: 7, submittedAtMs: CLAIMED_AT, reason: 'icon', screenshot: 'm1', error: { code: 'audit_rejected', message: 'icon' }, auditsOursSinceMs: 1 },
      ]);

      const resubmitted = await store.resubmitTarget(id, A, 'icon');

      expect(resubmitted).toMatchObject({ state: 'committed', attempts: 0, previousRejection: 'icon', auditsOursSinceMs: NOW });
      for (const gone of ['error', 'reason', 'screenshot', 'auditId', 'submittedAtMs']) expect(resubmitted).not.toHaveProperty(gone);
      expect(await store.resubmitTarget(id, A, 'icon')).toBeUndefined(); // a repeated retry
    });

    it('cancels only targets that have not started their next WeChat write', async () => {
      const states: TargetState[] = ['queued', 'waiting', 'committed', 'committing', 'submitting', 'auditing', 'approved', 'releasing', 'gray', 'released'];
      const id = await deploymentWith(...states.map((state, i): [string, TargetState, Partial<Target>] => [appidOf(i), state, state === 'waiting' ? { waitingFor: OTHER } : {}]));

      const cancelled = await Promise.all(states.map((_, i) => store.cancelTarget(id, appidOf(i), { code: 'superseded', message: 'superseded by d-2' })));

      expect(cancelled.map((t) => t?.state)).toEqual(['cancelled', 'cancelled', 'cancelled', undefined, undefined, undefined, 'cancelled', undefined, undefined, undefined]);
      expect(cancelled[1]).toMatchObject({ error: { code: 'superseded', message: 'superseded by d-2' } });
      expect(cancelled[1]).not.toHaveProperty('waitingFor');
      expect(await store.counts(id)).toEqual({ cancelled: 4, committing: 1, submitting: 1, auditing: 1, releasing: 1, gray: 1, released: 1 });
    });
  });

  describe('the steps’ own writes', () => {
    it('refuses a withdrawal back to auditing, marking it refused, with the refusal as the error', async () => {
      const id = await deploymentWith([A, 'withdrawing', { stepStartedAtMs: CLAIMED_AT, step: 'withdraw', attempts: 1 }]);
      const error = { code: 87013, message: 'WeChat allows no more audit withdrawals for now' };

      const refused = await store.refuseStep(id, A, 'withdraw', CLAIMED_AT, error);

      expect(refused).toMatchObject({ state: 'auditing', refused: 'withdraw', error, attempts: 0 });
      expect(refused).not.toHaveProperty('stepStartedAtMs');
    });

    it.each([
      ['pins a rollback', 'rolling_back', (s: DeploymentStore, id: string, owner: number) => s.pinRollback(id, A, owner, { appVersion: 3, userVersion: '1.1.0' })],
      ['refuses a rollback', 'rolling_back', (s: DeploymentStore, id: string, owner: number) => s.refuseStep(id, A, 'rollback', owner, { code: 87012, message: 'none' })],
      ['cancels a release before its call', 'releasing', (s: DeploymentStore, id: string, owner: number) => s.cancelUnstarted(id, A, 'release', owner)],
    ] as const)('only the claim’s owner %s', async (_, state, act) => {
      const id = await deploymentWith([A, state, { stepStartedAtMs: CLAIMED_AT }]);
      const before = await store.getTarget(id, A);

      expect(await act(store, id, CLAIMED_AT - 1)).toBeUndefined();
      expect(await store.getTarget(id, A)).toEqual(before);
      expect(await act(store, id, CLAIMED_AT)).toBeDefined();
    });

    it('pins the rollback on the claimed target, where the landing keeps it', async () => {
      const id = await deploymentWith([A, 'rolling_back', { stepStartedAtMs: CLAIMED_AT, step: 'rollback' }]);

      expect(await store.pinRollback(id, A, CLAIMED_AT, { appVersion: 3, userVersion: '1.1.0' })).toMatchObject({ state: 'rolling_back', stepStartedAtMs: CLAIMED_AT });
      expect(await store.landStep(id, A, 'rollback', CLAIMED_AT, { rolledBackAtMs: NOW })).toMatchObject({
        state: 'rolled_back',
        rollbackTo: { appVersion: 3, userVersion: '1.1.0' },
        rolledBackAtMs: NOW,
      });
    });

    it('lands a withdrawal cancelled, with the error that says why', async () => {
      const id = await deploymentWith([A, 'withdrawing', { stepStartedAtMs: CLAIMED_AT, step: 'withdraw', auditId: 7 }]);
      expect(await store.landStep(id, A, 'withdraw', CLAIMED_AT, LANDED.withdraw)).toMatchObject({ state: 'cancelled', auditOutcome: 'withdrawn', auditId: 7, error: LANDED.withdraw.error });
    });

    it('drops a parked audit result when the submit is reverted: it belonged to an attempt that is over', async () => {
      const id = await deploymentWith([A, 'submitting', { stepStartedAtMs: CLAIMED_AT, earlyAuditOutcome: { status: 'rejected', reason: 'icon' } }]);
      expect(await store.revertStep(id, A, 'submit', CLAIMED_AT, { attempts: 1, error: { code: -1, message: 'busy' } })).not.toHaveProperty('earlyAuditOutcome');
    });

    it('drops a parked audit result when the submit is stopped', async () => {
      const id = await deploymentWith([A, 'submitting', { stepStartedAtMs: CLAIMED_AT, earlyAuditOutcome: { status: 'rejected', reason: 'icon' } }]);
      expect(await store.stopStep(id, A, 'submit', CLAIMED_AT, 'failed', { code: -1, message: 'busy' })).not.toHaveProperty('earlyAuditOutcome');
    });
  });

  describe('a move the machine forbids', () => {
    it.each<TargetState>(['auditing', 'rolled_back', 'committing'])('throws IllegalTransition for a retry to %s and writes nothing', async (to) => {
      const id = await deploymentWith([A, 'failed', { resumeFrom: 'committed', error: { code: -1, message: 'busy' } }]);
      const before = await store.getTarget(id, A);

      await expect(store.retryTarget(id, A, to)).rejects.toBeInstanceOf(IllegalTransition);
      expect(await store.getTarget(id, A)).toEqual(before);
    });

    it('throws IllegalTransition for a refusal of a step that is never refused, and writes nothing', async () => {
      const id = await deploymentWith([A, 'releasing', { stepStartedAtMs: CLAIMED_AT, step: 'release' }]);
      const before = await store.getTarget(id, A);

      await expect(store.refuseStep(id, A, 'release', CLAIMED_AT, { code: 85020, message: 'no' })).rejects.toBeInstanceOf(IllegalTransition);
      expect(await store.getTarget(id, A)).toEqual(before);
    });
  });

  describe('deployments', () => {
    it('clears the pending action only while it is still the one named, requested at that time', async () => {
      const id = await deploymentWith();
      const pending = { action: 'release' as const, atMs: NOW - 1_000 };
      await store.update(id, { pendingAction: pending, releaseRequested: { atMs: NOW - 1_000 } });

      await store.clearPendingAction(id, { action: 'retry', atMs: NOW - 1_000 });
      await store.clearPendingAction(id, { action: 'release', atMs: NOW - 2_000 }); // an earlier request of the same action
      expect(await store.get(id)).toMatchObject({ pendingAction: pending });
      await store.clearPendingAction(id, pending);
      expect(await store.get(id)).not.toHaveProperty('pendingAction');
    });

    it('sets and removes fields, and lists every target page by page', async () => {
      const appids = Array.from({ length: 7 }, (_, i) => appidOf(i + 1));
      const id = await deploymentWith(...appids.map((appid): [string, TargetState] => [appid, 'queued']));
      await store.update(id, { fanOutCursor: '500', pausedReason: '85085' });
      await store.update(id, { fanOutDone: true }, ['fanOutCursor', 'pausedReason']);
      const deployment = await store.get(id);
      expect(deployment).toMatchObject({ fanOutDone: true, updatedAtMs: NOW });
      expect(deployment).not.toHaveProperty('fanOutCursor');
      expect(deployment).not.toHaveProperty('pausedReason');

      const first = await store.listTargets(id, 3);
      expect(first.targets).toHaveLength(3);
      expect(first.nextToken).toBeDefined();
      const all: string[] = [];
      for await (const t of store.allTargets(id)) all.push(t.appid);
      expect(all.sort()).toEqual(appids);
      expect(await store.counts(id)).toEqual({ queued: 7 });
    });
  });

  describe('the sweeper’s index', () => {
    /** The index entries of these deployments, in the index's order. */
    async function indexed(...ids: string[]): Promise<{ id: string; sweepCursor?: string }[]> {
      const entries: { id: string; sweepCursor?: string }[] = [];
      for await (const { id, sweepCursor } of store.activeDeployments()) if (ids.includes(id)) entries.push({ id, ...(sweepCursor ? { sweepCursor } : {}) });
      return entries;
    }

    it('holds a deployment from its creation, least recently swept first, until it is retired', async () => {
      const [a, b] = [await deploymentWith(), await deploymentWith()];
      expect((await indexed(a, b)).map((e) => e.id).sort()).toEqual([a, b].sort());

      await store.markSwept(a, NOW - 10, 'cursor-1');
      await store.markSwept(b, NOW - 20);
      expect(await indexed(a, b)).toEqual([{ id: b }, { id: a, sweepCursor: 'cursor-1' }]);
      await store.markSwept(b, NOW);
      expect(await indexed(a, b)).toEqual([{ id: a, sweepCursor: 'cursor-1' }, { id: b }]);

      await store.retire(a);
      expect(await indexed(a, b)).toEqual([{ id: b }]);
      // Activated again (an operator action): back in, first in line, and again idempotently.
      await store.activate(a);
      await store.activate(a);
      expect(await indexed(a, b)).toEqual([{ id: a }, { id: b }]);
    });

    it('records the sweep on the deployment without counting it as activity', async () => {
      const id = await deploymentWith();
      await store.markSwept(id, NOW - 1_000);
      expect(await store.get(id)).toMatchObject({ lastSweptAtMs: NOW - 1_000, updatedAtMs: 1_000 });
      // A retired deployment's sweep is still recorded on it; its index entry is not brought back.
      await store.retire(id);
      await store.markSwept(id, NOW);
      expect(await store.get(id)).toMatchObject({ lastSweptAtMs: NOW });
      expect(await indexed(id)).toEqual([]);
    });

    it('keeps the index backfill’s progress until it is done', async () => {
      expect(await store.indexBackfill()).toEqual({ done: false });
      await store.saveIndexBackfill({ done: false, nextToken: 'page-2' });
      expect(await store.indexBackfill()).toEqual({ done: false, nextToken: 'page-2' });
      await store.saveIndexBackfill({ done: true });
      expect(await store.indexBackfill()).toEqual({ done: true });
    });

    it('keeps the index entry out of the deployment’s targets and counts', async () => {
      const id = await deploymentWith([A, 'queued']);
      expect((await store.listTargets(id, 10)).targets.map((t) => t.appid)).toEqual([A]);
      expect(await store.counts(id)).toEqual({ queued: 1 });
    });
  });
});
