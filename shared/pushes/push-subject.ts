import { isAppid } from '../tenants/tenant';
import type { XmlFields } from '../wechat/xml';

/**
 * The mini-program an authorization-event push is about: `AuthorizerAppid` (authorization
 * changes), else `authorizer_appid` or `appid` where a push names it so (fast registration, ICP
 * filing and verification results). Undefined for platform-level pushes, and for a value that is
 * not an appid.
 */
export function pushSubject(fields: XmlFields): string | undefined {
  for (const name of ['AuthorizerAppid', 'authorizer_appid', 'appid']) {
    const value = fields[name];
    if (isAppid(value)) return value;
  }
  return undefined;
}
