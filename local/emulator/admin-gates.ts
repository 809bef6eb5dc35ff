/**
 * /__admin routes for WeChat's release gates: a mini-program's ICP filing (with its push), basic
 * info, renames (nickname audits, with their push), categories (and deciding one under review,
 * with its push), granted privacy interfaces,
 * privacy guide and verification expiry (with its push); and what a template's or draft's code
 * calls and declares.
 */
import { AdminError, knownMiniProgram, optionalText, stringList } from './admin-input';
import type { Body } from './admin-input';
import { fixtureHeadImg } from './avatar';
import type { EmulatorContext } from './context';
import { CATEGORY_SETS } from './fixtures';
import type { AuditCategory } from './fixtures';
import { categoryRequest } from './categories';
import { expireVerification, finishCategoryAudit, finishNicknameAudit, setIcpStatus, startNicknameAudit } from './gate-events';
import { ICP_STATUSES, LOCATION_API_NAMES, PRIVACY_API_NAMES, apiName, defaultPrivacyGuide, isIcpRejected, isLocationApi } from './gates';
import type { IcpAuditItem } from './gates';
import { summarizeGates } from './summary';
import type { CodePrivacy, MiniProgram } from './state';

type GateHandler = (input: { ctx: EmulatorContext; body: Body }) => unknown;

function auditData(body: Body): IcpAuditItem[] | undefined {
  const value = body.auditData ?? body.audit_data;
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) throw new AdminError(400, 'auditData must be a non-empty array of {key_name, error, suggest}');
  return value.map((item: unknown, index) => {
    const entry = item as Partial<Record<keyof IcpAuditItem, unknown>> | null;
    if (typeof entry?.key_name !== 'string' || typeof entry.error !== 'string') {
      throw new AdminError(400, `auditData[${index}] needs key_name and error (strings)`);
    }
    return { key_name: entry.key_name, error: entry.error, suggest: typeof entry.suggest === 'string' ? entry.suggest : '' };
  });
}

function integer(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

function category(item: unknown, index: number): AuditCategory {
  const entry = item as Partial<Record<keyof AuditCategory, unknown>> | null;
  const firstId = integer(entry?.first_id);
  const secondId = integer(entry?.second_id);
  if (typeof entry?.first_class !== 'string' || typeof entry.second_class !== 'string' || firstId === undefined || secondId === undefined) {
    throw new AdminError(400, `categories[${index}] needs first_class, second_class (strings), first_id and second_id (integers)`);
  }
  const thirdId = integer(entry.third_id);
  return {
    first_class: entry.first_class,
    second_class: entry.second_class,
    ...(typeof entry.third_class === 'string' && entry.third_class !== '' ? { third_class: entry.third_class } : {}),
    first_id: firstId,
    second_id: secondId,
    ...(thirdId === undefined ? {} : { third_id: thirdId }),
  };
}

function categoriesFrom(body: Body): AuditCategory[] {
  if (body.set !== undefined) {
    const set = integer(body.set);
    if (set === undefined || set > CATEGORY_SETS.length) throw new AdminError(400, `set must be 0 (no category) to ${CATEGORY_SETS.length}`);
    return set === 0 ? [] : CATEGORY_SETS[set - 1]!.map((c) => ({ ...c }));
  }
  if (!Array.isArray(body.categories)) throw new AdminError(400, 'categories (an array, [] for none) or set (1-4, 0 for none) is required');
  return body.categories.map(category);
}

function outcomeOf(body: Body, required: boolean): 'approve' | 'reject' | undefined {
  const outcome = body.outcome;
  if (outcome === undefined && !required) return undefined;
  if (outcome !== 'approve' && outcome !== 'reject') throw new AdminError(400, 'outcome must be approve or reject');
  return outcome;
}

function codeOf(ctx: EmulatorContext, body: Body): { kind: 'template' | 'draft'; id: number; code: CodePrivacy } {
  const templateId = integer(body.templateId);
  const draftId = integer(body.draftId);
  if ((templateId === undefined) === (draftId === undefined)) throw new AdminError(400, 'templateId or draftId (one of them) is required');
  if (templateId !== undefined) {
    const template = ctx.state.template(templateId);
    if (template === undefined) throw new AdminError(404, `no template ${templateId}`);
    return { kind: 'template', id: templateId, code: template };
  }
  const draft = ctx.state.drafts.find((d) => d.draft_id === draftId);
  if (draft === undefined) throw new AdminError(404, `no draft ${draftId}`);
  return { kind: 'draft', id: draftId!, code: draft };
}

const gatesOf = (mp: MiniProgram) => ({ ok: true, appid: mp.appid, ...summarizeGates(mp) });

export const GATE_ROUTES: Record<string, GateHandler> = {
  'POST /__admin/icp': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const status = integer(body.status);
    if (status === undefined || !ICP_STATUSES.includes(status)) throw new AdminError(400, `status must be one of ${ICP_STATUSES.join(', ')}`);
    const data = auditData(body);
    if (data !== undefined && !isIcpRejected(status)) throw new AdminError(400, 'auditData only goes with a rejection (status 3 or 5)');
    void setIcpStatus(ctx, mp, status, data);
    return gatesOf(mp);
  },
  'POST /__admin/basic-info': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const nickname = optionalText(body, 'nickname');
    const signature = optionalText(body, 'signature');
    const headImage = body.headImage;
    if (headImage !== undefined && typeof headImage !== 'boolean' && typeof headImage !== 'string') {
      throw new AdminError(400, 'headImage must be true (the emulator\'s avatar), false or "" (not set), or a URL');
    }
    if (body.verified !== undefined && typeof body.verified !== 'boolean') throw new AdminError(400, 'verified must be a boolean');
    if (nickname !== undefined) mp.nickName = nickname.trim();
    if (signature !== undefined) mp.signature = signature.trim();
    if (headImage !== undefined) mp.headImg = headImage === true ? fixtureHeadImg(mp.appid) : headImage === false ? '' : headImage.trim();
    if (body.verified === true) {
      const now = ctx.state.nowSec();
      mp.verify = { qualification: true, naming: true, annualReview: true, annualReviewBegin: now, annualReviewEnd: now + 365 * 86_400 };
    }
    return gatesOf(mp);
  },
  'POST /__admin/nickname-audit': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const nickname = optionalText(body, 'nickname')?.trim();
    if (nickname === undefined || nickname === '') throw new AdminError(400, 'nickname is required');
    const outcome = outcomeOf(body, false);
    startNicknameAudit(ctx, mp, nickname);
    if (outcome !== undefined) finishNicknameAudit(ctx, mp, outcome, optionalText(body, 'reason') || undefined);
    return { ...gatesOf(mp), nicknameAudit: mp.nicknameAudit };
  },
  'POST /__admin/finish-nickname-audit': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const finished = finishNicknameAudit(ctx, mp, outcomeOf(body, true)!, optionalText(body, 'reason') || undefined);
    if (finished === undefined) throw new AdminError(400, `${mp.appid} has no rename under review`);
    return { ...gatesOf(mp), nicknameAudit: finished.audit };
  },
  'POST /__admin/categories': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    mp.categories = categoriesFrom(body);
    return gatesOf(mp);
  },
  'POST /__admin/finish-category-audit': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const first = integer(body.first);
    const second = integer(body.second);
    if (first === undefined || second === undefined) throw new AdminError(400, 'first and second (category ids) are required');
    const outcome = outcomeOf(body, true)!;
    const request = categoryRequest(mp, first, second);
    if (request?.status !== 1) throw new AdminError(400, `${mp.appid} has no category ${first}/${second} under review`);
    const finished = finishCategoryAudit(ctx, mp, request, outcome, optionalText(body, 'reason') || undefined);
    return { ...gatesOf(mp), categoryAudit: finished.request };
  },
  'POST /__admin/privacy-interface': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    const api = optionalText(body, 'api');
    if (api === undefined || !isLocationApi(api)) throw new AdminError(400, `api must be one of ${LOCATION_API_NAMES.join(', ')}`);
    if (typeof body.granted !== 'boolean') throw new AdminError(400, 'granted must be a boolean');
    const name = apiName(api);
    mp.grantedPrivacyApis = mp.grantedPrivacyApis.filter((granted) => granted !== name);
    if (body.granted) mp.grantedPrivacyApis.push(name);
    return gatesOf(mp);
  },
  'POST /__admin/privacy-guide': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    if (body.action === 'delete') mp.privacy = {};
    else if (body.action === 'set') mp.privacy[2] = defaultPrivacyGuide(ctx.state.nowSec());
    else throw new AdminError(400, 'action must be set or delete');
    return gatesOf(mp);
  },
  'POST /__admin/expire-verification': ({ ctx, body }) => {
    const mp = knownMiniProgram(ctx, body);
    void expireVerification(ctx, mp);
    return gatesOf(mp);
  },
  'POST /__admin/code-privacy': ({ ctx, body }) => {
    const { kind, id, code } = codeOf(ctx, body);
    const privacyApis = stringList(body, 'privacyApis');
    const requiredPrivateInfos = stringList(body, 'requiredPrivateInfos');
    if (privacyApis === undefined && requiredPrivateInfos === undefined) throw new AdminError(400, 'privacyApis or requiredPrivateInfos is required');
    const unknown = (privacyApis ?? []).filter((api) => !PRIVACY_API_NAMES.includes(apiName(api)));
    if (unknown.length > 0) throw new AdminError(400, `not privacy APIs the emulator knows: ${unknown.join(', ')}`);
    const undeclarable = (requiredPrivateInfos ?? []).filter((api) => !isLocationApi(api));
    if (undeclarable.length > 0) throw new AdminError(400, `requiredPrivateInfos lists only location APIs (${LOCATION_API_NAMES.join(', ')}); not ${undeclarable.join(', ')}`);
    if (privacyApis !== undefined) code.privacyApis = privacyApis.map(apiName);
    // app.json names them without `wx.`.
    if (requiredPrivateInfos !== undefined) code.requiredPrivateInfos = requiredPrivateInfos.map((api) => apiName(api).slice(3));
    return { ok: true, [kind === 'template' ? 'templateId' : 'draftId']: id, privacyApis: code.privacyApis, requiredPrivateInfos: code.requiredPrivateInfos };
  },
};
