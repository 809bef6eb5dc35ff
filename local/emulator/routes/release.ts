/**
 * Release management (docs/wechat-protocol.md §4): release, roll back, phased (gray) release and visit
 * status, with WeChat's preconditions and errcodes.
 */
import { ApiFailure, okBody } from '../errors';
import type { EmulatorState, MiniProgram } from '../state';
import { optionalString, queryInteger, requiredInteger } from './params';
import { callerOf } from './types';
import type { ApiRoute } from './types';

function grayRunning(mp: MiniProgram): boolean {
  return mp.gray?.status === 1;
}

/** The approved audit that has not been released yet, if any. */
function approvedUnreleased(state: EmulatorState, mp: MiniProgram) {
  const audit = state.latestAudit(mp);
  return audit !== undefined && audit.status === 0 && !audit.released ? audit : undefined;
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
      ctx.state.release(mp, audit);
      if (mp.gray !== undefined && grayRunning(mp)) mp.gray.status = 3;
      ctx.log(`${mp.appid} released ${audit.version.userVersion}`);
      return okBody();
    },
  },
  {
    path: '/wxa/revertcoderelease',
    method: 'GET',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      if (req.query.get('action') === 'get_history_version') {
        return okBody({
          version_list: [...mp.releaseHistory].reverse().map((version) => ({
            app_version: version.appVersion,
            user_version: version.userVersion,
            user_desc: version.userDesc,
            commit_time: version.commitTime,
          })),
        });
      }
      if (grayRunning(mp)) throw new ApiFailure(87011);
      const current = mp.released;
      const appVersion = queryInteger(req.query, 'app_version');
      const currentIndex = current === undefined ? -1 : mp.releaseHistory.indexOf(current);
      const target =
        appVersion === undefined
          ? mp.releaseHistory[currentIndex - 1]
          : mp.releaseHistory.find((version) => version.appVersion === appVersion && version !== current);
      if (current === undefined || target === undefined) throw new ApiFailure(87012);
      mp.released = target;
      return okBody();
    },
  },
  {
    path: '/wxa/grayrelease',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      if (mp.released === undefined) throw new ApiFailure(85079);
      if (approvedUnreleased(ctx.state, mp) === undefined) throw new ApiFailure(85080);
      const percentage = requiredInteger(req.body, 'gray_percentage', 85081);
      if (percentage < 1 || percentage > 100) throw new ApiFailure(85081);
      if (mp.gray !== undefined && grayRunning(mp) && percentage <= mp.gray.gray_percentage) throw new ApiFailure(85082);
      mp.gray = {
        status: 1,
        create_timestamp: mp.gray !== undefined && grayRunning(mp) ? mp.gray.create_timestamp : ctx.state.nowSec(),
        gray_percentage: percentage,
        support_debuger_first: req.body.support_debuger_first === true,
        support_experiencer_first: req.body.support_experiencer_first === true,
      };
      return okBody();
    },
  },
  {
    path: '/wxa/revertgrayrelease',
    method: 'GET',
    auth: 'authorizer',
    handle(req) {
      const mp = callerOf(req);
      if (mp.gray !== undefined && grayRunning(mp)) mp.gray.status = 4;
      return okBody();
    },
  },
  {
    path: '/wxa/getgrayreleaseplan',
    method: 'GET',
    auth: 'authorizer',
    handle(req) {
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
