import { createAuthLinks, type AuthType } from '../../shared/authorization/auth-links';
import { authorizationErrorPage, landingPage } from '../../shared/authorization/pages';
import { platformName } from '../../shared/brand';
import { httpHandler } from '../../shared/http/handler';
import { queryParams } from '../../shared/http/request';
import { html, redirect } from '../../shared/http/responses';
import { services } from '../../shared/services';
import { isAppid } from '../../shared/tenants/tenant';

/**
 * GET /authorize: the merchant's landing page; with `?platform=pc|mobile` a 302 to WeChat's
 * consent page around a fresh pre_auth_code (each visit gets its own; they are single use).
 */
export const handler = httpHandler(async (event) => {
  const query = queryParams(event);
  const brand = { platformName: platformName() };
  const authType = query.auth_type ?? '2';
  const bizAppid = query.biz_appid;
  const invalid =
    (query.platform && !['pc', 'mobile'].includes(query.platform) && 'platform must be pc or mobile') ||
    (!['1', '2', '3'].includes(authType) && 'auth_type must be 1, 2 or 3') ||
    (bizAppid !== undefined && !isAppid(bizAppid) && 'biz_appid must be an appid');
  if (invalid) {
    return html(400, authorizationErrorPage({ brand, title: '链接无效 / Invalid link', detail: invalid, retryHref: '/authorize', status: 400 }));
  }
  if (!query.platform) {
    const keep = new URLSearchParams({ ...(query.auth_type ? { auth_type: authType } : {}), ...(bizAppid ? { biz_appid: bizAppid } : {}) });
    const href = (target: string) => `/authorize?${new URLSearchParams({ platform: target, ...Object.fromEntries(keep) })}`;
    return html(200, landingPage({ brand, pcHref: href('pc'), mobileHref: href('mobile') }));
  }
  const links = await createAuthLinks(services(), { authType: Number(authType) as AuthType, bizAppid });
  return redirect(query.platform === 'pc' ? links.pcUrl : links.mobileUrl);
});
