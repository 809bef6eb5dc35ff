/**
 * Release management (docs/wechat-protocol.md §4, §8): release, version info, roll back, phased
 * (gray) release and visit status, with WeChat's preconditions and errcodes.
 */
import { ApiFailure, okBody } from '../errors';
import { ICP_FILED } from '../gates';
import type { EmulatorState, MiniProgram, ReleasedVersion } from '../state';
import { optionalString, queryInteger, requiredInteger } from './params';
import { callerOf } from './types';
import type { ApiRoute } from './types';

const GRAY_RUNNING = 1;
const GRAY_DONE = 3;
const GRAY_DELETED = 4;

function grayRunning(mp: MiniProgram): boolean {
  return mp.gray?.status === GRAY_RUNNING;
}

/** The approved audit that has not been released yet, if any. */
function approvedUnreleased(state: EmulatorState, mp: MiniProgram) {
  const audit = state.latestAudit(mp);
  return audit !== undefined && audit.status === 0 && !audit.released ? audit : undefined;
}

/**
 * The versions revertcoderelease may go back to, newest first. Our reading of WeChat's pages
 * (版本回退 / 获取可回退的小程序版本, docs/wechat-protocol.md §8): WeChat keeps the 5 most recently
 * released or rolled-back versions; the list is of the versions one can roll back *to*, so the
 * online version is not in it (naming it is 87012); and once the online version is itself a
 * rollback "it cannot be rolled back again, nor is version information returned any more", so the
 * list is empty until the next release. Each entry has app_version, user_version, user_desc and
 * commit_time, nothing else.
 */
function rollbackTargets(mp: MiniProgram): ReleasedVersion[] {
  if (mp.released === undefined || mp.rolledBack) return [];
  return mp.releaseHistory.filter((version) => version !== mp.released).reverse();
}

function revertCodeRelease(mp: MiniProgram, appVersion: number | undefined, state: EmulatorState): ReleasedVersion {
  if (grayRunning(mp)) throw new ApiFailure(87011, 'a phased release is running; revertgrayrelease first');
  if (mp.released === undefined) throw new ApiFailure(87012, 'no online version');
  if (mp.rolledBack) throw new ApiFailure(87012, 'the online version is already a rollback; release a new version first');
  const targets = rollbackTargets(mp);
  if (appVersion === undefined) {
    const previous = targets[0];
    if (previous === undefined) throw new ApiFailure(87012, 'no earlier online version');
    state.rollBack(mp, previous);
    return previous;
  }
  const target = targets.find((version) => version.appVersion === appVersion);
  if (target === undefined) {
    const why = appVersion === mp.released.appVersion ? 'is the online version' : 'is not among the kept versions';
    throw new ApiFailure(87012, `app_version ${appVersion} ${why}`);
  }
  state.rollBack(mp, target);
  return target;
}

/**
 * A version goes online only for a filed (备案) mini-program. WeChat documents no errcode for it;
 * the emulator answers release's "status not allowed", 85020, saying why.
 */
function checkIcpFiled(mp: MiniProgram): void {
  if (mp.icp.status !== ICP_FILED) {
    throw new ApiFailure(85020, `get_icp_entrance_info status is ${mp.icp.status}, not 6`, 'icp filing not completed (小程序未完成备案)');
  }
}

/** true/false when the field is a boolean, undefined when absent; anything else is 47001. */
function optionalFlag(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ApiFailure(47001, `${name} must be a boolean`);
  return value;
}

export const releaseRoutes: ApiRoute[] = [
  {
    path: '/wxa/release',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      // WeChat insists on a body of exactly `{}`.
      if (Object.keys(req.body).length > 0) throw new ApiFailure(47001, 'release takes an empty JSON object {}');
      const mp = callerOf(req);
      const audit = ctx.state.latestAudit(mp);
      if (audit === undefined) throw new ApiFailure(85019);
      if (audit.released) throw new ApiFailure(85052);
      if (audit.status !== 0) throw new ApiFailure(85020);
      checkIcpFiled(mp);
      ctx.state.release(mp, audit);
      // Publishing to everyone finishes a running phased release.
      if (mp.gray !== undefined && grayRunning(mp)) mp.gray.status = GRAY_DONE;
      ctx.log(`${mp.appid} released ${audit.version.userVersion}`);
      return okBody();
    },
  },
  {
    // POST with a body of `{}` (none → 44002). Parts that do not exist are left out: WeChat answers
    // a mini-program with nothing committed or released with just errcode and errmsg.
    path: '/wxa/getversioninfo',
    method: 'POST',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      const mp = callerOf(req);
      const exp = mp.committed;
      // The version at 100%: during a phased release that is still the previous one.
      const online = mp.released;
      return okBody({
        ...(exp === undefined ? {} : { exp_info: { exp_time: exp.commitTime, exp_version: exp.userVersion, exp_desc: exp.userDesc } }),
        ...(online === undefined
          ? {}
          : { release_info: { release_time: online.releaseTime, release_version: online.userVersion, release_desc: online.userDesc } }),
      });
    },
  },
  {
    // `action` and `app_version` are URL parameters; with `action` nothing is rolled back.
    path: '/wxa/revertcoderelease',
    method: 'GET',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const action = req.query.get('action');
      if (action !== null && action !== '') {
        if (action !== 'get_history_version') throw new ApiFailure(40097, 'action must be get_history_version');
        return okBody({
          version_list: rollbackTargets(mp).map((version) => ({
            app_version: version.appVersion,
            user_version: version.userVersion,
            user_desc: version.userDesc,
            commit_time: version.commitTime,
          })),
        });
      }
      const target = revertCodeRelease(mp, queryInteger(req.query, 'app_version'), ctx.state);
      ctx.log(`${mp.appid} rolled back to ${target.userVersion} (app_version ${target.appVersion})`);
      return okBody();
    },
  },
  {
    // gray_percentage is an integer 0–100, 0 only with support_debuger_first or
    // support_experiencer_first (members first); a running plan is widened by a higher percentage.
    path: '/wxa/grayrelease',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      if (mp.released === undefined) throw new ApiFailure(85079);
      if (approvedUnreleased(ctx.state, mp) === undefined) throw new ApiFailure(85080);
      const percentage = requiredInteger(req.body, 'gray_percentage', 85081);
      const debugerFirst = optionalFlag(req.body, 'support_debuger_first');
      const experiencerFirst = optionalFlag(req.body, 'support_experiencer_first');
      if (percentage < 0 || percentage > 100) throw new ApiFailure(85081, 'gray_percentage must be within 0-100');
      if (percentage === 0 && debugerFirst !== true && experiencerFirst !== true) {
        throw new ApiFailure(85081, 'gray_percentage 0 needs support_debuger_first or support_experiencer_first');
      }
      const running = mp.gray !== undefined && grayRunning(mp) ? mp.gray : undefined;
      if (running !== undefined && percentage <= running.gray_percentage) {
        throw new ApiFailure(85082, `gray_percentage must be higher than ${running.gray_percentage}`);
      }
      // A phased release puts the version online for some users: the same filing is needed.
      checkIcpFiled(mp);
      mp.gray = {
        status: GRAY_RUNNING,
        // Widening keeps the plan, and so its creation time.
        create_timestamp: running?.create_timestamp ?? ctx.state.nowSec(),
        gray_percentage: percentage,
        support_debuger_first: debugerFirst ?? running?.support_debuger_first ?? false,
        support_experiencer_first: experiencerFirst ?? running?.support_experiencer_first ?? false,
      };
      ctx.log(`${mp.appid} gray release at ${percentage}%`);
      return okBody();
    },
  },
  {
    // WeChat documents no errcode for "no phased release running" (only 0 and -1): it is a no-op.
    path: '/wxa/revertgrayrelease',
    method: 'GET',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      if (mp.gray !== undefined && grayRunning(mp)) mp.gray.status = GRAY_DELETED;
      return okBody();
    },
  },
  {
    path: '/wxa/getgrayreleaseplan',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      // Never a phased release: WeChat's "0 initial" plan.
      const plan = callerOf(req).gray ?? {
        status: 0,
        create_timestamp: 0,
        gray_percentage: 0,
        support_debuger_first: false,
        support_experiencer_first: false,
      };
      return okBody({ gray_release_plan: { ...plan } });
    },
  },
  {
    path: '/wxa/change_visitstatus',
    method: 'POST',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      const action = optionalString(req.body, 'action', 85022);
      if (action !== 'open' && action !== 'close') throw new ApiFailure(85022, 'action must be open or close');
      if (mp.released === undefined) throw new ApiFailure(85021, 'no released version');
      mp.visitStatus = action;
      return okBody();
    },
  },
];
