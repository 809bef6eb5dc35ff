/**
 * The experience (trial) version's QR code of one tenant, for the operator to scan before release.
 * Lives beside the configuration use cases: both serve the operator's per-tenant routes.
 */
import { UnexpectedAnswer } from '../errors';
import type { Services } from '../services';
import { TenantUnusableError } from '../tokens/errors';
import type { WeChatBinaryResponse } from '../wechat/http';
import { existingTenant } from './tenant-config-use-cases';

export async function experienceQrcode(
  p: Pick<Services, 'tenants' | 'wechat'>,
  appid: string,
  path?: string,
): Promise<WeChatBinaryResponse> {
  const tenant = await existingTenant(p, appid);
  // Another container may still hold a cached token of a tenant that left: do not even try.
  if (tenant.status !== 'active') throw new TenantUnusableError(appid, tenant.status);
  const image = await p.wechat.tenant(appid).getQrcode(path);
  if (!image.contentType.startsWith('image/')) {
    throw new UnexpectedAnswer('wechat_unexpected_answer', `WeChat answered get_qrcode with ${image.contentType || 'no content type'}, not an image`);
  }
  return image;
}
