import type { FunctionName } from './functions';

/**
 * THE route table: the CDK HTTP API and the local runtime are both built from it, so they cannot
 * drift. `caller` says who is expected to call: WeChat (authenticity from signatures), a merchant's
 * browser (public pages), an operator (bearer token), a template's backend (a service key) or
 * anyone (health, the console's files).
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type Caller = 'wechat' | 'merchant' | 'operator' | 'service' | 'public';

export interface Route {
  method: HttpMethod;
  /** API Gateway syntax: `{name}` is a path parameter. */
  path: string;
  function: FunctionName;
  caller: Caller;
}

const operator = (method: HttpMethod, path: string, fn: FunctionName): Route => ({ method, path, function: fn, caller: 'operator' });

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/health', function: 'health', caller: 'public' },

  // The operator console's page and files (the page asks for the operator token; the API checks it).
  { method: 'GET', path: '/', function: 'console', caller: 'public' },
  { method: 'GET', path: '/console', function: 'console', caller: 'public' },
  { method: 'GET', path: '/console/{path+}', function: 'console', caller: 'public' },

  { method: 'POST', path: '/wechat/ticket', function: 'wechat-ticket', caller: 'wechat' },
  { method: 'POST', path: '/wechat/callback/{appid}', function: 'wechat-callback', caller: 'wechat' },

  { method: 'GET', path: '/authorize', function: 'authorize', caller: 'merchant' },
  { method: 'GET', path: '/auth/callback', function: 'auth-callback', caller: 'merchant' },

  operator('POST', '/api/auth-links', 'api-auth-links'),
  operator('GET', '/api/tenants', 'api-tenants'),
  operator('GET', '/api/tenants/summary', 'api-tenants'),
  operator('POST', '/api/tenants/sync', 'api-tenants'),
  operator('GET', '/api/tenants/{appid}', 'api-tenants'),
  operator('GET', '/api/tenants/{appid}/config', 'api-tenants'),
  operator('PUT', '/api/tenants/{appid}/config', 'api-tenants'),
  operator('GET', '/api/tenants/{appid}/ext-json', 'api-tenants'),
  operator('GET', '/api/tenants/{appid}/qrcode', 'api-tenants'),
  operator('POST', '/api/tenants/{appid}/readiness', 'api-tenants'),
  operator('GET', '/api/tenants/{appid}/deployments', 'api-tenants'),
  operator('PUT', '/api/tenants/{appid}/basic-info', 'api-tenant-profile'),
  operator('GET', '/api/tenants/{appid}/categories', 'api-tenant-profile'),
  operator('POST', '/api/tenants/{appid}/categories', 'api-tenant-profile'),
  operator('DELETE', '/api/tenants/{appid}/categories', 'api-tenant-profile'),
  operator('GET', '/api/templates', 'api-templates'),
  operator('GET', '/api/templates/drafts', 'api-templates'),
  operator('POST', '/api/templates', 'api-templates'),
  operator('DELETE', '/api/templates/{templateId}', 'api-templates'),
  operator('GET', '/api/templates/{templateId}/profile', 'api-templates'),
  operator('PUT', '/api/templates/{templateId}/profile', 'api-templates'),
  operator('GET', '/api/deployments', 'api-deployments'),
  operator('POST', '/api/deployments', 'api-deployments'),
  operator('POST', '/api/deployments/preflight', 'api-deployments'),
  operator('GET', '/api/deployments/{id}', 'api-deployments'),
  operator('POST', '/api/deployments/{id}/{action}', 'api-deployments'),
  operator('GET', '/api/pushes', 'api-pushes'),
  operator('POST', '/api/service-keys', 'api-service-keys'),
  operator('GET', '/api/service-keys', 'api-service-keys'),
  operator('DELETE', '/api/service-keys/{keyId}', 'api-service-keys'),
  operator('POST', '/api/registrations', 'api-registrations'),
  operator('GET', '/api/registrations', 'api-registrations'),
  operator('GET', '/api/registrations/{registrationId}', 'api-registrations'),
  operator('POST', '/api/registrations/{registrationId}/search', 'api-registrations'),
  operator('POST', '/api/registrations/{registrationId}/onboarding/retry', 'api-registrations'),
  operator('PUT', '/api/forwarding', 'api-forwarding'),
  operator('GET', '/api/forwarding', 'api-forwarding'),
  operator('DELETE', '/api/forwarding', 'api-forwarding'),
  operator('PUT', '/api/tenants/{appid}/forwarding', 'api-forwarding'),
  operator('GET', '/api/tenants/{appid}/forwarding', 'api-forwarding'),
  operator('DELETE', '/api/tenants/{appid}/forwarding', 'api-forwarding'),
  operator('POST', '/api/tenants/{appid}/forwarding/redrive', 'api-forwarding'),

  // The runtime API of the template's backend (a service key scoped to tenants and to login / token / proxy).
  { method: 'POST', path: '/runtime/{appid}/login', function: 'runtime', caller: 'service' },
  { method: 'GET', path: '/runtime/{appid}/access-token', function: 'runtime', caller: 'service' },
  { method: 'POST', path: '/runtime/{appid}/wechat/{path+}', function: 'runtime', caller: 'service' },
];
