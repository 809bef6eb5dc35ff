import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isAppid } from '../tenants/tenant';
import { badRequest, payloadTooLarge } from './errors';

/** The request body as text, refused past `maxBytes` before anything parses it. */
export function bodyText(event: APIGatewayProxyEventV2, maxBytes: number): string {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw payloadTooLarge(`body is ${bytes.length} bytes; the limit is ${maxBytes}`);
  return bytes.toString('utf8');
}

/** The request body parsed as JSON (any value); a clear 400 when it is not JSON. */
export function bodyJson(event: APIGatewayProxyEventV2, maxBytes = 256 * 1024): unknown {
  const text = bodyText(event, maxBytes);
  if (!text.trim()) throw badRequest('invalid_json', 'request body must be JSON');
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('invalid_json', 'request body is not valid JSON');
  }
}

export function queryParams(event: APIGatewayProxyEventV2): Record<string, string | undefined> {
  return event.queryStringParameters ?? {};
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return event.headers?.[name.toLowerCase()];
}

/** The `{appid}` of the route, or a 400 when it is not an appid. */
export function appidParam(event: APIGatewayProxyEventV2): string {
  const appid = event.pathParameters?.appid;
  if (!isAppid(appid)) throw badRequest('invalid_appid', 'appid must be wx + 16 hex digits');
  return appid;
}
