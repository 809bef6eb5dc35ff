import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { keyAllows, keyForSecret, type ServiceKeyScope } from '../service-keys/service-keys';
import type { Services } from '../services';
import { HttpError, unauthorized } from './errors';
import { appidParam } from './request';

/**
 * The runtime API's guard: `Authorization: Bearer <service key secret>` (401 when missing, unknown
 * or revoked), then the tenant in the path and the scope the route needs (403 otherwise): nothing
 * runs for a key that may not do it.
 */
export async function authorizeServiceKey(services: Pick<Services, 'db' | 'table'>, event: APIGatewayProxyEventV2, scope: ServiceKeyScope): Promise<string> {
  const presented = /^Bearer (.+)$/i.exec(event.headers?.authorization ?? '')?.[1]?.trim();
  if (!presented) throw unauthorized('missing bearer token: send Authorization: Bearer <service key secret> (POST /api/service-keys creates one)');
  const key = await keyForSecret(services, presented);
  if (!key) throw unauthorized('unknown or revoked service key');
  const appid = appidParam(event);
  if (!keyAllows(key, appid, scope)) {
    const why = key.scopes.includes(scope) ? `is not for tenant ${appid}` : `lacks the ${scope} scope`;
    throw new HttpError(403, 'forbidden', `service key ${key.id} (${key.name}) ${why}`);
  }
  return appid;
}
