import type { HttpFunction } from './handler';
import { HttpError } from './errors';

/**
 * One Lambda serving several routes of the same resource picks the use case by API Gateway's
 * routeKey (e.g. `GET /api/tenants/{appid}`), exactly as declared in the route table.
 */
export function byRouteKey(routes: Record<string, HttpFunction>): HttpFunction {
  return async (event, context) => {
    const route = routes[event.routeKey];
    if (!route) throw new HttpError(404, 'not_found', `no handler for ${event.routeKey}`);
    return route(event, context);
  };
}
