import { describe, expect, it } from 'vitest';
import { fromApiGatewayResult, toApiGatewayEvent } from '../../../local/runtime/apigw-event';
import type { RouteMatch } from '../../../local/runtime/routing';

const match: RouteMatch = {
  route: { method: 'POST', path: '/wechat/callback/{appid}', function: 'wechat-callback', caller: 'wechat' },
  routeKey: 'POST /wechat/callback/{appid}',
  pathParameters: { appid: 'wx0123456789abcdef' },
};

const request = (over: Partial<Parameters<typeof toApiGatewayEvent>[0]> = {}) =>
  toApiGatewayEvent(
    {
      method: 'POST',
      url: '/wechat/callback/wx0123456789abcdef?timestamp=1&nonce=2&tag=a&tag=b',
      headers: { host: '127.0.0.1:3000', 'content-type': 'text/xml', 'X-Custom': 'v', cookie: 'a=1; b=2' },
      body: Buffer.from('<xml/>'),
      sourceIp: '127.0.0.1',
      ...over,
    },
    match,
  );

describe('HTTP request → API Gateway payload v2.0 event', () => {
  it('carries route, raw path and query, parameters and a request context', () => {
    const event = request();
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('POST /wechat/callback/{appid}');
    expect(event.rawPath).toBe('/wechat/callback/wx0123456789abcdef');
    expect(event.rawQueryString).toBe('timestamp=1&nonce=2&tag=a&tag=b');
    expect(event.queryStringParameters).toEqual({ timestamp: '1', nonce: '2', tag: 'a,b' });
    expect(event.pathParameters).toEqual({ appid: 'wx0123456789abcdef' });
    expect(event.requestContext.http).toMatchObject({ method: 'POST', path: event.rawPath, sourceIp: '127.0.0.1' });
    expect(event.requestContext.stage).toBe('$default');
  });

  it('lower-cases headers and moves cookies into their own list', () => {
    const event = request();
    expect(event.headers['x-custom']).toBe('v');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['a=1', 'b=2']);
  });

  it('passes text bodies as text and binary bodies base64-encoded', () => {
    expect(request()).toMatchObject({ body: '<xml/>', isBase64Encoded: false });
    const bytes = Buffer.from([0xff, 0xd8, 0x00, 0x01]);
    const binary = request({ headers: { 'content-type': 'image/jpeg' }, body: bytes });
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body!, 'base64')).toEqual(bytes);
  });

  it('omits body and query when there are none', () => {
    const event = request({ url: '/wechat/callback/wx0123456789abcdef', body: Buffer.alloc(0) });
    expect(event.body).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });
});

describe('handler result → HTTP response', () => {
  it('decodes base64 bodies and keeps the content type', () => {
    const out = fromApiGatewayResult({ statusCode: 200, headers: { 'Content-Type': 'image/jpeg' }, body: Buffer.from('jpg').toString('base64'), isBase64Encoded: true });
    expect(out.statusCode).toBe(200);
    expect(out.headers['content-type']).toBe('image/jpeg');
    expect(out.body.toString()).toBe('jpg');
  });

  it('turns cookies into set-cookie headers', () => {
    const out = fromApiGatewayResult({ statusCode: 302, cookies: ['s=1; HttpOnly'], headers: { location: '/x' } });
    expect(out.statusCode).toBe(302);
    expect(out.headers['set-cookie']).toEqual(['s=1; HttpOnly']);
  });

  it('serialises a bare value as a JSON 200, like payload format 2.0', () => {
    const out = fromApiGatewayResult({ ok: true } as never);
    expect(out.statusCode).toBe(200);
    expect(JSON.parse(out.body.toString())).toEqual({ ok: true });
  });
});
