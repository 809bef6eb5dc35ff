/**
 * What the operator API does with a tenant's configuration: read it, replace it (validated first,
 * so a rejected fragment stores nothing), and preview the exact ext_json a template would get.
 */
import { NotFound, Unprocessable } from '../errors';
import type { Services } from '../services';
import { findTemplate, templateTypeOf } from '../templates/template-library';
import type { Tenant } from '../tenants/tenant';
import { buildExtJson, ExtJsonError } from './ext-json';
import { parseTenantConfig, type TenantConfig } from './schema';

export interface ExtJsonPreview {
  templateId: number;
  templateType: 0 | 1;
  /** The string `wxa/commit` would receive. */
  extJson: string;
  value: Record<string, unknown>;
}

export async function existingTenant(p: Pick<Services, 'tenants'>, appid: string): Promise<Tenant> {
  const tenant = await p.tenants.get(appid);
  if (!tenant) throw new NotFound('tenant_not_found', `no tenant ${appid}`);
  return tenant;
}

/** The stored fragment, `{}` when the tenant has none. */
export async function getTenantConfig(p: Pick<Services, 'tenants'>, appid: string): Promise<TenantConfig> {
  return (await existingTenant(p, appid)).config ?? {};
}

/** Replaces the whole fragment with `body` once it passes the schema; returns what was stored. */
export async function replaceTenantConfig(p: Pick<Services, 'tenants'>, appid: string, body: unknown): Promise<TenantConfig> {
  await existingTenant(p, appid);
  const config = parseTenantConfig(body);
  // The condition catches a tenant that vanished between the read and the write.
  if (!(await p.tenants.saveConfig(appid, config))) throw new NotFound('tenant_not_found', `no tenant ${appid}`);
  return config;
}

/** Exactly what a deploy of `templateId` without deploy-wide defaults would commit for the tenant. */
export async function previewExtJson(p: Pick<Services, 'tenants' | 'wechat'>, appid: string, templateId: number): Promise<ExtJsonPreview> {
  const tenant = await existingTenant(p, appid);
  const template = await findTemplate(p, templateId);
  const templateType = templateTypeOf(template);
  try {
    const { value, extJson } = buildExtJson({
      appid,
      templateType,
      tenantConfig: tenant.config,
      tenant: { nickName: tenant.nickName, principalName: tenant.principalName, userName: tenant.userName },
    });
    return { templateId, templateType, extJson, value };
  } catch (error) {
    // The request is fine; the stored configuration does not suit this template.
    if (error instanceof ExtJsonError) throw new Unprocessable('invalid_ext_json', error.message);
    throw error;
  }
}
