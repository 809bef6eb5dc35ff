/**
 * A mini-program's basic info at WeChat — name, avatar, introduction — set on the merchant's
 * behalf. Everything that can be checked is checked before the first change: the input, the
 * images, and WeChat's nickname check (a name hitting a protected keyword needs proof materials).
 * Then the avatar (temporary media upload, then modifyheadimage), the introduction and the name; a
 * name WeChat reviews is recorded as under review, and its result push settles it (nickname-audit.ts).
 */
import * as z from 'zod';
import { Unprocessable } from '../errors';
import { activeTenant } from '../tenants/active-tenant';
import type { BasicInfoResult } from '../contract/operator-api';
import { refreshReadiness } from '../readiness/refresh-readiness';
import type { Services } from '../services';
import type { NicknameAudit } from '../tenants/tenant';
import { parseInput } from '../validation';
import type { TenantClient } from '../wechat/bound-clients';
import { isWeChatApiError } from '../wechat/errors';
import type { SetNicknameRequest } from '../wechat/types';
import { checkedImage, ImageDataUrl } from './images';

export const BasicInfoRequest = z
  .object({
    /** 4-30 characters at WeChat; it rules on the rest. */
    nickName: z.string().trim().min(1).max(30).optional(),
    /** A data URL (PNG, JPEG, GIF or BMP): uploaded as temporary media, then set whole (no crop). */
    avatar: ImageDataUrl.optional(),
    /** The introduction (功能介绍): 4-120 characters. */
    signature: z.string().trim().min(4).max(120).optional(),
    /** Proof for a name hitting a protected keyword: the business licence (organisations) or the id card (individuals), as images. */
    nicknameMaterials: z.object({ license: ImageDataUrl.optional(), idCard: ImageDataUrl.optional() }).strict().optional(),
  })
  .strict()
  .refine((r) => r.nickName !== undefined || r.avatar !== undefined || r.signature !== undefined, { message: 'give nickName, avatar or signature' })
  .refine((r) => r.nicknameMaterials === undefined || r.nickName !== undefined, { message: 'nicknameMaterials go with a nickName' });
export type BasicInfoRequest = z.infer<typeof BasicInfoRequest>;

/** What WeChat's refusals of these calls mean for the operator (errcode → explanation). */
export const BASIC_INFO_REFUSALS: Readonly<Record<number, string>> = {
  40007: 'WeChat no longer has the uploaded image (temporary media last 3 days): send it again',
  40097: 'WeChat found an argument invalid',
  41005: 'the image did not reach WeChat',
  40005: 'WeChat does not take this file type',
  40009: 'the image is too large for WeChat',
  53010: "the name does not meet WeChat's rules (4-30 characters; letters, digits and Chinese; not \"小程序\")",
  53011: 'too many name checks: try again later',
  53012: 'WeChat forbids this name',
  53013: 'another mini-program already has this name',
  53200: 'the introduction was changed too often this month',
  53201: 'the introduction contains words WeChat refuses',
  53202: 'the avatar was changed too often this month',
  91009: 'the name hits a protected keyword: give nicknameMaterials (the business licence or id card)',
  91010: 'WeChat refused the name',
  91019: 'a version is under audit: rename after it is decided',
};

type Ports = Pick<Services, 'tenants' | 'wechat'>;

/**
 * A WeChat refusal as the operator's 422: what was refused, why (from `explanations`, errcode →
 * words), and what had been applied before it. Passing trouble (busy, unreachable) is left as it is.
 */
export function refusedBy(what: string, error: unknown, explanations: Readonly<Record<number, string>> = BASIC_INFO_REFUSALS, appliedBefore: string[] = []): unknown {
  if (!isWeChatApiError(error) || error.network || error.errorClass !== 'permanent') return error;
  const before = appliedBefore.length ? ` (already applied: ${appliedBefore.join(', ')})` : '';
  return new Unprocessable(`wechat_${error.code}`, `WeChat refused ${what}: ${explanations[error.code] ?? 'see its message'} (${error.code} ${error.errmsg})${before}`);
}

export async function setBasicInfo(p: Ports, appid: string, body: unknown, nowMs = Date.now()): Promise<BasicInfoResult> {
  const request = parseInput(BasicInfoRequest, body);
  await activeTenant(p, appid);
  const wechat = p.wechat.tenant(appid);
  const applied: BasicInfoResult['applied'] = {};
  const done = () => Object.keys(applied);

  // The name is checked first: one needing materials the request lacks changes nothing.
  if (request.nickName !== undefined && !request.nicknameMaterials) {
    const check = await wechat.checkNickname(request.nickName).catch((error: unknown) => Promise.reject(refusedBy('the name', error)));
    if (check.hit_condition) {
      throw new Unprocessable('nickname_needs_materials', `"${request.nickName}" hits a protected keyword: ${check.wording || 'WeChat reviews it'}. Give nicknameMaterials (the business licence, or the id card of an individual) and WeChat reviews the name`);
    }
  }
  if (request.avatar !== undefined) {
    await setAvatar(wechat, request.avatar).catch((error: unknown) => Promise.reject(refusedBy('the avatar', error, BASIC_INFO_REFUSALS, done())));
    applied.avatar = 'set';
  }
  if (request.signature !== undefined) {
    await wechat.modifySignature(request.signature).catch((error: unknown) => Promise.reject(refusedBy('the introduction', error, BASIC_INFO_REFUSALS, done())));
    applied.signature = 'set';
  }
  let nicknameAudit: NicknameAudit | undefined;
  if (request.nickName !== undefined) {
    const outcome = await setNickname(wechat, request.nickName, request.nicknameMaterials, nowMs).catch((error: unknown) => Promise.reject(refusedBy('the name', error, BASIC_INFO_REFUSALS, done())));
    applied.nickName = outcome ? 'in_review' : 'set';
    if (outcome) {
      nicknameAudit = outcome;
      await p.tenants.saveNicknameAudit(appid, outcome);
    }
  }
  const readiness = await refreshReadiness(p, appid).catch(() => undefined);
  return { applied, ...(nicknameAudit ? { nicknameAudit } : {}), ...(readiness ? { readiness } : {}) };
}

/** Uploads the image as temporary media and makes it the avatar, uncropped. */
export async function setAvatar(wechat: Pick<TenantClient, 'uploadImage' | 'modifyHeadImage'>, dataUrl: string): Promise<void> {
  const { media_id } = await wechat.uploadImage(checkedImage(dataUrl, 'avatar'));
  await wechat.modifyHeadImage(media_id, { x1: 0, y1: 0, x2: 1, y2: 1 });
}

/** Sets the name; a name WeChat reviews comes back as its audit (the result arrives as a push). */
export async function setNickname(
  wechat: Pick<TenantClient, 'uploadImage' | 'setNickname'>,
  nickName: string,
  materials: BasicInfoRequest['nicknameMaterials'],
  nowMs = Date.now(),
): Promise<NicknameAudit | undefined> {
  const request: SetNicknameRequest = { nick_name: nickName };
  if (materials?.license) request.license = (await wechat.uploadImage(checkedImage(materials.license, 'license'))).media_id;
  if (materials?.idCard) request.id_card = (await wechat.uploadImage(checkedImage(materials.idCard, 'id-card'))).media_id;
  const answer = await wechat.setNickname(request);
  if (!answer.audit_id) return undefined;
  return { nickname: nickName, state: 'in_review', auditId: answer.audit_id, atMs: nowMs };
}
