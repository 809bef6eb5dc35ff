import * as z from 'zod';
import { DELIVERY_STATUSES } from '../../shared/forwarding/delivery-store';
import { forwardingPorts } from '../../shared/forwarding/forwarding-ports';
import {
  deleteForwarding,
  forwardingStatus,
  putForwarding,
  redriveDeliveries,
  setTenantForwarding,
  settingsView,
  stopTenantForwarding,
} from '../../shared/forwarding/forwarding-use-cases';
import { getForwarding } from '../../shared/forwarding/forwarding-settings';
import { byRouteKey } from '../../shared/http/dispatch';
import { notFound } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { appidParam, bodyJson, queryParams } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';

const DeliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  nextToken: z.string().max(2048).optional(),
});

/** A redrive takes no options: a body, if any, is an empty object. */
const EmptyBody = z.object({}).strict();

const noContent = () => ({ statusCode: 204, body: '' });

/** Where messages and events are forwarded (per tenant, or the platform default), and how their deliveries fare. */
export const handler = httpHandler(
  byRouteKey({
    'PUT /api/forwarding': async (event) => json(200, settingsView(await putForwarding(forwardingPorts(), undefined, bodyJson(event, 16 * 1024)))),
    'GET /api/forwarding': async () => {
      const setting = await getForwarding(forwardingPorts(), undefined);
      if (!setting) throw notFound('forwarding_not_set', 'no platform forwarding URL is set: PUT /api/forwarding {url}');
      return json(200, settingsView(setting));
    },
    'DELETE /api/forwarding': async () => {
      await deleteForwarding(forwardingPorts(), undefined);
      return noContent();
    },
    'PUT /api/tenants/{appid}/forwarding': async (event) => json(200, await setTenantForwarding(forwardingPorts(), appidParam(event), bodyJson(event, 16 * 1024))),
    'GET /api/tenants/{appid}/forwarding': async (event) => {
      return json(200, await forwardingStatus(forwardingPorts(), appidParam(event), parseOr400(DeliveriesQuery, queryParams(event))));
    },
    'DELETE /api/tenants/{appid}/forwarding': async (event) => {
      await stopTenantForwarding(forwardingPorts(), appidParam(event));
      return noContent();
    },
    'POST /api/tenants/{appid}/forwarding/redrive': async (event) => {
      const appid = appidParam(event);
      parseOr400(EmptyBody, event.body ? bodyJson(event, 16 * 1024) : {});
      return json(200, await redriveDeliveries(forwardingPorts(), appid));
    },
  }),
  { operatorOnly: true },
);
