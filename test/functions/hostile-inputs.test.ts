/**
 * Hostile input against every public route, driven by the route table: a new operator route gets
 * the authentication, body and path-parameter cases without anyone writing them. Every refusal
 * must be a 4xx with `{error:{code,message}}` (an HTML page on merchant routes) and must leave the
 * table exactly as it was; where a record is the documented outcome, exactly that record appears.
 *
 * Bad signatures, ciphertext, XML, DOCTYPE and oversized bodies on the two push routes are in
 * hostile-pushes.test.ts and not repeated here.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type Route } from '../../infra/routes';
import { MAX_PUSH_TYPE_LENGTH } from '../../shared/pushes/push-log';
import { services } from '../../shared/services';
import { sealPush } from '../../shared/wechat/envelope';
import { buildXml } from '../../shared/wechat/xml';
import {
  around,
  changedItems,
  expectGatewayRefusal,
  expectJsonError,
  expectNoRawMarkup,
  fillPath,
  hugeJson,
  pageToken,
  pathParams,
  postSealed,
  removedItems,
  replay,
  routeKey,
  settled,
  XSS_PAYLOADS,
  type Item,
} from '../support/hostile';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let componentAppid: string;
/** The one authorized tenant: tenant-scoped routes address it, so a request that slipped through would show. */
let tenant: string;
/** Seeded in the emulator, never authorized. */
let stranger: string;
/** The tenant's gh_ id (ToUserName of its message pushes). */
let userName: string;
/** The authorization code that made `tenant` (already exchanged). */
let usedAuthCode: string;
/** A settled deployment (committed, release: manual) for the `{id}` routes. */
let deploymentId: string;
/** A service key of the tenant (its id addresses something real; its secret a runtime route). */
let serviceKey: { id: string; secret: string };
let registrationId: string;
let token: string;
/** nextTokens the paged routes really issued, to tamper with. */
const issuedTokens = new Map<string, string>();

const UNKNOWN_APPID = 'wx0000000000000000';
const UNKNOWN_DEPLOYMENT = 'd-zzzzzzzz-00000000';
/** Well-formed but absent from the library: a slipped-through DELETE could not remove a real template. */
const UNKNOWN_TEMPLATE = '9999999999';
/** In the library (the beforeAll deploys it): a route that writes to a template addresses this one, so a slip would show. */
const REAL_TEMPLATE = '1';
const UNKNOWN_KEY = 'zzzzzzzzzzzz';
const UNKNOWN_REGISTRATION = 'r-0000000-00000000';
/** The type of the pushes beforeAll sends, so its list has a second page. */
const PAGED_TYPE = 'event:user_enter_tempsession';
const PAGED_ROUTES = ['GET /api/tenants', 'GET /api/deployments', 'GET /api/deployments/{id}', 'GET /api/pushes'];

beforeAll(async () => {
  t = await startTestStack();
  componentAppid = t.stack.emulator!.platform.componentAppid;
  token = t.stack.operatorToken;
  await t.until(async () => services().tickets.latest());
  [tenant, stranger] = (await t.seededAppids()) as [string, string];
  usedAuthCode = (await t.admin<{ auth_code: string }>('/authorize', { appid: tenant })).auth_code;
  userName = await t.until(async () => (await services().tenants.get(tenant))?.userName);

  const created = await t.operator('/api/deployments', {
    method: 'POST',
    body: JSON.stringify({ templateId: 1, userVersion: '1.0.0', userDesc: 'hostile-inputs target', tenants: [tenant], submitAudit: false, release: 'manual' }),
  });
  deploymentId = ((await created.json()) as { id: string }).id;
  registrationId = ((await (await t.operator('/api/registrations', { method: 'POST', body: JSON.stringify({ kind: 'personal', idname: '赵六', wxuser: 'zhao_liu_66' }) })).json()) as { id: string }).id;
  serviceKey = (await (await t.operator('/api/service-keys', { method: 'POST', body: JSON.stringify({ name: 'hostile-inputs target', tenants: [tenant], scopes: ['login', 'token', 'proxy'] }) })).json()) as { id: string; secret: string };
  await t.until(async () => {
    const view = (await (await t.operator(`/api/deployments/${deploymentId}`)).json()) as { status: string; counts: Record<string, number> };
    return view.status === 'completed' && view.counts.committed === 1;
  });
  // Two pushes of one type for the tenant, so the push log's filtered lists have a second page.
  for (const from of ['o-paged-1', 'o-paged-2']) {
    await t.push(`/wechat/callback/${tenant}`, { ToUserName: userName, FromUserName: from, CreateTime: Math.floor(Date.now() / 1000), MsgType: 'event', Event: 'user_enter_tempsession' }, { ToUserName: userName });
  }
  await settled(t);

  for (const path of ['/api/tenants', '/api/deployments', `/api/deployments/${deploymentId}`, '/api/pushes', `/api/pushes?appid=${tenant}`, `/api/pushes?type=${PAGED_TYPE}`]) {
    const page = (await (await t.operator(`${path}${path.includes('?') ? '&' : '?'}limit=1`)).json()) as { nextToken?: string };
    if (page.nextToken) issuedTokens.set(path, page.nextToken);
  }
}, 30_000);
afterAll(() => t?.close());

// ---------------------------------------------------------------------------------------------
// The route table, and what each route needs to be addressed for real.

const OPERATOR_ROUTES = ROUTES.filter((route) => route.caller === 'operator');
const BODY_ROUTES = OPERATOR_ROUTES.filter((route) => route.method === 'POST' || route.method === 'PUT');
const PARAM_ROUTES = ROUTES.filter((route) => pathParams(route.path).length > 0 && route.caller !== 'merchant' && route.caller !== 'service');

/** Path parameters addressing real things (the action is the one that reads a body). */
const realParams = (): Record<string, string> => ({ appid: tenant, id: deploymentId, templateId: UNKNOWN_TEMPLATE, action: 'release', keyId: serviceKey.id, registrationId });
/**
 * The real target of a request that must be refused: `realParams`, but a real template wherever
 * that cannot delete it (a refused write to its release profile must leave it as it was).
 */
const targetParams = (route: Route): Record<string, string> => ({
  ...realParams(),
  ...(route.method === 'DELETE' ? {} : { templateId: REAL_TEMPLATE }),
});
/** Path parameters that are well-formed but address nothing: a harmless probe. */
const unknownParams = (): Record<string, string> => ({ appid: UNKNOWN_APPID, id: UNKNOWN_DEPLOYMENT, templateId: UNKNOWN_TEMPLATE, action: 'release', keyId: UNKNOWN_KEY, registrationId: UNKNOWN_REGISTRATION });

/** A body each write route would accept: sent where a refusal must come from something else. */
const VALID_BODIES: Record<string, () => unknown> = {
  'POST /api/auth-links': () => ({ authType: 2 }),
  'PUT /api/tenants/{appid}/config': () => ({ ext: { slippedThrough: true } }),
  'POST /api/templates': () => ({ draftId: 1 }),
  'POST /api/tenants/sync': () => ({}),
  'POST /api/deployments': () => ({ templateId: 1, userVersion: '9.9.9', userDesc: 'must never be created', tenants: [tenant], submitAudit: false }),
  'POST /api/deployments/preflight': () => ({ templateId: 1, userVersion: '9.9.9', userDesc: 'preflight only', tenants: [tenant], submitAudit: true }),
  'POST /api/deployments/{id}/{action}': () => ({ grayPercentage: 10 }),
  // Takes no options, like the sync: a body, if any, is an empty object.
  'POST /api/tenants/{appid}/readiness': () => ({}),
  'PUT /api/templates/{templateId}/profile': () => validProfile(),
  'POST /api/service-keys': () => ({ name: 'hostile-inputs', tenants: [tenant], scopes: ['token'] }),
  // WeChat would start a task: sent only where a refusal must come first.
  'POST /api/registrations': () => ({ kind: 'trial', name: '不该创建的体验店', openid: 'oHostileInputs00000000000001' }),
  // Takes no options: a body, if any, is an empty object.
  'POST /api/registrations/{registrationId}/search': () => ({}),
  'POST /api/registrations/{registrationId}/onboarding/retry': () => ({}),
  // WeChat would take them: sent only where a refusal must come first.
  'PUT /api/tenants/{appid}/basic-info': () => ({ signature: '不该设置的功能介绍' }),
  'POST /api/tenants/{appid}/categories': () => ({ categories: [{ first: 287, second: 612 }] }),
  'PUT /api/forwarding': () => ({ url: 'https://hostile-inputs.example.com/must-not-be-set' }),
  'PUT /api/tenants/{appid}/forwarding': () => ({ url: 'https://hostile-inputs.example.com/must-not-be-set' }),
  // Takes no options: a body, if any, is an empty object.
  'POST /api/tenants/{appid}/forwarding/redrive': () => ({}),
};
const REQUIRED_QUERY: Record<string, string> = { 'GET /api/tenants/{appid}/ext-json': 'templateId=1', 'DELETE /api/tenants/{appid}/categories': 'first=287&second=612' };

const validBody = (route: Route) => (VALID_BODIES[routeKey(route)] ? JSON.stringify(VALID_BODIES[routeKey(route)]!()) : undefined);

function send(route: Route, params: Record<string, string>, options: { headers?: Record<string, string>; body?: string; query?: string } = {}): Promise<Response> {
  const query = [REQUIRED_QUERY[routeKey(route)], options.query].filter(Boolean).join('&');
  return t.api(`${fillPath(route.path, params)}${query ? `?${query}` : ''}`, {
    method: route.method,
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.body !== undefined && route.method !== 'GET' ? { body: options.body } : {}),
  });
}
const asOperator = (route: Route, params: Record<string, string>, options: { body?: string; query?: string } = {}) =>
  send(route, params, { ...options, headers: { authorization: `Bearer ${token}` } });

/** Sends, then asserts a JSON refusal and an untouched table. */
async function expectRefused(request: () => Promise<Response>, status: number, code?: string): Promise<{ code: string; message: string }> {
  const { response, before, after } = await around(t, request);
  const error = await expectJsonError(response, status, code);
  expect(await after()).toEqual(before);
  return error;
}

const byKey = (key: string) => {
  const route = ROUTES.find((r) => routeKey(r) === key);
  if (!route) throw new Error(`${key} is no longer in ROUTES: update this suite`);
  return route;
};

describe('the route table is covered', () => {
  it('has real and unknown values for every path parameter and a valid body for every write route', () => {
    for (const route of ROUTES) {
      for (const name of pathParams(route.path)) expect(Object.keys(INVALID_PARAM), `${routeKey(route)} {${name}}`).toContain(name);
    }
    expect(BODY_ROUTES.map(routeKey).sort()).toEqual(Object.keys(VALID_BODIES).sort());
    for (const key of [...Object.keys(SCHEMA_CASES), ...PAGED_ROUTES]) expect(() => byKey(key)).not.toThrow();
  });

  it('has hand-written cases for every WeChat, merchant and public route', () => {
    const handWritten = ROUTES.filter((route) => route.caller !== 'operator').map(routeKey).sort();
    expect(handWritten).toEqual([
      'GET /',
      'GET /auth/callback',
      'GET /authorize',
      'GET /console',
      'GET /console/{path+}',
      'GET /health',
      'GET /runtime/{appid}/access-token',
      'POST /runtime/{appid}/login',
      'POST /runtime/{appid}/wechat/{path+}',
      'POST /wechat/callback/{appid}',
      'POST /wechat/ticket',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Operator authentication. The code matches the scheme case-insensitively (RFC 6750 § 2.1 via
// RFC 9110 § 11.1) and ignores surrounding whitespace, which HTTP strips from header values anyway
// (a trailing newline never reaches the function): every such variant must behave exactly like the
// canonical header, and everything else must be a 401 before any work.

const flipLast = (value: string) => value.slice(0, -1) + (value.endsWith('a') ? 'b' : 'a');

const REFUSED_AUTH: [string, () => { headers?: Record<string, string>; query?: string }][] = [
  ['no Authorization header', () => ({})],
  ['a wrong token of the same length', () => ({ headers: { authorization: `Bearer ${flipLast(token)}` } })],
  ['the token plus one character', () => ({ headers: { authorization: `Bearer ${token}x` } })],
  ['the token without its last character', () => ({ headers: { authorization: `Bearer ${token.slice(0, -1)}` } })],
  ['a 4 KiB token', () => ({ headers: { authorization: `Bearer ${token}${'x'.repeat(4096)}` } })],
  ['an empty bearer', () => ({ headers: { authorization: 'Bearer' } })],
  ['the token without a scheme', () => ({ headers: { authorization: token } })],
  ['no space after the scheme', () => ({ headers: { authorization: `Bearer${token}` } })],
  ['the token in other headers', () => ({ headers: { 'x-api-key': token, 'x-authorization': `Bearer ${token}` } })],
  ['the token in the query string', () => ({ query: `access_token=${encodeURIComponent(token)}` })],
];

const ACCEPTED_AUTH: [string, () => string][] = [
  ['a lower-case scheme', () => `bearer ${token}`],
  ['an upper-case scheme', () => `BEARER ${token}`],
  ['trailing spaces', () => `Bearer ${token}   `],
  ['a trailing tab', () => `Bearer ${token}\t`],
  ['a trailing newline', () => `Bearer ${token}\n`],
];

/** A request that passes authentication but cannot change anything: unknown targets, a broken body. */
const probe = (route: Route, authorization: string) =>
  send(route, unknownParams(), { headers: { authorization }, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: '{' }) });

describe('operator routes: authentication', () => {
  for (const route of OPERATOR_ROUTES) {
    describe(routeKey(route), () => {
      it.each(REFUSED_AUTH)('refuses %s with 401 and changes nothing (real target, valid body)', async (_name, variant) => {
        const { headers, query } = variant();
        await expectRefused(() => send(route, targetParams(route), { ...(headers ? { headers } : {}), ...(query ? { query } : {}), body: validBody(route) }), 401, 'unauthorized');
      });

      it.each(ACCEPTED_AUTH)('treats %s exactly like the canonical header', async (_name, variant) => {
        const canonical = await probe(route, `Bearer ${token}`);
        const { response, before, after } = await around(t, () => probe(route, variant()));
        expect(response.status).not.toBe(401);
        expect(response.status).toBe(canonical.status);
        expect(await response.text()).toBe(await canonical.text());
        expect(await after()).toEqual(before);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Malformed JSON on every route that reads a body (real targets; `{action}` is release; the
// readiness check, like the sync, takes no options and must refuse a body that is not `{}`).

const TWO_MB_JSON = hugeJson(2 * 1024 * 1024);
const MALFORMED_BODIES: [string, () => string, number, string[]][] = [
  ['an unterminated object', () => '{', 400, ['invalid_json']],
  ['two JSON documents', () => '{}{}', 400, ['invalid_json']],
  ['a JSON array', () => '[]', 400, ['validation_failed', 'invalid_config']],
  ['JSON null', () => 'null', 400, ['validation_failed', 'invalid_config']],
  ['a JSON string', () => '"str"', 400, ['validation_failed', 'invalid_config']],
  ['a JSON number', () => '42', 400, ['validation_failed', 'invalid_config']],
  ['a 2 MB JSON document', () => TWO_MB_JSON, 413, ['payload_too_large']],
];

describe('operator routes: malformed JSON bodies', () => {
  for (const route of BODY_ROUTES) {
    it.each(MALFORMED_BODIES)(`${routeKey(route)} refuses %s`, async (_name, body, status, codes) => {
      const error = await expectRefused(() => asOperator(route, targetParams(route), { body: body() }), status);
      expect(codes).toContain(error.code);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Schema violations, one case each: unknown fields, wrong types, out-of-range numbers, long strings.

type SchemaCase = [name: string, body: () => unknown, status: number, code: string];
const bad = (name: string, body: () => unknown, code = 'validation_failed', status = 400): SchemaCase => [name, body, status, code];

const deployBody = (changes: Record<string, unknown> = {}) => ({ templateId: 1, userVersion: '1.0.0', userDesc: 'hostile', tenants: [tenant], submitAudit: false, ...changes });
/** WeChat's setprivacysetting body, as a template's release profile carries it. */
const privacyGuide = () => ({
  owner_setting: { contact_email: 'privacy@example.com', notice_method: '弹窗提示' },
  setting_list: [{ privacy_key: 'UserInfo', privacy_text: '用于展示会员信息' }],
});
const validProfile = () => ({ privacy: privacyGuide(), privacyApis: ['wx.getLocation'], auditItems: [{ tag: '工具' }], domains: { requestdomain: ['https://api.example.com'] } });
const withoutKey = (body: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(body).filter(([k]) => k !== key));
const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });
const tabItems = (n: number) => Array.from({ length: n }, (_, i) => ({ pagePath: `pages/p${i}/p${i}`, text: `T${i}` }));
const distinctAppids = (n: number) => Array.from({ length: n }, (_, i) => `wx${i.toString(16).padStart(16, '0')}`);

const DEPLOY_CASES: SchemaCase[] = [
    bad('an unknown field', () => deployBody({ force: true })),
    bad('a __proto__ key', () => JSON.parse(`{"__proto__":{"admin":true},${JSON.stringify(deployBody()).slice(1)}`)),
    bad('templateId as letters', () => deployBody({ templateId: 'abc' })),
    bad('a negative templateId', () => deployBody({ templateId: -1 })),
    bad('a fractional templateId', () => deployBody({ templateId: 1.5 })),
    bad('userVersion as a number', () => deployBody({ userVersion: 1 })),
    bad('an empty userVersion', () => deployBody({ userVersion: '' })),
    bad('a 65-character userVersion', () => deployBody({ userVersion: 'v'.repeat(65) })),
    bad('a 513-character userDesc', () => deployBody({ userDesc: 'd'.repeat(513) })),
    bad('no userDesc', () => withoutKey(deployBody(), 'userDesc')),
    bad('tenants as a string', () => deployBody({ tenants: tenant })),
    bad('an empty tenants list', () => deployBody({ tenants: [] })),
    bad('an upper-case appid in tenants', () => deployBody({ tenants: [tenant.toUpperCase()] })),
    bad('10 001 tenants', () => deployBody({ tenants: distinctAppids(10_001) })),
    bad('a tenant listed twice', () => deployBody({ tenants: [tenant, tenant] }), 'duplicate_tenants'),
    bad('submitAudit as a string', () => deployBody({ submitAudit: 'yes' })),
    bad('an unknown release mode', () => deployBody({ release: 'later' })),
    bad('six auditItems', () => deployBody({ auditItems: Array.from({ length: 6 }, () => ({ tag: 'x' })) })),
    bad('an auditItem with an object value', () => deployBody({ auditItems: [{ tag: { a: 1 } }] })),
    bad('a 513-character versionDesc', () => deployBody({ versionDesc: 'v'.repeat(513) })),
    bad('privacyApiNotUse as a string', () => deployBody({ privacyApiNotUse: 'no' })),
    bad('an http:// request domain', () => deployBody({ domains: { requestdomain: ['http://example.com'] } })),
    bad('an unknown domain list', () => deployBody({ domains: { ftpdomain: ['https://example.com'] } })),
    bad('a javascript: webview domain', () => deployBody({ webviewDomains: ['javascript:alert(1)'] })),
    bad('ext setting extAppid', () => deployBody({ ext: { extAppid: stranger } }), 'invalid_config'),
    bad('ext as a string', () => deployBody({ ext: 'str' }), 'invalid_config'),
    bad('a tenant that is no tenant', () => deployBody({ tenants: [tenant, UNKNOWN_APPID] }), 'unknown_tenants'),
    bad('a template the library does not have', () => deployBody({ templateId: 99_999 }), 'template_not_found', 404),
];

/** A PNG's first bytes and a JPEG's, as data URLs: enough for the checks that run before WeChat. */
const PNG_URL = `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]).toString('base64')}`;
const TEXT_AS_PNG = `data:image/png;base64,${Buffer.from('not an image at all').toString('base64')}`;
const trialBody = (changes: Record<string, unknown> = {}) => ({ kind: 'trial', name: '不该创建的体验店', openid: 'oHostileInputs00000000000001', ...changes });

const SCHEMA_CASES: Record<string, SchemaCase[]> = {
  'PUT /api/tenants/{appid}/basic-info': [
    bad('an empty object', () => ({})),
    bad('an unknown field', () => ({ signature: '一家好店', headImage: PNG_URL })),
    bad('an avatar that is text', () => ({ avatar: TEXT_AS_PNG, signature: '一家好店的介绍' })),
    bad('an avatar that is a URL', () => ({ avatar: 'https://example.com/a.png' })),
    bad('an avatar over 300 KB', () => ({ avatar: `data:image/png;base64,${Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(310 * 1024)]).toString('base64')}` })),
    bad('a 3-character signature', () => ({ signature: '太短了' })),
    bad('a 31-character nickName', () => ({ nickName: '名'.repeat(31) })),
    bad('nicknameMaterials without a nickName', () => ({ signature: '一家好店的介绍', nicknameMaterials: { license: PNG_URL } })),
  ],
  'POST /api/tenants/{appid}/categories': [
    bad('no categories', () => ({ categories: [] })),
    bad('six categories', () => ({ categories: Array.from({ length: 6 }, (_, i) => ({ first: 287, second: 600 + i })) })),
    bad('a category id as a string', () => ({ categories: [{ first: '287', second: 612 }] })),
    bad('an unknown field', () => ({ categories: [{ first: 287, second: 612, third: 1 }] })),
    bad('a document that is not an image', () => ({ categories: [{ first: 287, second: 612, qualifications: [{ name: '营业执照', image: TEXT_AS_PNG }] }] })),
    bad('a pair missing from the catalogue', () => ({ categories: [{ first: 287, second: 99_999 }] }), 'unknown_category'),
  ],
  'POST /api/registrations': [
    bad('an onboarding that is empty', () => trialBody({ onboarding: {} })),
    bad('an onboarding avatar that is text', () => trialBody({ onboarding: { avatar: TEXT_AS_PNG } })),
    bad('an onboarding config setting extAppid', () => trialBody({ onboarding: { config: { extAppid: stranger } } }), 'invalid_config'),
    bad('an onboarding privacy guide without a contact', () => trialBody({ onboarding: { privacy: { owner_setting: { notice_method: '弹窗' }, setting_list: [{ privacy_key: 'UserInfo', privacy_text: '展示' }] } } })),
    bad('a name for a trial', () => trialBody({ onboarding: { nickName: '体验店' } })),
  ],
  'PUT /api/tenants/{appid}/config': [
    bad('an unknown key inside networkTimeout', () => ({ networkTimeout: { request: 1000, socket: 5 } }), 'invalid_config'),
    bad('an unknown key on a tabBar item', () => ({ tabBar: { list: [{ ...tabItems(1)[0], badge: 1 }, tabItems(2)[1]] } }), 'invalid_config'),
    bad('ext as a string', () => ({ ext: 'str' }), 'invalid_config'),
    bad('ext as an array', () => ({ ext: [] }), 'invalid_config'),
    bad('pages as a string', () => ({ pages: 'pages/index/index' }), 'invalid_config'),
    bad('a timeout as a string', () => ({ networkTimeout: { request: '8000' } }), 'invalid_config'),
    bad('directCommit as a string', () => ({ directCommit: 'true' }), 'invalid_config'),
    bad('extEnable false', () => ({ extEnable: false }), 'invalid_config'),
    bad('a negative timeout', () => ({ networkTimeout: { request: -1 } }), 'invalid_config'),
    bad('a fractional timeout', () => ({ networkTimeout: { request: 1.5 } }), 'invalid_config'),
    bad('a negative onReachBottomDistance', () => ({ window: { onReachBottomDistance: -5 } }), 'invalid_config'),
    bad('six tabBar items', () => ({ tabBar: { list: tabItems(6) } }), 'invalid_config'),
    bad('101 subpackages', () => ({ subpackages: Array.from({ length: 101 }, (_, i) => ({ root: `sub${i}`, pages: ['pages/a'] })) }), 'invalid_config'),
    bad('a 300-character page path', () => ({ pages: ['p'.repeat(300)] }), 'invalid_config'),
    bad('a 65-character plugin name', () => ({ plugins: { ['k'.repeat(65)]: { version: '1.0.0', provider: 'wx0123456789abcdef' } } }), 'invalid_config'),
    bad('a 257-character subpackage root', () => ({ subpackages: [{ root: 'r'.repeat(257), pages: ['pages/a'] }] }), 'invalid_config'),
    bad('a path-traversal page', () => ({ pages: ['../../etc/passwd'] }), 'invalid_config'),
    bad('an absolute page path', () => ({ pages: ['/pages/index/index'] }), 'invalid_config'),
    bad('markup in a colour', () => ({ window: { navigationBarBackgroundColor: '#fff"><script>' } }), 'invalid_config'),
    bad('ext nested 20 levels deep', () => ({ ext: nested(20) }), 'invalid_config'),
    bad('a 33 KiB title', () => ({ window: { navigationBarTitleText: 'x'.repeat(33 * 1024) } }), 'config_too_large', 413),
  ],
  // The preflight checks the deployment's own body, so it refuses exactly what the deployment would.
  'POST /api/deployments': DEPLOY_CASES,
  'POST /api/deployments/preflight': DEPLOY_CASES,
  // Addressing the real template: a profile that slipped through would be stored and show in the table.
  'PUT /api/templates/{templateId}/profile': [
    bad('an unknown field', () => ({ ...validProfile(), force: true })),
    bad('a __proto__ key', () => JSON.parse(`{"__proto__":{"admin":true},${JSON.stringify(validProfile()).slice(1)}`)),
    bad('privacy as a string', () => ({ privacy: 'yes' })),
    bad('a privacy guide without any contact', () => ({ privacy: { ...privacyGuide(), owner_setting: { notice_method: '弹窗' } } })),
    bad('a privacy guide without notice_method', () => ({ privacy: { ...privacyGuide(), owner_setting: { contact_email: 'ops@example.com' } } })),
    bad('an unknown owner_setting field', () => ({ privacy: { ...privacyGuide(), owner_setting: { ...privacyGuide().owner_setting, admin: true } } })),
    bad('privacy_ver 3', () => ({ privacy: { ...privacyGuide(), privacy_ver: 3 } })),
    bad('an empty setting_list', () => ({ privacy: { ...privacyGuide(), setting_list: [] } })),
    bad('101 privacy settings', () => ({ privacy: { ...privacyGuide(), setting_list: Array.from({ length: 101 }, (_, i) => ({ privacy_key: `Key${i}`, privacy_text: 'x' })) } })),
    bad('a 501-character privacy_text', () => ({ privacy: { ...privacyGuide(), setting_list: [{ privacy_key: 'UserInfo', privacy_text: 't'.repeat(501) }] } })),
    bad('a privacy setting with an object value', () => ({ privacy: { ...privacyGuide(), setting_list: [{ privacy_key: 'UserInfo', privacy_text: { a: 1 } }] } })),
    bad('a privacy API without wx.', () => ({ privacyApis: ['getLocation'] })),
    bad('markup as a privacy API', () => ({ privacyApis: [XSS_PAYLOADS[0]] })),
    bad('privacyApis as a string', () => ({ privacyApis: 'wx.getLocation' })),
    bad('101 privacy APIs', () => ({ privacyApis: Array.from({ length: 101 }, () => 'wx.getLocation') })),
    bad('an empty auditItems list', () => ({ auditItems: [] })),
    bad('21 auditItems', () => ({ auditItems: Array.from({ length: 21 }, () => ({ tag: 'x' })) })),
    bad('an auditItem with an unknown field', () => ({ auditItems: [{ tag: 'x', force: true }] })),
    bad('an auditItem category without second', () => ({ auditItems: [{ category: { first: '工具' } }] })),
    bad('a 221-character audit tag', () => ({ auditItems: [{ tag: 't'.repeat(221) }] })),
    bad('an http:// request domain', () => ({ domains: { requestdomain: ['http://example.com'] } })),
    bad('a javascript: download domain', () => ({ domains: { downloaddomain: ['javascript:alert(1)'] } })),
    bad('a domain with a path', () => ({ domains: { requestdomain: ['https://example.com/steal'] } })),
    bad('an unknown domain list', () => ({ domains: { ftpdomain: ['https://example.com'] } })),
    bad('a body over 64 KiB', () => ({ ...validProfile(), padding: 'x'.repeat(65 * 1024) }), 'payload_too_large', 413),
  ],
  'POST /api/templates': [
    bad('no draftId', () => ({})),
    bad('draftId as a string', () => ({ draftId: '1' })),
    bad('a negative draftId', () => ({ draftId: -1 })),
    bad('a fractional draftId', () => ({ draftId: 1.5 })),
    bad('a draftId beyond 2^53', () => ({ draftId: 1e20 })),
    bad('draftId null', () => ({ draftId: null })),
    bad('templateType 2', () => ({ draftId: 1, templateType: 2 })),
    bad('templateType as a string', () => ({ draftId: 1, templateType: '1' })),
    bad('an unknown field', () => ({ draftId: 1, force: true })),
    bad('a draft WeChat does not have', () => ({ draftId: 99_999 }), 'draft_not_found', 404),
  ],
  'POST /api/auth-links': [
    bad('authType 0', () => ({ authType: 0 })),
    bad('authType 4', () => ({ authType: 4 })),
    bad('authType as a string', () => ({ authType: '2' })),
    bad('a fractional authType', () => ({ authType: 2.5 })),
    bad('authType null', () => ({ authType: null })),
    bad('an upper-case bizAppid', () => ({ bizAppid: stranger.toUpperCase() })),
    bad('a 1000-character bizAppid', () => ({ bizAppid: `wx${'a'.repeat(998)}` })),
    bad('bizAppid as a number', () => ({ bizAppid: 123 })),
    bad('markup in bizAppid', () => ({ bizAppid: XSS_PAYLOADS[0] })),
    bad('a redirectUri of the caller’s choosing', () => ({ redirectUri: 'https://evil.example/steal' })),
  ],
  // `{action}` is release: the only action that reads a body.
  'POST /api/deployments/{id}/{action}': [
    bad('grayPercentage 0', () => ({ grayPercentage: 0 })),
    bad('grayPercentage 101', () => ({ grayPercentage: 101 })),
    bad('grayPercentage 1e9', () => ({ grayPercentage: 1e9 })),
    bad('a negative grayPercentage', () => ({ grayPercentage: -1 })),
    bad('a fractional grayPercentage', () => ({ grayPercentage: 50.5 })),
    bad('grayPercentage as a string', () => ({ grayPercentage: '50' })),
    bad('grayPercentage null', () => ({ grayPercentage: null })),
    bad('an unknown field', () => ({ grayPercentage: 10, force: true })),
  ],
};

describe('operator routes: schema violations', () => {
  for (const [key, cases] of Object.entries(SCHEMA_CASES)) {
    it.each(cases)(`${key} refuses %s`, async (_name, body, status, code) => {
      await expectRefused(() => asOperator(byKey(key), targetParams(byKey(key)), { body: JSON.stringify(body()) }), status, code);
    });
  }

  // templateId must be a JSON number: an array or a boolean must not be coerced into a template id.
  for (const key of ['POST /api/deployments', 'POST /api/deployments/preflight']) {
    it.each([
      ['an array', [99_999]],
      ['a boolean', false],
    ])(`${key} refuses templateId as %s with 400 validation_failed`, async (_name, templateId) => {
      await expectRefused(() => asOperator(byKey(key), realParams(), { body: JSON.stringify(deployBody({ templateId })) }), 400, 'validation_failed');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Path parameters: each parameter of each route in turn, the others real.

const INVALID_PARAM: Record<string, [status: number, code: string]> = {
  appid: [400, 'invalid_appid'],
  id: [404, 'deployment_not_found'],
  templateId: [400, 'invalid_template_id'],
  action: [404, 'unknown_action'],
  keyId: [400, 'invalid_key_id'],
  registrationId: [400, 'invalid_registration_id'],
};
const UNKNOWN_PARAM: Record<string, { value: string; status: number; code: string }> = {
  appid: { value: UNKNOWN_APPID, status: 404, code: 'tenant_not_found' },
  id: { value: UNKNOWN_DEPLOYMENT, status: 404, code: 'deployment_not_found' },
  templateId: { value: UNKNOWN_TEMPLATE, status: 404, code: 'template_not_found' },
  action: { value: 'delete', status: 404, code: 'unknown_action' },
  keyId: { value: UNKNOWN_KEY, status: 404, code: 'service_key_not_found' },
  registrationId: { value: UNKNOWN_REGISTRATION, status: 404, code: 'registration_not_found' },
};
/**
 * Where a route answers a well-formed parameter that addresses nothing otherwise: the profile of a
 * template not in the library is read like any template's that has none (nothing is written).
 */
const UNKNOWN_PARAM_CODE: Record<string, string> = {
  'GET /api/templates/{templateId}/profile {templateId}': 'profile_not_found',
};

const fullWidth = (value: string) => value.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** Already percent-encoded segments, made from the valid value of the parameter. */
const HOSTILE_SEGMENTS: [string, (valid: string) => string][] = [
  ['not an identifier', () => 'not-an-id'],
  ['upper-cased', (valid) => valid.toUpperCase()],
  ['4 KiB long', (valid) => `${valid}${'a'.repeat(4096)}`],
  ['an encoded ../ traversal', () => '..%2F..%2Fhealth'],
  ['a NUL byte', () => '%00'],
  ['the value then NUL', (valid) => `${valid}%00`],
  ['the value then a newline', (valid) => `${valid}%0A`],
  ['an emoji', () => '%F0%9F%9A%80'],
  ['full-width look-alikes', (valid) => encodeURIComponent(fullWidth(valid))],
  ['SQL injection', () => encodeURIComponent("' OR '1'='1")],
  ['a NoSQL operator object', () => encodeURIComponent('{"$ne":null}')],
  ['a DynamoDB sort key appended', (valid) => encodeURIComponent(`${valid}#PROFILE`)],
];

/** The callback route is addressed by a sealed event, like WeChat's. */
const callbackEvent = (createTime = Math.floor(Date.now() / 1000)) => ({
  ToUserName: userName,
  FromUserName: 'o-hostile-path',
  CreateTime: createTime,
  MsgType: 'event',
  Event: 'user_enter_tempsession',
});

function sendToParamRoute(route: Route, params: Record<string, string>): Promise<Response> {
  if (route.caller === 'wechat') return t.push(fillPath(route.path, params), callbackEvent(), { ToUserName: userName });
  return asOperator(route, params, { body: validBody(route) });
}

describe('path parameters', () => {
  for (const route of PARAM_ROUTES) {
    for (const name of pathParams(route.path)) {
      describe(`${routeKey(route)} {${name}}`, () => {
        // A template id has no letters to upper-case.
        const segments = HOSTILE_SEGMENTS.filter(([label]) => !(name === 'templateId' && label === 'upper-cased'));
        it.each(segments)(`refuses %s`, async (_label, make) => {
          const real = targetParams(route);
          const segment = make(real[name]!);
          expect(segment).not.toBe(real[name]);
          const [status, code] = INVALID_PARAM[name]!;
          await expectRefused(() => sendToParamRoute(route, { ...real, [name]: segment }), status, code);
        });

        it('lets the gateway refuse malformed percent-encoding (404, nothing changes)', async () => {
          const { response, before, after } = await around(t, () => sendToParamRoute(route, { ...realParams(), [name]: '%zz' }));
          await expectGatewayRefusal(response, 404);
          expect(await after()).toEqual(before);
        });

        if (route.caller === 'wechat') {
          it('acknowledges a well-formed appid that is no tenant, remembering only the push (its log entry)', async () => {
            await expectSuccessLogged(() => sendToParamRoute(route, { [name]: UNKNOWN_APPID }), { source: 'message', type: 'event:user_enter_tempsession', appid: UNKNOWN_APPID });
          });
        } else {
          const unknownCode = UNKNOWN_PARAM_CODE[`${routeKey(route)} {${name}}`] ?? UNKNOWN_PARAM[name]!.code;
          it(`answers ${unknownCode} for a well-formed ${name} that addresses nothing`, async () => {
            const { value, status } = UNKNOWN_PARAM[name]!;
            await expectRefused(() => sendToParamRoute(route, { ...realParams(), [name]: value }), status, unknownCode);
          });
        }
      });
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Query strings on the list routes.

const tokenFor = (path: string) => {
  const issued = issuedTokens.get(path);
  if (!issued) throw new Error(`GET ${path}?limit=1 issued no nextToken`);
  return issued;
};
const decoded = (issued: string) => JSON.parse(Buffer.from(issued, 'base64url').toString('utf8')) as Record<string, unknown>;
const pathOf = (key: string) => fillPath(byKey(key).path, realParams());
/** A token the other list issued: a key of the wrong partition. */
const foreignToken = (key: string) =>
  key === 'GET /api/tenants' || key === 'GET /api/pushes'
    ? tokenFor('/api/deployments')
    : key === 'GET /api/deployments'
      ? tokenFor('/api/tenants')
      : pageToken({ ...decoded(tokenFor(pathOf(key))), pk: `DEPLOY#${UNKNOWN_DEPLOYMENT}` });

type QueryCase = [name: string, query: (key: string) => string, code: string];
const QUERY_CASES: QueryCase[] = [
  ['limit=-1', () => 'limit=-1', 'validation_failed'],
  ['limit=1e9', () => 'limit=1e9', 'validation_failed'],
  ['limit=0', () => 'limit=0', 'validation_failed'],
  ['limit=1.5', () => 'limit=1.5', 'validation_failed'],
  ['limit=abc', () => 'limit=abc', 'validation_failed'],
  ['an empty limit', () => 'limit=', 'validation_failed'],
  ['limit=Infinity', () => 'limit=Infinity', 'validation_failed'],
  ['a repeated limit', () => 'limit=1&limit=2', 'validation_failed'],
  ['a garbage nextToken', () => 'nextToken=%21%21%21not*a*token', 'invalid_next_token'],
  ['a nextToken of base64 text', () => `nextToken=${Buffer.from('hello world').toString('base64url')}`, 'invalid_next_token'],
  ['a nextToken of base64 null', () => `nextToken=${pageToken(null)}`, 'invalid_next_token'],
  ['a nextToken of a base64 array', () => `nextToken=${pageToken(['pk', 'sk'])}`, 'invalid_next_token'],
  ['a nextToken over 4 KiB', () => `nextToken=${'A'.repeat(5000)}`, 'validation_failed'],
  ['an issued nextToken with characters flipped', (key) => `nextToken=${tokenFor(pathOf(key)).replace(/[A-Za-z]{4}/, 'zzzz').slice(0, -3)}`, 'invalid_next_token'],
  ['an issued nextToken repeated', (key) => `nextToken=${tokenFor(pathOf(key))}&nextToken=${tokenFor(pathOf(key))}`, 'invalid_next_token'],
  ['a nextToken issued by another list', (key) => `nextToken=${foreignToken(key)}`, 'invalid_next_token'],
  ['an issued nextToken with a number swapped in', (key) => `nextToken=${pageToken({ ...decoded(tokenFor(pathOf(key))), sk: 7 })}`, 'invalid_next_token'],
  ['an issued nextToken with an extra key', (key) => `nextToken=${pageToken({ ...decoded(tokenFor(pathOf(key))), zz: 'x' })}`, 'invalid_next_token'],
  ['an issued nextToken missing its pk', (key) => `nextToken=${pageToken(Object.fromEntries(Object.entries(decoded(tokenFor(pathOf(key)))).filter(([k]) => k !== 'pk')))}`, 'invalid_next_token'],
];

/**
 * The deployment store only checks a token's partition and sort key, so a token with an extra or
 * missing key attribute reaches DynamoDB, whose ValidationException becomes a 500 `internal`.
 */

describe('query strings on paged list routes', () => {
  for (const key of PAGED_ROUTES) {
    for (const [name, query, code] of QUERY_CASES) {
      const title = `${key} — ${name}`;
      it(`${title} → 400 ${code}`, async () => {
        await expectRefused(() => asOperator(byKey(key), realParams(), { query: query(key) }), 400, code);
      });
    }
  }

  it.each([
    ['status=gone', 'validation_failed'],
    ['status=active&status=revoked', 'validation_failed'],
    [`status=${encodeURIComponent(XSS_PAYLOADS[0]!)}`, 'validation_failed'],
    ['ready=yes', 'validation_failed'],
    ['ready=1', 'validation_failed'],
    ['ready=TRUE', 'validation_failed'],
    ['ready=', 'validation_failed'],
    ['ready=true&ready=false', 'validation_failed'],
    [`ready=${encodeURIComponent(XSS_PAYLOADS[0]!)}`, 'validation_failed'],
  ])('GET /api/tenants refuses %s', async (query, code) => {
    const error = await expectRefused(() => asOperator(byKey('GET /api/tenants'), {}, { query }), 400, code);
    expect(error.message).not.toContain('<script');
  });

  it.each([
    ['an upper-case appid', () => `appid=${tenant.toUpperCase()}`],
    ['an empty appid', () => 'appid='],
    ['a repeated appid', () => `appid=${tenant}&appid=${tenant}`],
    ['markup as appid', () => `appid=${encodeURIComponent(XSS_PAYLOADS[0]!)}`],
    ['an appid with a sort key appended', () => `appid=${encodeURIComponent(`${tenant}#PLATFORM`)}`],
    ['an empty type', () => 'type='],
    ['markup as type', () => `type=${encodeURIComponent(XSS_PAYLOADS[0]!)}`],
    ['a type with a space', () => 'type=component%20verify%20ticket'],
    ['a type naming another partition', () => `type=${encodeURIComponent(`authorized#APPID#${tenant}`)}`],
    ['a type longer than any recorded', () => `type=${'x'.repeat(MAX_PUSH_TYPE_LENGTH + 1)}`],
    ['a repeated type', () => 'type=authorized&type=unauthorized'],
  ])('GET /api/pushes refuses %s (400 validation_failed)', async (_name, query) => {
    const error = await expectRefused(() => asOperator(byKey('GET /api/pushes'), {}, { query: query() }), 400, 'validation_failed');
    expect(error.message).not.toContain('<script');
  });

  // A token names its partition: one list's token must not page another (a key of the wrong
  // partition, or of the wrong index, would reach DynamoDB).
  it.each([
    ['the fleet-wide list’s token on one appid’s', () => `appid=${tenant}&nextToken=${tokenFor('/api/pushes')}`],
    ['one appid’s token on another appid’s', () => `appid=${stranger}&nextToken=${tokenFor(`/api/pushes?appid=${tenant}`)}`],
    ['one appid’s token on the fleet-wide list', () => `nextToken=${tokenFor(`/api/pushes?appid=${tenant}`)}`],
    ['one appid’s token on a type’s', () => `type=${PAGED_TYPE}&nextToken=${tokenFor(`/api/pushes?appid=${tenant}`)}`],
    ['one type’s token on another type’s', () => `type=authorized&nextToken=${tokenFor(`/api/pushes?type=${PAGED_TYPE}`)}`],
    ['a type’s token on an appid’s', () => `appid=${tenant}&nextToken=${tokenFor(`/api/pushes?type=${PAGED_TYPE}`)}`],
  ])('GET /api/pushes refuses %s (400 invalid_next_token)', async (_name, query) => {
    await expectRefused(() => asOperator(byKey('GET /api/pushes'), {}, { query: query() }), 400, 'invalid_next_token');
  });

  it.each(['GET /api/templates', 'GET /api/templates/drafts'])('%s is not paged: paging parameters are ignored, nothing changes', async (key) => {
    const plain = await (await asOperator(byKey(key), {})).text();
    const { response, before, after } = await around(t, () => asOperator(byKey(key), {}, { query: 'limit=-1&nextToken=%21%21%21&limit=1e9' }));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(plain);
    expect(await after()).toEqual(before);
  });

  it('GET /api/tenants/{appid}/qrcode refuses a path over 1 KiB', async () => {
    await expectRefused(() => asOperator(byKey('GET /api/tenants/{appid}/qrcode'), realParams(), { query: `path=${'p'.repeat(1025)}` }), 400, 'validation_failed');
  });
});

// ---------------------------------------------------------------------------------------------
// The WeChat push routes: what hostile-pushes.test.ts does not cover. Every authentic push but the
// verify ticket (a secret, every ten minutes) is recorded in the push log on its first delivery:
// two items, the fleet-wide entry (pk PUSHLOG) and its appid's (pk PUSHLOG#APPID#…), secrets
// redacted; a retry or replay records nothing. A refused push records nothing at all.

const now = () => Math.floor(Date.now() / 1000);
const componentSealed = (fields: Record<string, string | number>) =>
  sealPush(t.crypto, { outer: { AppId: componentAppid }, innerXml: buildXml({ AppId: componentAppid, CreateTime: now(), ...fields }) });
const componentPush = (fields: Record<string, string | number>) => replay(t, '/wechat/ticket', componentSealed(fields));
const withoutParam = (query: Record<string, string>, name: string) => Object.fromEntries(Object.entries(query).filter(([key]) => key !== name));
const queryAuthCalls = async () => (await t.calls({ path: '/cgi-bin/component/api_query_auth' })).length;

const isPushLog = (item: Item) => String(item.pk).startsWith('PUSHLOG');
type LoggedPush = { source: 'component' | 'message'; type: string; appid?: string };
/** A push as GET /api/pushes shows it. */
type PushView = { source: string; type: string; appid?: string; createdAtMs: number; receivedAtMs: number; fields: Record<string, unknown> };

/** Every push GET /api/pushes lists (every page), optionally filtered. */
async function listedPushes(filter: Record<string, string> = {}): Promise<PushView[]> {
  const pushes: PushView[] = [];
  let nextToken: string | undefined;
  do {
    const query = new URLSearchParams({ ...filter, limit: '500', ...(nextToken ? { nextToken } : {}) });
    const response = await t.operator(`/api/pushes?${query}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as { pushes: PushView[]; nextToken?: string };
    pushes.push(...page.pushes);
    nextToken = page.nextToken;
  } while (nextToken);
  return pushes;
}

/**
 * Asserts that `added` (the push-log items a delivery added) is one push recorded once: its
 * fleet-wide entry and its appid's, with the same sort key and record, and that GET /api/pushes
 * lists it exactly once. Hands back the push as listed.
 */
async function expectLoggedOnce(added: Item[], push: LoggedPush): Promise<PushView> {
  expect(added).toHaveLength(2);
  const listed = added.find((item) => item.pk === 'PUSHLOG');
  const indexed = added.find((item) => item.pk === `PUSHLOG#APPID#${push.appid ?? 'PLATFORM'}`);
  expect(listed).toEqual({
    pk: 'PUSHLOG',
    sk: expect.stringMatching(/^\d{15}#[0-9a-f]{32}$/),
    source: push.source,
    type: push.type,
    ...(push.appid ? { appid: push.appid } : {}),
    createdAtMs: expect.any(Number),
    receivedAtMs: expect.any(Number),
    fields: expect.any(Object),
    expiresAt: expect.any(Number),
  });
  expect(indexed).toEqual({ ...listed, pk: `PUSHLOG#APPID#${push.appid ?? 'PLATFORM'}`, gsi1pk: `PUSHLOG#TYPE#${push.type}`, gsi1sk: listed!.sk });
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, ...view } = listed!;
  expect((await listedPushes()).filter((p) => isDeepStrictEqual(p, view))).toHaveLength(1);
  return view as PushView;
}

/** Sends a first delivery: 200 `success`, the push logged once, `others` the only other changes (in table order). */
async function expectSuccessLogged(request: () => Promise<Response>, push: LoggedPush, others: unknown[] = []): Promise<PushView> {
  const { response, before, after } = await around(t, request);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('success');
  const later = await after();
  expect(removedItems(before, later)).toEqual([]);
  const changed = changedItems(before, later);
  expect(changed.filter((item) => !isPushLog(item))).toEqual(others);
  return expectLoggedOnce(changed.filter(isPushLog), push);
}

/** A retry or replay: 200 `success` and not a single item changed (the log included). */
async function expectSuccessUnchanged(request: () => Promise<Response>): Promise<void> {
  const { response, before, after } = await around(t, request);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe('success');
  expect(await after()).toEqual(before);
}

describe('POST /wechat/ticket', () => {
  // Refused, WeChat would retry the push for hours and the event be lost: an InfoType mpfleet
  // does not act on is acknowledged and only recorded, under exactly the InfoType sent.
  it.each([
    ['upper-cased', 'COMPONENT_VERIFY_TICKET'],
    ['with a leading space', ' component_verify_ticket'],
    ['with a trailing space', 'component_verify_ticket '],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['markup', XSS_PAYLOADS[0]!],
  ])('acknowledges an InfoType %s as one it does not act on: logged once (its ticket redacted, not stored), nothing else changes; a replay adds nothing', async (_name, infoType) => {
    const sealed = componentSealed({ InfoType: infoType, ComponentVerifyTicket: 'ticket@@@hostile' });
    const logged = await expectSuccessLogged(() => replay(t, '/wechat/ticket', sealed), { source: 'component', type: infoType });
    expect(logged.fields).toEqual({ AppId: componentAppid, CreateTime: expect.any(String), InfoType: infoType, ComponentVerifyTicket: '[redacted]' });
    expect((await services().tickets.latest())!.ticket).not.toBe('ticket@@@hostile');
    await expectSuccessUnchanged(() => replay(t, '/wechat/ticket', sealed));
  });

  it('acknowledges a 10 000-character InfoType: logged once with its type cut to the longest kept and its field as sent', async () => {
    const infoType = 'x'.repeat(10_000);
    const logged = await expectSuccessLogged(() => componentPush({ InfoType: infoType }), { source: 'component', type: infoType.slice(0, MAX_PUSH_TYPE_LENGTH) });
    expect(logged.type).toHaveLength(MAX_PUSH_TYPE_LENGTH);
    expect(logged.fields.InfoType).toBe(infoType);
    // The cut type is the longest a filter accepts, so the push can be found by it.
    expect((await listedPushes({ type: logged.type })).filter((p) => isDeepStrictEqual(p, logged))).toHaveLength(1);
  });

  it.each([
    ['an empty InfoType', `<InfoType><![CDATA[]]></InfoType>`],
    ['InfoType as a nested element', `<InfoType><Type>component_verify_ticket</Type></InfoType>`],
    ['no InfoType at all', ''],
  ])('refuses %s as a missing field', async (_name, infoTypeXml) => {
    const inner = `<xml><AppId><![CDATA[${componentAppid}]]></AppId><CreateTime>${now()}</CreateTime>${infoTypeXml}<ComponentVerifyTicket><![CDATA[t]]></ComponentVerifyTicket></xml>`;
    await expectRefused(() => postSealed(t, '/wechat/ticket', t.crypto, { AppId: componentAppid }, inner), 400, 'xml_missing_field');
  });

  it('takes the first of two InfoType elements (an unknown one): logged under it, the ticket after it not stored', async () => {
    const inner = `<xml><AppId><![CDATA[${componentAppid}]]></AppId><CreateTime>${now()}</CreateTime><InfoType>surprise</InfoType><InfoType>component_verify_ticket</InfoType><ComponentVerifyTicket>t</ComponentVerifyTicket></xml>`;
    const logged = await expectSuccessLogged(() => postSealed(t, '/wechat/ticket', t.crypto, { AppId: componentAppid }, inner), { source: 'component', type: 'surprise' });
    expect(logged.fields).toMatchObject({ InfoType: 'surprise', ComponentVerifyTicket: '[redacted]' });
  });

  it.each(['tomorrow', '-1', '0', '1.5', '99999999999999999999', '   '])('refuses a ticket push with CreateTime %j', async (createTime) => {
    const ticket = (await services().tickets.latest())!.ticket;
    await expectRefused(() => componentPush({ CreateTime: createTime, InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket }), 400, 'invalid_create_time');
  });

  it('refuses an authorized push without its AuthorizationCode', async () => {
    await expectRefused(() => componentPush({ InfoType: 'authorized', AuthorizerAppid: stranger }), 400, 'xml_missing_field');
  });

  it.each([
    ['no query string at all', () => ({})],
    ['no timestamp', (q: Record<string, string>) => withoutParam(q, 'timestamp')],
    ['no nonce', (q: Record<string, string>) => withoutParam(q, 'nonce')],
  ])('refuses a sealed push with %s (401 invalid_signature)', async (_name, editQuery) => {
    const inner = buildXml({ AppId: componentAppid, CreateTime: now(), InfoType: 'component_verify_ticket', ComponentVerifyTicket: 'ticket@@@hostile' });
    await expectRefused(() => postSealed(t, '/wechat/ticket', t.crypto, { AppId: componentAppid }, inner, editQuery), 401, 'invalid_signature');
  });

  it.each(['GET', 'PUT', 'DELETE'])('has no %s route: the gateway answers 404 and nothing changes', async (method) => {
    const { response, before, after } = await around(t, () => t.api('/wechat/ticket?timestamp=1&nonce=1&msg_signature=x', { method }));
    await expectGatewayRefusal(response, 404);
    expect(await after()).toEqual(before);
  });

  it('answers a replayed ticket push success and stores the ticket once (the verify ticket is not logged)', async () => {
    const latest = (await services().tickets.latest())!;
    const sealed = sealPush(t.crypto, {
      outer: { AppId: componentAppid },
      innerXml: buildXml({ AppId: componentAppid, CreateTime: latest.createTime + 1, InfoType: 'component_verify_ticket', ComponentVerifyTicket: latest.ticket }),
    });
    const before = await t.snapshot();
    expect(await (await replay(t, '/wechat/ticket', sealed)).text()).toBe('success');
    const afterFirst = await t.snapshot();
    expect(changedItems(before, afterFirst)).toEqual([expect.objectContaining({ pk: 'PLATFORM', sk: 'VERIFY_TICKET', createTime: latest.createTime + 1 })]);
    await expectSuccessUnchanged(() => replay(t, '/wechat/ticket', sealed));
  });

  it('answers a replayed authorized push (code already exchanged) success, without asking WeChat again: logged once, its codes redacted; a replay adds nothing', async () => {
    const calls = await queryAuthCalls();
    const sealed = componentSealed({ InfoType: 'authorized', AuthorizerAppid: tenant, AuthorizationCode: usedAuthCode, AuthorizationCodeExpiredTime: now() + 600, PreAuthCode: 'preauthcode@@@replayed' });
    const logged = await expectSuccessLogged(() => replay(t, '/wechat/ticket', sealed), { source: 'component', type: 'authorized', appid: tenant });
    expect(logged.fields).toMatchObject({ AuthorizerAppid: tenant, AuthorizationCode: '[redacted]', PreAuthCode: '[redacted]' });
    expect(JSON.stringify(logged)).not.toContain(usedAuthCode);
    await expectSuccessUnchanged(() => replay(t, '/wechat/ticket', sealed));
    expect(await queryAuthCalls()).toBe(calls);
  });

  it('stores no tenant for a forged AuthorizationCode (WeChat: 61009), only the refused claim and the logged push; a replay changes nothing', async () => {
    const forged = `queryauthcode@@@forged-${Date.now()}`;
    const sealed = componentSealed({ InfoType: 'authorized', AuthorizerAppid: stranger, AuthorizationCode: forged, AuthorizationCodeExpiredTime: now() + 600, PreAuthCode: 'preauthcode@@@forged' });
    // Acknowledged, so WeChat does not retry a refusal.
    const logged = await expectSuccessLogged(() => replay(t, '/wechat/ticket', sealed), { source: 'component', type: 'authorized', appid: stranger }, [
      { pk: `AUTHCODE#${forged}`, sk: 'CLAIM', state: 'failed', reason: expect.stringMatching(/^61009: /), claimedAtMs: expect.any(Number), expiresAt: expect.any(Number) },
    ]);
    expect(logged.fields).toMatchObject({ AuthorizationCode: '[redacted]', PreAuthCode: '[redacted]' });
    expect(JSON.stringify(logged)).not.toContain(forged);
    expect((await t.snapshot()).some((item) => String(item.pk) === `TENANT#${stranger}`)).toBe(false);
    expect((await t.calls({ path: '/cgi-bin/component/api_query_auth' })).at(-1)).toMatchObject({ errcode: 61009 });

    const calls = await queryAuthCalls();
    await expectSuccessUnchanged(() => replay(t, '/wechat/ticket', sealed));
    expect(await queryAuthCalls()).toBe(calls);
  });

  it('acknowledges an unauthorized push for an appid that is no tenant, storing nothing but the logged push; a replay adds nothing', async () => {
    const sealed = componentSealed({ InfoType: 'unauthorized', AuthorizerAppid: UNKNOWN_APPID });
    await expectSuccessLogged(() => replay(t, '/wechat/ticket', sealed), { source: 'component', type: 'unauthorized', appid: UNKNOWN_APPID });
    await expectSuccessUnchanged(() => replay(t, '/wechat/ticket', sealed));
  });
});

describe('POST /wechat/callback/{appid}', () => {
  const route = () => `/wechat/callback/${tenant}`;
  const message = (fields: Record<string, string | number>) => sealPush(t.crypto, { outer: { ToUserName: userName }, innerXml: buildXml({ ToUserName: userName, FromUserName: 'o-hostile', CreateTime: now(), ...fields }) });

  it('refuses a sealed push with no query string at all (401 invalid_signature)', async () => {
    await expectRefused(() => replay(t, route(), message({ MsgType: 'event', Event: 'user_enter_tempsession' }), () => ({})), 401, 'invalid_signature');
  });

  it.each(['GET', 'PUT', 'DELETE'])('has no %s route: the gateway answers 404 and nothing changes', async (method) => {
    const { response, before, after } = await around(t, () => t.api(`${route()}?timestamp=1&nonce=1&msg_signature=x&echostr=1`, { method }));
    await expectGatewayRefusal(response, 404);
    expect(await after()).toEqual(before);
  });

  it('answers a replayed message success and remembers it once (its log entry)', async () => {
    const sealed = message({ MsgType: 'text', Content: 'hello', MsgId: `${Date.now()}001` });
    const logged = await expectSuccessLogged(() => replay(t, route(), sealed), { source: 'message', type: 'text', appid: tenant });
    expect(logged.fields).toMatchObject({ MsgType: 'text', Content: 'hello' });
    await expectSuccessUnchanged(() => replay(t, route(), sealed));
  });

  it('answers an audit result for a tenant with nothing under audit success, logging it once and changing nothing else; a replay changes nothing', async () => {
    const sealed = message({ MsgType: 'event', Event: 'weapp_audit_success', SuccTime: now() });
    await expectSuccessLogged(() => replay(t, route(), sealed), { source: 'message', type: 'event:weapp_audit_success', appid: tenant });
    await expectSuccessUnchanged(() => replay(t, route(), sealed));
  });

  it('acknowledges an unknown MsgType, remembering only the push (its log entry); a replay adds nothing', async () => {
    const sealed = message({ MsgType: 'hologram', Event: XSS_PAYLOADS[0]! });
    const logged = await expectSuccessLogged(() => replay(t, route(), sealed), { source: 'message', type: 'hologram', appid: tenant });
    expect(logged.fields).toMatchObject({ MsgType: 'hologram', Event: XSS_PAYLOADS[0] });
    await expectSuccessUnchanged(() => replay(t, route(), sealed));
  });
});

// ---------------------------------------------------------------------------------------------
// Merchant pages: HTML in and out, so nothing a merchant's link carries may come back as markup.

async function expectPage(request: () => Promise<Response>, status: number): Promise<{ html: string; before: Item[]; after: Item[] }> {
  const { response, before, after } = await around(t, request);
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('location')).toBeNull();
  const html = await response.text();
  expectNoRawMarkup(html);
  return { html, before, after: await after() };
}

describe('GET /authorize', () => {
  const xss = XSS_PAYLOADS.map((payload) => encodeURIComponent(payload));

  it.each([
    'platform=ios',
    'platform=PC',
    'platform=pc%0d%0aLocation:%20https://evil.example',
    'auth_type=0',
    'auth_type=4',
    'auth_type=2.0',
    'auth_type=-1',
    'auth_type=',
    'auth_type=1&auth_type=2',
    'biz_appid=WX0123456789ABCDEF',
    'biz_appid=',
    'platform=pc&biz_appid=wx0123456789abcdef%0a',
    ...xss.flatMap((payload) => [`platform=${payload}`, `auth_type=${payload}`, `biz_appid=${payload}`, `platform=pc&biz_appid=${payload}`]),
  ])('refuses ?%s with a 400 page and changes nothing', async (query) => {
    const { before, after } = await expectPage(() => t.api(`/authorize?${query}`), 400);
    expect(after).toEqual(before);
  });

  it.each(xss)('shows the landing page without echoing an unknown parameter %s', async (payload) => {
    const { html, before, after } = await expectPage(() => t.api(`/authorize?utm_source=${payload}&auth_type=2`), 200);
    expect(html).toContain('/authorize?platform=pc');
    expect(after).toEqual(before);
  });
});

describe('GET /auth/callback', () => {
  it.each([
    ['no auth_code', ''],
    ['an empty auth_code', 'auth_code='],
    ['a 513-character auth_code', `auth_code=${'a'.repeat(513)}`],
    ['an 8 000-character auth_code', `auth_code=${'a'.repeat(8000)}`],
    ['an auth_code with a space', 'auth_code=queryauthcode%40%40%40a%20b'],
    ['an auth_code with a NUL byte', 'auth_code=queryauthcode%00'],
    ['an auth_code with a newline', 'auth_code=queryauthcode%0A'],
    ['a non-ASCII auth_code', `auth_code=${encodeURIComponent('授权码')}`],
    ['markup with spaces as auth_code', `auth_code=${encodeURIComponent(XSS_PAYLOADS[1]!)}`],
    ['markup in expires_in, no auth_code', `expires_in=${encodeURIComponent(XSS_PAYLOADS[0]!)}`],
  ])('refuses %s with a 400 page, without asking WeChat or storing anything', async (_name, query) => {
    const calls = await queryAuthCalls();
    const { before, after } = await expectPage(() => t.api(`/auth/callback${query ? `?${query}` : ''}`), 400);
    expect(after).toEqual(before);
    expect(await queryAuthCalls()).toBe(calls);
  });

  it.each([XSS_PAYLOADS[0]!, XSS_PAYLOADS[2]!])('tries a printable code %s once: 400 page, only the refused claim recorded, a replay changes nothing', async (payload) => {
    const code = `${payload}${Date.now()}`;
    const { before, after } = await expectPage(() => t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`), 400);
    expect(removedItems(before, after)).toEqual([]);
    expect(changedItems(before, after)).toEqual([expect.objectContaining({ pk: `AUTHCODE#${code}`, sk: 'CLAIM', state: 'failed', reason: expect.stringMatching(/^61009: /) })]);

    const calls = await queryAuthCalls();
    const replayed = await expectPage(() => t.api(`/auth/callback?auth_code=${encodeURIComponent(code)}&expires_in=600`), 400);
    expect(replayed.after).toEqual(replayed.before);
    expect(await queryAuthCalls()).toBe(calls);
  });

  it('answers the already exchanged code with the "already authorized" page and changes nothing', async () => {
    const calls = await queryAuthCalls();
    const { html, before, after } = await expectPage(() => t.api(`/auth/callback?auth_code=${encodeURIComponent(usedAuthCode)}&expires_in=${encodeURIComponent(XSS_PAYLOADS[0]!)}`), 200);
    expect(html).toContain(tenant);
    expect(after).toEqual(before);
    expect(await queryAuthCalls()).toBe(calls);
  });
});

describe('GET /health', () => {
  it('ignores a hostile query string and echoes nothing', async () => {
    const { response, before, after } = await around(t, () => t.api(`/health?check=${encodeURIComponent(XSS_PAYLOADS[0]!)}`));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: 'mpfleet', checks: { table: 'ok' } });
    expect(await after()).toEqual(before);
  });

  it.each(['POST', 'PUT', 'DELETE'])('has no %s route: the gateway answers 404', async (method) => {
    await expectGatewayRefusal(await t.api('/health', { method }), 404);
  });
});

describe('the runtime API (/runtime/{appid}/…, a service key)', () => {
  const asService = (path: string, init: RequestInit & { secret?: string } = {}) =>
    t.api(path, { ...init, headers: { 'content-type': 'application/json', ...(init.secret === undefined ? {} : { authorization: `Bearer ${init.secret}` }) } });

  it.each([
    ['no token', undefined],
    ['the operator token', 'OPERATOR'],
    ['a secret with its last character changed', 'FLIPPED'],
    ['a secret of another shape', 'mpk_../../x'],
    ['SQL injection', "' OR '1'='1"],
  ])('answers 401 to %s, changing nothing', async (_label, which) => {
    const secret = which === 'OPERATOR' ? token : which === 'FLIPPED' ? `${serviceKey.secret.slice(0, -1)}${serviceKey.secret.endsWith('A') ? 'B' : 'A'}` : which;
    for (const [method, path] of [['GET', `/runtime/${tenant}/access-token`], ['POST', `/runtime/${tenant}/login`], ['POST', `/runtime/${tenant}/wechat/wxa/generatescheme`]] as const) {
      const { response, before, after } = await around(t, () => asService(path, { method, body: method === 'POST' ? '{"code":"x"}' : undefined, ...(secret === undefined ? {} : { secret }) }));
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(await after()).toEqual(before);
    }
  });

  it.each(HOSTILE_SEGMENTS)('refuses an appid that is %s with 400, before anything runs', async (_label, make) => {
    const response = await asService(`/runtime/${make(tenant)}/access-token`, { secret: serviceKey.secret });
    expect([400, 404]).toContain(response.status); // 404: the gateway's, for a segment it cannot route
  });

  it.each([
    ['malformed JSON', '{"code":'],
    ['an array', '[]'],
    ['an unknown field', '{"code":"x","openid":"o"}'],
    ['a code of 4 KiB', JSON.stringify({ code: 'c'.repeat(4096) })],
    ['a NoSQL operator', '{"code":{"$ne":null}}'],
  ])('refuses a login body that is %s with a 4xx, asking WeChat nothing', async (_label, body) => {
    await t.admin('/calls', undefined, 'DELETE');
    const response = await asService(`/runtime/${tenant}/login`, { method: 'POST', body, secret: serviceKey.secret });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(await t.calls({ path: '/sns/component/jscode2session' })).toEqual([]);
  });

  it.each(['wxa/commit', 'wxa/release', 'cgi-bin/component/api_query_auth', 'wxa/..%2Fwxa%2Fcommit', 'wxa/generatescheme/../../wxa/release', 'cgi-bin/message/subscribe/send%00'])(
    'proxies nothing off the allowlist: %s is 403 (or the gateway\'s 404)',
    async (path) => {
      await t.admin('/calls', undefined, 'DELETE');
      const response = await asService(`/runtime/${tenant}/wechat/${path}`, { method: 'POST', body: '{}', secret: serviceKey.secret });
      expect([403, 404]).toContain(response.status);
      expect((await t.calls()).filter((c) => c.kind === 'api')).toEqual([]);
    },
  );
});

describe('GET /, /console and /console/{path+}', () => {
  it('leads / and /console to the console page', async () => {
    for (const path of ['/', '/console']) {
      const response = await t.api(path, { redirect: 'manual' });
      expect(response.status, path).toBe(302);
      expect(response.headers.get('location')).toBe('/console/fleet');
    }
  });

  it('serves every app route the same page under a strict Content-Security-Policy, echoing nothing of the path or query', async () => {
    const { response, before, after } = await around(t, () => t.api(`/console/tenants/${encodeURIComponent(XSS_PAYLOADS[0]!)}?q=${encodeURIComponent(XSS_PAYLOADS[0]!)}`));
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const page = await response.text();
    expect(page).not.toContain(XSS_PAYLOADS[0]!);
    expect(page).not.toMatch(/<script>(?!<)/); // no inline script: only the hashed module file
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await after()).toEqual(before);
  });

  it.each(['/console/assets/../../package.json', '/console/assets/%2e%2e/%2e%2e/package.json', '/console/assets/nope-ABC123.js', '/console/assets/main.js.map', '/console/assets/x%00.js'])(
    'answers 404 for %s: only the build\'s hashed files are served',
    async (path) => {
      const response = await t.api(path);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('"name"');
    },
  );

  it('serves the hashed assets for a year', async () => {
    const page = await (await t.api('/console/fleet')).text();
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    const response = await t.api(script);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect(response.headers.get('content-type')).toContain('javascript');
  });

  it.each(['POST', 'PUT', 'DELETE'])('has no %s route: the gateway answers 404', async (method) => {
    await expectGatewayRefusal(await t.api('/console/fleet', { method }), 404);
  });
});

// ---------------------------------------------------------------------------------------------
// Last, because if it ever regresses it leaves state behind: a far-future ticket stored as the
// newest would make every real ticket WeChat pushes afterwards count as stale (newest wins), so
// the stored ticket would age past its 12 h and the component token could no longer be renewed.

describe('pushes from the future (run last)', () => {
  it('refuses a ticket push with CreateTime ten years ahead', async () => {
    const ticket = (await services().tickets.latest())!.ticket;
    await expectRefused(() => componentPush({ CreateTime: now() + 10 * 365 * 86_400, InfoType: 'component_verify_ticket', ComponentVerifyTicket: ticket }), 400);
  });
});
