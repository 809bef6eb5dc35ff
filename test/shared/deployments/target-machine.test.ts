import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  IllegalTransition,
  IN_FLIGHT,
  INITIAL,
  resumeFromFailed,
  sourcesOf,
  STEP_NAMES,
  STEPS,
  TARGET_STATES,
  TERMINAL,
  TRANSITIONS,
  type TargetEvent,
  type TargetState,
} from '../../../shared/deployments/target-machine';

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
    ['retry', 'rejected', 'queued'], // a rejection is final for this deployment
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

  it('lists each transition once, between known states', () => {
    const keys = TRANSITIONS.map((t) => `${t.event}:${t.from}:${t.to}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const t of TRANSITIONS) expect(TARGET_STATES).toEqual(expect.arrayContaining([t.from, t.to]));
  });

  it('has exactly the steps’ in-flight states in flight', () => {
    expect([...IN_FLIGHT].sort()).toEqual(STEP_NAMES.map((name) => STEPS[name].via).sort());
    expect([...IN_FLIGHT].sort()).toEqual(['committing', 'releasing', 'rolling_back', 'submitting']);
  });

  it('gives every step a claim, a takeover, a landing, a revert and both stops', () => {
    for (const name of STEP_NAMES) {
      const { from, via, to } = STEPS[name];
      expect(sourcesOf('claim', via)).toEqual([from]);
      expect(sourcesOf('take_over', via)).toEqual([via]);
      expect(sourcesOf('land', to)).toEqual([via]);
      expect(sourcesOf('revert', from)).toEqual([via]);
      expect(sourcesOf('stop', 'failed')).toContain(via);
      expect(sourcesOf('stop', 'skipped')).toContain(via);
    }
  });

  it('lets no transition leave a terminal state except the operator’s retry of a failed target', () => {
    for (const t of TRANSITIONS.filter((t) => TERMINAL.has(t.from))) expect(t).toMatchObject({ event: 'retry', from: 'failed' });
    expect(TERMINAL.has('released')).toBe(false); // a release can still be rolled back
    for (const state of IN_FLIGHT) expect(TERMINAL.has(state)).toBe(false);
  });

  it('resumes a failed target at the start of the step that failed, or at the commit', () => {
    for (const name of STEP_NAMES) expect(resumeFromFailed(STEPS[name].via)).toBe(STEPS[name].from);
    expect(resumeFromFailed('auditing')).toBe('queued'); // a withdrawn audit starts over
    // Every place a failed target resumes is a retry the table allows.
    const resumes = [...new Set(TARGET_STATES.map(resumeFromFailed))];
    for (const to of resumes) expect(() => assertTransition('retry', ['failed'], to)).not.toThrow();
    expect(sourcesOf('retry', 'queued')).toEqual(['failed']);
  });

  it('records fan-out targets as queued or skipped, and each state is reachable from there', () => {
    expect(INITIAL).toEqual(['queued', 'skipped']);
    const reached = new Set<TargetState>(INITIAL);
    for (let grew = true; grew; ) {
      grew = false;
      for (const t of TRANSITIONS) if (reached.has(t.from) && !reached.has(t.to)) grew = !!reached.add(t.to);
    }
    expect([...reached].sort()).toEqual([...TARGET_STATES].sort());
  });
});
