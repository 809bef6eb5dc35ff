import type { TenantConfig } from '../tenant-config/schema';
import type { ReleaseProfile } from '../templates/release-profile';
import type { AuditItem, ServerDomains } from '../wechat/types';
import type { AuditOutcome } from './audit-results';
import { dueStep } from './due-step';
import { IN_FLIGHT, type StepName, type TargetState } from './target-machine';

export { IN_FLIGHT, TARGET_STATES, type TargetState } from './target-machine';

export type ReleaseMode = 'auto' | 'manual';


export interface DeploymentSpec {
  templateId: number;
  /** 0 normal, 1 standard (which accepts only extAppid, ext, window). */
  templateType: 0 | 1;
  userVersion: string;
  userDesc: string;
  /** Explicit targets; absent means every active tenant. */
  tenants?: string[];
  /** Deploy-wide ext_json defaults, under each tenant's own configuration. */
  ext?: TenantConfig;
  submitAudit: boolean;
  release: ReleaseMode;
  auditItems?: AuditItem[];
  versionDesc?: string;
  privacyApiNotUse?: boolean;
  domains?: ServerDomains;
  webviewDomains?: string[];
  /**
   * When a tenant is in the middle of another deployment's lifecycle: take it over (withdrawing
   * that deployment's audit) instead of waiting for it to settle.
   */
  supersede?: boolean;
  /** The template's release profile when the deployment was created (later edits do not change it). */
  profile?: ReleaseProfile;
  /**
   * A staged rollout (waves.ts): `tenants` is ordered wave by wave and `waveEnds[w]` is where wave w
   * ends in it. A wave's targets commit only once it is open; the next opens when this one settled,
   * the halt condition held, and the operator advanced (or the soak time passed).
   */
  waves?: WaveSpec[];
  waveEnds?: number[];
  advance?: WaveAdvance;
  haltWhen?: { failedOrRejectedPercent: number };
}

/** One wave as asked for: named pilot tenants, or a cumulative share of the other tenants. */
export type WaveSpec = { tenants: string[] } | { percent: number };
/** How the next wave opens once the current one settled: the operator's advance, or a soak time. */
export type WaveAdvance = 'manual' | { afterMinutes: number };

/** Where a staged rollout stands (absent on deployments without waves). */
export interface WaveProgress {
  /** Bumped by every write (deployment-store.ts saveWaveProgress): two writers never both win. */
  version: number;
  /** The highest open wave: targets of later waves stay queued, nothing of theirs reaches WeChat. */
  openWave: number;
  /** When the open wave was first seen settled (the soak counts from here). */
  settledAtMs?: number;
  /** The operator asked for this wave to open (advance, or resume after a halt). */
  advanceRequested?: number;
  /** The halt condition tripped: no commit or submit until the operator resumes (or rolls back, or cancels). */
  halt?: { wave: number; failed: number; rejected: number; total: number; percent: number; atMs: number };
  /** Waves whose halt the operator overrode (resume): their numbers do not trip it again. */
  haltOverridden?: number[];
  /** The next wave waits for audit quota: queryquota left less than its submissions need. */
  quotaWait?: { wave: number; needed: number; left: number; atMs: number };
  /** The wave watcher's loop (waves.ts): a check message of another loop is dropped. */
  watchLoop?: number;
  watchedAtMs?: number;
}

/**
 * A fleet deploy: one template version committed (and optionally audited and released) to many
 * tenants, each a target moving through its own states (target-machine.ts).
 */
export interface Deployment extends DeploymentSpec {
  id: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** Targets are recorded page by page in the background; until then the counts are partial. */
  fanOutDone: boolean;
  /** Where the fan-out continues: the next page of tenants. */
  fanOutCursor?: string;
  /** Set when WeChat refused further audit submissions (85085): no target is submitted until retry. */
  pausedReason?: string;
  /** Why, as a stable code (`audit_quota_exhausted`). */
  pausedCode?: string;
  /** Manual release requested by the operator: to a gray percentage, or fully online without one. */
  releaseRequested?: { atMs: number; grayPercentage?: number };
  /** The operator reverted the gray release: gray targets go back to approved. */
  revertGrayRequested?: boolean;
  cancelRequested?: boolean;
  /** With the cancel: withdraw the audits still under review (undocodeaudit). */
  withdrawAudits?: boolean;
  rollbackRequested?: boolean;
  /** Rejected targets are resubmitted with these (set by a retry that carries them). */
  resubmission?: { atMs: number; feedbackInfo?: string; auditItems?: AuditItem[] };
  /** An operator action the queue has not finished applying yet: the deployment is not settled until it is, or it expires. */
  pendingAction?: { action: BulkAction; atMs: number };
  /** When the sweeper last looked for stranded targets of this deployment (sweep.ts). */
  lastSweptAtMs?: number;
  /** A staged rollout's progress (deployments with waves). */
  waveProgress?: WaveProgress;
}

/** What a use case may change on a deployment after creating it. */
export type DeploymentPatch = Partial<
  Pick<
    Deployment,
    'fanOutDone' | 'fanOutCursor' | 'pausedReason' | 'pausedCode' | 'releaseRequested' | 'revertGrayRequested' | 'cancelRequested' | 'withdrawAudits' | 'rollbackRequested' | 'resubmission' | 'pendingAction' | 'waveProgress'
  >
>;

/** What an operator can ask of a whole deployment (`POST /api/deployments/{id}/{action}`). */
export const BULK_ACTIONS = ['retry', 'release', 'revert-gray', 'rollback', 'cancel', 'advance', 'resume'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export interface TargetError {
  /** WeChat's errcode where WeChat caused it, else a short code of ours. */
  code: number | string;
  message: string;
}

export interface Target {
  deploymentId: string;
  appid: string;
  state: TargetState;
  /** Its wave in a staged rollout (absent: the deployment has none, or wave 0). */
  wave?: number;
  attempts: number;
  auditId?: number;
  /** When submit_audit was accepted: the audit reconciler polls on a schedule from here. */
  submittedAtMs?: number;
  auditDelayed?: boolean;
  /** The audit's rejection reason, kept verbatim. */
  reason?: string;
  screenshot?: string;
  error?: TargetError;
  /** An audit result pushed before submit_audit answered, applied once the target is auditing. */
  earlyAuditOutcome?: AuditOutcome;
  stepStartedAtMs?: number;
  /** The step claimed (or last claimed): several steps share an in-flight state. */
  step?: StepName;
  /** Set when the target failed: the state a retry puts it back to (the failed step's start). */
  resumeFrom?: TargetState;
  /** How often 85086 (nothing committed) sent the target back to commit. */
  recommits?: number;
  delayReason?: string;
  committedAtMs?: number;
  /** An audit of this deployment's version submitted since then is this target's own (set at commit and resubmission). */
  auditsOursSinceMs?: number;
  approvedAtMs?: number;
  releasedAtMs?: number;
  /** The share of users on this version while the target is `gray` (as WeChat's gray plan reports it). */
  grayPercentage?: number;
  /** The version a rollback reverts to, pinned before WeChat is asked. */
  rollbackTo?: { appVersion: number; userVersion: string };
  rolledBackAtMs?: number;
  /** The deployment this target waits for (it holds the tenant). */
  waitingFor?: string;
  /** The audit result that arrived after the deployment was cancelled, kept for the record. */
  auditOutcome?: AuditOutcome['status'];
  /** The rejection before the last resubmission, kept for the record. */
  previousRejection?: string;
  /**
   * The step WeChat refused for this target (a rollback with no earlier version, a withdrawal
   * beyond the quota): not asked again until the operator issues the action again.
   */
  refused?: StepName;
  createdAtMs: number;
  updatedAtMs: number;
}

/** A target's fields a move may set or remove (never its identity, state or timestamps of record). */
export type TargetPatch = Partial<Omit<Target, 'deploymentId' | 'appid' | 'state' | 'createdAtMs' | 'updatedAtMs'>>;
export type TargetField = keyof TargetPatch;

export type DeploymentStatus = 'preparing' | 'running' | 'paused' | 'cancelled' | 'completed';

/**
 * How long an operator action may stay pending before it counts as lost. Its queue message is
 * received at most 5 times, 360 s apart, before it dead-letters (infra/functions.ts DEPLOY_QUEUE):
 * past that it will never finish, so the deployment must not show `running` for it forever.
 */
export const PENDING_ACTION_EXPIRES_MS = Number(process.env.DEPLOY_PENDING_ACTION_EXPIRY_SECONDS ?? 40 * 60) * 1000;

export function pendingActionExpired(pending: { atMs: number }, nowMs = Date.now()): boolean {
  return nowMs - pending.atMs > PENDING_ACTION_EXPIRES_MS;
}

/** Whether this target still has work to do (or is waiting on WeChat), given its deployment. */
export function isActive(target: RestingTarget, deployment: Deployment): boolean {
  return movesOnItsOwn(target, deployment) || dueStep(deployment, target) !== undefined;
}

/** A target that gets somewhere without an operator action's queue side sending it on. */
function movesOnItsOwn(target: RestingTarget, deployment: Deployment): boolean {
  // A queued target always has a message coming: its step, or (cancelled meanwhile) its cancel.
  // Until then a cancelled deployment is not settled: a cancel accepted while it was preparing
  // finds its last targets recorded as queued after the cancel's own pass.
  if (IN_FLIGHT.has(target.state) || target.state === 'waiting') return true;
  // A queued target of a wave not open yet has no message coming: it waits for the wave.
  if (target.state === 'queued') return waveIsOpen(deployment, target) || !!deployment.cancelRequested;
  // An audit under review is work in progress, except for a cancelled deployment: its result only settles the target.
  return target.state === 'auditing' && !deployment.cancelRequested;
}

/** What decides whether a target at rest has a step due: its state and what it carries. */
export type RestingTarget = Pick<Target, 'state' | 'grayPercentage' | 'refused' | 'wave'>;

/** A deployment's targets counted: per state, and grouped by what decides their next step. */
export interface TargetTally {
  counts: Partial<Record<TargetState, number>>;
  /** The counts per wave (wave 0 holds the targets of a deployment without waves). */
  byWave?: Partial<Record<TargetState, number>>[];
  groups: { target: RestingTarget; n: number }[];
}

/** The deployment's status, derived from its targets rather than stored beside them. */
export function deploymentStatus(deployment: Deployment, tally: TargetTally, nowMs = Date.now()): DeploymentStatus {
  if (!deployment.fanOutDone) return 'preparing';
  // A halt matters until the operator resumes, or ends the rollout (a cancel or a rollback).
  if (deployment.pausedReason || (deployment.waveProgress?.halt && !deployment.cancelRequested && !deployment.rollbackRequested)) return 'paused';
  const pending = deployment.pendingAction;
  if (pending && !pendingActionExpired(pending, nowMs)) return 'running';
  // An expired action never reached its targets: a step it made due (a release, a rollback, a
  // submit after a pause was lifted) has no message to run it. Only targets moving on their own
  // keep the deployment running; the rest wait for the operator to issue the action again.
  const expired = pending !== undefined;
  const active = tally.groups.some(({ target, n }) => n > 0 && (expired ? movesOnItsOwn(target, deployment) : isActive(target, deployment)));
  if (active) return 'running';
  if (deployment.cancelRequested) return 'cancelled';
  // Waves still closed: the rollout is paused while it waits for the operator or for audit quota;
  // an advance already asked for, or a soak, is progress on its own.
  if (wavesLeft(deployment, tally) && !deployment.rollbackRequested) {
    const progress = deployment.waveProgress;
    if (progress?.quotaWait) return 'paused';
    const asked = progress?.advanceRequested !== undefined && progress.advanceRequested > progress.openWave;
    return asked || (deployment.advance !== undefined && deployment.advance !== 'manual') ? 'running' : 'paused';
  }
  return 'completed';
}

/** Whether a target's wave is open (a deployment without waves has one, always open). */
export function waveIsOpen(deployment: Pick<Deployment, 'waveProgress'>, target: Pick<Target, 'wave'>): boolean {
  return (target.wave ?? 0) <= (deployment.waveProgress?.openWave ?? 0);
}

/** Some wave after the open one still has targets that would deploy. */
function wavesLeft(deployment: Deployment, tally: TargetTally): boolean {
  const open = deployment.waveProgress?.openWave ?? 0;
  return (tally.byWave ?? []).some((counts, wave) => wave > open && (counts.queued ?? 0) > 0);
}

/** "3 auditing, 2 failed": what the operator needs to see why an action does not apply. */
export function describeCounts(counts: Partial<Record<TargetState, number>> = {}): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n)
    .map(([state, n]) => `${n} ${state}`);
  return parts.length ? parts.join(', ') : 'no targets';
}
