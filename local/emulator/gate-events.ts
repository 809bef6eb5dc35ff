/**
 * Release-gate changes made outside the API (WeChat's own review desks, driven from /__admin) and
 * the pushes that announce them:
 * - an ICP filing status change → `notify_apply_icpfiling_result` to the authorization-event URL,
 *   fields AuthorizerAppid, `status` (get_icp_entrance_info's) and, when rejected, `reason`;
 * - verification (微信认证) expiry → `notify_3rd_wxa_wxverify` to the authorization-event URL,
 *   fields AuthorizerAppid, `status` ('expired') and `expire_time` (epoch seconds);
 * - a rename decided → `wxa_nickname_audit` (MsgType event) to the mini-program's message URL,
 *   fields `ret` (2 rejected, 3 approved), `nickname` and `reason`;
 * - a category decided → `wxa_category_audit` (MsgType event) to the mini-program's message URL,
 *   fields `first`, `second`, `ret` (2 rejected, 3 approved) and `reason`.
 */
import { AUDIT_NOTIFIER_OPENID } from './audits';
import { countModify } from './basic-info';
import { approvedCategory } from './categories';
import type { CategoryRequest } from './categories';
import type { EmulatorContext } from './context';
import { DEFAULT_ICP_AUDIT_DATA, isIcpRejected } from './gates';
import type { IcpAuditItem, NicknameAudit } from './gates';
import type { PushResult } from './pushes';
import type { MiniProgram } from './state';

export const DEFAULT_NICKNAME_REJECT_REASON = '名称涉嫌侵犯他人权益 / the name may infringe on the rights of others';
export const DEFAULT_CATEGORY_REJECT_REASON = '资质材料不清晰或与主体不符 / the qualification is unreadable or not the principal\'s';

export function setIcpStatus(ctx: EmulatorContext, mp: MiniProgram, status: number, auditData?: IcpAuditItem[]): Promise<PushResult> {
  const rejected = isIcpRejected(status);
  mp.icp = { status, auditData: rejected ? (auditData ?? DEFAULT_ICP_AUDIT_DATA).map((item) => ({ ...item })) : [] };
  ctx.log(`${mp.appid} ICP filing status ${status}`);
  const reason = mp.icp.auditData.map((item) => `${item.key_name}: ${item.error}`).join('; ');
  return ctx.pushes.componentEvent('notify_apply_icpfiling_result', {
    AuthorizerAppid: mp.appid,
    status,
    ...(rejected ? { reason } : {}),
  });
}

export function expireVerification(ctx: EmulatorContext, mp: MiniProgram): Promise<PushResult> {
  const now = ctx.state.nowSec();
  mp.verify = { ...mp.verify, qualification: false, naming: false, annualReview: false, annualReviewEnd: now, expiredAt: now };
  ctx.log(`${mp.appid} verification expired`);
  return ctx.pushes.componentEvent('notify_3rd_wxa_wxverify', { AuthorizerAppid: mp.appid, status: 'expired', expire_time: now });
}

export function startNicknameAudit(ctx: EmulatorContext, mp: MiniProgram, nickname: string): NicknameAudit {
  mp.nicknameAudit = { auditId: ctx.state.sequence.nextNicknameAuditId++, nickname, status: 1, createTime: ctx.state.nowSec() };
  return mp.nicknameAudit;
}

/** Approved: the mini-program takes the name. Either way the result is pushed. */
export function finishNicknameAudit(
  ctx: EmulatorContext,
  mp: MiniProgram,
  outcome: 'approve' | 'reject',
  reason?: string,
): { audit: NicknameAudit; delivery: Promise<PushResult> } | undefined {
  const audit = mp.nicknameAudit;
  if (audit?.status !== 1) return undefined;
  audit.status = outcome === 'approve' ? 3 : 2;
  audit.auditTime = ctx.state.nowSec();
  if (outcome === 'approve') {
    mp.nickName = audit.nickname;
    countModify(mp, 'nickname', ctx.now());
    delete audit.reason;
  } else {
    audit.reason = reason ?? DEFAULT_NICKNAME_REJECT_REASON;
  }
  ctx.log(`${mp.appid} rename to ${audit.nickname} ${outcome === 'approve' ? 'approved' : 'rejected'}`);
  const delivery = ctx.pushes.miniProgramEvent(mp, AUDIT_NOTIFIER_OPENID, {
    MsgType: 'event',
    Event: 'wxa_nickname_audit',
    ret: audit.status,
    nickname: audit.nickname,
    reason: audit.reason ?? '',
  });
  return { audit, delivery };
}

/** Approved: the category joins the mini-program's own (get_category). Either way the result is pushed. */
export function finishCategoryAudit(
  ctx: EmulatorContext,
  mp: MiniProgram,
  request: CategoryRequest,
  outcome: 'approve' | 'reject',
  reason?: string,
): { request: CategoryRequest; delivery: Promise<PushResult> } {
  request.auditTime = ctx.state.nowSec();
  if (outcome === 'approve') {
    mp.categoryRequests = (mp.categoryRequests ?? []).filter((r) => r !== request);
    mp.categories.push(approvedCategory(request.first, request.second));
  } else {
    request.status = 2;
    request.reason = reason ?? DEFAULT_CATEGORY_REJECT_REASON;
  }
  ctx.log(`${mp.appid} category ${request.first}/${request.second} ${outcome === 'approve' ? 'approved' : 'rejected'}`);
  const delivery = ctx.pushes.miniProgramEvent(mp, AUDIT_NOTIFIER_OPENID, {
    MsgType: 'event',
    Event: 'wxa_category_audit',
    first: request.first,
    second: request.second,
    ret: outcome === 'approve' ? 3 : 2,
    reason: outcome === 'approve' ? '' : request.reason ?? '',
  });
  return { request, delivery };
}
