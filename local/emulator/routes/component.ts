/**
 * Component APIs (docs/wechat-protocol.md §3): the component token, tickets, pre-auth codes, exchanging an
 * authorization code, refreshing authorizer tokens and reading authorizers. Successful answers
 * carry no errcode, exactly like WeChat's.
 */
import { shownHeadImg } from '../avatar';
import { ApiFailure } from '../errors';
import { pushNewTicket } from '../platform-events';
import type { MiniProgram } from '../state';
import type { EmulatorContext } from '../context';
import { checkComponentAppid, optionalInteger, optionalString, requiredString } from './params';
import type { ApiRoute } from './types';

/** WeChat caps api_get_authorizer_list pages at 500. */
export const MAX_AUTHORIZER_PAGE = 500;

function checkSecret(body: Record<string, unknown>, field: string, ctx: EmulatorContext): void {
  checkComponentAppid(body, ctx.platform);
  const secret = optionalString(body, field, 40125);
  if (secret === undefined || secret === '') throw new ApiFailure(41004, `${field} missing`);
  if (secret !== ctx.platform.componentSecret) throw new ApiFailure(40125);
}

/** The authorizer named in the body: unknown appid → 40013, not (or no longer) authorized → 61003. */
function authorizedMiniProgram(body: Record<string, unknown>, ctx: EmulatorContext): MiniProgram {
  const appid = optionalString(body, 'authorizer_appid', 40013);
  if (appid === undefined || appid === '') throw new ApiFailure(41002, 'authorizer_appid missing');
  const mp = ctx.state.get(appid);
  if (mp === undefined) throw new ApiFailure(40013, 'authorizer_appid');
  if (mp.authorization === undefined) throw new ApiFailure(61003);
  return mp;
}

function funcInfo(mp: MiniProgram): { funcscope_category: { id: number } }[] {
  return (mp.authorization?.funcInfo ?? []).map((id) => ({ funcscope_category: { id } }));
}

export const componentRoutes: ApiRoute[] = [
  {
    path: '/cgi-bin/component/api_component_token',
    method: 'POST',
    auth: 'none',
    handle({ body }, ctx) {
      checkSecret(body, 'component_appsecret', ctx);
      const ticket = requiredString(body, 'component_verify_ticket', 61006);
      const ticketCheck = ctx.state.checkTicket(ticket);
      if (ticketCheck !== 0) throw new ApiFailure(ticketCheck);
      const token = ctx.state.issueComponentToken();
      return { component_access_token: token.value, expires_in: ctx.settings.componentTokenTtlSec };
    },
  },
  {
    path: '/cgi-bin/component/api_start_push_ticket',
    method: 'POST',
    auth: 'none',
    handle({ body }, ctx) {
      checkSecret(body, 'component_secret', ctx);
      pushNewTicket(ctx);
      return { errcode: 0, errmsg: 'ok' };
    },
  },
  {
    path: '/cgi-bin/component/api_create_preauthcode',
    method: 'POST',
    auth: 'component',
    handle({ body }, ctx) {
      checkComponentAppid(body, ctx.platform);
      const { code, expiresIn } = ctx.state.createPreAuthCode();
      return { pre_auth_code: code, expires_in: expiresIn };
    },
  },
  {
    path: '/cgi-bin/component/api_query_auth',
    method: 'POST',
    auth: 'component',
    handle({ body }, ctx) {
      checkComponentAppid(body, ctx.platform);
      const code = requiredString(body, 'authorization_code', 61009);
      const redeemed = ctx.state.redeemAuthCode(code);
      if ('error' in redeemed) throw new ApiFailure(redeemed.error === 'expired' ? 61010 : 61009);
      const mp = ctx.state.get(redeemed.appid);
      if (mp?.authorization === undefined) throw new ApiFailure(61003);
      const token = ctx.state.issueAuthorizerToken(mp.appid);
      return {
        authorization_info: {
          authorizer_appid: mp.appid,
          authorizer_access_token: token.value,
          expires_in: ctx.settings.authorizerTokenTtlSec,
          authorizer_refresh_token: mp.authorization.refreshToken,
          func_info: funcInfo(mp),
        },
      };
    },
  },
  {
    path: '/cgi-bin/component/api_authorizer_token',
    method: 'POST',
    auth: 'component',
    handle({ body }, ctx) {
      checkComponentAppid(body, ctx.platform);
      const mp = authorizedMiniProgram(body, ctx);
      const refreshToken = requiredString(body, 'authorizer_refresh_token', 61023);
      const authorization = mp.authorization;
      if (authorization === undefined || refreshToken !== authorization.refreshToken) throw new ApiFailure(61023);
      const nextRefreshToken = ctx.settings.rotateRefreshToken ? ctx.state.rotateRefreshToken(mp) : refreshToken;
      const token = ctx.state.issueAuthorizerToken(mp.appid);
      return {
        authorizer_access_token: token.value,
        expires_in: ctx.settings.authorizerTokenTtlSec,
        authorizer_refresh_token: nextRefreshToken,
      };
    },
  },
  {
    path: '/cgi-bin/component/api_get_authorizer_info',
    method: 'POST',
    auth: 'component',
    readOnly: true,
    handle({ body }, ctx) {
      checkComponentAppid(body, ctx.platform);
      const mp = authorizedMiniProgram(body, ctx);
      const domains = mp.domains;
      return {
        authorizer_info: {
          nick_name: mp.nickName,
          head_img: shownHeadImg(mp.headImg, mp.appid, ctx.selfUrl?.()),
          service_type_info: { id: 0 },
          verify_type_info: { id: 0 },
          user_name: mp.userName,
          principal_name: mp.principalName,
          alias: '',
          qrcode_url: `http://mmbiz.qpic.cn/mmbiz_jpg/emulator-${mp.appid}/0`,
          signature: mp.signature,
          account_status: 1,
          business_info: { open_pay: 0, open_shake: 0, open_scan: 0, open_card: 0, open_store: 0 },
          MiniProgramInfo: {
            network: {
              RequestDomain: domains.requestdomain,
              WsRequestDomain: domains.wsrequestdomain,
              UploadDomain: domains.uploaddomain,
              DownloadDomain: domains.downloaddomain,
              BizDomain: mp.webviewDomains,
              UDPDomain: domains.udpdomain,
              TCPDomain: domains.tcpdomain,
            },
            categories: mp.categories.map((category) => ({ first: category.first_class, second: category.second_class })),
            visit_status: 0,
          },
        },
        authorization_info: {
          authorizer_appid: mp.appid,
          authorizer_refresh_token: mp.authorization?.refreshToken,
          func_info: funcInfo(mp),
        },
      };
    },
  },
  {
    path: '/cgi-bin/component/api_get_authorizer_list',
    method: 'POST',
    auth: 'component',
    readOnly: true,
    handle({ body }, ctx) {
      checkComponentAppid(body, ctx.platform);
      const offset = optionalInteger(body, 'offset', 40097) ?? 0;
      const count = optionalInteger(body, 'count', 40097);
      if (offset < 0) throw new ApiFailure(40097, 'offset must be >= 0');
      if (count === undefined || count < 1 || count > MAX_AUTHORIZER_PAGE) {
        throw new ApiFailure(40097, `count must be 1-${MAX_AUTHORIZER_PAGE}`);
      }
      const authorized = ctx.state.authorizedMiniPrograms();
      return {
        total_count: authorized.length,
        list: authorized.slice(offset, offset + count).map((mp) => ({
          authorizer_appid: mp.appid,
          refresh_token: mp.authorization?.refreshToken,
          auth_time: mp.authorization?.authTime,
        })),
      };
    },
  },
];
