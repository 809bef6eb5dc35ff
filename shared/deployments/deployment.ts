import type { TenantConfig } from '../tenant-config/schema';
import type { AuditItem, ServerDomains } from '../wechat/types';
import type { AuditOutcome } from './audit-results';

/**
 * A fleet deploy: one template version committed (and optionally audited and released) to many
 * tenants, each a target moving through its own states.
 */
export type TargetState =
  | 'queued'
  | 'committing'
  | 'committed'
  | 'submitting'
  | 'auditing'
  | 'approved'
  | 'releasing'
  | 'released'
  | 'rolling_back'
  | 'rolled_back'
  | 'failed'
  | 'rejected'
  | 'skipped'
  | 'cancelled';

export const TARGET_STATES: readonly TargetState[] = [
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
];

/** States where a WeChat call is (or was, before a crash) in flight. */
export const IN_FLIGHT: ReadonlySet<TargetState> = new Set(['committing', 'submitting', 'releasing', 'rolling_back']);

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

export interface Deployment extends DeploymentSpec {
  id: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** Targets are recorded page by page in the background; until then the counts are partial. */
  fanOutDone: boolean;
  /** Set when WeChat refused further audit submissions (85085): no target is submitted until retry. */
  pausedReason?: string;
  /** Manual release requested by the operator (optionally gray). */
  releaseRequested?: { atMs: number; grayPercentage?: number };
  cancelRequested?: boolean;
  rollbackRequested?: boolean;
  /** An operator action the queue has not finished applying yet: the deployment is not settled. */
  pendingAction?: string;
}

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
  recommits?: number;
  createdAtMs: number;
  updatedAtMs: number;
}

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
