import { describe, expect, it } from 'vitest';
import { deploymentStatus, isActive, type TargetTally, PENDING_ACTION_EXPIRES_MS, pendingActionExpired, type Deployment } from '../../../shared/deployments/deployment';

const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  id: 'd-1-00000000',
  templateId: 1,
  templateType: 0,
  userVersion: '1.0.0',
  userDesc: 'x',
  submitAudit: true,
  release: 'auto',
  createdAtMs: 0,
  updatedAtMs: 0,
  fanOutDone: true,
  ...over,
});

/** A tally of targets that carry nothing but their state. */
const tallyOf = (counts: TargetTally['counts']): TargetTally => ({
  counts,
  groups: Object.entries(counts).map(([state, n]) => ({ target: { state: state as keyof TargetTally['counts'] }, n: n ?? 0 })),
});

describe('deployment status (derived from target counts)', () => {
  it('is preparing until every target is recorded', () => {
    expect(deploymentStatus(deployment({ fanOutDone: false }), tallyOf({ released: 3 }))).toBe('preparing');
  });

  it('is running while any target has work left or waits on WeChat', () => {
    for (const state of ['queued', 'committing', 'submitting', 'auditing', 'releasing'] as const) {
      expect(deploymentStatus(deployment(), tallyOf({ released: 2, [state]: 1 })), state).toBe('running');
    }
  });

  it('ends at committed without audit, and at approved until a manual release is asked for', () => {
    expect(deploymentStatus(deployment({ submitAudit: false }), tallyOf({ committed: 3 }))).toBe('completed');
    expect(deploymentStatus(deployment(), tallyOf({ committed: 3 }))).toBe('running');
    expect(deploymentStatus(deployment({ release: 'manual' }), tallyOf({ approved: 3 }))).toBe('completed');
    expect(deploymentStatus(deployment({ release: 'manual', releaseRequested: { atMs: 1 } }), tallyOf({ approved: 1, released: 2 }))).toBe('running');
  });

  it('reports a paused deployment whatever its targets do, and a cancelled one once settled', () => {
    expect(deploymentStatus(deployment({ pausedReason: '85085' }), tallyOf({ committed: 3 }))).toBe('paused');
    expect(deploymentStatus(deployment({ cancelRequested: true }), tallyOf({ cancelled: 2, committed: 1 }))).toBe('cancelled');
  });

  it('treats terminal states as done', () => {
    expect(deploymentStatus(deployment(), tallyOf({ released: 1, failed: 1, rejected: 1, skipped: 1, cancelled: 1 }))).toBe('completed');
    expect(isActive({ state: 'failed' }, deployment())).toBe(false);
    expect(isActive({ state: 'released' }, deployment({ rollbackRequested: true }))).toBe(true);
  });

  it('counts a target waiting for its tenant, a gray release being widened and a withdrawal as work left', () => {
    expect(deploymentStatus(deployment(), tallyOf({ waiting: 1, released: 1 }))).toBe('running');
    const widening = deployment({ release: 'manual', releaseRequested: { atMs: 1, grayPercentage: 50 } });
    expect(isActive({ state: 'gray', grayPercentage: 10 }, widening)).toBe(true);
    expect(isActive({ state: 'gray', grayPercentage: 50 }, widening)).toBe(false);
    // The tally carries each target's percentage: targets below the asked one are work left.
    expect(deploymentStatus(widening, { counts: { gray: 2 }, groups: [{ target: { state: 'gray', grayPercentage: 50 }, n: 2 }] })).toBe('completed');
    expect(deploymentStatus(widening, { counts: { gray: 2 }, groups: [{ target: { state: 'gray', grayPercentage: 10 }, n: 2 }] })).toBe('running');
    expect(deploymentStatus(widening, tallyOf({ gray: 1, releasing: 1 }))).toBe('running');
    expect(isActive({ state: 'auditing' }, deployment({ cancelRequested: true, withdrawAudits: true }))).toBe(true);
  });

  it('settles a cancelled deployment whose audits only wait for their result', () => {
    expect(deploymentStatus(deployment({ cancelRequested: true }), tallyOf({ cancelled: 2, auditing: 1 }))).toBe('cancelled');
    expect(deploymentStatus(deployment({ cancelRequested: true, withdrawAudits: true }), tallyOf({ cancelled: 2, auditing: 1 }))).toBe('running');
  });

  it('is running while an operator action is pending, until the action expires', () => {
    const NOW = 10 * PENDING_ACTION_EXPIRES_MS;
    const pending = (ageMs: number) => deployment({ pendingAction: { action: 'retry', atMs: NOW - ageMs } });

    expect(deploymentStatus(pending(0), tallyOf({ released: 3 }), NOW)).toBe('running');
    expect(deploymentStatus(pending(PENDING_ACTION_EXPIRES_MS), tallyOf({ released: 3 }), NOW)).toBe('running');
    expect(deploymentStatus(pending(PENDING_ACTION_EXPIRES_MS + 1), tallyOf({ released: 3 }), NOW)).toBe('completed');
    expect(pendingActionExpired({ atMs: NOW - PENDING_ACTION_EXPIRES_MS - 1 }, NOW)).toBe(true);
    // A pause still shows, whatever is pending.
    expect(deploymentStatus({ ...pending(0), pausedReason: '85085' }, tallyOf({ committed: 1 }), NOW)).toBe('paused');
  });
});
