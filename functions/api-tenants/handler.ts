import * as z from 'zod';
import { syncAuthorizers } from '../../shared/authorization/sync-authorizers';
import type { TenantDeployments, TenantPage, TenantSummary, TenantSyncResult } from '../../shared/contract/operator-api';
import { tenantDeployments } from '../../shared/deployments/tenant-deployments';
import { byRouteKey } from '../../shared/http/dispatch';
import { httpHandler } from '../../shared/http/handler';
import { appidParam, bodyJson, queryParams } from '../../shared/http/request';
import { binary, json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { checkTenantReadiness } from '../../shared/readiness/refresh-readiness';
import { services } from '../../shared/services';
import { experienceQrcode } from '../../shared/tenant-config/experience-qrcode';
import { MAX_CONFIG_BYTES } from '../../shared/tenant-config/schema';
import { existingTenant, getTenantConfig, previewExtJson, replaceTenantConfig } from '../../shared/tenant-config/tenant-config-use-cases';
import { tenantView } from '../../shared/tenants/tenant-view';

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  nextToken: z.string().max(2048).optional(),
  status: z.enum(['active', 'revoked', 'needs_reauth']).optional(),
  ready: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
  q: z.string().trim().min(1).max(64).optional(),
  version: z.string().min(1).max(64).optional(),
});
// A string first: z.coerce would read `?templateId=` as template 0.
const ExtJsonQuery = z.object({
  templateId: z.string({ error: 'is required' }).regex(/^\d{1,10}$/, { error: 'must be a template id (a whole number)' }).transform(Number),
});
const QrcodeQuery = z.object({ path: z.string().max(1024).optional() });
/** The sync and the readiness check take no options: a body, if any, is an empty object. */
const EmptyBody = z.object({}).strict();

export const handler = httpHandler(
  byRouteKey({
    'GET /api/tenants': async (event) => {
      const query = parseOr400(ListQuery, queryParams(event));
      const page = await services().tenants.list(query);
      return json(200, { tenants: page.tenants.map(tenantView), ...(page.nextToken ? { nextToken: page.nextToken } : {}) } satisfies TenantPage);
    },
    'GET /api/tenants/summary': async () => json(200, (await services().tenants.summary()) satisfies TenantSummary),
    // Recovers every authorization WeChat still has and mpfleet lost (also run hourly by the schedule).
    'POST /api/tenants/sync': async (event) => {
      parseOr400(EmptyBody, event.body ? bodyJson(event) : {});
      return json(200, (await syncAuthorizers(services())) satisfies TenantSyncResult);
    },
    'GET /api/tenants/{appid}': async (event) => json(200, tenantView(await existingTenant(services(), appidParam(event)))),
    // Reads the release gates from WeChat now (read calls only) and answers the tenant with them.
    'POST /api/tenants/{appid}/readiness': async (event) => {
      const appid = appidParam(event);
      parseOr400(EmptyBody, event.body ? bodyJson(event) : {});
      return json(200, tenantView(await checkTenantReadiness(services(), appid)));
    },
    'GET /api/tenants/{appid}/deployments': async (event) => json(200, (await tenantDeployments(services(), appidParam(event))) satisfies TenantDeployments),
    'GET /api/tenants/{appid}/config': async (event) => json(200, await getTenantConfig(services(), appidParam(event))),
    'PUT /api/tenants/{appid}/config': async (event) => {
      const appid = appidParam(event);
      // The body may carry whitespace the stored fragment will not; the fragment limit applies after parsing.
      return json(200, await replaceTenantConfig(services(), appid, bodyJson(event, MAX_CONFIG_BYTES * 2)));
    },
    'GET /api/tenants/{appid}/ext-json': async (event) => {
      const appid = appidParam(event);
      const { templateId } = parseOr400(ExtJsonQuery, queryParams(event));
      return json(200, await previewExtJson(services(), appid, templateId));
    },
    'GET /api/tenants/{appid}/qrcode': async (event) => {
      const appid = appidParam(event);
      const { path } = parseOr400(QrcodeQuery, queryParams(event));
      const image = await experienceQrcode(services(), appid, path);
      return binary(image.contentType, image.body);
    },
  }),
  { operatorOnly: true },
);
