/**
 * The runtime API for the template's own backend (issue #16): mpfleet is the one token authority,
 * so a backend logs users in, reads the tenant's access token and calls WeChat through mpfleet and
 * never refreshes a token itself (two refreshers invalidate each other's tokens).
 */
import { Conflict, Forbidden, InvalidInput, NotFound, RateLimited } from '../errors';
import { recordMetric } from '../metrics/record';
import type { Services } from '../services';
import { isWeChatApiError } from '../wechat/errors';
import type { WeChatBinaryResponse } from '../wechat/http';

type Runtime = Pick<Services, 'tenants' | 'wechat' | 'authorizerTokens'>;

/** Only for a tenant that is active: a revoked one has no token, and WeChat would refuse it anyway. */
async function activeTenant(services: Runtime, appid: string): Promise<void> {
  const tenant = await services.tenants.get(appid);
  if (!tenant) throw new NotFound('tenant_not_found', `no tenant ${appid}`);
  if (tenant.status !== 'active') throw new Conflict(`tenant_${tenant.status}`, `the tenant is ${tenant.status}: it must authorize mpfleet again`);
}

/** WeChat's refusals of a user's code, as the backend's 4xx. */
const CODE_REFUSALS = new Set([40029, 40163, 40013, 41008]);

/** wx.login code → openid, unionid and session key, through sns/component/jscode2session. */
export async function login(services: Runtime, appid: string, code: unknown): Promise<{ openid: string; unionid?: string; sessionKey: string }> {
  if (typeof code !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(code)) throw new InvalidInput('invalid_code', 'code must be the wx.login code (printable, at most 128 characters)');
  await activeTenant(services, appid);
  try {
    const answer = await services.wechat.component.jscode2session(appid, code);
    recordMetric('RuntimeLogin', { by: 'ok' });
    return { openid: answer.openid, ...(answer.unionid ? { unionid: answer.unionid } : {}), sessionKey: answer.session_key };
  } catch (error) {
    if (!isWeChatApiError(error) || error.network) throw error;
    recordMetric('RuntimeLogin', { by: String(error.code) });
    if (CODE_REFUSALS.has(error.code)) throw new InvalidInput(`wechat_${error.code}`, `WeChat refused the code: ${error.errmsg}`);
    if (error.code === 45011) throw new RateLimited('wechat_45011', `WeChat says too many logins for now: ${error.errmsg}`);
    throw error;
  }
}

/** The tenant's current authorizer access token, from the same leased store the deploy engine uses. */
export async function accessToken(services: Runtime, appid: string): Promise<{ accessToken: string; expiresAt: string }> {
  await activeTenant(services, appid);
  const { token, expiresAtMs } = await services.authorizerTokens.forTenant(appid).getWithExpiry();
  recordMetric('RuntimeTokenRead', {});
  return { accessToken: token, expiresAt: new Date(expiresAtMs).toISOString() };
}

/**
 * WeChat APIs a template backend needs, callable through mpfleet with the tenant's token: subscribe
 * messages, mini-program codes and QR codes, URL schemes and links, short links, customer-service
 * messages, phone numbers and content checks. Anything else is refused: the proxy is not a way to
 * manage the mini-program.
 */
export const PROXY_ALLOWLIST: ReadonlySet<string> = new Set([
  '/cgi-bin/message/subscribe/send',
  '/cgi-bin/message/custom/send',
  '/wxa/getwxacode',
  '/wxa/getwxacodeunlimit',
  '/cgi-bin/wxaapp/createwxaqrcode',
  '/wxa/generatescheme',
  '/wxa/generate_urllink',
  '/wxa/genwxashortlink',
  '/wxa/business/getuserphonenumber',
  '/wxa/msg_sec_check',
  '/wxa/media_check_async',
]);

/** A call through the proxy: the body as given, the token injected, WeChat's answer back as it is. */
export async function proxy(services: Runtime, appid: string, path: string, body: unknown): Promise<WeChatBinaryResponse & { status: number }> {
  const apiPath = `/${path.replace(/^\/+/, '')}`;
  if (!PROXY_ALLOWLIST.has(apiPath)) {
    throw new Forbidden('path_not_allowed', `${apiPath.slice(0, 128)} is not one of the APIs the runtime proxy serves: ${[...PROXY_ALLOWLIST].join(', ')}`);
  }
  await activeTenant(services, appid);
  const answer = await services.wechat.tenant(appid).callForBackend(apiPath, body);
  recordMetric('RuntimeProxyCall', { by: apiPath });
  return answer;
}
