import type { TenantView } from '../contract/operator-api';
import type { NicknameAudit, Tenant } from './tenant';

function nicknameAuditView({ atMs, ...audit }: NicknameAudit) {
  return { ...audit, at: new Date(atMs).toISOString() };
}

/** The operator API's view of a tenant (contract: appid, nickName, status, config, releasedVersion, lastDeployment). */
export function tenantView(tenant: Tenant): TenantView {
  return {
    appid: tenant.appid,
    nickName: tenant.nickName ?? null,
    headImg: tenant.headImg ?? null,
    principalName: tenant.principalName ?? null,
    userName: tenant.userName ?? null,
    status: tenant.status,
    ...(tenant.statusReason ? { statusReason: tenant.statusReason } : {}),
    permissions: tenant.permissions ?? [],
    categories: tenant.categories ?? [],
    config: tenant.config ?? {},
    releasedVersion: tenant.releasedVersion ?? null,
    ...(tenant.gray ? { gray: tenant.gray } : {}),
    lastDeployment: tenant.lastDeployment ?? null,
    authorizedAt: new Date(tenant.authorizedAtMs).toISOString(),
    updatedAt: new Date(tenant.updatedAtMs).toISOString(),
    ...(tenant.readiness ? { readiness: tenant.readiness } : {}),
    ...(tenant.registrationId ? { registrationId: tenant.registrationId } : {}),
    ...(tenant.nicknameAudit ? { nicknameAudit: nicknameAuditView(tenant.nicknameAudit) } : {}),
  };
}
