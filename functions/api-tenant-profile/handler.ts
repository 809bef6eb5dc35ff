import * as z from 'zod';
import { byRouteKey } from '../../shared/http/dispatch';
import { httpHandler } from '../../shared/http/handler';
import { appidParam, bodyJson, queryParams } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { services } from '../../shared/services';
import { setBasicInfo } from '../../shared/tenant-profile/basic-info';
import { addTenantCategories, DeleteCategoryQuery, deleteTenantCategory, listCategories } from '../../shared/tenant-profile/categories';

/** Images travel as data URLs: an avatar and a few documents. */
const MAX_BODY_BYTES = 1536 * 1024;
const ListQuery = z.object({ catalogue: z.enum(['true', 'false'], { error: 'must be true or false' }).optional() });

/** A mini-program's name, avatar, introduction and service categories at WeChat. */
export const handler = httpHandler(
  byRouteKey({
    'PUT /api/tenants/{appid}/basic-info': async (event) => json(200, await setBasicInfo(services(), appidParam(event), bodyJson(event, MAX_BODY_BYTES))),
    'GET /api/tenants/{appid}/categories': async (event) => {
      const appid = appidParam(event);
      const { catalogue } = parseOr400(ListQuery, queryParams(event));
      return json(200, await listCategories(services(), appid, catalogue === 'true'));
    },
    'POST /api/tenants/{appid}/categories': async (event) => json(200, await addTenantCategories(services(), appidParam(event), bodyJson(event, MAX_BODY_BYTES))),
    'DELETE /api/tenants/{appid}/categories': async (event) => {
      const appid = appidParam(event);
      const { first, second } = parseOr400(DeleteCategoryQuery, queryParams(event));
      return json(200, await deleteTenantCategory(services(), appid, first, second));
    },
  }),
  { operatorOnly: true },
);
