/**
 * The deploy target's state machine, declared as data: its states, the steps that call WeChat,
 * and every transition with the event that causes it. Targets move only through
 * {@link assertTransition} (the target store calls it before each write), so a move the table
 * does not list throws instead of happening. `docs/target-machine.md` is generated from this
 * module (`npm run docs:machine`); a test keeps the two equal.
 */

export const TARGET_STATES = [
  'queued',
  'committing',
  'committed',
  'submitting',
  'auditing',
  'approved',
  'releasing',
  'released',
  'rolling_back',
  'rolled_back',
  'failed',
  'rejected',
  'skipped',
  'cancelled',
] as const;

export type TargetState = (typeof TARGET_STATES)[number];

/** A step calls WeChat once: claimed `from` → `via` (in flight), landed `via` → `to`. */
export interface StepDefinition {
  from: TargetState;
  via: TargetState;
  to: TargetState;
  /** The WeChat call(s) the step makes, for the generated table. */
  calls: string;
}

export const STEPS = {
  commit: { from: 'queued', via: 'committing', to: 'committed', calls: 'modify_domain?, setwebviewdomain?, commit' },
  submit: { from: 'committed', via: 'submitting', to: 'auditing', calls: 'submit_audit' },
  release: { from: 'approved', via: 'releasing', to: 'released', calls: 'release or grayrelease' },
  rollback: { from: 'released', via: 'rolling_back', to: 'rolled_back', calls: 'revertcoderelease' },
} as const satisfies Record<string, StepDefinition>;

export type StepName = keyof typeof STEPS;
export const STEP_NAMES = Object.keys(STEPS) as StepName[];

/** States where a WeChat call is (or was, before a crash) in flight. */
export const IN_FLIGHT: ReadonlySet<TargetState> = new Set(STEP_NAMES.map((name) => STEPS[name].via));

/** The step whose WeChat call is in flight in `state`, if any. */
export function stepInFlight(state: TargetState): StepName | undefined {
  return STEP_NAMES.find((name) => STEPS[name].via === state);
}

/** The step that starts from `state`, if any (whether it runs depends on the deployment). */
export function stepFrom(state: TargetState): StepName | undefined {
  return STEP_NAMES.find((name) => STEPS[name].from === state);
}

/**
 * States a target does not leave by itself. `failed` can be retried by the operator; the others
 * are final for this deployment.
 */
export const TERMINAL: ReadonlySet<TargetState> = new Set(['rolled_back', 'failed', 'rejected', 'skipped', 'cancelled']);

/** States a target is recorded in when the deployment fans out. */
export const INITIAL: readonly TargetState[] = ['queued', 'skipped'];

/** Where a failed target resumes on retry: the start of the step that failed, never an earlier one. */
export function resumeFromFailed(failedIn: TargetState): TargetState {
  const step = stepInFlight(failedIn);
  return step ? STEPS[step].from : 'queued';
}

export type TargetEvent =
  | 'claim'
  | 'take_over'
  | 'land'
  | 'revert'
  | 'recommit'
  | 'stop'
  | 'park_audit_outcome'
  | 'audit_approved'
  | 'audit_rejected'
  | 'audit_delayed'
  | 'audit_withdrawn'
  | 'retry'
  | 'cancel';

export interface Transition {
  event: TargetEvent;
  from: TargetState;
  to: TargetState;
  /** Why it happens, for the generated table. */
  when: string;
}

const perStep = (make: (name: StepName, step: StepDefinition) => Transition[]): Transition[] => STEP_NAMES.flatMap((name) => make(name, STEPS[name]));

/** Every transition a target may make. A same-state row updates the target without moving it. */
export const TRANSITIONS: readonly Transition[] = [
  ...perStep((name, s) => [{ event: 'claim', from: s.from, to: s.via, when: `a worker starts the ${name} step (one conditional write: a duplicate message finds it claimed)` }]),
  ...perStep((name, s) => [{ event: 'take_over', from: s.via, to: s.via, when: `the ${name} step's worker died: after the stale window another worker re-claims it` }]),
  ...perStep((name, s) => [{ event: 'land', from: s.via, to: s.to, when: `WeChat accepted ${s.calls}${name === 'submit' ? ', or our version was already under audit (85009: adopted)' : name === 'release' ? ', or it was already released (85052)' : ''}` }]),
  ...perStep((name, s) => [{ event: 'revert', from: s.via, to: s.from, when: `the ${name} step will run again: a retryable WeChat error (backoff), our own fault${name === 'submit' ? ', the privacy scan (61039) or the audit quota (85085)' : ''}` }]),
  { event: 'recommit', from: 'submitting', to: 'queued', when: 'WeChat has no commit for this version (85086): commit again, at most 3 times' },
  ...perStep((_, s) => [
    { event: 'stop', from: s.via, to: 'failed', when: 'a permanent WeChat error, retries exhausted, the tenant must re-authorize, or the ext_json is invalid' },
    { event: 'stop', from: s.via, to: 'skipped', when: 'the tenant revoked the authorization (61003)' },
  ]),
  { event: 'park_audit_outcome', from: 'submitting', to: 'submitting', when: 'the audit result was pushed before submit_audit answered: kept, applied on landing' },
  { event: 'audit_approved', from: 'auditing', to: 'approved', when: 'weapp_audit_success, or get_auditstatus 0' },
  { event: 'audit_rejected', from: 'auditing', to: 'rejected', when: 'weapp_audit_fail, or get_auditstatus 1 (the reason is kept)' },
  { event: 'audit_delayed', from: 'auditing', to: 'auditing', when: 'weapp_audit_delay, or get_auditstatus 4' },
  { event: 'audit_withdrawn', from: 'auditing', to: 'failed', when: 'get_auditstatus 3: the audit was withdrawn' },
  ...(['queued', 'committed', 'approved', 'released'] as const).map(
    (to): Transition => ({ event: 'retry', from: 'failed', to, when: to === 'queued' ? 'the operator retries a target that failed committing (or whose audit was withdrawn)' : `the operator retries a target that failed in the step from ${to}` }),
  ),
  { event: 'cancel', from: 'queued', to: 'cancelled', when: 'the deployment is cancelled before the commit started' },
  { event: 'cancel', from: 'committed', to: 'cancelled', when: 'the deployment is cancelled before the submit started' },
];

/** A move the table does not allow: a bug in the caller, never a race (races fail their condition). */
export class IllegalTransition extends Error {
  constructor(
    readonly event: TargetEvent,
    readonly from: TargetState,
    readonly to: TargetState,
  ) {
    super(`target cannot ${event} from ${from} to ${to}`);
    this.name = 'IllegalTransition';
  }
}

const ALLOWED = new Set(TRANSITIONS.map((t) => `${t.event}:${t.from}:${t.to}`));

/** Throws unless the table allows `event` to move a target from each of `from` to `to`. */
export function assertTransition(event: TargetEvent, from: readonly TargetState[], to: TargetState): void {
  for (const state of from) if (!ALLOWED.has(`${event}:${state}:${to}`)) throw new IllegalTransition(event, state, to);
}

/** The states `event` may move a target from into `to`. */
export function sourcesOf(event: TargetEvent, to: TargetState): TargetState[] {
  return TRANSITIONS.filter((t) => t.event === event && t.to === to).map((t) => t.from);
}

/** docs/target-machine.md: the machine as markdown, generated from this module. */
export function machineDoc(): string {
  return [
    '# The deploy target state machine',
    '',
    '<!-- Generated from shared/deployments/target-machine.ts: edit the module, then run',
    '     `npx vitest run test/docs -u` to rewrite this file. A test fails while the two differ. -->',
    '',
    'Each tenant of a deployment is a *target*. A step calls WeChat once: a worker *claims* it with one',
    'conditional write into the in-flight state, makes the call, and *lands* it. SQS redelivery and',
    'WeChat push retries find the target already moved and do nothing. A step whose worker died is',
    '*taken over* once it is older than the stale window. The target store refuses, by throwing, any',
    'move this table does not list.',
    '',
    transitionTable(),
    '',
  ].join('\n');
}

function transitionTable(): string {
  const rows = TRANSITIONS.map((t) => `| \`${t.from}\` | \`${t.event}\` | \`${t.to}\` | ${t.when} |`);
  const steps = STEP_NAMES.map((name) => `| ${name} | \`${STEPS[name].from}\` | \`${STEPS[name].via}\` | \`${STEPS[name].to}\` | ${STEPS[name].calls} |`);
  return [
    '| step | from | in flight | to | WeChat |',
    '|---|---|---|---|---|',
    ...steps,
    '',
    `In flight: ${[...IN_FLIGHT].map((s) => `\`${s}\``).join(', ')}. Terminal: ${[...TERMINAL].map((s) => `\`${s}\``).join(', ')} ` +
      `(\`failed\` resumes on retry at the start of the step that failed). Recorded at fan-out as ${INITIAL.map((s) => `\`${s}\``).join(' or ')}.`,
    '',
    '| from | event | to | when |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
