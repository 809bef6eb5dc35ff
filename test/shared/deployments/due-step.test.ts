import { describe, expect, it } from 'vitest';
import type { Deployment } from '../../../shared/deployments/deployment';
import { dueStep } from '../../../shared/deployments/due-step';
import { TARGET_STATES, type StepName, type TargetState } from '../../../shared/deployments/target-machine';
import { deploymentOf } from '../../support/memory-deploy-engine';

/** The operator's word and the deployment's settings, as dueStep reads them. */
const INTENTS = {
  auto: {},
  manual: { release: 'manual' },
  release: { release: 'manual', releaseRequested: { atMs: 1 } },
  'gray 20%': { release: 'manual', releaseRequested: { atMs: 1, grayPercentage: 20 } },
  'revert gray': { release: 'manual', revertGrayRequested: true },
  rollback: { rollbackRequested: true },
  cancel: { cancelRequested: true },
  'cancel, withdrawing audits': { cancelRequested: true, withdrawAudits: true },
  paused: { pausedReason: '85085' },
  'no audit': { submitAudit: false },
} satisfies Record<string, Partial<Deployment>>;
type Intent = keyof typeof INTENTS;

/** The states that ever have a step due; every other state waits whatever the operator says. */
const DUE: Partial<Record<TargetState, Record<Intent, StepName | undefined>>> = {
  queued: {
    auto: 'commit', manual: 'commit', release: 'commit', 'gray 20%': 'commit', 'revert gray': 'commit', rollback: 'commit',
    cancel: undefined, 'cancel, withdrawing audits': undefined, paused: 'commit', 'no audit': 'commit',
  },
  committed: {
    auto: 'submit', manual: 'submit', release: 'submit', 'gray 20%': 'submit', 'revert gray': 'submit', rollback: 'submit',
    cancel: undefined, 'cancel, withdrawing audits': undefined, paused: undefined, 'no audit': undefined,
  },
  auditing: {
    auto: undefined, manual: undefined, release: undefined, 'gray 20%': undefined, 'revert gray': undefined, rollback: undefined,
    cancel: undefined, 'cancel, withdrawing audits': 'withdraw', paused: undefined, 'no audit': undefined,
  },
  approved: {
    auto: 'release', manual: undefined, release: 'release', 'gray 20%': 'gray', 'revert gray': undefined, rollback: undefined,
    cancel: undefined, 'cancel, withdrawing audits': undefined, paused: 'release', 'no audit': 'release',
  },
  // (gray at 10%)
  gray: {
    auto: undefined, manual: undefined, release: 'complete', 'gray 20%': 'widen', 'revert gray': 'revert_gray', rollback: 'rollback_gray',
    cancel: undefined, 'cancel, withdrawing audits': undefined, paused: undefined, 'no audit': undefined,
  },
  released: {
    auto: undefined, manual: undefined, release: undefined, 'gray 20%': undefined, 'revert gray': undefined, rollback: 'rollback',
    cancel: undefined, 'cancel, withdrawing audits': undefined, paused: undefined, 'no audit': undefined,
  },
};

const cases = TARGET_STATES.flatMap((state) =>
  (Object.keys(INTENTS) as Intent[]).map((intent) => [state, intent, DUE[state]?.[intent]] as const),
);

describe('dueStep', () => {
  it.each(cases)('%s, %s: %s', (state, intent, step) => {
    const deployment = deploymentOf(INTENTS[intent] as Partial<Deployment>);
    expect(dueStep(deployment, { state, grayPercentage: state === 'gray' ? 10 : undefined })).toBe(step);
  });

  it('widens a gray release only to a larger share than the target has', () => {
    const deployment = deploymentOf({ release: 'manual', releaseRequested: { atMs: 1, grayPercentage: 20 } });
    expect(dueStep(deployment, { state: 'gray', grayPercentage: 20 })).toBeUndefined();
    expect(dueStep(deployment, { state: 'gray', grayPercentage: 30 })).toBeUndefined();
    // Without its share (a status computed from counts), a gray target is at rest.
    expect(dueStep(deployment, { state: 'gray' })).toBeUndefined();
  });

  it('puts a rollback before a gray revert, and both before a cancel', () => {
    const all = deploymentOf({ release: 'manual', rollbackRequested: true, revertGrayRequested: true, cancelRequested: true, releaseRequested: { atMs: 1 } });
    expect(dueStep(all, { state: 'gray', grayPercentage: 10 })).toBe('rollback_gray');
    expect(dueStep({ ...all, rollbackRequested: false }, { state: 'gray', grayPercentage: 10 })).toBe('revert_gray');
    expect(dueStep({ ...all, releaseRequested: undefined }, { state: 'released' })).toBe('rollback');
  });

  it('does not ask WeChat again to withdraw an audit it refused to withdraw', () => {
    expect(dueStep(deploymentOf(INTENTS['cancel, withdrawing audits']), { state: 'auditing', refused: 'withdraw' })).toBeUndefined();
  });
});
