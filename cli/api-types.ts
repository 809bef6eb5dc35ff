/** The operator API's JSON shapes, as far as the CLI reads them (see /work/shared/architecture.md). */

export interface AuthLinks {
  pcUrl: string;
  mobileUrl: string;
  expiresAt: string;
}

export interface Tenant {
  appid: string;
  nickName: string | null;
  status: string;
  releasedVersion: string | null;
  lastDeployment: string | null;
}

export interface TenantPage {
  tenants: Tenant[];
  nextToken?: string;
}

export interface Template {
  templateId: number;
  userVersion: string;
  userDesc: string;
  createdAt: string;
  templateType: number;
}

export interface Draft {
  draftId: number;
  userVersion: string;
  userDesc: string;
  createdAt: string;
}

export interface TargetError {
  code: number | string;
  message: string;
}

export interface Target {
  appid: string;
  state: string;
  auditId?: number;
  error?: TargetError;
  reason?: string;
  attempts: number;
  updatedAt: string;
}

export type DeploymentStatus = 'preparing' | 'running' | 'paused' | 'cancelled' | 'completed';

export interface DeploymentSummary {
  id: string;
  status: DeploymentStatus;
  templateId: number;
  userVersion: string;
  counts: Record<string, number>;
  total: number;
  pausedReason?: string;
  createdAt: string;
}

export interface DeploymentView extends DeploymentSummary {
  targets: Target[];
  nextToken?: string;
}

export interface DeploymentPage {
  deployments: DeploymentSummary[];
  nextToken?: string;
}
