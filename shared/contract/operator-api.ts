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
  /** The latest deployment to take its turn on the tenant (from its commit on). */
  lastDeployment: string | null;
  authorizedAt: string;
  updatedAt: string;
  /** The last check of WeChat's release gates; absent until the first. */
  readiness?: Readiness;
  /** The fast registration that created the mini-program (GET /api/registrations/{id}). */
  registrationId?: string;
  /** The latest rename WeChat reviews (setnickname with proof materials), with its reason when rejected. */
  nicknameAudit?: NicknameAuditView;
}

export interface NicknameAuditView {
  nickname: string;
  state: 'in_review' | 'approved' | 'rejected';
  reason?: string;
  auditId?: number;
  at: string;
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
  /** Its wave, in a staged rollout. */
  wave?: number;
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
  /** A staged rollout: its waves and what it waits for (absent: the deployment has no waves). */
  rollout?: RolloutView;
}

export type WaveState = 'pending' | 'open' | 'settled' | 'halted';

export interface WaveView {
  index: number;
  /** As asked: named pilot tenants (how many), or a cumulative share of the other tenants. */
  spec: { tenants: number } | { percent: number };
  /** `pending` not open yet; `open` deploying; `settled` every target released or ended; `halted` its failures tripped haltWhen. */
  state: WaveState;
  /** Its targets (skipped tenants included). */
  total: number;
  counts: TargetCounts;
  /** Audit submissions it still needs (its targets not yet submitted, when the deployment submits). */
  quotaNeeded: number;
}

/** What a staged rollout waits for now, if anything. */
export type RolloutWait =
  | { kind: 'advance'; wave: number }
  | { kind: 'soak'; wave: number; until: string }
  | { kind: 'quota'; wave: number; needed: number; left: number }
  | { kind: 'resume'; wave: number };

export interface RolloutView {
  advance: 'manual' | { afterMinutes: number };
  haltWhen?: { failedOrRejectedPercent: number };
  openWave: number;
  waves: WaveView[];
  waitingFor?: RolloutWait;
  /** The numbers that tripped the halt. */
  halt?: { wave: number; failed: number; rejected: number; total: number; percent: number; at: string };
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

/** POST /api/deployments' staged rollout fields (see CreateDeploymentRequest): waves, advance, haltWhen. */
export type WavesRequest = Pick<CreateDeploymentRequest, 'waves' | 'advance' | 'haltWhen'>;

// ---- service keys: POST/GET /api/service-keys, DELETE /api/service-keys/{id}

export type ServiceKeyScope = 'login' | 'token' | 'proxy';

export interface CreateServiceKeyRequest {
  name: string;
  /** The appids the key may act for, or `*` for every tenant. */
  tenants: string[] | '*';
  scopes: ServiceKeyScope[];
}

/** A key as listed: never its secret. */
export interface ServiceKeyView {
  id: string;
  name: string;
  tenants: string[] | '*';
  scopes: ServiceKeyScope[];
  createdAt: string;
}

/** The 201 of POST /api/service-keys: the only answer that ever carries the secret. */
export interface ServiceKeyCreated extends ServiceKeyView {
  secret: string;
}

export interface ServiceKeyList {
  keys: ServiceKeyView[];
}

// ---- message forwarding: PUT/GET/DELETE /api/forwarding and /api/tenants/{appid}/forwarding

export interface ForwardingRequest {
  /** http(s) URL that receives every message and event mpfleet does not consume itself. */
  url: string;
  /** A new signingSecret (the old one stops being used at once). Otherwise a PUT keeps the secret. */
  rotateSecret?: boolean;
}

/** Where one tenant's (or, `appid` absent, the platform default's) messages go and how they are signed. */
export interface ForwardingSettings {
  url: string;
  /** HMAC-SHA256 key of X-Mpfleet-Signature (`t=<unix s>,v1=<hex of HMAC("<t>.<body>")>`). */
  signingSecret: string;
  appid?: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'dead';

/** One message or event on its way to a forward URL. */
export interface DeliveryView {
  /** X-Mpfleet-Id: the MsgId of a message, the dedupe key of an event. */
  id: string;
  /** The MsgType, or `event:<Event>`. */
  type: string;
  status: DeliveryStatus;
  /** POSTs made so far. */
  attempts: number;
  /** WeChat's CreateTime. */
  createdAt: string;
  lastAttemptAt?: string;
  /** When the next POST is due (pending and retrying). */
  nextAttemptAt?: string;
  deliveredAt?: string;
  /** The last failure: the receiver's HTTP status (absent when it could not be reached) and what happened. */
  lastError?: { httpStatus?: number; message: string };
}

/** GET /api/tenants/{appid}/forwarding[?status=&limit=&nextToken=]: settings and deliveries, newest first. */
export interface ForwardingStatus {
  appid: string;
  /** The URL in effect: the tenant's own, else the platform default; null when messages are not forwarded. */
  forwarding: { url: string; source: 'tenant' | 'platform'; updatedAt: string } | null;
  /** Deliveries kept (FORWARD_RETENTION_DAYS) per status. */
  counts: Record<DeliveryStatus, number>;
  /** Pending or retrying deliveries long past due (their queue message was lost): a redrive queues them again. */
  stalled: number;
  deliveries: DeliveryView[];
  nextToken?: string;
}

/** POST /api/tenants/{appid}/forwarding/redrive: dead (and stalled) deliveries queued again. */
export interface RedriveResult {
  redriven: number;
  /** More were waiting than one call queues (1,000): call again. */
  more?: boolean;
}

// ---- fast registrations and onboarding: /api/registrations, /api/tenants/{appid}/basic-info|categories

export type RegistrationKind = 'enterprise' | 'personal' | 'trial';
export type RegistrationStatus = 'awaiting_confirmation' | 'created' | 'failed';
/** The request as WeChat takes it, under WeChat's field names. */
export type RegistrationRequestView =
  | { kind: 'enterprise'; name: string; code: string; code_type: 1 | 2 | 3; legal_persona_wechat: string; legal_persona_name: string; component_phone?: string }
  | { kind: 'personal'; idname: string; wxuser: string; component_phone?: string }
  | { kind: 'trial'; name: string; openid: string };
export type OnboardingState = 'waiting_for_mini_program' | 'running' | 'in_review' | 'done' | 'needs_attention';
export type OnboardingStepState = 'pending' | 'running' | 'done' | 'in_review' | 'failed' | 'skipped';

export interface OnboardingStepView {
  step: string;
  title: string;
  state: OnboardingStepState;
  message?: string;
  at?: string;
}

/** GET /api/registrations/{id}, and each of GET /api/registrations' `registrations`. */
export interface RegistrationView {
  id: string;
  kind: RegistrationKind;
  request: RegistrationRequestView;
  status: RegistrationStatus;
  /** Personal: WeChat's taskid; trial: its unique_id. */
  taskId?: string;
  authorizeUrl?: string;
  appid?: string;
  wechat?: { status: number; msg?: string };
  onboarding?: { state?: OnboardingState; steps: OnboardingStepView[] };
  /** What the merchant or the operator does next, in words. */
  next: string;
  createdAt: string;
  updatedAt: string;
  /** POST …/search only: what WeChat says of it now. */
  atWeChat?: string;
}

/** PUT /api/tenants/{appid}/basic-info. */
export interface BasicInfoResult {
  applied: Partial<Record<'avatar' | 'signature' | 'nickName', 'set' | 'in_review'>>;
  nicknameAudit?: { nickname: string; state: 'in_review' | 'approved' | 'rejected'; reason?: string; auditId?: number; atMs: number };
  readiness?: Readiness;
}

/** A category set on the mini-program, by WeChat's ids and names. */
export interface TenantCategoryView {
  first: number;
  firstName: string;
  second: number;
  secondName: string;
  state: 'approved' | 'in_review' | 'rejected';
  reason?: string;
}

/** A category of WeChat's catalogue the mini-program may add. */
export interface AvailableCategory {
  first: number;
  firstName: string;
  second: number;
  secondName: string;
  /** Sensitive: WeChat reviews it and wants these documents. */
  needsReview: boolean;
  qualifications: string[];
}

/** GET/POST/DELETE /api/tenants/{appid}/categories. */
export interface CategoriesView {
  categories: TenantCategoryView[];
  /** How many categories the mini-program may have, and how many more it may add this month. */
  limit?: number;
  quota?: number;
  /** With ?catalogue=true. */
  available?: AvailableCategory[];
  /** After a change: the release gates read again. */
  readiness?: Readiness;
}
