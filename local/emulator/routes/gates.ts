/**
 * What a mini-program must have before WeChat lets a version through, read with its access_token:
 * ICP filing (get_icp_entrance_info), basic info (getaccountbasicinfo), the location-type privacy
 * interfaces it was granted (get_privacy_interface) and the code privacy scan of its committed
 * code (get_code_privacy_info). submit_audit and release check the same facts (gates.ts).
 */
import { shownHeadImg } from '../avatar';
import { MODIFY_QUOTA, modifyUsed } from '../basic-info';
import { ApiFailure, okBody } from '../errors';
import { INTERFACE_GRANTED, INTERFACE_NOT_APPLIED, LOCATION_INTERFACES, isIcpRejected, scanResult } from '../gates';
import { callerOf } from './types';
import type { ApiRoute } from './types';

/** Enterprise (企业), as every seeded mini-program is. */
const PRINCIPAL_ENTERPRISE = 1;

export const gateRoutes: ApiRoute[] = [
  {
    path: '/wxa/icp/get_icp_entrance_info',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      const { icp } = callerOf(req);
      return okBody({
        info: {
          status: icp.status,
          is_canceling: false,
          available: 1,
          ...(isIcpRejected(icp.status) && icp.auditData.length > 0 ? { audit_data: icp.auditData.map((item) => ({ ...item })) } : {}),
        },
      });
    },
  },
  {
    // Documented as POST without a body; GET is answered the same.
    path: '/cgi-bin/account/getaccountbasicinfo',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req, ctx) {
      const mp = callerOf(req);
      const headImage = shownHeadImg(mp.headImg, mp.appid, ctx.selfUrl?.());
      const verify = mp.verify;
      return okBody({
        appid: mp.appid,
        account_type: 2,
        principal_type: PRINCIPAL_ENTERPRISE,
        principal_name: mp.principalName,
        realname_status: 1,
        nickname: mp.nickName,
        wx_verify_info: {
          qualification_verify: verify.qualification,
          naming_verify: verify.naming,
          annual_review: verify.annualReview,
          ...(verify.annualReviewBegin === undefined ? {} : { annual_review_begin_time: verify.annualReviewBegin }),
          ...(verify.annualReviewEnd === undefined ? {} : { annual_review_end_time: verify.annualReviewEnd }),
        },
        // Names a calendar year, head images and introductions a month (basic-info.ts).
        signature_info: { signature: mp.signature, modify_used_count: modifyUsed(mp, 'signature', ctx.now()), modify_quota: MODIFY_QUOTA.signature },
        head_image_info: { head_image_url: headImage, modify_used_count: modifyUsed(mp, 'headImage', ctx.now()), modify_quota: MODIFY_QUOTA.headImage },
        nickname_info: { nickname: mp.nickName, modify_used_count: modifyUsed(mp, 'nickname', ctx.now()), modify_quota: MODIFY_QUOTA.nickname },
      });
    },
  },
  {
    path: '/wxa/security/get_privacy_interface',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      const mp = callerOf(req);
      return okBody({
        interface_list: LOCATION_INTERFACES.map((api) => ({
          ...api,
          status: mp.grantedPrivacyApis.includes(api.api_name) ? INTERFACE_GRANTED : INTERFACE_NOT_APPLIED,
          group_name: '地理位置',
        })),
      });
    },
  },
  {
    path: '/wxa/security/get_code_privacy_info',
    method: 'GET',
    auth: 'authorizer',
    readOnly: true,
    handle(req, ctx) {
      const mp = callerOf(req);
      // WeChat documents nothing for a mini-program with no code; the emulator says so with 85086.
      if (mp.committed === undefined) throw new ApiFailure(85086, 'nothing committed yet: the privacy scan runs on committed code');
      const scan = scanResult(mp, mp.committed, ctx.now());
      if (scan === undefined) throw new ApiFailure(61039);
      return okBody({ without_auth_list: scan.without_auth_list, without_conf_list: scan.without_conf_list });
    },
  },
];
