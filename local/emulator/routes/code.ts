/**
 * Code upload and audit (docs/wechat-protocol.md §4), called with an authorizer's access_token:
 * commit, get_page, get_qrcode, get_category, submit_audit, audit status, undo, speed-up, quota.
 */
import { isUnderReview } from '../audits';
import { ApiFailure, okBody } from '../errors';
import { validateExtJson } from '../ext-json';
import { describeCategory, hasPrivacyGuide, itemCategoryMatches, missingBasicInfo, scanFacts, scanResult } from '../gates';
import { QRCODE_JPEG } from '../qrcode-image';
import { dayKey, monthKey } from '../state';
import type { Audit, MiniProgram } from '../state';
import { optionalString, requiredInteger, requiredString } from './params';
import { BinaryAnswer, callerOf } from './types';
import type { ApiRoute } from './types';

export const MAX_USER_VERSION_LENGTH = 64;
export const MAX_AUDIT_ITEMS = 5;
/** submit_audit: feedback_info at most 200 characters, feedback_stuff at most 5 `|`-joined media ids. */
export const MAX_FEEDBACK_INFO_LENGTH = 200;
export const MAX_FEEDBACK_STUFF = 5;
/** WeChat: at most 5 withdrawals a day and 10 a month per mini-program. */
export const UNDO_PER_DAY = 5;
export const UNDO_PER_MONTH = 10;

function auditById(mp: MiniProgram, auditid: number): Audit {
  const audit = mp.audits.find((a) => a.auditid === auditid);
  if (audit === undefined) throw new ApiFailure(85012);
  return audit;
}

function checkAuditItems(itemList: unknown): void {
  if (itemList === undefined || itemList === null) return;
  if (!Array.isArray(itemList)) throw new ApiFailure(47001, 'item_list must be an array');
  if (itemList.length > MAX_AUDIT_ITEMS) throw new ApiFailure(85023);
  itemList.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ApiFailure(85010, `item_list[${index}]`);
  });
}

/** The optional feedback for the reviewer (反馈内容 and its screenshots), as WeChat limits them. */
function checkFeedback(body: Record<string, unknown>): void {
  const info = optionalString(body, 'feedback_info');
  if (info !== undefined && [...info].length > MAX_FEEDBACK_INFO_LENGTH) {
    throw new ApiFailure(47001, `feedback_info longer than ${MAX_FEEDBACK_INFO_LENGTH} characters`);
  }
  const stuff = optionalString(body, 'feedback_stuff');
  if (stuff !== undefined && stuff !== '' && stuff.split('|').length > MAX_FEEDBACK_STUFF) {
    throw new ApiFailure(47001, `feedback_stuff lists more than ${MAX_FEEDBACK_STUFF} media ids`);
  }
}

/**
 * What WeChat checks before it accepts code for review, in this order: the privacy scan ended
 * (61039), a privacy guide is set (61040), the location APIs the code calls are declared (61040,
 * waived by privacy_api_not_use) and granted (61040, never waived), name, avatar and introduction
 * are set (86002), and every item_list entry names one of the mini-program's own categories, which
 * it must have (85008).
 */
function checkReleaseGates(mp: MiniProgram, body: Record<string, unknown>, nowMs: number): void {
  const code = mp.committed;
  if (code === undefined) return;
  const scan = scanResult(mp, code, nowMs);
  if (scan === undefined) throw new ApiFailure(61039);
  if (!hasPrivacyGuide(mp)) {
    throw new ApiFailure(61040, 'set it with setprivacysetting', 'privacy guide (用户隐私保护指引) is not set');
  }
  if (scan.without_conf_list.length > 0 && body.privacy_api_not_use !== true) {
    throw new ApiFailure(
      61040,
      'declare them in requiredPrivateInfos (ext_json) or set privacy_api_not_use to true',
      `privacy APIs used by the code but not declared: ${scan.without_conf_list.join(', ')}`,
    );
  }
  if (scan.without_auth_list.length > 0) {
    throw new ApiFailure(61040, 'apply for them with apply_privacy_interface', `privacy APIs used by the code but not granted: ${scan.without_auth_list.join(', ')}`);
  }
  const missing = missingBasicInfo(mp);
  if (missing.length > 0) throw new ApiFailure(86002, `not set: ${missing.join(', ')}`);
  if (mp.categories.length === 0) throw new ApiFailure(85008, 'the mini-program has no category; add one first');
  const items = body.item_list;
  if (!Array.isArray(items)) return;
  items.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return; // 85010 below
    const entry = item as Record<string, unknown>;
    if (!itemCategoryMatches(entry, mp.categories)) {
      throw new ApiFailure(85008, `item_list[${index}]: ${describeCategory(entry)} is not one of the mini-program's categories`);
    }
  });
}

export const codeRoutes: ApiRoute[] = [
  {
    path: '/wxa/commit',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const { body } = req;
      const templateId = requiredInteger(body, 'template_id', 85043);
      const template = ctx.state.template(templateId);
      if (template === undefined) throw new ApiFailure(85043, `template_id ${templateId} not exist`);
      if (body.ext_json === undefined || body.ext_json === null) throw new ApiFailure(47001, 'ext_json missing');
      if (typeof body.ext_json !== 'string') throw new ApiFailure(47001, 'ext_json must be a JSON string');
      const userVersion = requiredString(body, 'user_version');
      if (userVersion.length > MAX_USER_VERSION_LENGTH) {
        throw new ApiFailure(47001, `user_version longer than ${MAX_USER_VERSION_LENGTH} characters`);
      }
      const userDesc = optionalString(body, 'user_desc') ?? '';
      const { pages, ext } = validateExtJson(body.ext_json, mp.appid, template);
      mp.committed = {
        templateId,
        extJson: body.ext_json,
        userVersion,
        userDesc,
        commitTime: ctx.state.nowSec(),
        pages,
        // WeChat scans every commit for privacy APIs; get_code_privacy_info answers 61039 until done.
        ...scanFacts(template, ext, ctx.now() + ctx.settings.privacyScanMs),
      };
      return okBody();
    },
  },
  {
    path: '/wxa/get_page',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      return okBody({ page_list: callerOf(req).committed?.pages ?? [] });
    },
  },
  {
    path: '/wxa/get_qrcode',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle() {
      return new BinaryAnswer('image/jpeg', QRCODE_JPEG);
    },
  },
  {
    path: '/wxa/get_category',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      return okBody({ category_list: callerOf(req).categories.map((category) => ({ ...category })) });
    },
  },
  {
    path: '/wxa/submit_audit',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      // Nothing stops a resubmission of the same committed code once the last audit is decided
      // (rejected, approved) or withdrawn: only an audit under review (85009) does.
      const mp = callerOf(req);
      if (mp.committed === undefined) throw new ApiFailure(85086);
      const latest = ctx.state.latestAudit(mp);
      if (latest !== undefined && isUnderReview(latest)) throw new ApiFailure(85009);
      checkReleaseGates(mp, req.body, ctx.now());
      checkAuditItems(req.body.item_list);
      checkFeedback(req.body);
      const quota = ctx.state.currentQuota();
      if (quota.used >= quota.limit) throw new ApiFailure(85085);
      quota.used++;
      const audit = ctx.state.newAudit(mp, mp.committed);
      ctx.audits.submit(mp, audit);
      return okBody({ auditid: audit.auditid });
    },
  },
  {
    path: '/wxa/get_auditstatus',
    method: 'POST',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      const audit = auditById(callerOf(req), requiredInteger(req.body, 'auditid', 85012));
      return okBody({
        status: audit.status,
        ...(audit.reason === undefined ? {} : { reason: audit.reason }),
        ...(audit.screenshot === undefined ? {} : { screenshot: audit.screenshot }),
      });
    },
  },
  {
    path: '/wxa/get_latest_auditstatus',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req, ctx) {
      const audit = ctx.state.latestAudit(callerOf(req));
      if (audit === undefined) throw new ApiFailure(85012, 'no audit submitted yet');
      return okBody({
        auditid: audit.auditid,
        status: audit.status,
        ...(audit.reason === undefined ? {} : { reason: audit.reason }),
        ...(audit.screenshot === undefined ? {} : { ScreenShot: audit.screenshot }),
        user_version: audit.version.userVersion,
        user_desc: audit.version.userDesc,
        submit_audit_time: audit.submitTime,
      });
    },
  },
  {
    path: '/wxa/undocodeaudit',
    method: 'GET',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const audit = ctx.state.latestAudit(mp);
      // WeChat documents only 87013; with nothing under review (none, or already decided) it answers
      // 87012 "forbid revert this version release" (docs/wechat-protocol.md §8).
      if (audit === undefined || !isUnderReview(audit)) throw new ApiFailure(87012, 'no audit under review');
      const now = ctx.now();
      const quota = mp.undoQuota;
      if (quota.day !== dayKey(now)) Object.assign(quota, { day: dayKey(now), dayCount: 0 });
      if (quota.month !== monthKey(now)) Object.assign(quota, { month: monthKey(now), monthCount: 0 });
      if (quota.dayCount >= UNDO_PER_DAY || quota.monthCount >= UNDO_PER_MONTH) throw new ApiFailure(87013);
      quota.dayCount++;
      quota.monthCount++;
      // Status 3 (withdrawn): the tenant may submit again.
      ctx.audits.withdraw(audit);
      return okBody();
    },
  },
  {
    path: '/wxa/speedupaudit',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const auditid = requiredInteger(req.body, 'auditid', 85012);
      const audit = ctx.state.latestAudit(mp);
      if (audit === undefined || audit.auditid !== auditid || !isUnderReview(audit)) throw new ApiFailure(85012);
      const quota = ctx.state.currentQuota();
      if (quota.speedupUsed >= quota.speedupLimit) throw new ApiFailure(45009, 'no speed-up quota left this month');
      quota.speedupUsed++;
      ctx.audits.speedUp(mp, audit);
      return okBody();
    },
  },
  {
    path: '/wxa/queryquota',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(_req, ctx) {
      const quota = ctx.state.currentQuota();
      return okBody({
        rest: Math.max(0, quota.limit - quota.used),
        limit: quota.limit,
        speedup_rest: Math.max(0, quota.speedupLimit - quota.speedupUsed),
        speedup_limit: quota.speedupLimit,
      });
    },
  },
];
