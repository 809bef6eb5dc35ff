import { recordMetric } from '../metrics/record';
import type { AuditOutcome } from './audit-results';
import type { BulkAction, Deployment, DeploymentPatch, Target, TargetError, TargetField, TargetPatch, TargetTally, WaveProgress } from './deployment';
import { assertTransition, CANCELLABLE, claimedNext, resumeFromFailed, STEPS, type StepName, type TargetEvent, type TargetState } from './target-machine';

/**
 * One conditional write on a target: from one of `from` to `to` (checked against the target
 * machine first), setting and removing typed fields. `ownedBy` limits it to the worker whose step
 * claim started at that time, so a worker that lost its step to a takeover changes nothing.
 */
export interface TargetMove {
  event: TargetEvent;
  from: readonly TargetState[];
  to: TargetState;
  set?: TargetPatch;
  remove?: readonly TargetField[];
  ownedBy?: number;
}

/** A target waiting on an audit, as the audit reconciler sees it. */
export interface AuditingTarget {
  deploymentId: string;
  appid: string;
  auditId?: number;
  submittedAtMs: number;
}

/** A deployment in the sweeper's index (not yet settled), and where its last, partial, sweep stopped. */
/** Progress of the sweeper index's backfill: where in the list of deployments it continues. */
export type IndexBackfill = { done: true } | { done: false; nextToken?: string };

export interface ActiveDeployment {
  id: string;
  sweepCursor?: string;
  /** When it entered the index. */
  activeSinceMs?: number;
}

/** What a step's worker writes when WeChat accepted the step. */
export type LandPatch = Pick<
  TargetPatch,
  'committedAtMs' | 'auditsOursSinceMs' | 'auditId' | 'submittedAtMs' | 'auditDelayed' | 'releasedAtMs' | 'grayPercentage' | 'rolledBackAtMs' | 'auditOutcome' | 'error'
>;

/** What an audit result writes on the target, by outcome. */
const AUDIT_MOVES: { [S in AuditOutcome['status']]: (outcome: Extract<AuditOutcome, { status: S }>, nowMs: number) => Omit<TargetMove, 'from' | 'ownedBy'> } = {
  approved: (_, nowMs) => ({ event: 'audit_approved', to: 'approved', set: { approvedAtMs: nowMs }, remove: ['auditDelayed', 'earlyAuditOutcome'] }),
  rejected: (outcome) => ({
    event: 'audit_rejected',
    to: 'rejected',
    set: { reason: outcome.reason, screenshot: outcome.screenshot, error: { code: 'audit_rejected', message: outcome.reason } },
    remove: ['auditDelayed', 'earlyAuditOutcome'],
  }),
  delayed: (outcome) => ({ event: 'audit_delayed', to: 'auditing', set: { auditDelayed: true, delayReason: outcome.reason } }),
  withdrawn: () => ({ event: 'audit_withdrawn', to: 'failed', set: { error: { code: 'audit_withdrawn', message: 'the audit was withdrawn' } }, remove: ['auditDelayed', 'earlyAuditOutcome'] }),
};

/** A cancelled deployment's audit result settles the target as cancelled, keeping what WeChat decided. */
function auditAfterCancel(outcome: AuditOutcome): Omit<TargetMove, 'from' | 'ownedBy'> {
  const said = outcome.status === 'rejected' ? `rejected: ${outcome.reason}` : outcome.status;
  return {
    event: 'audit_after_cancel',
    to: 'cancelled',
    set: {
      auditOutcome: outcome.status,
      ...(outcome.status === 'rejected' ? { reason: outcome.reason, screenshot: outcome.screenshot } : {}),
      error: { code: 'deployment_cancelled', message: `the deployment was cancelled; its audit ended ${said}` },
    },
    remove: ['auditDelayed', 'earlyAuditOutcome', 'stepStartedAtMs'],
  };
}

/**
 * The port through which deployments and their targets are stored. Targets change only through
 * the named moves below, each one conditional write that the target machine allows: an answer of
 * `undefined` means the condition did not hold (another delivery got there first) and the caller
 * does nothing. Adapters implement the reads and `write`; they own how conditions and indexes
 * are expressed.
 */
export abstract class DeploymentStore {
  constructor(protected readonly now: () => number = Date.now) {}

  abstract create(deployment: Deployment): Promise<void>;
  abstract get(id: string): Promise<Deployment | undefined>;
  abstract list(limit: number, nextToken?: string): Promise<{ deployments: Deployment[]; nextToken?: string }>;
  /** Updates deployment-level fields (pause, operator intent, fan-out progress). */
  abstract update(id: string, set: DeploymentPatch, remove?: readonly (keyof DeploymentPatch)[]): Promise<void>;
  /** Clears the pending operator action once its queue side is done, unless a newer one has replaced it meanwhile. */
  /** Writes a staged rollout's progress if it is still at `expectedVersion` (undefined: none yet); false when another writer got there first. */
  abstract saveWaveProgress(id: string, next: Omit<WaveProgress, 'version'>, expectedVersion: number | undefined): Promise<boolean>;
  abstract clearPendingAction(id: string, pending: { action: BulkAction; atMs: number }): Promise<void>;

  /** Records a target once (fan-out); a repeated fan-out (SQS redelivery) leaves an existing one alone. */
  async addTarget(target: Target): Promise<boolean> {
    const added = await this.insertTarget(target);
    if (added) recordMetric('DeployTransition', { by: target.state });
    return added;
  }
  abstract getTarget(id: string, appid: string): Promise<Target | undefined>;
  /** Several targets of one deployment, read as `getTarget` reads one (those that exist, by appid). */
  async getTargets(id: string, appids: readonly string[]): Promise<Map<string, Target>> {
    const found = await Promise.all(appids.map((appid) => this.getTarget(id, appid)));
    return new Map(found.filter((target) => target !== undefined).map((target) => [target.appid, target]));
  }
  abstract listTargets(id: string, limit: number, nextToken?: string): Promise<{ targets: Target[]; nextToken?: string }>;
  /**
   * The deployment's targets counted per state, and grouped by what decides their next step (read
   * from the targets themselves, so never out of step).
   */
  abstract tally(id: string): Promise<TargetTally>;

  /** How many targets are in each state. */
  async counts(id: string): Promise<Partial<Record<TargetState, number>>> {
    return (await this.tally(id)).counts;
  }
  /** Every target waiting on an audit submitted before `beforeMs`, oldest first (for the reconciler). */
  abstract auditingSince(beforeMs: number): AsyncGenerator<AuditingTarget>;

  /**
   * The sweeper's index: deployments not yet settled, least recently swept first. A deployment
   * enters it when created (and again when an operator action gives it work), and leaves it when
   * the sweeper finds it settled.
   */
  abstract activeDeployments(): AsyncGenerator<ActiveDeployment>;
  /** Puts the deployment (back) in the sweeper's index; idempotent. */
  abstract activate(id: string): Promise<void>;
  /** The deployment is settled: out of the sweeper's index. */
  abstract retire(id: string): Promise<void>;
  /**
   * Records a sweep of the deployment (its `lastSweptAtMs`, without counting as activity on it);
   * with `cursor`, the sweep stopped there and the next continues from it.
   */
  abstract markSwept(id: string, atMs: number, cursor?: string): Promise<void>;

  /**
   * How far the one-time backfill of the sweeper's index has read the list of deployments (those
   * created before the index existed are not in it): `done` once it has read them all.
   */
  abstract indexBackfill(): Promise<IndexBackfill>;
  abstract saveIndexBackfill(progress: IndexBackfill): Promise<void>;

  /** Every target of a deployment, page by page. */
  async *allTargets(id: string): AsyncGenerator<Target> {
    let nextToken: string | undefined;
    do {
      const page = await this.listTargets(id, 500, nextToken);
      yield* page.targets;
      nextToken = page.nextToken;
    } while (nextToken);
  }

  protected abstract insertTarget(target: Target): Promise<boolean>;
  /** Applies a move the machine allows; undefined when its condition did not hold. */
  protected abstract write(deploymentId: string, appid: string, move: TargetMove, nowMs: number): Promise<Target | undefined>;

  /** The one place a target's state changes: checked against the machine, counted when it moves. */
  protected async move(deploymentId: string, appid: string, move: TargetMove): Promise<Target | undefined> {
    assertTransition(move.event, move.from, move.to);
    const moved = await this.write(deploymentId, appid, move, this.now());
    // A same-state write (a takeover, a parked audit result) updates the target without moving it.
    if (moved && !move.from.includes(move.to)) recordMetric('DeployTransition', { by: move.to });
    return moved;
  }

  /** Claims `step` for the worker starting it now; a takeover re-claims one whose worker died. */
  claimStep(deploymentId: string, appid: string, step: StepName, startedAtMs: number, takeover?: { abandonedAtMs: number }): Promise<Target | undefined> {
    const { from, via } = STEPS[step];
    return takeover
      ? this.move(deploymentId, appid, { event: 'take_over', from: [via], to: via, set: { stepStartedAtMs: startedAtMs, step }, ownedBy: takeover.abandonedAtMs })
      : this.move(deploymentId, appid, { event: 'claim', from: [from], to: via, set: { stepStartedAtMs: startedAtMs, step } });
  }

  /** Records the version a rollback reverts to, before WeChat is asked (only by the claim's owner). */
  pinRollback(deploymentId: string, appid: string, ownedBy: number, rollbackTo: { appVersion: number; userVersion: string }): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'pin', from: ['rolling_back'], to: 'rolling_back', set: { rollbackTo }, ownedBy });
  }

  /** WeChat accepted the step (or had already done it): the target moves on. */
  landStep(deploymentId: string, appid: string, step: StepName, ownedBy: number, patch: LandPatch): Promise<Target | undefined> {
    const { via, to } = STEPS[step];
    // A landing may say why it ended where it did (a withdrawn audit); otherwise the last attempt's error goes.
    const remove: TargetField[] = patch.error ? ['stepStartedAtMs'] : ['error', 'stepStartedAtMs'];
    return this.move(deploymentId, appid, { event: 'land', from: [via], to, set: { ...patch, attempts: 0 }, remove, ownedBy });
  }

  /**
   * The step landed and the one it claims next (claimsNext) is due: one write does both, so the
   * next step is owned by the worker from `startedAtMs` exactly as if it had claimed it itself.
   */
  async landAndClaim(deploymentId: string, appid: string, step: StepName, ownedBy: number, patch: LandPatch, startedAtMs: number): Promise<Target | undefined> {
    const next = claimedNext(step);
    if (!next) throw new Error(`the ${step} step claims no step on landing`);
    const moved = await this.move(deploymentId, appid, {
      event: 'land_and_claim',
      from: [STEPS[step].via],
      to: STEPS[next].via,
      set: { ...patch, attempts: 0, step: next, stepStartedAtMs: startedAtMs },
      remove: ['error'],
      ownedBy,
    });
    // The state passed through on the way counts as entered.
    if (moved) recordMetric('DeployTransition', { by: STEPS[step].to });
    return moved;
  }

  /**
   * WeChat refused the step for a reason that leaves the target as it was (no earlier version to
   * roll back to, no withdrawal quota): back where the step started, the refusal as its error.
   */
  refuseStep(deploymentId: string, appid: string, step: StepName, ownedBy: number, error: TargetError): Promise<Target | undefined> {
    const { from, via } = STEPS[step];
    return this.move(deploymentId, appid, { event: 'refuse', from: [via], to: from, set: { error, refused: step, attempts: 0 }, remove: ['stepStartedAtMs'], ownedBy });
  }

  /** The operator issued the action again: a step WeChat refused for this target is tried again. */
  reconsider(deploymentId: string, appid: string, state: TargetState): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'reconsider', from: [state], to: state, remove: ['refused', 'error'] });
  }

  /** The deployment was cancelled between the claim and the WeChat call: the call is never made. */
  cancelUnstarted(deploymentId: string, appid: string, step: StepName, ownedBy: number): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'cancel_unstarted', from: [STEPS[step].via], to: 'cancelled', remove: ['stepStartedAtMs'], ownedBy });
  }

  /**
   * Puts the target back where the step starts, to run it again; with `recommit`, back to the
   * commit (85086: WeChat has no commit for this version).
   */
  revertStep(
    deploymentId: string,
    appid: string,
    step: StepName,
    ownedBy: number,
    patch: { attempts: number; error: TargetError; recommits?: number },
    recommit = false,
  ): Promise<Target | undefined> {
    const { from, via } = STEPS[step];
    return this.move(deploymentId, appid, {
      event: recommit ? 'recommit' : 'revert',
      from: [via],
      to: recommit ? 'queued' : from,
      set: patch,
      // A parked audit result belonged to a submit that is now being redone (and looked up first).
      remove: ['stepStartedAtMs', 'earlyAuditOutcome'],
      ownedBy,
    });
  }

  /** The step cannot succeed: the target ends `failed` (retryable by the operator), `blocked` by a release gate, or `skipped`. */
  stopStep(deploymentId: string, appid: string, step: StepName, ownedBy: number, to: 'failed' | 'blocked' | 'skipped', error: TargetError): Promise<Target | undefined> {
    // A parked audit result belonged to a submit that did not land: a retried submit must not inherit it.
    return this.move(deploymentId, appid, {
      event: 'stop',
      from: [STEPS[step].via],
      to,
      set: { error, resumeFrom: resumeFromFailed(step) },
      remove: ['stepStartedAtMs', 'earlyAuditOutcome'],
      ownedBy,
    });
  }

  /** Keeps an audit result that arrived while submit_audit was still answering. */
  parkAuditOutcome(deploymentId: string, appid: string, outcome: AuditOutcome): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'park_audit_outcome', from: ['submitting'], to: 'submitting', set: { earlyAuditOutcome: outcome } });
  }

  /**
   * Applies an audit result to a target that is auditing. A cancelled deployment's target ends
   * cancelled instead (also when its withdrawal was in flight), with the result kept.
   */
  recordAuditOutcome(deploymentId: string, appid: string, outcome: AuditOutcome, deploymentCancelled = false): Promise<Target | undefined> {
    if (deploymentCancelled && outcome.status !== 'delayed') return this.move(deploymentId, appid, { ...auditAfterCancel(outcome), from: ['auditing', 'withdrawing'] });
    const move = (AUDIT_MOVES[outcome.status] as (o: AuditOutcome, nowMs: number) => Omit<TargetMove, 'from'>)(outcome, this.now());
    return this.move(deploymentId, appid, { ...move, from: ['auditing'] });
  }

  /** The operator's retry: a failed or blocked target goes back to the start of the step that stopped. */
  retryTarget(deploymentId: string, appid: string, resumeFrom: TargetState): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'retry', from: ['failed', 'blocked'], to: resumeFrom, set: { attempts: 0 }, remove: ['error', 'resumeFrom', 'recommits'] });
  }

  /**
   * The operator's retry of a rejected target: submitted again (with the deployment's resubmission
   * settings), or committed again first when another deployment used the tenant meanwhile.
   */
  resubmitTarget(deploymentId: string, appid: string, previousRejection: string | undefined, to: 'committed' | 'queued' = 'committed'): Promise<Target | undefined> {
    return this.move(deploymentId, appid, {
      event: 'resubmit',
      from: ['rejected'],
      to,
      set: { attempts: 0, previousRejection, auditsOursSinceMs: this.now() },
      remove: ['error', 'reason', 'screenshot', 'auditId', 'submittedAtMs', 'auditDelayed', 'earlyAuditOutcome'],
    });
  }

  /** A cancelled deployment's target that has not started its next WeChat write. */
  cancelTarget(deploymentId: string, appid: string, error?: TargetError): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'cancel', from: CANCELLABLE, to: 'cancelled', set: { error }, remove: ['waitingFor'] });
  }

  /** Another deployment holds the tenant: this target waits its turn. */
  waitForTenant(deploymentId: string, appid: string, holder: string): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'wait', from: ['queued'], to: 'waiting', set: { waitingFor: holder } });
  }

  /** The tenant is free (or taken over): the waiting target starts. */
  wake(deploymentId: string, appid: string): Promise<Target | undefined> {
    return this.move(deploymentId, appid, { event: 'wake', from: ['waiting'], to: 'queued', remove: ['waitingFor'] });
  }
}
