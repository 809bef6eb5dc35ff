/**
 * The operator API's JSON (`/api/*`): what the handlers answer and what the `mpfleet` CLI sends and
 * reads. The view builders declare these as their return types and the CLI imports them, so the
 * compiler keeps both sides equal.
 *
 * Types only: the CLI bundle imports this module, and must pull in no server code. Every import
 * here is `import type`, erased at build time.
 */
import type { z } from 'zod';
import type { CreateDeploymentRequest as CreateDeploymentSchema } from '../deployments/create-deployment';
import type { BulkAction, DeploymentStatus, ReleaseMode, TargetState } from '../deployments/deployment';
import type { Blocker, BlockerCode } from '../readiness/blockers';
import type { Readiness } from '../readiness/readiness';
import type { ReleaseProfile } from '../templates/release-profile';
import type { TenantStatus } from '../tenants/tenant';

export type { Blocker, BlockerCode, BulkAction, DeploymentStatus, Readiness, ReleaseMode, ReleaseProfile, TargetState, TenantStatus };

// ---- authorization links: POST /api/auth-links

export interface AuthLinkRequest {
  /** 1 official accounts, 2 mini-programs (the default), 3 both. */
  authType?: 1 | 2 | 3;
  /** Only this appid may authorize with the links. */
  bizAppid?: string;
}

export interface AuthLinks {
  pcUrl: string;
  mobileUrl: string;
  /** ISO time after which the pre_auth_code inside is dead. */
  expiresAt: string;
}

// ---- tenants: GET /api/tenants, GET /api/tenants/{appid}

export interface TenantView {
  appid: string;
  nickName: string | null;
  headImg: string | null;
  principalName: string | null;
  userName: string | null;
  status: TenantStatus;
  statusReason?: string;
  permissions: number[];
  categories: { first: string; second: string }[];
  /** The tenant's own ext_json fragment. */
  config: Record<string, unknown>;
  releasedVersion: string | null;
  /** A gray release running: the version and the share of users it reaches (absent: none). */
  gray?: { version: string; percentage: number };
  lastDeployment: string | null;
  authorizedAt: string;
  updatedAt: string;
  /** The last check of WeChat's release gates; absent until the first. */
  readiness?: Readiness;
}

export interface TenantPage {
  tenants: TenantView[];
  nextToken?: string;
}

/** GET /api/templates/{id}/profile (404 until one is saved) and PUT's answer. */
export interface ReleaseProfileView {
  templateId: number;
  profile: ReleaseProfile;
  updatedAt: string;
}

/** GET /api/tenants/summary: the fleet at a glance (the console's counts per online version). */
export interface TenantSummary {
  total: number;
  byStatus: Partial<Record<TenantStatus, number>>;
  /** Tenants per online version, most first; `null`: nothing released by mpfleet yet. */
  byVersion: { version: string | null; count: number }[];
  ready: number;
  blocked: number;
  unchecked: number;
}

/** GET /api/tenants/{appid}/deployments: the recent deployments that include the tenant, newest first, with its target in each. */
export interface TenantDeployments {
  deployments: { id: string; status: DeploymentStatus; userVersion: string; createdAt: string; target: TargetView }[];
}

/** POST /api/tenants/sync: authorizers WeChat listed, and those whose lost authorization was recovered. */
export interface TenantSyncResult {
  checked: number;
  recovered: string[];
}

// ---- the template library: /api/templates

/** 0 normal, 1 standard (ext_json limited to extAppid, ext, window). */
export type TemplateType = 0 | 1;

export interface Template {
  templateId: number;
  userVersion: string;
  userDesc: string;
  createdAt: string;
  templateType: TemplateType;
  sourceMiniprogramAppid?: string;
}

export interface Draft {
  draftId: number;
  userVersion: string;
  userDesc: string;
  createdAt: string;
  sourceMiniprogramAppid?: string;
}

export interface TemplateList {
  templates: Template[];
}

export interface DraftList {
  drafts: Draft[];
}

/** POST /api/templates */
export interface AddTemplateRequest {
  draftId: number;
  templateType?: TemplateType;
}

/** 202 from POST /api/templates: WeChat took the draft but does not list the template yet. */
export interface AddTemplatePending {
  draftId: number;
  templateType: TemplateType;
  message: string;
}

/** POST /api/templates answers the new template (201), or AddTemplatePending (202). */
export type AddTemplateResult = Template | AddTemplatePending;

// ---- deployments: /api/deployments

/** POST /api/deployments, as a client sends it (defaults may be left out): the handler's own schema. */
export type CreateDeploymentRequest = z.input<typeof CreateDeploymentSchema>;

/**
 * POST /api/deployments/preflight, same body as POST /api/deployments: which tenants WeChat would
 * refuse and why, and the audit quota, without any write call to WeChat.
 */
export interface PreflightResult {
  tenants: { appid: string; nickName: string | null; ready: boolean; blockers: Blocker[] }[];
  counts: { ready: number; blocked: number; skipped: number };
  /** queryquota's answer, and the submissions this deployment would make (its ready tenants, when it submits). */
  quota: { rest: number; limit: number; planned: number } | null;
}

/** 202 from POST /api/deployments: the deployment is recorded, its targets follow in the background. */
export interface DeploymentCreated {
  id: string;
}

/**
 * POST /api/deployments/{id}/release: with a percentage, a gray release to that share of users
 * (again with a larger one: widen); without, fully online (a running gray release completes).
 */
export interface ReleaseRequest {
  /** Gray release to this percentage of users (1 to 100). */
  grayPercentage?: number;
}

/** POST /api/deployments/{id}/retry: failed targets resume; rejected ones are resubmitted with these. */
export interface RetryRequest {
  /** Told to WeChat's reviewer with the resubmission (submit_audit feedback_info). */
  feedbackInfo?: string;
  /** Replaces the deployment's audit items for the resubmission. */
  auditItems?: Record<string, string | number>[];
}

/** POST /api/deployments/{id}/cancel */
export interface CancelRequest {
  /** Also withdraw audits under review (undocodeaudit; WeChat allows few a month). */
  withdrawAudits?: boolean;
}

/** 202 from POST /api/deployments/{id}/{action}. */
export interface ActionAccepted {
  id: string;
  action: BulkAction;
}

export interface TargetError {
  /** WeChat's errcode where WeChat caused it, else a short code of ours. */
  code: number | string;
  message: string;
}

/**
 * One tenant of a deployment. A client should treat `state` as an open set of strings: states the
 * server adds later arrive before the client knows them.
 */
export interface TargetView {
  appid: string;
  state: TargetState;
  auditId?: number;
  /** WeChat's audit is taking longer than usual. */
  auditDelayed?: boolean;
  error?: TargetError;
  /** The audit's rejection reason, verbatim. */
  reason?: string;
  /** The rejection's screenshots as WeChat gives them: media ids joined by `|`. */
  screenshot?: string;
  /** While `gray`: the share of users WeChat's gray plan gives this version. */
  grayPercentage?: number;
  /** While `waiting`: the deployment holding the tenant. */
  waitingFor?: string;
  /** The version a rollback went (or goes) back to. */
  rollbackTo?: string;
  /** A cancelled deployment's audit result, kept for the record. */
  auditOutcome?: 'approved' | 'rejected' | 'delayed' | 'withdrawn';
  attempts: number;
  updatedAt: string;
}

/** Targets per state; states with no target may be absent. */
export type TargetCounts = Partial<Record<TargetState, number>>;

export interface DeploymentSummary {
  id: string;
  status: DeploymentStatus;
  templateId: number;
  userVersion: string;
  userDesc: string;
  submitAudit: boolean;
  release: ReleaseMode;
  pausedReason?: string;
  /**
   * Why it is paused, as a stable code, with the numbers: `audit_quota_exhausted` with the targets
   * still to be submitted (`needed`) and what `queryquota` leaves (`left`, when it could be read).
   */
  paused?: { code: string; needed: number; left?: number };
  /** The gray percentage last asked for, while the deployment has gray targets or is releasing them. */
  grayPercentage?: number;
  /**
   * An operator action the queue is applying; `expired` when it never finished (its message
   * dead-lettered): the action can be issued again.
   */
  pendingAction?: { action: BulkAction; since: string; expired: boolean };
  cancelled?: boolean;
  rolledBack?: boolean;
  counts: TargetCounts;
  total: number;
  createdAt: string;
  updatedAt: string;
  /** When the sweeper last looked for stranded targets of this deployment (absent: not yet). */
  lastSweptAt?: string;
}

/** GET /api/deployments/{id}: the summary and one page of its targets. */
export interface DeploymentView extends DeploymentSummary {
  targets: TargetView[];
  nextToken?: string;
}

export interface DeploymentPage {
  deployments: DeploymentSummary[];
  nextToken?: string;
}

// ---- recorded pushes: GET /api/pushes

/** A push's decrypted fields, as WeChat sent them, secrets redacted; nested elements stay nested. */
export interface PushFields {
  [name: string]: string | PushFields;
}

/** One push WeChat sent that passed the signature and appid checks. */
export interface PushView {
  /** `component`: the authorization-event URL (/wechat/ticket); `message`: /wechat/callback/{appid}. */
  source: 'component' | 'message';
  /** The InfoType; for message pushes `event:<Event>` or the MsgType. */
  type: string;
  /** The mini-program it is about; absent for platform-level pushes. */
  appid?: string;
  /** WeChat's CreateTime, in ms. */
  createdAtMs: number;
  receivedAtMs: number;
  fields: PushFields;
}

/** GET /api/pushes[?appid=&type=&limit=&nextToken=]: newest first. */
export interface PushPage {
  pushes: PushView[];
  nextToken?: string;
}
