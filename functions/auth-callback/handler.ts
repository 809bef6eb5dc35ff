import { exchangeAuthorizationCode, whatTheMerchantDid } from '../../shared/authorization/exchange-code';
import { authorizationErrorPage, authorizationReceivedPage, authorizedPage } from '../../shared/authorization/pages';
import { platformName } from '../../shared/brand';
import { toHttpError } from '../../shared/http/error-mapping';
import { httpHandler } from '../../shared/http/handler';
import { queryParams } from '../../shared/http/request';
import { html } from '../../shared/http/responses';
import { logger } from '../../shared/logger';
import { services } from '../../shared/services';

/** WeChat's authorization codes are opaque printable strings; anything else is not from WeChat. */
const AUTH_CODE = /^[\x21-\x7e]{1,512}$/;

/**
 * GET /auth/callback?auth_code=…: where WeChat sends the merchant after consent. Exchanges the code
 * (unless the `authorized` push already did) and tells the merchant which mini-program is now
 * authorized — or, for an expired, reused or forged code, says so and stores nothing.
 */
export const handler = httpHandler(async (event) => {
  const brand = { platformName: platformName() };
  const code = queryParams(event).auth_code;
  const errorPage = (status: number, title: string, detail: string) =>
    html(status, authorizationErrorPage({ brand, title, detail, retryHref: '/authorize', status }));

  if (!code || !AUTH_CODE.test(code)) {
    return errorPage(400, '缺少授权码 / Missing authorization code', '请从授权页面重新开始。 Please start again from the authorization page.');
  }
  const p = services();
  let result;
  try {
    result = await exchangeAuthorizationCode(p, code);
  } catch (error) {
    const mapped = toHttpError(error);
    logger.warn('authorization code exchange failed', { code: mapped?.code });
    return errorPage(502, '微信暂时不可用 / WeChat is unavailable', '请稍后重试。 Please try again in a moment.');
  }
  if (result.outcome === 'rejected') {
    return errorPage(400, '授权码无效或已过期 / Invalid or expired code', '该授权码已使用、已过期或无效，请重新授权。 The code was already used, has expired or is not valid: please authorize again.');
  }
  if (result.outcome === 'received') return html(200, authorizationReceivedPage({ brand }));
  const tenant = 'appid' in result && result.appid ? await p.tenants.get(result.appid) : undefined;
  if (!tenant) {
    return errorPage(409, '授权处理中 / Authorization in progress', '授权正在处理中，请稍后刷新。 Your authorization is being processed; refresh in a moment.');
  }
  if (tenant.status !== 'active') {
    // The code was exchanged, but a revocation (or a re-authorization demand) made after it stands.
    return errorPage(
      409,
      '授权未生效 / Authorization not in effect',
      '该小程序的授权已被撤销或需要重新授权，请重新授权。 This mini-program\'s authorization was revoked or must be renewed: please authorize again.',
    );
  }
  return html(
    200,
    authorizedPage({
      brand,
      appid: tenant.appid,
      nickName: tenant.nickName,
      headImg: tenant.headImg,
      ...whatTheMerchantDid(result),
    }),
  );
});
