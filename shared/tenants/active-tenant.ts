import { Conflict, NotFound } from '../errors';
import type { TenantStore } from './tenant-store';
import type { Tenant } from './tenant';

/** The tenant, which must exist and still be authorized: WeChat answers nothing about a revoked one. */
export async function activeTenant(p: { tenants: Pick<TenantStore, 'get'> }, appid: string): Promise<Tenant> {
  const tenant = await p.tenants.get(appid);
  if (!tenant) throw new NotFound('tenant_not_found', `no tenant ${appid}`);
  if (tenant.status !== 'active') throw new Conflict(`tenant_${tenant.status}`, `the tenant is ${tenant.status}: WeChat answers nothing about it until it authorizes again`);
  return tenant;
}
