import { z } from 'zod';
import { byRouteKey } from '../../shared/http/dispatch';
import { badRequest, HttpError, notFound } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { queryParams } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { platform } from '../../shared/platform';
import { isAppid } from '../../shared/tenants/tenant';
import { InvalidPageTokenError } from '../../shared/tenants/tenant-store';
import { tenantView } from '../../shared/tenants/tenant-view';

const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  nextToken: z.string().max(2048).optional(),
  status: z.enum(['active', 'revoked', 'needs_reauth']).optional(),
});

function appidParam(appid: string | undefined): string {
  if (!isAppid(appid)) throw badRequest('invalid_appid', 'appid must be wx + 16 hex digits');
  return appid;
}

const notYet = async () => {
  throw new HttpError(501, 'not_implemented', 'per-tenant configuration arrives with the fan-out deploy');
};

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
    'GET /api/tenants/{appid}': async (event) => {
      const appid = appidParam(event.pathParameters?.appid);
      const tenant = await platform().tenants.get(appid);
      if (!tenant) throw notFound('tenant_not_found', `no tenant ${appid}`);
      return json(200, tenantView(tenant));
    },
    'GET /api/tenants/{appid}/config': notYet,
    'PUT /api/tenants/{appid}/config': notYet,
    'GET /api/tenants/{appid}/ext-json': notYet,
    'GET /api/tenants/{appid}/qrcode': notYet,
  }),
  { operatorOnly: true },
);
