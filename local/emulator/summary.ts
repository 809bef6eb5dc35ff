/** The short per-mini-program view the admin API and the dashboard show. */
import { isUnderReview } from './audits';
import type { EmulatorContext } from './context';
import { catalogueNode } from './category-catalogue';
import { hasPrivacyGuide, missingBasicInfo } from './gates';
import { peekRuntime } from './runtime';
import type { MiniProgram } from './state';

/** Where the mini-program stands on WeChat's release gates. */
export function summarizeGates(mp: MiniProgram) {
  return {
    icp: { status: mp.icp.status, ...(mp.icp.auditData.length > 0 ? { auditData: mp.icp.auditData } : {}) },
    privacyGuide: hasPrivacyGuide(mp),
    basicInfo: { nickname: mp.nickName, headImage: mp.headImg, signature: mp.signature, missing: missingBasicInfo(mp) },
    categories: mp.categories,
    grantedPrivacyApis: mp.grantedPrivacyApis,
    verify: mp.verify,
    nicknameAudit: mp.nicknameAudit ?? null,
    /** addcategory's categories under review (1) or rejected (2); approved ones are in `categories`. */
    categoryRequests: (mp.categoryRequests ?? []).map((r) => ({
      first: r.first,
      second: r.second,
      name: `${catalogueNode(r.first)?.name ?? r.first} > ${catalogueNode(r.second)?.name ?? r.second}`,
      status: r.status,
      ...(r.reason === undefined ? {} : { reason: r.reason }),
    })),
  };
}

export function summarizeMiniProgram(ctx: EmulatorContext, mp: MiniProgram) {
  const audit = ctx.state.latestAudit(mp);
  return {
    appid: mp.appid,
    userName: mp.userName,
    nickName: mp.nickName,
    testAccount: mp.testAccount,
    ...(mp.registration === undefined ? {} : { registration: mp.registration }),
    authorized: mp.authorization !== undefined,
    ...(mp.authorization === undefined ? {} : { authTime: mp.authorization.authTime }),
    ...(mp.revokedAt === undefined ? {} : { revokedAt: mp.revokedAt }),
    committed:
      mp.committed === undefined
        ? null
        : {
            templateId: mp.committed.templateId,
            userVersion: mp.committed.userVersion,
            userDesc: mp.committed.userDesc,
            commitTime: mp.committed.commitTime,
            privacyApis: mp.committed.privacyApis ?? [],
            declaredPrivateInfos: mp.committed.declaredPrivateInfos ?? [],
            scanning: ctx.now() < (mp.committed.scanDoneAt ?? 0),
          },
    audit:
      audit === undefined
        ? null
        : {
            auditid: audit.auditid,
            status: audit.status,
            underReview: isUnderReview(audit),
            userVersion: audit.version.userVersion,
            submitTime: audit.submitTime,
            released: audit.released,
            ...(audit.reason === undefined ? {} : { reason: audit.reason }),
          },
    released:
      mp.released === undefined
        ? null
        : {
            appVersion: mp.released.appVersion,
            userVersion: mp.released.userVersion,
            releaseTime: mp.released.releaseTime,
            rolledBack: mp.rolledBack,
          },
    visitStatus: mp.visitStatus,
    gray: mp.gray ?? null,
    outcome: mp.outcome ?? null,
    gates: summarizeGates(mp),
    runtime: runtimeCounts(mp),
  };
}

/** How much the runtime APIs did for this mini-program (the full records: runtimeDetail). */
export function runtimeCounts(mp: MiniProgram) {
  const runtime = peekRuntime(mp);
  return {
    users: runtime.users.length,
    logins: runtime.logins.length,
    subscribeMessages: runtime.subscribeMessages.length,
    wxacodes: runtime.wxacodes.length,
    schemes: runtime.schemes.length,
    urlLinks: runtime.urlLinks.length,
    userMessages: runtime.userMessages.length,
  };
}

/** GET /__admin/state?appid=: its users and the latest records of what the runtime APIs did. */
export function runtimeDetail(mp: MiniProgram) {
  const runtime = peekRuntime(mp);
  return { ...runtime, users: runtime.users.slice(-200), userCount: runtime.users.length };
}
