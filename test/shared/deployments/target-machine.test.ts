import { describe, expect, it } from 'vitest';
import {
  GATED_STEPS,
  assertTransition,
  AUDIT_PENDING,
  IllegalTransition,
  IN_FLIGHT,
  INITIAL,
  LETS_GO_OF_TENANT,
  resumeFromFailed,
  sourcesOf,
  STEP_NAMES,
  stepInFlight,
  STEPS,
  TARGET_STATES,
  TERMINAL,
  TRANSITIONS,
  type StepName,
  type TargetEvent,
  type TargetState,
} from '../../../shared/deployments/target-machine';

/** Steps that act on a live version or an audit: WeChat's refusal sends them back where they started, never to failed. */
const REFUSABLE: readonly StepName[] = ['withdraw', 'revert_gray', 'rollback', 'rollback_gray'];

describe('the target machine', () => {
  it.each(TRANSITIONS.map((t) => [t.event, t.from, t.to] as const))('allows %s from %s to %s', (event, from, to) => {
    expect(() => assertTransition(event, [from], to)).not.toThrow();
  });

  it.each<[TargetEvent, TargetState, TargetState]>([
    ['claim', 'auditing', 'submitting'], // an audit under way is never submitted again
    ['claim', 'committing', 'committing'], // a claimed step is taken over, not claimed twice
    ['land', 'queued', 'committed'], // nothing lands without its claim
    ['land', 'committing', 'auditing'], // a step lands only where it leads
    ['cancel', 'auditing', 'cancelled'], // WeChat already reviews it: cancelling would lie
    ['cancel', 'committing', 'cancelled'], // an in-flight step finishes first
    ['retry', 'rejected', 'queued'], // a rejection is resubmitted, not retried
    ['resubmit', 'failed', 'committed'], // only a rejection is resubmitted
    ['cancel', 'gray', 'cancelled'], // a gray release is live: it is reverted or rolled back, not cancelled
    ['cancel_unstarted', 'withdrawing', 'cancelled'], // a withdrawal is what a cancel asks for
    ['cancel_unstarted', 'rolling_back', 'cancelled'], // rollbacks run after a cancel
    ['stop', 'withdrawing', 'failed'], // a refused withdrawal leaves the audit running
    ['wake', 'queued', 'queued'],
    ['wait', 'committed', 'waiting'], // only a target that has not committed waits its turn
    ['pin', 'released', 'rolling_back'], // the pin happens inside the claimed rollback
    ['audit_after_cancel', 'submitting', 'cancelled'],
    ['retry', 'failed', 'auditing'], // a retry never skips a step
    ['audit_approved', 'submitting', 'approved'], // an early result is parked instead
    ['revert', 'committed', 'queued'], // only an in-flight step reverts
    ['stop', 'queued', 'failed'],
    ['recommit', 'committing', 'queued'],
  ])('refuses %s from %s to %s with IllegalTransition', (event, from, to) => {
    let thrown: unknown;
    try {
      assertTransition(event, [from], to);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IllegalTransition);
    expect(thrown).toMatchObject({ event, from, to, message: `target cannot ${event} from ${from} to ${to}` });
  });

  it('checks each of several source states, naming the first one refused', () => {
    expect(() => assertTransition('cancel', ['queued', 'committed'], 'cancelled')).not.toThrow();
    expect(() => assertTransition('cancel', ['queued', 'auditing', 'committed'], 'cancelled')).toThrow(expect.objectContaining({ from: 'auditing' }));
  });

  it('lists each transition between known states, and a move twice only where steps share their states', () => {
    for (const t of TRANSITIONS) expect(TARGET_STATES).toEqual(expect.arrayContaining([t.from, t.to]));
    // Several steps go through `releasing` (release, gray, widen, complete) and `rolling_back`
    // (rollback, rollback_gray): their rows repeat a move, each saying which step it is.
    const moves = new Map<string, number>();
    for (const t of TRANSITIONS) moves.set(`${t.event}:${t.from}:${t.to}`, (moves.get(`${t.event}:${t.from}:${t.to}`) ?? 0) + 1);
    const repeated = [...moves].filter(([, n]) => n > 1).map(([move]) => move);
    for (const move of repeated) expect(['claim', 'take_over', 'land', 'revert', 'stop', 'cancel_unstarted']).toContain(move.split(':')[0]);
    expect(repeated).toContain('claim:approved:releasing');
  });

  it('has exactly the steps’ in-flight states in flight', () => {
    expect([...IN_FLIGHT].sort()).toEqual([...new Set(STEP_NAMES.map((name) => STEPS[name].via))].sort());
    expect([...IN_FLIGHT].sort()).toEqual(['committing', 'releasing', 'reverting_gray', 'rolling_back', 'submitting', 'withdrawing']);
  });

  it('gives every step a claim, a takeover, a landing and a revert; a refusal or both stops', () => {
    for (const name of STEP_NAMES) {
      const { from, via, to } = STEPS[name];
      expect(sourcesOf('claim', via), name).toContain(from);
      expect(new Set(sourcesOf('take_over', via)), name).toEqual(new Set([via]));
      expect(new Set(sourcesOf('land', to)), name).toEqual(new Set([via]));
      expect(sourcesOf('revert', from), name).toContain(via);
      if (REFUSABLE.includes(name)) expect(sourcesOf('refuse', from), name).toContain(via);
      else {
        expect(sourcesOf('stop', 'failed'), name).toContain(via);
        expect(sourcesOf('stop', 'skipped'), name).toContain(via);
      }
    }
    expect(sourcesOf('revert', 'auditing')).toEqual(['withdrawing']); // WeChat busy: the withdrawal is tried again later
    expect(sourcesOf('stop', 'failed')).not.toContain('withdrawing');
    expect(sourcesOf('stop', 'failed')).not.toContain('reverting_gray');
  });

  it('stops, after a cancel, exactly the steps that write something new: rollbacks, gray reverts and withdrawals still run', () => {
    const stopped = STEP_NAMES.filter((name) => STEPS[name].stoppedByCancel);
    expect(stopped).toEqual(['commit', 'submit', 'release', 'gray', 'widen', 'complete']);
    expect([...new Set(sourcesOf('cancel_unstarted', 'cancelled'))].sort()).toEqual(['committing', 'releasing', 'submitting']);
  });

  it('lets no transition leave a terminal state except the operator’s retry of a failed or blocked target or resubmission of a rejected one', () => {
    for (const t of TRANSITIONS.filter((t) => TERMINAL.has(t.from))) {
      expect([`retry:failed`, `retry:blocked`, `resubmit:rejected`]).toContain(`${t.event}:${t.from}`);
    }
    expect(sourcesOf('resubmit', 'committed')).toEqual(['rejected']);
    expect(sourcesOf('resubmit', 'queued')).toEqual(['rejected']); // another deployment used the tenant since
    expect(TERMINAL.has('released')).toBe(false); // a release can still be rolled back
    for (const state of IN_FLIGHT) expect(TERMINAL.has(state)).toBe(false);
  });

  it('resumes a failed target at the start of the step that failed, or at the commit', () => {
    for (const name of STEP_NAMES) expect(resumeFromFailed(name)).toBe(STEPS[name].from);
    expect(resumeFromFailed(undefined)).toBe('queued'); // a withdrawn audit starts over
    // Every step that can fail resumes where the table lets a retry go.
    for (const name of STEP_NAMES.filter((n) => !REFUSABLE.includes(n))) {
      expect(() => assertTransition('retry', ['failed'], resumeFromFailed(name)), name).not.toThrow();
    }
    expect(sourcesOf('retry', 'queued')).toEqual(['failed', 'blocked']);
    // A target a gate blocked resumes where it stopped, once its gates are checked again.
    for (const name of STEP_NAMES.filter((n) => GATED_STEPS.has(n))) {
      expect(() => assertTransition('retry', ['blocked'], resumeFromFailed(name)), name).not.toThrow();
    }
  });

  it('blocks a target only before anything of it reaches WeChat, at submit, or at release: never mid-lifecycle elsewhere', () => {
    expect([...new Set(sourcesOf('stop', 'blocked'))].sort()).toEqual(['committing', 'releasing', 'submitting']);
    expect(INITIAL).toContain('blocked');
    expect(TERMINAL.has('blocked')).toBe(true);
  });

  it('names the step a target in flight claimed, or for an older record the first step through its state', () => {
    expect(stepInFlight({ state: 'releasing', step: 'widen' })).toBe('widen');
    expect(stepInFlight({ state: 'rolling_back', step: 'rollback_gray' })).toBe('rollback_gray');
    expect(stepInFlight({ state: 'releasing' })).toBe('release');
    expect(stepInFlight({ state: 'releasing', step: 'commit' })).toBe('release'); // a step recorded for another state
    expect(stepInFlight({ state: 'approved', step: 'release' })).toBeUndefined();
  });

  it('lets go of the tenant once a target is released or ended, and keeps its audit polled while a withdrawal is in flight', () => {
    expect([...LETS_GO_OF_TENANT].sort()).toEqual([...TERMINAL, 'released'].sort());
    for (const state of ['waiting', 'committed', 'auditing', 'approved', 'gray', ...IN_FLIGHT] as TargetState[]) expect(LETS_GO_OF_TENANT.has(state), state).toBe(false);
    expect([...AUDIT_PENDING].sort()).toEqual(['auditing', 'withdrawing']);
  });

  it('records fan-out targets as queued, skipped or blocked, and each state is reachable from there', () => {
    expect(INITIAL).toEqual(['queued', 'skipped', 'blocked']);
    const reached = new Set<TargetState>(INITIAL);
    for (let grew = true; grew; ) {
      grew = false;
      for (const t of TRANSITIONS) if (reached.has(t.from) && !reached.has(t.to)) grew = !!reached.add(t.to);
    }
    expect([...reached].sort()).toEqual([...TARGET_STATES].sort());
  });
});
