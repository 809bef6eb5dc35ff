import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../infra/routes';
import { createRouter } from '../../../local/runtime/routing';

const match = createRouter(ROUTES);

describe('local router (API Gateway HTTP API semantics)', () => {
  it('matches every route of the shared table by method and path', () => {
    for (const route of ROUTES) {
      const path = route.path.replace(/\{(\w+)\}/g, 'x1');
      expect(match(route.method, path)?.route, `${route.method} ${route.path}`).toBe(route);
    }
  });

  it('extracts and decodes path parameters', () => {
    const found = match('POST', '/wechat/callback/wx%31234567890abcdef');
    expect(found?.routeKey).toBe('POST /wechat/callback/{appid}');
    expect(found?.pathParameters).toEqual({ appid: 'wx1234567890abcdef' });
  });

  it('prefers a literal segment over a parameter', () => {
    expect(match('GET', '/api/templates/drafts')?.routeKey).toBe('GET /api/templates/drafts');
    expect(match('DELETE', '/api/templates/12')?.pathParameters).toEqual({ templateId: '12' });
  });

  it('does not let a parameter span segments or match the wrong method', () => {
    expect(match('POST', '/wechat/callback/a/b')).toBeUndefined();
    expect(match('GET', '/wechat/ticket')).toBeUndefined();
    expect(match('GET', '/nope')).toBeUndefined();
  });

  it('rejects malformed percent-encoding instead of throwing', () => {
    expect(match('POST', '/wechat/callback/%E0%A4%A')).toBeUndefined();
  });
});
