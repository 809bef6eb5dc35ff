import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { byRouteKey } from '../../shared/http/dispatch';
import { badRequest, notFound } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson, queryParams } from '../../shared/http/request';
import { binary, json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { platform } from '../../shared/platform';
import { saveTenantConfig } from '../../shared/tenant-config/config-store';
import { buildExtJson, ExtJsonError } from '../../shared/tenant-config/ext-json';
import { MAX_CONFIG_BYTES, parseTenantConfig, type TenantConfig } from '../../shared/tenant-config/schema';
import { isAppid } from '../../shared/tenants/tenant';
import { InvalidPageTokenError } from '../../shared/tenants/tenant-store';
import { tenantView } from '../../shared/tenants/tenant-view';

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  nextToken: z.string().max(2048).optional(),
  status: z.enum(['active', 'revoked', 'needs_reauth']).optional(),
});
const ExtJsonQuery = z.object({ templateId: z.coerce.number().int().nonnegative() });
const QrcodeQuery = z.object({ path: z.string().max(512).optional() });

async function existingTenant(event: APIGatewayProxyEventV2) {
  const appid = event.pathParameters?.appid;
  if (!isAppid(appid)) throw badRequest('invalid_appid', 'appid must be wx + 16 hex digits');
  const tenant = await platform().tenants.get(appid);
  if (!tenant) throw notFound('tenant_not_found', `no tenant ${appid}`);
  return tenant;
}

export const handler = httpHandler(
  byRouteKey({
    'GET /api/tenants': async (event) => {
      const query = parseOr400(ListQuery, queryParams(event));
      try {
        const page = await platform().tenants.list(query);
        return json(200, { tenants: page.tenants.map(tenantView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
      } catch (error) {
        if (error instanceof InvalidPageTokenError) throw badRequest('invalid_next_token', error.message);
        throw error;
      }
    },
    'GET /api/tenants/{appid}': async (event) => json(200, tenantView(await existingTenant(event))),
    'GET /api/tenants/{appid}/config': async (event) => json(200, (await existingTenant(event)).config ?? {}),
    'PUT /api/tenants/{appid}/config': async (event) => {
      const tenant = await existingTenant(event);
      const config = parseTenantConfig(bodyJson(event, MAX_CONFIG_BYTES * 2));
      const p = platform();
      if (!(await saveTenantConfig(p.db, p.table, tenant.appid, config))) throw notFound('tenant_not_found', `no tenant ${tenant.appid}`);
      return json(200, config);
    },
    'GET /api/tenants/{appid}/ext-json': async (event) => {
      const tenant = await existingTenant(event);
      const { templateId } = parseOr400(ExtJsonQuery, queryParams(event));
      const p = platform();
      const { template_list: templates } = await p.componentToken.use((token) => p.componentApi.getTemplateList(token));
      const template = templates.find((t) => Number(t.template_id) === templateId);
      if (!template) throw notFound('template_not_found', `no template ${templateId} in the template library`);
      const templateType = template.template_type === 1 ? 1 : 0;
      try {
        const { value, extJson } = buildExtJson({ appid: tenant.appid, templateType, tenantConfig: tenant.config as TenantConfig, tenant });
        return json(200, { templateId, templateType, extJson, value });
      } catch (error) {
        if (error instanceof ExtJsonError) throw badRequest('invalid_ext_json', error.message);
        throw error;
      }
    },
    'GET /api/tenants/{appid}/qrcode': async (event) => {
      const tenant = await existingTenant(event);
      const { path } = parseOr400(QrcodeQuery, queryParams(event));
      const p = platform();
      const image = await p.authorizerTokens.forTenant(tenant.appid).use((token) => p.authorizerApi.getQrcode(token, path));
      return binary(image.contentType || 'image/jpeg', image.body);
    },
  }),
  { operatorOnly: true },
);
