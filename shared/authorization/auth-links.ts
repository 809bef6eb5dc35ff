import type { AuthLinks } from '../contract/operator-api';
import type { Services } from '../services';

export type AuthType = 1 | 2 | 3;

export interface AuthLinkOptions {
  /** 1 official accounts, 2 mini-programs (default), 3 both. */
  authType?: AuthType;
  /** Restrict the consent page to this one account. */
  bizAppid?: string;
}

/**
 * Builds the PC (scan) and in-WeChat authorization URLs around one fresh pre_auth_code. The
 * redirect_uri is our OAuth callback, which must live on the registered authorization domain.
 */
export async function createAuthLinks(services: Services, options: AuthLinkOptions = {}, nowMs = Date.now()): Promise<AuthLinks> {
  const { pre_auth_code: preAuthCode, expires_in: expiresIn } = await services.wechat.component.createPreAuthCode();
  const { config } = services;
  const params = {
    component_appid: config.componentAppid,
    pre_auth_code: preAuthCode,
    redirect_uri: `${config.publicBaseUrl}/auth/callback`,
    auth_type: String(options.authType ?? 2),
    ...(options.bizAppid ? { biz_appid: options.bizAppid } : {}),
  };
  const pc = new URL('/cgi-bin/componentloginpage', config.wechat.mpBase);
  for (const [name, value] of Object.entries(params)) pc.searchParams.set(name, value);
  const mobile = new URL('/wxaopen/safe/bindcomponent', config.wechat.openBase);
  for (const [name, value] of Object.entries({ action: 'bindcomponent', no_scan: '1', ...params })) mobile.searchParams.set(name, value);
  mobile.hash = 'wechat_redirect';
  return { pcUrl: pc.href, mobileUrl: mobile.href, expiresAt: new Date(nowMs + expiresIn * 1000).toISOString() };
}
