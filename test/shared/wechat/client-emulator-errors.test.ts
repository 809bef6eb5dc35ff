/**
 * Our typed WeChat client against the built-in emulator: documented WeChat errors
 * (docs/wechat-protocol.md §3/§4) must surface as WeChatApiError with the right code and
 * errorClass, for every method. First the protocol-specific failures, then the ones every API
 * shares (busy, stale, expired and revoked tokens), then network trouble.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizerApi } from '../../../shared/wechat/authorizer-api';
import { ComponentApi } from '../../../shared/wechat/component-api';
import { WeChatHttp } from '../../../shared/wechat/http';
import type { CommitRequest } from '../../../shared/wechat/types';
import {
  approveVersion,
  authCodeFor,
  AUTHORIZER_CALLS,
  AUTHORIZER_NAMING_COMPONENT_METHODS,
  callAsTenant,
  commitVersion,
  COMPONENT_CALLS,
  expectWeChatError,
  extJsonFor,
  finishAudit,
  injectFault,
  issueComponentToken,
  releaseVersion,
  runtimeMethodsOf,
  startSession,
  submitForAudit,
  TICKET_TTL_MS,
  TOKEN_TTL_MS,
  TOKENLESS_COMPONENT_METHODS,
} from './client-emulator-support';
import type { AuthorizerMethod, ClientSession, ComponentMethod, ExpectedError } from './client-emulator-support';

const GRACE_MS = 300 * 1000;
const DAY_MS = 86_400_000;

interface ErrorCase {
  method: ComponentMethod | AuthorizerMethod;
  when: string;
  expected: ExpectedError;
  act: (s: ClientSession) => Promise<unknown>;
}

const permanent = (code: number): ExpectedError => ({ code, errorClass: 'permanent' });

function commitWith(s: ClientSession, overrides: Partial<CommitRequest>): Promise<void> {
  return s.authorizer.commit(s.tenant.accessToken, {
    template_id: 1,
    ext_json: extJsonFor(s.tenant.appid),
    user_version: '1.0.0',
    user_desc: 'error case',
    ...overrides,
  });
}

/** Makes exactly the next call to `path` fail with `errcode`. */
async function failNext(s: ClientSession, path: string, errcode: number): Promise<void> {
  await injectFault(s, { path, errcode, times: 1 });
}

/** The failures specific to an API, as docs/wechat-protocol.md lists them (or the emulator's README pins them). */
const PROTOCOL_ERRORS: ErrorCase[] = [
  // ---- component APIs ----
  {
    method: 'componentToken',
    when: 'the ticket was never pushed',
    expected: permanent(61006),
    act: (s) => s.component.componentToken(s.secret, 'ticket@@@never-pushed'),
  },
  {
    method: 'componentToken',
    when: 'the ticket is older than its 12 h lifetime',
    expected: permanent(61005),
    act: (s) => {
      const { ticket } = s.emulator.pushTicket();
      s.clock.advance(TICKET_TTL_MS);
      return s.component.componentToken(s.secret, ticket);
    },
  },
  {
    method: 'startPushTicket',
    when: 'WeChat is busy (injected -1)',
    expected: { code: -1, errorClass: 'retryable' },
    act: async (s) => {
      await failNext(s, '/cgi-bin/component/api_start_push_ticket', -1);
      return s.component.startPushTicket(s.secret);
    },
  },
  {
    method: 'createPreAuthCode',
    when: 'the component token was killed (/__admin/invalidate-token)',
    expected: { code: 40001, errorClass: 'token_invalid' },
    act: async (s) => {
      await s.admin('POST', '/__admin/invalidate-token', {});
      return s.component.createPreAuthCode(s.componentToken);
    },
  },
  {
    method: 'queryAuth',
    when: 'the authorization code was already redeemed',
    expected: permanent(61009),
    act: async (s) => {
      const code = await authCodeFor(s, s.emulator.state.seeded[1]!.appid);
      await s.component.queryAuth(s.componentToken, code);
      return s.component.queryAuth(s.componentToken, code);
    },
  },
  {
    method: 'queryAuth',
    when: 'the authorization code was never issued',
    expected: permanent(61009),
    act: (s) => s.component.queryAuth(s.componentToken, 'queryauthcode@@@never-issued'),
  },
  {
    method: 'authorizerToken',
    when: 'the refresh token is wrong',
    expected: { code: 61023, errorClass: 'needs_reauth' },
    act: (s) => s.component.authorizerToken(s.componentToken, s.tenant.appid, 'refreshtoken@@@not-this-one'),
  },
  {
    method: 'getAuthorizerList',
    when: 'the component token expired (clock + 2 h)',
    expected: { code: 42001, errorClass: 'token_invalid' },
    act: (s) => {
      s.clock.advance(TOKEN_TTL_MS);
      return s.component.getAuthorizerList(s.componentToken, 0, 100);
    },
  },
  {
    method: 'addToTemplate',
    when: 'the component token was superseded more than 5 minutes ago ("not latest")',
    expected: { code: 40001, errorClass: 'token_invalid' },
    act: async (s) => {
      await issueComponentToken(s);
      s.clock.advance(GRACE_MS);
      return s.component.addToTemplate(s.componentToken, 3);
    },
  },
  {
    method: 'getTemplateDraftList',
    when: 'the frequency limit is hit (injected 45011)',
    expected: { code: 45011, errorClass: 'retryable' },
    act: async (s) => {
      await failNext(s, '/wxa/gettemplatedraftlist', 45011);
      return s.component.getTemplateDraftList(s.componentToken);
    },
  },
  {
    method: 'getTemplateList',
    when: 'the daily API quota is used up (injected 45009)',
    expected: { code: 45009, errorClass: 'quota' },
    act: async (s) => {
      await failNext(s, '/wxa/gettemplatelist', 45009);
      return s.component.getTemplateList(s.componentToken);
    },
  },
  {
    method: 'deleteTemplate',
    when: 'the template id is unknown (85064; the doc lists no code, any is permanent)',
    expected: permanent(85064),
    act: (s) => s.component.deleteTemplate(s.componentToken, 999_999),
  },

  // ---- code management ----
  {
    method: 'commit',
    when: 'ext_json is not valid JSON',
    expected: permanent(85013),
    act: (s) => commitWith(s, { ext_json: '{"extAppid": ' }),
  },
  {
    method: 'commit',
    when: "ext_json names another tenant's appid",
    expected: permanent(85013),
    act: (s) => commitWith(s, { ext_json: extJsonFor(s.emulator.state.seeded[1]!.appid) }),
  },
  {
    method: 'commit',
    when: 'ext_json carries extra keys for a standard template',
    expected: permanent(85013),
    act: (s) => commitWith(s, { template_id: 2, ext_json: extJsonFor(s.tenant.appid, { pages: ['pages/index/index'] }) }),
  },
  {
    method: 'commit',
    when: 'user_version is longer than 64 characters',
    expected: permanent(47001),
    act: (s) => commitWith(s, { user_version: '1.'.repeat(32) + '9' }),
  },
  {
    method: 'commit',
    when: 'the template does not exist',
    expected: permanent(85043),
    act: (s) => commitWith(s, { template_id: 424_242 }),
  },
  {
    method: 'commit',
    when: 'ext_json lists a page the template lacks',
    expected: permanent(85045),
    act: (s) => commitWith(s, { ext_json: extJsonFor(s.tenant.appid, { pages: ['pages/missing/missing'] }) }),
  },
  {
    method: 'submitAudit',
    when: 'nothing was committed',
    expected: permanent(85086),
    act: (s) => s.authorizer.submitAudit(s.tenant.accessToken, {}),
  },
  {
    method: 'submitAudit',
    when: 'a version is already under audit',
    expected: permanent(85009),
    act: async (s) => {
      await commitVersion(s, '1.0.0');
      await submitForAudit(s);
      return s.authorizer.submitAudit(s.tenant.accessToken, {});
    },
  },
  {
    method: 'submitAudit',
    when: "the platform's monthly submission quota is used up",
    expected: { code: 85085, errorClass: 'quota' },
    act: async (s) => {
      await commitVersion(s, '1.0.0');
      await s.admin('POST', '/__admin/quota', { limit: 3, used: 3 });
      return s.authorizer.submitAudit(s.tenant.accessToken, {});
    },
  },
  {
    method: 'submitAudit',
    when: 'WeChat answers 85085 (injected)',
    expected: { code: 85085, errorClass: 'quota' },
    act: async (s) => {
      await commitVersion(s, '1.0.0');
      await failNext(s, '/wxa/submit_audit', 85085);
      return s.authorizer.submitAudit(s.tenant.accessToken, {});
    },
  },
  {
    method: 'undoCodeAudit',
    when: 'the 6th withdrawal of the day',
    expected: permanent(87013),
    act: async (s) => {
      await commitVersion(s, '1.0.0');
      for (let i = 0; i < 5; i++) {
        await submitForAudit(s);
        await s.authorizer.undoCodeAudit(s.tenant.accessToken);
      }
      await submitForAudit(s);
      return s.authorizer.undoCodeAudit(s.tenant.accessToken);
    },
  },
  {
    method: 'undoCodeAudit',
    when: 'nothing is under review (the audit was already rejected)',
    expected: permanent(87012),
    act: async (s) => {
      await s.admin('POST', '/__admin/audit-outcome', { appid: s.tenant.appid, outcome: 'reject' });
      await commitVersion(s, '1.0.0');
      await submitForAudit(s);
      await finishAudit(s);
      return s.authorizer.undoCodeAudit(s.tenant.accessToken);
    },
  },
  {
    method: 'revertCodeRelease',
    when: 'only one version was ever online',
    expected: permanent(87012),
    act: async (s) => {
      await releaseVersion(s, '1.0.0');
      return s.authorizer.revertCodeRelease(s.tenant.accessToken);
    },
  },
  {
    method: 'revertCodeRelease',
    when: 'the online version is itself a rollback',
    expected: permanent(87012),
    act: async (s) => {
      await releaseVersion(s, '1.0.0');
      await releaseVersion(s, '1.1.0');
      await s.authorizer.revertCodeRelease(s.tenant.accessToken);
      return s.authorizer.revertCodeRelease(s.tenant.accessToken);
    },
  },
  {
    method: 'revertCodeRelease',
    when: 'app_version names the online version',
    expected: permanent(87012),
    act: async (s) => {
      await releaseVersion(s, '1.0.0');
      await releaseVersion(s, '1.1.0');
      return s.authorizer.revertCodeRelease(s.tenant.accessToken, s.emulator.state.get(s.tenant.appid)!.released!.appVersion);
    },
  },
  {
    method: 'revertCodeRelease',
    when: 'a phased release is running',
    expected: permanent(87011),
    act: async (s) => {
      await releaseVersion(s, '1.0.0');
      await releaseVersion(s, '1.1.0');
      await approveVersion(s, '1.2.0');
      await s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 10 });
      return s.authorizer.revertCodeRelease(s.tenant.accessToken);
    },
  },
  {
    method: 'grayRelease',
    when: 'nothing is online yet',
    expected: permanent(85079),
    act: async (s) => {
      await approveVersion(s, '1.0.0');
      return s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 10 });
    },
  },
  {
    method: 'grayRelease',
    when: 'no approved, unreleased version exists',
    expected: permanent(85080),
    act: async (s) => {
      await releaseVersion(s, '1.0.0');
      return s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 10 });
    },
  },
  {
    method: 'grayRelease',
    when: 'the percentage is over 100',
    expected: permanent(85081),
    act: async (s) => {
      await releaseVersion(s, '1.0.0');
      await approveVersion(s, '1.1.0');
      return s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 101 });
    },
  },
  {
    method: 'grayRelease',
    when: 'the percentage is not higher than the running plan',
    expected: permanent(85082),
    act: async (s) => {
      await releaseVersion(s, '1.0.0');
      await approveVersion(s, '1.1.0');
      await s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 20 });
      return s.authorizer.grayRelease(s.tenant.accessToken, { gray_percentage: 20 });
    },
  },
  {
    method: 'getVersionInfo',
    when: 'the frequency limit is hit (injected 45011)',
    expected: { code: 45011, errorClass: 'retryable' },
    act: async (s) => {
      await failNext(s, '/wxa/getversioninfo', 45011);
      return s.authorizer.getVersionInfo(s.tenant.accessToken);
    },
  },
  {
    method: 'release',
    when: 'the audit is still under review',
    expected: permanent(85020),
    act: async (s) => {
      await commitVersion(s, '1.0.0');
      await submitForAudit(s);
      return s.authorizer.release(s.tenant.accessToken);
    },
  },
  {
    method: 'release',
    when: 'the audit was rejected',
    expected: permanent(85020),
    act: async (s) => {
      await s.admin('POST', '/__admin/audit-outcome', { appid: s.tenant.appid, outcome: 'reject' });
      await commitVersion(s, '1.0.0');
      await submitForAudit(s);
      await finishAudit(s);
      return s.authorizer.release(s.tenant.accessToken);
    },
  },
  {
    method: 'release',
    when: 'nothing was ever submitted',
    expected: permanent(85019),
    act: (s) => s.authorizer.release(s.tenant.accessToken),
  },
  {
    method: 'speedupAudit',
    when: 'the speed-up quota is used up',
    expected: { code: 45009, errorClass: 'quota' },
    act: async (s) => {
      await commitVersion(s, '1.0.0');
      const auditid = await submitForAudit(s);
      await s.admin('POST', '/__admin/quota', { speedupUsed: 10 });
      return s.authorizer.speedupAudit(s.tenant.accessToken, auditid);
    },
  },
  {
    method: 'getLatestAuditStatus',
    when: 'the frequency limit is hit (injected 45011)',
    expected: { code: 45011, errorClass: 'retryable' },
    act: async (s) => {
      await failNext(s, '/wxa/get_latest_auditstatus', 45011);
      return s.authorizer.getLatestAuditStatus(s.tenant.accessToken);
    },
  },
  {
    method: 'queryQuota',
    when: 'the daily API quota is used up (injected 45009)',
    expected: { code: 45009, errorClass: 'quota' },
    act: async (s) => {
      await failNext(s, '/wxa/queryquota', 45009);
      return s.authorizer.queryQuota(s.tenant.accessToken);
    },
  },
  {
    method: 'modifyDomain',
    when: 'the permission set was not granted (injected 61007)',
    expected: { code: 61007, errorClass: 'needs_reauth' },
    act: async (s) => {
      await failNext(s, '/wxa/modify_domain', 61007);
      return s.authorizer.modifyDomain(s.tenant.accessToken, { action: 'get' });
    },
  },
  {
    method: 'setWebviewDomain',
    when: 'the API is unauthorized (injected 48001)',
    expected: { code: 48001, errorClass: 'needs_reauth' },
    act: async (s) => {
      await failNext(s, '/wxa/setwebviewdomain', 48001);
      return s.authorizer.setWebviewDomain(s.tenant.accessToken, { action: 'get' });
    },
  },
  {
    method: 'getQrcode',
    when: 'the token is stale: a JSON error where an image was expected',
    expected: { code: 40001, errorClass: 'token_invalid' },
    act: async (s) => {
      await s.admin('POST', '/__admin/invalidate-token', { appid: s.tenant.appid });
      return s.authorizer.getQrcode(s.tenant.accessToken, 'pages/index/index');
    },
  },
];

describe('typed WeChat client against the emulator: errors', () => {
  let s: ClientSession;
  beforeEach(async () => {
    s = await startSession();
  });
  afterEach(() => s.close());

  describe('protocol-specific errors', () => {
    it.each(PROTOCOL_ERRORS.map((c) => [`${c.method}: ${c.when} → ${c.expected.code}`, c] as const))('%s', async (_name, c) => {
      await expectWeChatError(c.act(s), c.expected);
    });

    it('the user_version limit is 64 characters exactly', async () => {
      await expect(commitWith(s, { user_version: 'v'.repeat(64) })).resolves.toBeUndefined();
    });

    it('undocodeaudit allows 10 withdrawals a month, even on a fresh day (87013)', async () => {
      const monthly = await startSession({ clockStartAt: Date.parse('2025-03-10T02:00:00Z') }); // mid-month in CST
      try {
        const undoOnce = async () => {
          await submitForAudit(monthly);
          return monthly.authorizer.undoCodeAudit(monthly.tenant.accessToken);
        };
        // A day later every token has expired: refresh them the way the service would.
        const nextDay = async () => {
          monthly.clock.advance(DAY_MS);
          monthly.componentToken = await issueComponentToken(monthly);
          const { tenant } = monthly;
          const refreshed = await monthly.component.authorizerToken(monthly.componentToken, tenant.appid, tenant.refreshToken);
          tenant.accessToken = refreshed.authorizer_access_token;
        };
        await commitVersion(monthly, '1.0.0');
        for (let i = 0; i < 5; i++) await undoOnce();
        await nextDay();
        for (let i = 0; i < 5; i++) await undoOnce();
        await nextDay();
        await expectWeChatError(undoOnce(), permanent(87013));
      } finally {
        await monthly.close();
      }
    });

    it('release never sends anything but {} (the emulator rejects any other body with 47001)', async () => {
      await approveVersion(s, '1.0.0');
      await s.authorizer.release(s.tenant.accessToken);
      expect(s.sent.filter((r) => r.path === '/wxa/release').map((r) => r.body)).toEqual(['{}']);
    });

    it('commit refuses an ext_json that is not a string before WeChat could answer 47001', async () => {
      const objectExtJson = { extAppid: s.tenant.appid } as unknown as string;
      await expect(commitWith(s, { ext_json: objectExtJson })).rejects.toThrow(TypeError);
      expect(s.sent.filter((r) => r.path === '/wxa/commit')).toEqual([]);
      expect((await s.admin('GET', '/__admin/calls?path=/wxa/commit')).calls).toEqual([]);
    });

    it('after /__admin/revoke the tenant is revoked (61003), and re-authorizing does not revive old tokens', async () => {
      await s.admin('POST', '/__admin/revoke', { appid: s.tenant.appid });
      await expectWeChatError(s.authorizer.getPage(s.tenant.accessToken), { code: 61003, errorClass: 'tenant_revoked' });
      await s.component.queryAuth(s.componentToken, await authCodeFor(s, s.tenant.appid));
      await expectWeChatError(s.authorizer.getPage(s.tenant.accessToken), { code: 40001, errorClass: 'token_invalid' });
    });
  });

  /** The runtime proxy hands WeChat's answer back as it is: only a refused token throws (for the lease to refresh it). */
  const PASS_THROUGH: readonly AuthorizerMethod[] = ['callForBackend'];

  describe('the runtime proxy passes WeChat\'s refusals through as answers', () => {
    it('-1 and 61003 come back as answers with their errcode; 40001 throws', async () => {
      await injectFault(s, { errcode: -1, times: 1 });
      const busy = await s.authorizer.callForBackend(s.tenant.accessToken, '/wxa/generate_urllink', {});
      expect(JSON.parse(busy.body.toString('utf8'))).toMatchObject({ errcode: -1 });
      await s.admin('POST', '/__admin/revoke', { appid: s.tenant.appid });
      const revoked = await s.authorizer.callForBackend(s.tenant.accessToken, '/wxa/generate_urllink', {});
      expect(JSON.parse(revoked.body.toString('utf8'))).toMatchObject({ errcode: expect.any(Number) });
    });
  });

  describe('WeChat busy (injected -1): every method', () => {
    const methods = [
      ...Object.keys(COMPONENT_CALLS).map((m) => ['ComponentApi', m] as const),
      ...Object.keys(AUTHORIZER_CALLS).map((m) => ['AuthorizerApi', m] as const),
    ];

    it('covers every public method', () => {
      expect(Object.keys(COMPONENT_CALLS).sort()).toEqual(runtimeMethodsOf(ComponentApi));
      expect(Object.keys(AUTHORIZER_CALLS).sort()).toEqual(runtimeMethodsOf(AuthorizerApi));
    });

    it.each(methods.filter(([, m]) => !PASS_THROUGH.includes(m as AuthorizerMethod)))('%s.%s → -1 retryable', async (api, method) => {
      const call =
        api === 'ComponentApi'
          ? () => COMPONENT_CALLS[method as ComponentMethod](s)
          : () => callAsTenant(s, method as AuthorizerMethod);
      const rule = await injectFault(s, { errcode: -1, times: 1 });
      await expectWeChatError(call(), { code: -1, errorClass: 'retryable' });
      // The injected rule answered exactly this call.
      const { calls } = (await s.admin('GET', '/__admin/calls?kind=api')) as { calls: { path: string; fault?: string }[] };
      expect(calls.at(-1)).toMatchObject({ path: s.sent.at(-1)!.path, fault: rule.id });
    });
  });

  const componentTokenMethods = (Object.keys(COMPONENT_CALLS) as ComponentMethod[]).filter(
    (m) => !TOKENLESS_COMPONENT_METHODS.includes(m),
  );
  const authorizerMethods = Object.keys(AUTHORIZER_CALLS) as AuthorizerMethod[];

  describe('stale token (40001 after /__admin/invalidate-token): every token-taking method', () => {
    it.each(componentTokenMethods)('ComponentApi.%s', async (method) => {
      await s.admin('POST', '/__admin/invalidate-token', {});
      await expectWeChatError(COMPONENT_CALLS[method](s), { code: 40001, errorClass: 'token_invalid' });
    });

    it.each(authorizerMethods)('AuthorizerApi.%s', async (method) => {
      await s.admin('POST', '/__admin/invalidate-token', { appid: s.tenant.appid });
      await expectWeChatError(callAsTenant(s, method), { code: 40001, errorClass: 'token_invalid' });
    });
  });

  describe('expired token (42001 once the clock passes expires_in): every token-taking method', () => {
    it.each(componentTokenMethods)('ComponentApi.%s', async (method) => {
      s.clock.advance(TOKEN_TTL_MS);
      await expectWeChatError(COMPONENT_CALLS[method](s), { code: 42001, errorClass: 'token_invalid' });
    });

    it.each(authorizerMethods)('AuthorizerApi.%s', async (method) => {
      s.clock.advance(TOKEN_TTL_MS);
      await expectWeChatError(callAsTenant(s, method), { code: 42001, errorClass: 'token_invalid' });
    });

    it('a token one second short of expires_in still works', async () => {
      s.clock.advance(TOKEN_TTL_MS - 1000);
      await expect(s.component.getTemplateList(s.componentToken)).resolves.toMatchObject({ template_list: expect.any(Array) });
      await expect(s.authorizer.getPage(s.tenant.accessToken)).resolves.toMatchObject({ page_list: [] });
    });
  });

  describe('revoked tenant (61003 after /__admin/revoke): every method acting for the tenant', () => {
    it.each(AUTHORIZER_NAMING_COMPONENT_METHODS)('ComponentApi.%s', async (method) => {
      await s.admin('POST', '/__admin/revoke', { appid: s.tenant.appid });
      await expectWeChatError(COMPONENT_CALLS[method](s), { code: 61003, errorClass: 'tenant_revoked' });
    });

    it.each(authorizerMethods.filter((m) => !PASS_THROUGH.includes(m)))('AuthorizerApi.%s', async (method) => {
      await s.admin('POST', '/__admin/revoke', { appid: s.tenant.appid });
      await expectWeChatError(callAsTenant(s, method), { code: 61003, errorClass: 'tenant_revoked' });
    });
  });
});

describe('typed WeChat client against the emulator: timeouts', () => {
  const TIMEOUT_MS = 100;
  const LATENCY_MS = 400;

  const cases: [string, string, AuthorizerMethod][] = [
    ['GET JSON', '/wxa/get_category', 'getCategory'],
    ['GET image', '/wxa/get_qrcode', 'getQrcode'],
    ['POST JSON', '/wxa/commit', 'commit'],
  ];

  // Concurrent, each with its own emulator: the injected latency dominates these tests.
  it.concurrent.each(cases)('%s (%s): latency beyond timeoutMs is a retryable network error', async (_kind, path, method) => {
    const s = await startSession({ timeoutMs: TIMEOUT_MS });
    try {
      const rule = await injectFault(s, { path, latencyMs: LATENCY_MS, times: 1 });
      const error = await expectWeChatError(callAsTenant(s, method), { code: -1, errorClass: 'retryable', network: true });
      expect(error.errmsg).toContain(`${TIMEOUT_MS} ms`);
      expect(error.message).not.toContain(s.tenant.accessToken);
      // The rule is used up, so a retry goes through (with a patient client, so load cannot flake it).
      const patient = new AuthorizerApi(new WeChatHttp({ apiBase: s.emulator.url }));
      await AUTHORIZER_CALLS[method](patient, s.tenant.accessToken, s.tenant.appid);
      // Let the delayed call finish on the emulator's side before it shuts down.
      await waitFor(async () => {
        const { calls } = (await s.admin('GET', `/__admin/calls?path=${path}`)) as { calls: { fault?: string }[] };
        return calls.some((c) => c.fault === rule.id);
      });
    } finally {
      await s.close();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
