import type { TenantClient } from '../wechat/bound-clients';
import { isWeChatApiError, type WeChatErrorClass } from '../wechat/errors';
import type { AccountBasicInfoResponse } from '../wechat/types';
import { icpStateOf, withBlockers, type Readiness } from './readiness';

type Reads = Pick<TenantClient, 'getIcpEntranceInfo' | 'getAccountBasicInfo' | 'getCategory' | 'getPrivacySetting' | 'getPrivacyInterface' | 'queryQuota'>;

/** Refusals that pass (busy, rate-limited, a token refused twice, a daily quota): not facts about the mini-program. */
const PASSING: ReadonlySet<WeChatErrorClass> = new Set(['retryable', 'token_invalid', 'quota']);

/** Granted, in get_privacy_interface's status. */
const INTERFACE_GRANTED = 5;

/**
 * Reads every release gate of one mini-program from WeChat (six read-only calls, at once) and
 * turns the answers into its readiness. A read WeChat refuses for good leaves that fact unknown
 * and is listed in `unavailable`; WeChat unreachable or briefly refusing fails the check.
 */
export async function checkReadiness(wechat: Reads, nowMs = Date.now()): Promise<Readiness> {
  const unavailable: NonNullable<Readiness['unavailable']> = [];
  const read = async <T>(check: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (error) {
      // Only a lasting refusal (a permission set not granted, an API the account lacks) leaves the
      // fact unknown; a passing one (busy, rate-limited, a stale token) fails the check, so the
      // readiness stored before stands rather than an optimistic guess.
      if (!isWeChatApiError(error) || error.network || PASSING.has(error.errorClass)) throw error;
      unavailable.push({ check, code: error.code, message: error.errmsg });
      return undefined;
    }
  };
  const [icp, basic, categories, privacy, interfaces, quota] = await Promise.all([
    read('icp', () => wechat.getIcpEntranceInfo()),
    read('basic_info', () => wechat.getAccountBasicInfo()),
    read('categories', () => wechat.getCategory()),
    read('privacy', () => wechat.getPrivacySetting(2)),
    read('privacy_interfaces', () => wechat.getPrivacyInterface()),
    read('quota', () => wechat.queryQuota()),
  ]);

  const status = icp?.info.status;
  const rejections = (icp?.info.audit_data ?? []).map((d) => ({ field: d.key_name, error: d.error, ...(d.suggest ? { suggest: d.suggest } : {}) }));
  const settingKeys = (privacy?.setting_list ?? []).map((s) => s.privacy_key);
  return withBlockers({
    checkedAtMs: nowMs,
    icp: status === undefined ? { state: 'unknown' } : { state: icpStateOf(status), status, ...(rejections.length ? { rejections } : {}) },
    privacy: {
      // Unknown counts as configured: an unanswered read is not the merchant's missing guide.
      configured: privacy === undefined || settingKeys.length > 0,
      keys: settingKeys,
      grantedApis: (interfaces?.interface_list ?? []).filter((i) => i.status === INTERFACE_GRANTED).map((i) => i.api_name),
    },
    basicInfo: basic === undefined ? { complete: true, missing: [] } : basicInfoOf(basic),
    categories: (categories?.category_list ?? []).map((c) => ({
      first: c.first_class,
      second: c.second_class,
      ...(c.third_class ? { third: c.third_class } : {}),
      firstId: c.first_id,
      secondId: c.second_id,
      ...(c.third_id ? { thirdId: c.third_id } : {}),
    })),
    ...(quota ? { quota: { rest: quota.rest, limit: quota.limit } } : {}),
    ...(unavailable.length ? { unavailable } : {}),
  });
}

function basicInfoOf(answer: AccountBasicInfoResponse): Readiness['basicInfo'] {
  const nickName = answer.nickname_info?.nickname || answer.nickname || undefined;
  const headImage = answer.head_image_info?.head_image_url || undefined;
  const signature = answer.signature_info?.signature || undefined;
  const missing: Readiness['basicInfo']['missing'] = [];
  if (!nickName) missing.push('nickname');
  if (!headImage) missing.push('avatar');
  if (!signature) missing.push('introduction');
  return { ...(nickName ? { nickName } : {}), ...(headImage ? { headImage } : {}), ...(signature ? { signature } : {}), complete: missing.length === 0, missing };
}
