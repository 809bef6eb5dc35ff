/**
 * The privacy guide (用户隐私保护指引) APIs, called with an authorizer's access_token:
 * setprivacysetting stores the owner's settings per version, getprivacysetting reads them back
 * with the privacy keys the committed code needs (`privacy_list`, from its privacy APIs).
 */
import { ApiFailure, okBody } from '../errors';
import { PRIVACY_KEYS, privacyKeysOf } from '../gates';
import type { PrivacySetting } from '../state';
import { optionalInteger } from './params';
import { callerOf } from './types';
import type { ApiRoute } from './types';

const PRIVACY_DESCRIPTIONS: Readonly<Record<string, string>> = PRIVACY_KEYS;

function privacyVersion(body: Record<string, unknown>): 1 | 2 {
  const version = optionalInteger(body, 'privacy_ver', 40097) ?? 2;
  if (version !== 1 && version !== 2) throw new ApiFailure(40097, 'privacy_ver must be 1 or 2');
  return version;
}

function parseSettingList(value: unknown): PrivacySetting['setting_list'] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ApiFailure(40097, 'setting_list must be an array');
  return value.map((item: unknown, index) => {
    const entry = item as { privacy_key?: unknown; privacy_text?: unknown } | null;
    if (typeof entry?.privacy_key !== 'string' || typeof entry.privacy_text !== 'string') {
      throw new ApiFailure(40097, `setting_list[${index}] needs privacy_key and privacy_text`);
    }
    if (!(entry.privacy_key in PRIVACY_KEYS)) throw new ApiFailure(40097, `setting_list[${index}]: unknown privacy_key ${entry.privacy_key}`);
    return { privacy_key: entry.privacy_key, privacy_text: entry.privacy_text };
  });
}

export const privacyRoutes: ApiRoute[] = [
  {
    path: '/cgi-bin/component/setprivacysetting',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const version = privacyVersion(req.body);
      const owner = req.body.owner_setting;
      if (typeof owner !== 'object' || owner === null || Array.isArray(owner)) throw new ApiFailure(40097, 'owner_setting missing');
      const noticeMethod = (owner as { notice_method?: unknown }).notice_method;
      if (typeof noticeMethod !== 'string' || noticeMethod === '') throw new ApiFailure(40097, 'owner_setting.notice_method missing');
      const sdkList = req.body.sdk_privacy_info_list;
      if (sdkList !== undefined && !Array.isArray(sdkList)) throw new ApiFailure(40097, 'sdk_privacy_info_list must be an array');
      mp.privacy[version] = {
        owner_setting: { ...(owner as Record<string, unknown>) },
        setting_list: parseSettingList(req.body.setting_list),
        sdk_privacy_info_list: sdkList ?? [],
        update_time: ctx.state.nowSec(),
      };
      return okBody();
    },
  },
  {
    path: '/cgi-bin/component/getprivacysetting',
    method: 'POST',
    auth: 'authorizer',
    readOnly: true,
    handle(req) {
      const mp = callerOf(req);
      const setting = mp.privacy[privacyVersion(req.body)];
      return okBody({
        code_exist: mp.committed === undefined ? 0 : 1,
        privacy_list: privacyKeysOf(mp.committed?.privacyApis ?? []),
        setting_list: (setting?.setting_list ?? []).map((item) => ({
          ...item,
          privacy_label: PRIVACY_DESCRIPTIONS[item.privacy_key] ?? item.privacy_key,
        })),
        update_time: setting?.update_time ?? 0,
        owner_setting: setting?.owner_setting ?? {},
        privacy_desc: {
          privacy_desc_list: Object.entries(PRIVACY_DESCRIPTIONS).map(([privacy_key, privacy_desc]) => ({ privacy_key, privacy_desc })),
        },
        sdk_privacy_info_list: setting?.sdk_privacy_info_list ?? [],
      });
    },
  },
];
