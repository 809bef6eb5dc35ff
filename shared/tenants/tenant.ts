import type { Readiness } from '../readiness/readiness';
import type { TenantConfig } from '../tenant-config/schema';

/** A mini-program that authorized mpfleet. */
export const TENANT_STATUSES = ['active', 'revoked', 'needs_reauth'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export interface TenantProfile {
  nickName?: string;
  headImg?: string;
  principalName?: string;
  /** The gh_… original id: the ToUserName of its message pushes. */
  userName?: string;
  signature?: string;
  categories?: { first: string; second: string }[];
}

export interface Tenant extends TenantProfile {
  appid: string;
  status: TenantStatus;
  statusReason?: string;
  /** Permission-set ids granted at authorization (funcscope_category). */
  permissions: number[];
  authorizedAtMs: number;
  updatedAtMs: number;
  /** The tenant's ext_json fragment, validated when it was saved. */
  config?: TenantConfig;
  releasedVersion?: string;
  /** The latest deployment to take its turn on the tenant (written by the hold, at its commit). */
  lastDeployment?: string;
  /** The deployment whose audit WeChat is reviewing: audit pushes for this tenant belong to it. */
  auditingDeployment?: string;
  /** The one before: its audit may still be under review when a new submit is refused. */
  previousAuditingDeployment?: string;
  /** The deployment in the middle of its lifecycle here (commit → audit → release): others wait their turn. */
  heldBy?: string;
  /** A gray release running on the mini-program: which version, to what share of its users. */
  gray?: { version: string; percentage: number };
  /** The last release-gate check (ICP, privacy guide, basic info, categories, quota). */
  readiness?: Readiness;
  /** The fast registration that created the mini-program. */
  registrationId?: string;
  /** The latest rename under WeChat's review, or how it ended. */
  nicknameAudit?: NicknameAudit;
}

export interface NicknameAudit {
  nickname: string;
  state: 'in_review' | 'approved' | 'rejected';
  reason?: string;
  /** setnickname's audit_id (the result push does not carry it). */
  auditId?: number;
  /** When it was submitted, or decided: an older record never replaces a newer one. */
  atMs: number;
}

/** WeChat appids: `wx` and 16 lowercase hex digits. */
export const APPID_PATTERN = /^wx[0-9a-f]{16}$/;

export function isAppid(value: unknown): value is string {
  return typeof value === 'string' && APPID_PATTERN.test(value);
}
