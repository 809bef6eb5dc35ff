/**
 * The deploy target's state machine, declared as data: its states, the steps that call WeChat,
 * and every transition with the event that causes it. Targets move only through
 * {@link assertTransition} (the target store calls it before each write), so a move the table
 * does not list throws instead of happening. `docs/target-machine.md` is generated from this
 * module (`npm run docs:machine`); a test keeps the two equal.
 */

export const TARGET_STATES = [
  'queued',
  'waiting',
  'committing',
  'committed',
  'submitting',
  'auditing',
  'withdrawing',
  'approved',
  'releasing',
  'gray',
  'reverting_gray',
  'released',
  'rolling_back',
  'rolled_back',
  'failed',
  'blocked',
  'rejected',
  'skipped',
  'cancelled',
] as const;

export type TargetState = (typeof TARGET_STATES)[number];

/**
 * A step calls WeChat: claimed `from` → `via` (in flight), landed `via` → `to`. The target records
 * which step it claimed, so two steps may share an in-flight state (releasing: release, gray,
 * widen, complete) and a takeover or a revert knows which one it is.
 */
export interface StepDefinition {
  from: TargetState;
  via: TargetState;
  to: TargetState;
  /** The WeChat call(s) the step makes, for the generated table. */
  calls: string;
  /** A WeChat write that a cancelled deployment must never start (rollbacks and withdrawals still run). */
  stoppedByCancel: boolean;
  /** The step that usually follows at once: when it is due, the landing claims it in the same write. */
  claimsNext?: string;
}

export const STEPS = {
  commit: { from: 'queued', via: 'committing', to: 'committed', calls: 'modify_domain?, setwebviewdomain?, commit', stoppedByCancel: true, claimsNext: 'submit' },
  submit: { from: 'committed', via: 'submitting', to: 'auditing', calls: 'submit_audit', stoppedByCancel: true },
  withdraw: { from: 'auditing', via: 'withdrawing', to: 'cancelled', calls: 'undocodeaudit', stoppedByCancel: false },
  release: { from: 'approved', via: 'releasing', to: 'released', calls: 'release', stoppedByCancel: true },
  gray: { from: 'approved', via: 'releasing', to: 'gray', calls: 'grayrelease', stoppedByCancel: true },
  widen: { from: 'gray', via: 'releasing', to: 'gray', calls: 'grayrelease (a larger percentage)', stoppedByCancel: true },
  complete: { from: 'gray', via: 'releasing', to: 'released', calls: 'release (the gray version goes fully online)', stoppedByCancel: true },
  revert_gray: { from: 'gray', via: 'reverting_gray', to: 'approved', calls: 'revertgrayrelease', stoppedByCancel: false },
  rollback: { from: 'released', via: 'rolling_back', to: 'rolled_back', calls: 'get_history_version, getversioninfo, revertcoderelease(app_version)', stoppedByCancel: false },
  rollback_gray: { from: 'gray', via: 'rolling_back', to: 'rolled_back', calls: 'revertgrayrelease', stoppedByCancel: false },
} as const satisfies Record<string, StepDefinition>;

export type StepName = keyof typeof STEPS;
export const STEP_NAMES = Object.keys(STEPS) as StepName[];

/** The step `step`'s landing claims when it is due at once (STEPS' claimsNext). */
export function claimedNext(step: StepName): StepName | undefined {
  return (STEPS[step] as StepDefinition).claimsNext as StepName | undefined;
}

/** States where a WeChat call is (or was, before a crash) in flight. */
export const IN_FLIGHT: ReadonlySet<TargetState> = new Set(STEP_NAMES.map((name) => STEPS[name].via));

/** The step a target in flight claimed (recorded at the claim; older records: the first step through its state). */
export function stepInFlight(target: { state: TargetState; step?: StepName }): StepName | undefined {
  if (!IN_FLIGHT.has(target.state)) return undefined;
  if (target.step && STEPS[target.step].via === target.state) return target.step;
  return STEP_NAMES.find((name) => STEPS[name].via === target.state);
}

/**
 * States a target does not leave by itself. `failed` and `blocked` can be retried (a blocked one
 * is checked again) and `rejected` resubmitted by the operator; the others are final for this deployment.
 */
export const TERMINAL: ReadonlySet<TargetState> = new Set(['rolled_back', 'failed', 'blocked', 'rejected', 'skipped', 'cancelled']);

/**
 * States in which the target's deployment is done with the tenant for now, so another deployment
 * may start its lifecycle there (a `committed` target whose deployment submits nothing counts too).
 */
export const LETS_GO_OF_TENANT: ReadonlySet<TargetState> = new Set([...TERMINAL, 'released']);

/** States in which the target's audit is pending at WeChat (the audit reconciler polls them). */
export const AUDIT_PENDING: ReadonlySet<TargetState> = new Set(['auditing', 'withdrawing']);

/** States a cancel settles at once: nothing of the deployment is at WeChat's audit or in flight for them. */
export const CANCELLABLE: readonly TargetState[] = ['queued', 'waiting', 'committed', 'approved'];

/** States a target is recorded in when the deployment fans out. */
export const INITIAL: readonly TargetState[] = ['queued', 'skipped', 'blocked'];

/** Steps a release gate can stop: before the commit (the stored readiness), at submit (WeChat's pre-checks) and at release (ICP). */
export const GATED_STEPS: ReadonlySet<StepName> = new Set(['commit', 'submit', 'release', 'gray', 'complete']);

/** Where a failed target resumes on retry: the start of the step that failed, never an earlier one. */
export function resumeFromFailed(step: StepName | undefined): TargetState {
  return step ? STEPS[step].from : 'queued';
}

export type TargetEvent =
  | 'wait'
  | 'wake'
  | 'claim'
  | 'take_over'
  | 'pin'
  | 'land'
  | 'land_and_claim'
  | 'revert'
  | 'recommit'
  | 'refuse'
  | 'reconsider'
  | 'stop'
  | 'cancel_unstarted'
  | 'park_audit_outcome'
  | 'audit_approved'
  | 'audit_rejected'
  | 'audit_delayed'
  | 'audit_withdrawn'
  | 'audit_after_cancel'
  | 'retry'
  | 'resubmit'
  | 'cancel';

export interface Transition {
  event: TargetEvent;
  from: TargetState;
  to: TargetState;
  /** Why it happens, for the generated table. */
  when: string;
}

const stepRows = (make: (name: StepName, step: StepDefinition) => Transition | undefined): Transition[] =>
  STEP_NAMES.map((name) => make(name, STEPS[name])).filter((row): row is Transition => row !== undefined);

/** Outcomes of a step WeChat refused for a reason that leaves the target as it was (not a failure). */
const REFUSABLE: Partial<Record<StepName, string>> = {
  rollback: 'WeChat has no earlier version to roll back to (87012), a gray release is running (87011), or our version is no longer the one online: the target stays live, with the refusal as its error',
  rollback_gray: 'WeChat refused to revert the gray release: the target stays gray, with the refusal as its error',
  withdraw: 'WeChat allows no more audit withdrawals now (87013) or the audit was already decided: the audit continues, and the target is cancelled when its result arrives',
  revert_gray: 'no gray release is running any more: the target stays as it was, with the refusal as its error',
};

/** Every transition a target may make. A same-state row updates the target without moving it. */
export const TRANSITIONS: readonly Transition[] = unique([
  { event: 'wait', from: 'queued', to: 'waiting', when: 'another deployment is in the middle of its lifecycle on this tenant: this one waits its turn' },
  { event: 'wake', from: 'waiting', to: 'queued', when: 'the other deployment let go of the tenant (or was superseded)' },
  ...stepRows((name, s) => ({ event: 'claim', from: s.from, to: s.via, when: `a worker starts the ${name} step (one conditional write: a duplicate message finds it claimed)` })),
  ...stepRows((name, s) => ({ event: 'take_over', from: s.via, to: s.via, when: `the ${name} step's worker died: after the stale window another worker re-claims it` })),
  { event: 'pin', from: 'rolling_back', to: 'rolling_back', when: 'the rollback records the version it reverts to before calling WeChat, so a redelivery reverts to the same one' },
  ...stepRows((name, s) => ({
    event: 'land',
    from: s.via,
    to: s.to,
    when: `WeChat accepted ${s.calls}${
      name === 'submit' ? ', or our submission was already under audit (85009, or found on takeover)' : name === 'release' || name === 'complete' ? ', or it was already released (85052)' : name === 'rollback' ? ', or the pinned version is already online' : ''
    }`,
  })),
  ...stepRows((name, s) => {
    const next = claimedNext(name);
    return next ? { event: 'land_and_claim', from: s.via, to: STEPS[next].via, when: `the ${name} step landed and the ${next} step is due at once: one write lands the one and claims the other` } : undefined;
  }),
  ...stepRows((name, s) => ({
    event: 'revert',
    from: s.via,
    to: s.from,
    when: `the ${name} step will run again: a retryable WeChat error (with backoff) or our own fault${name === 'submit' ? '; the privacy scan (61039) or the audit quota (85085)' : ''}`,
  })),
  { event: 'recommit', from: 'submitting', to: 'queued', when: 'WeChat has no commit for this version (85086): commit again, at most 3 times' },
  ...stepRows((name, s) => (REFUSABLE[name] ? { event: 'refuse', from: s.via, to: s.from, when: REFUSABLE[name]! } : undefined)),
  ...[...new Set(STEP_NAMES.filter((name) => REFUSABLE[name]).map((name) => STEPS[name].from))].map(
    (state): Transition => ({ event: 'reconsider', from: state, to: state, when: 'the operator issues the refused action again: WeChat is asked once more' }),
  ),
  ...stepRows((name, s) => (REFUSABLE[name] ? undefined : { event: 'stop', from: s.via, to: 'failed', when: 'a permanent WeChat error, retries exhausted, the tenant must re-authorize, or the ext_json is invalid' })),
  ...stepRows((name, s) => (REFUSABLE[name] ? undefined : { event: 'stop', from: s.via, to: 'skipped', when: 'the tenant revoked the authorization (61003)' })),
  ...stepRows((name, s) =>
    GATED_STEPS.has(name)
      ? {
          event: 'stop',
          from: s.via,
          to: 'blocked',
          when:
            name === 'commit'
              ? "a release gate blocks the tenant (ICP, basic info, privacy guide, categories, ungranted privacy API): nothing is committed"
              : name === 'submit'
                ? "WeChat's pre-checks refuse: undeclared or ungranted privacy APIs (61040), no privacy guide, basic info (86002), a category it lacks (85008/85077)"
                : 'WeChat refuses to release a mini-program without an ICP filing',
        }
      : undefined,
  ),
  ...stepRows((name, s) =>
    s.stoppedByCancel ? { event: 'cancel_unstarted', from: s.via, to: 'cancelled', when: `the deployment was cancelled before the ${name} step's WeChat call started` } : undefined,
  ),
  { event: 'park_audit_outcome', from: 'submitting', to: 'submitting', when: 'the audit result was pushed before submit_audit answered: kept, applied on landing' },
  { event: 'audit_approved', from: 'auditing', to: 'approved', when: 'weapp_audit_success, or get_auditstatus 0' },
  { event: 'audit_rejected', from: 'auditing', to: 'rejected', when: 'weapp_audit_fail, or get_auditstatus 1 (the reason is kept)' },
  { event: 'audit_delayed', from: 'auditing', to: 'auditing', when: 'weapp_audit_delay, or get_auditstatus 4' },
  { event: 'audit_withdrawn', from: 'auditing', to: 'failed', when: 'get_auditstatus 3: the audit was withdrawn outside this deployment' },
  { event: 'audit_after_cancel', from: 'auditing', to: 'cancelled', when: 'the audit result of a cancelled deployment arrives: kept on the target, nothing is released' },
  { event: 'audit_after_cancel', from: 'withdrawing', to: 'cancelled', when: 'the audit was decided while its withdrawal was in flight' },
  ...(['queued', 'committed', 'approved', 'gray'] as const).map(
    (to): Transition => ({
      event: 'retry',
      from: 'failed',
      to,
      when: to === 'queued' ? 'the operator retries a target that failed committing, whose audit was withdrawn, or whose tenant another deployment used since' : `the operator retries a target that failed in a step from ${to}`,
    }),
  ),
  ...(['queued', 'committed', 'approved', 'gray'] as const).map(
    (to): Transition => ({ event: 'retry', from: 'blocked', to, when: `the operator retries a blocked target after the fix: its gates are checked again${to === 'queued' ? ' before the commit' : `, from ${to}`}` }),
  ),
  { event: 'resubmit', from: 'rejected', to: 'committed', when: 'the operator retries (resubmits) a rejected target, optionally with feedback and new audit items' },
  { event: 'resubmit', from: 'rejected', to: 'queued', when: 'the same, when another deployment used the tenant since: its code is committed again first' },
  ...CANCELLABLE.map((from): Transition => ({ event: 'cancel', from, to: 'cancelled', when: 'the deployment is cancelled before this target\'s next WeChat write' })),
]);

/** Steps sharing an in-flight state make the same row more than once (e.g. every releasing step stops alike). */
function unique(rows: Transition[]): Transition[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    const key = `${row.event}|${row.from}|${row.to}|${row.when}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

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
  const steps = STEP_NAMES.map((name) => {
    const step: StepDefinition = STEPS[name];
    return `| ${name} | \`${step.from}\` | \`${step.via}\` | \`${step.to}\` | ${step.calls} | ${step.stoppedByCancel ? 'no' : 'yes'} |`;
  });
  return [
    '| step | from | in flight | to | WeChat | runs after a cancel |',
    '|---|---|---|---|---|---|',
    ...steps,
    '',
    `In flight: ${[...IN_FLIGHT].map((s) => `\`${s}\``).join(', ')}. Terminal: ${[...TERMINAL].map((s) => `\`${s}\``).join(', ')} ` +
      `(\`failed\` resumes on retry at the start of the step that failed; \`rejected\` is resubmitted from \`committed\`). ` +
      `Recorded at fan-out as ${INITIAL.map((s) => `\`${s}\``).join(' or ')}. A deployment holds a tenant from its commit until its target reaches ` +
      `${[...LETS_GO_OF_TENANT].map((s) => `\`${s}\``).join(', ')} (or \`committed\` when it submits nothing); another deployment's target waits meanwhile.`,
    '',
    'In a staged rollout (`waves`, shared/deployments/waves.ts) every target carries its wave. A `queued` target of a wave that is not',
    'open has no step due (`commit` waits for the wave to open); while the rollout is halted no `commit` and no `submit` is due in any',
    'wave. No state or transition is added: the wave only decides *when* `commit` and `submit` are due.',
    '',
    '| from | event | to | when |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
