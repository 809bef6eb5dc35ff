/**
 * Changing a mini-program's basic info (authorizer token): head image (modifyheadimage), introduction
 * (modifysignature), name (checkwxverifynickname, setnickname, api_wxa_querynickname). Rules,
 * keywords and quotas: basic-info.ts; media ids: media.ts.
 */
import { isUnderReview } from '../audits';
import { UPLOADED_HEAD_IMG } from '../avatar';
import {
  MODIFY_QUOTA,
  PROTECTED_NAME_WORDING,
  checkNicknameFormat,
  checkSignature,
  countModify,
  hasModifyLeft,
  protectedKeywordOf,
} from '../basic-info';
import { ApiFailure, okBody } from '../errors';
import { startNicknameAudit } from '../gate-events';
import { usableMedia } from '../media';
import { optionalInteger } from './params';
import { callerOf } from './types';
import type { ApiRoute } from './types';

/** modifyheadimage: WeChat takes at most 2 MB for a head image. */
export const HEAD_IMAGE_MAX_BYTES = 2 * 1024 * 1024;
const NAMING_STUFF = ['naming_other_stuff_1', 'naming_other_stuff_2', 'naming_other_stuff_3', 'naming_other_stuff_4', 'naming_other_stuff_5'];

/** A crop coordinate: a number or numeric string (WeChat documents strings) in [0, 1]; else 40097. */
function fraction(body: Record<string, unknown>, name: string): number {
  const value = body[name];
  const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number) || number < 0 || number > 1) throw new ApiFailure(40097, `${name} must be a number in [0, 1]`);
  return number;
}

const given = (value: unknown) => value !== undefined && value !== null && value !== '';

export const basicInfoRoutes: ApiRoute[] = [
  {
    path: '/cgi-bin/account/modifyheadimage',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const crop = { x1: fraction(req.body, 'x1'), y1: fraction(req.body, 'y1'), x2: fraction(req.body, 'x2'), y2: fraction(req.body, 'y2') };
      if (crop.x1 >= crop.x2 || crop.y1 >= crop.y2) throw new ApiFailure(40097, 'the crop needs x1 < x2 and y1 < y2');
      const media = usableMedia(ctx.state, mp.appid, req.body.head_img_media_id, 'head_img_media_id');
      if (media.size > HEAD_IMAGE_MAX_BYTES) throw new ApiFailure(40009, `a head image is at most ${HEAD_IMAGE_MAX_BYTES} bytes`);
      if (!hasModifyLeft(mp, 'headImage', ctx.now())) throw new ApiFailure(53202, `${MODIFY_QUOTA.headImage} changes a month`);
      mp.headImage = { contentType: media.contentType, data: media.data, crop, setAt: ctx.state.nowSec() };
      mp.headImg = UPLOADED_HEAD_IMG;
      countModify(mp, 'headImage', ctx.now());
      return okBody();
    },
  },
  {
    path: '/cgi-bin/account/modifysignature',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      mp.signature = checkSignature(mp, req.body.signature, ctx.now());
      countModify(mp, 'signature', ctx.now());
      return okBody();
    },
  },
  {
    path: '/cgi-bin/wxverify/checkwxverifynickname',
    method: 'POST',
    auth: 'authorizer',
    readOnly: true,
    handle(req, ctx) {
      const name = checkNicknameFormat(ctx.state, callerOf(req), req.body.nick_name);
      const hit = protectedKeywordOf(name) !== undefined;
      return okBody({ hit_condition: hit, wording: hit ? PROTECTED_NAME_WORDING : '' });
    },
  },
  {
    path: '/wxa/setnickname',
    method: 'POST',
    auth: 'authorizer',
    /**
     * In this order: the name's format (53010, 53012), code under review (91019), a rename under
     * review or no rename left this year (91003, WeChat's "rename status not allowed"; the docs
     * name no other errcode for either), another mini-program's name (53013), every media id given
     * (40007), then a protected keyword without the principal's proof — license for an
     * organisation, id_card for a person — (91009). A name hitting no keyword is set at once
     * (`{errcode: 0}`, no audit_id); one with proof goes to review (`{wording, audit_id}`).
     */
    handle(req, ctx) {
      const mp = callerOf(req);
      const name = checkNicknameFormat(ctx.state, mp, req.body.nick_name);
      const audit = ctx.state.latestAudit(mp);
      if (audit !== undefined && isUnderReview(audit)) throw new ApiFailure(91019, 'code is under review (submit_audit); rename after it is decided');
      if (mp.nicknameAudit?.status === 1) throw new ApiFailure(91003, `a rename to ${mp.nicknameAudit.nickname} is under review`);
      if (!hasModifyLeft(mp, 'nickname', ctx.now())) throw new ApiFailure(91003, `no rename left this year (${MODIFY_QUOTA.nickname} a year)`);
      for (const field of ['id_card', 'license', ...NAMING_STUFF]) {
        if (given(req.body[field])) usableMedia(ctx.state, mp.appid, req.body[field], field);
      }
      const keyword = protectedKeywordOf(name);
      if (keyword === undefined) {
        mp.nickName = name;
        countModify(mp, 'nickname', ctx.now());
        return okBody();
      }
      const proof = mp.registration?.kind === 'personal' ? 'id_card' : 'license';
      if (!given(req.body[proof])) throw new ApiFailure(91009, `${name} contains ${keyword}: ${proof} (a media id) is required`);
      const started = startNicknameAudit(ctx, mp, name);
      return okBody({ wording: PROTECTED_NAME_WORDING, audit_id: started.auditId });
    },
  },
  {
    path: '/wxa/api_wxa_querynickname',
    method: 'POST',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      const mp = callerOf(req);
      const auditId = optionalInteger(req.body, 'audit_id', 91011);
      const audit = mp.nicknameAudit;
      // Only the latest rename is kept: an older audit_id is as unknown as a made-up one.
      if (auditId === undefined || audit?.auditId !== auditId) throw new ApiFailure(91011, `no rename audit ${String(req.body.audit_id)}`);
      return okBody({
        nickname: audit.nickname,
        audit_stat: audit.status,
        fail_reason: audit.reason ?? '',
        create_time: audit.createTime,
        audit_time: audit.auditTime ?? 0,
      });
    },
  },
];
