/**
 * WeChat's decisions on what it reviews, pushed to the mini-program's message URL: a rename
 * (`wxa_nickname_audit`: `ret` 2 rejected / 3 approved, `nickname`, `reason`), recorded on the
 * tenant so the operator sees a rejection with WeChat's reason (an older decision never replaces a
 * newer record); and a sensitive category (`wxa_category_audit`: `ret`, `first`, `second`,
 * `reason`). Either settles the onboarding step that waits on it.
 */
import { settleReviewedStep } from '../onboarding/run-onboarding';
import type { Services } from '../services';
import type { NicknameAudit } from '../tenants/tenant';
import type { XmlFields } from '../wechat/xml';

export async function recordNicknameAuditResult(p: Pick<Services, 'tenants'>, appid: string, fields: XmlFields, decidedAtMs: number): Promise<NicknameAudit | undefined> {
  const ret = typeof fields.ret === 'string' ? fields.ret.trim() : '';
  const nickname = typeof fields.nickname === 'string' ? fields.nickname : '';
  if ((ret !== '2' && ret !== '3') || nickname === '') return undefined;
  const current = (await p.tenants.get(appid))?.nicknameAudit;
  const reason = typeof fields.reason === 'string' && fields.reason.trim() !== '' ? fields.reason.trim().slice(0, 500) : undefined;
  const audit: NicknameAudit = {
    nickname,
    state: ret === '3' ? 'approved' : 'rejected',
    ...(ret === '2' ? { reason: reason ?? 'WeChat gave no reason' } : {}),
    // The push carries no audit id: the one submitted for this name is kept.
    ...(current?.nickname === nickname && current.auditId ? { auditId: current.auditId } : {}),
    // It decides the rename under review for this name even within the second it was submitted (CreateTime has whole seconds).
    atMs: current?.state === 'in_review' && current.nickname === nickname ? Math.max(decidedAtMs, current.atMs) : decidedAtMs,
  };
  return (await p.tenants.saveNicknameAudit(appid, audit)) ? audit : undefined;
}

/** The onboarding step a review push decides, if the tenant's registration has one waiting. */
export async function settleReview(p: Pick<Services, 'db' | 'table' | 'tenants'>, appid: string, event: string, fields: XmlFields): Promise<void> {
  const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string).trim() : '');
  const ret = text('ret');
  if (ret !== '2' && ret !== '3') return;
  const decision = { approved: ret === '3', ...(text('reason') ? { reason: text('reason').slice(0, 500) } : {}) };
  if (event === 'wxa_nickname_audit') await settleReviewedStep(p, appid, 'nickName', decision);
  if (event === 'wxa_category_audit') await settleReviewedStep(p, appid, 'categories', { ...decision, subject: `${text('first')}:${text('second')}` });
}
