/**
 * What keeps WeChat from taking a version of a mini-program, by stable code: each with what it
 * means and what the operator (or the merchant) does about it. Codes are part of the operator API
 * (`readiness.blockers[].code`, a blocked target's `error.code`) and documented in
 * docs/release-gates.md; never rename one.
 */
export const BLOCKER_CODES = [
  'icp_not_filed',
  'icp_in_review',
  'icp_rejected',
  'privacy_not_configured',
  'privacy_api_undeclared',
  'privacy_api_not_granted',
  'basic_info_incomplete',
  'category_missing',
  'audit_quota_exhausted',
] as const;
export type BlockerCode = (typeof BLOCKER_CODES)[number];

export interface Blocker {
  code: BlockerCode;
  message: string;
  fix: string;
}

const FIXES: Record<BlockerCode, string> = {
  icp_not_filed:
    'The merchant files the mini-program for ICP (小程序备案) in its admin console (设置 → 基本设置 → 备案), or the platform does it with the ICP filing APIs; release is possible once WeChat reports it filed.',
  icp_in_review: 'Wait for the ICP filing review (platform, then the authority, about 1–20 working days); readiness refreshes when WeChat pushes the result.',
  icp_rejected: 'Correct the fields WeChat rejected (see icp.rejections) and file again.',
  privacy_not_configured:
    "Give the template a release profile with a privacy guide (PUT /api/templates/{id}/profile, `privacy`): mpfleet applies it before submitting. Or the merchant sets 用户隐私保护指引 in the admin console.",
  privacy_api_undeclared:
    "Declare the named APIs in the template's app.json `requiredPrivateInfos` (or, for a normal template, in the deployment's `ext`), or deploy with privacyApiNotUse if the code never calls them; then retry.",
  privacy_api_not_granted: 'Apply for the named interfaces in the mini-program admin console (开发管理 → 接口设置) and wait for the grant.',
  basic_info_incomplete: "Set the missing name, avatar or introduction: PUT /api/tenants/{appid}/basic-info (or the merchant in the admin console). A name WeChat reviews shows as the tenant's nicknameAudit until its result is pushed.",
  category_missing: "Add a service category the template fits: POST /api/tenants/{appid}/categories (GET …/categories?catalogue=true lists WeChat's), or the merchant in the admin console (设置 → 服务类目); or map one of the mini-program's categories in the template's release profile (`auditItems`).",
  audit_quota_exhausted: "The platform's monthly audit quota is used up: wait for next month's quota, or ask WeChat for more; then retry the deployment (POST /api/deployments/{id}/retry) to submit the rest.",
};

export function blocker(code: BlockerCode, message: string): Blocker {
  return { code, message, fix: FIXES[code] };
}

/** A deploy target's error for a blocker: what WeChat (or the readiness check) found, then the fix. */
export function blockedError(b: Blocker): { code: BlockerCode; message: string } {
  return { code: b.code, message: `${b.message}. Fix: ${b.fix}` };
}
