/**
 * An onboarding as its registration keeps it: the steps the plan asks for and each one's outcome,
 * and where that leaves the whole.
 */
import type { StepName } from './onboarding-steps';

export interface StepOutcome {
  state: 'running' | 'done' | 'in_review' | 'failed' | 'skipped';
  message?: string;
  /** Categories (first:second) whose review is still open. */
  awaiting?: string[];
  atMs: number;
}

export interface Onboarding {
  /** The steps the plan asks for, in the order they run. */
  wants: StepName[];
  steps: Partial<Record<StepName, StepOutcome>>;
}

export type OnboardingState = 'waiting_for_mini_program' | 'running' | 'in_review' | 'done' | 'needs_attention';

/** Where the onboarding stands, from its steps. */
export function onboardingState(registration: { status: string; onboarding?: Onboarding }): OnboardingState | undefined {
  const onboarding = registration.onboarding;
  if (!onboarding) return undefined;
  const outcomes = onboarding.wants.map((step) => onboarding.steps[step]?.state);
  if (outcomes.includes('failed')) return 'needs_attention';
  if (registration.status !== 'created') return 'waiting_for_mini_program';
  if (outcomes.some((state) => state === undefined || state === 'running')) return 'running';
  if (outcomes.includes('in_review')) return 'in_review';
  return 'done';
}

