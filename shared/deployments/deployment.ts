import type { TenantConfig } from '../tenant-config/schema';
import type { AuditItem, ServerDomains } from '../wechat/types';
import type { AuditOutcome } from './audit-results';
import type { TargetState } from './target-machine';

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
  /** Manual release requested by the operator (optionally gray). */
  releaseRequested?: { atMs: number; grayPercentage?: number };
  cancelRequested?: boolean;
  rollbackRequested?: boolean;
  /** An operator action the queue has not finished applying yet: the deployment is not settled. */
  pendingAction?: BulkAction;
}

/** What a use case may change on a deployment after creating it. */
export type DeploymentPatch = Partial<Pick<Deployment, 'fanOutDone' | 'fanOutCursor' | 'pausedReason' | 'releaseRequested' | 'cancelRequested' | 'rollbackRequested' | 'pendingAction'>>;

/** What an operator can ask of a whole deployment (`POST /api/deployments/{id}/{action}`). */
export const BULK_ACTIONS = ['retry', 'release', 'rollback', 'cancel'] as const;
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
  /** Set when the target failed: the state a retry puts it back to (the failed step's start). */
  resumeFrom?: TargetState;
  /** How often 85086 (nothing committed) sent the target back to commit. */
  recommits?: number;
  delayReason?: string;
  committedAtMs?: number;
  approvedAtMs?: number;
  releasedAtMs?: number;
  grayPercentage?: number;
  rolledBackAtMs?: number;
  createdAtMs: number;
  updatedAtMs: number;
}

/** A target's fields a move may set or remove (never its identity, state or timestamps of record). */
export type TargetPatch = Partial<Omit<Target, 'deploymentId' | 'appid' | 'state' | 'createdAtMs' | 'updatedAtMs'>>;
export type TargetField = keyof TargetPatch;

export type DeploymentStatus = 'preparing' | 'running' | 'paused' | 'cancelled' | 'completed';

/** Whether this target still has work to do (or is waiting on WeChat), given its deployment. */
export function isActive(target: Pick<Target, 'state'>, deployment: Deployment): boolean {
  switch (target.state) {
    case 'queued':
    case 'committing':
    case 'submitting':
    case 'auditing':
    case 'releasing':
    case 'rolling_back':
      return true;
    case 'committed':
      return deployment.submitAudit && !deployment.pausedReason && !deployment.cancelRequested;
    case 'approved':
      return deployment.release === 'auto' || !!deployment.releaseRequested;
    case 'released':
      return !!deployment.rollbackRequested;
    default:
      return false;
  }
}

/** The deployment's status, derived from its targets rather than stored beside them. */
export function deploymentStatus(deployment: Deployment, counts: Partial<Record<TargetState, number>>): DeploymentStatus {
  if (!deployment.fanOutDone) return 'preparing';
  if (deployment.pausedReason) return 'paused';
  if (deployment.pendingAction) return 'running';
  const active = (Object.entries(counts) as [TargetState, number][]).some(([state, n]) => n > 0 && isActive({ state }, deployment));
  if (active) return 'running';
  return deployment.cancelRequested ? 'cancelled' : 'completed';
}
