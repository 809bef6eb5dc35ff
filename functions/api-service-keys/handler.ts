import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { dynamo, tableName } from '../../shared/db/client';
import { byRouteKey } from '../../shared/http/dispatch';
import { badRequest } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { createServiceKey, listServiceKeys, revokeServiceKey, type ServiceKey } from '../../shared/service-keys/service-keys';

/** The table alone, not `services()`: this function calls no WeChat API (infra/functions.ts: callsWeChat false). */
const store = () => ({ db: dynamo(), table: tableName() });

const view = (key: ServiceKey) => ({ id: key.id, name: key.name, tenants: key.tenants, scopes: key.scopes, createdAt: new Date(key.createdAtMs).toISOString() });

function keyId(event: APIGatewayProxyEventV2): string {
  const id = event.pathParameters?.keyId ?? '';
  if (!/^[a-z0-9]{12}$/.test(id)) throw badRequest('invalid_key_id', 'id must be a service key id (12 lowercase letters or digits)');
  return id;
}

/** Service keys for template backends: created with their secret shown once, listed without it, revoked at once. */
export const handler = httpHandler(
  byRouteKey({
    'POST /api/service-keys': async (event) => {
      const { secret, ...key } = await createServiceKey(store(), bodyJson(event, 64 * 1024));
      return json(201, { ...view(key), secret });
    },
    'GET /api/service-keys': async () => json(200, { keys: (await listServiceKeys(store())).map(view) }),
    'DELETE /api/service-keys/{keyId}': async (event) => {
      await revokeServiceKey(store(), keyId(event));
      return { statusCode: 204, body: '' };
    },
  }),
  { operatorOnly: true },
);
