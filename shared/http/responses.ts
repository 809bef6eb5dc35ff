import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export function text(statusCode: number, body: string, contentType = 'text/plain; charset=utf-8'): HttpResult {
  return { statusCode, headers: { 'content-type': contentType }, body };
}

export function html(statusCode: number, body: string): HttpResult {
  return text(statusCode, body, 'text/html; charset=utf-8');
}

export function redirect(location: string): HttpResult {
  return { statusCode: 302, headers: { location, 'cache-control': 'no-store' }, body: '' };
}

export function binary(contentType: string, body: Buffer): HttpResult {
  return { statusCode: 200, headers: { 'content-type': contentType }, body: body.toString('base64'), isBase64Encoded: true };
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}
