/**
 * A mini-program's basic info as WeChat lets it change: the name (setnickname, 2 a calendar year),
 * the head image (modifyheadimage, 5 a month) and the introduction (modifysignature, 5 a month),
 * the rules a name and an introduction must follow, and the keywords that put a name under review.
 * Periods are calendar years and months in China Standard Time, like every WeChat quota.
 */
import { ApiFailure } from './errors';
import type { EmulatorState, MiniProgram } from './state';
import { monthKey } from './state';

export type ModifyKind = 'nickname' | 'headImage' | 'signature';

/** getaccountbasicinfo's modify_quota: renames a year, head images and introductions a month. */
export const MODIFY_QUOTA: Readonly<Record<ModifyKind, number>> = { nickname: 2, headImage: 5, signature: 5 };

export interface ModifyCount {
  /** '2026' (name) or '2026-03' (head image, introduction). */
  period: string;
  used: number;
}

/** Also the categories added this month (categories.ts). */
export type ModifyCounts = Partial<Record<ModifyKind | 'categoryAdds', ModifyCount>>;

export interface UploadedHeadImage {
  contentType: string;
  /** The image, base64 (the crop is recorded, not applied). */
  data: string;
  crop: { x1: number; y1: number; x2: number; y2: number };
  /** Epoch seconds. */
  setAt: number;
}

const periodOf = (kind: ModifyKind, nowMs: number) => (kind === 'nickname' ? monthKey(nowMs).slice(0, 4) : monthKey(nowMs));

export function modifyUsed(mp: MiniProgram, kind: ModifyKind, nowMs: number): number {
  const count = mp.modifyCounts?.[kind];
  return count !== undefined && count.period === periodOf(kind, nowMs) ? count.used : 0;
}

export function countModify(mp: MiniProgram, kind: ModifyKind, nowMs: number): void {
  const used = modifyUsed(mp, kind, nowMs) + 1;
  mp.modifyCounts = { ...mp.modifyCounts, [kind]: { period: periodOf(kind, nowMs), used } };
}

export const hasModifyLeft = (mp: MiniProgram, kind: ModifyKind, nowMs: number) => modifyUsed(mp, kind, nowMs) < MODIFY_QUOTA[kind];

// ---- the introduction (功能介绍) ----

/** WeChat: 4-120 characters. */
export const SIGNATURE_LENGTH = { min: 4, max: 120 };
/** What the emulator refuses in an introduction (53201); WeChat's own list is not published. */
export const SIGNATURE_BLACKLIST: readonly string[] = ['赌博', '博彩', '色情', '代开发票', '刷单', '高利贷'];

/** In WeChat's order as far as it shows: the length (53204), the blacklist (53201), then the month's quota (53200). */
export function checkSignature(mp: MiniProgram, signature: unknown, nowMs: number): string {
  if (typeof signature !== 'string') throw new ApiFailure(53204, 'signature missing');
  const length = [...signature].length;
  if (length < SIGNATURE_LENGTH.min || length > SIGNATURE_LENGTH.max) {
    throw new ApiFailure(53204, `signature must be ${SIGNATURE_LENGTH.min}-${SIGNATURE_LENGTH.max} characters, not ${length}`);
  }
  const hit = SIGNATURE_BLACKLIST.find((word) => signature.includes(word));
  if (hit !== undefined) throw new ApiFailure(53201, `signature contains ${hit}`);
  if (!hasModifyLeft(mp, 'signature', nowMs)) throw new ApiFailure(53200, `${MODIFY_QUOTA.signature} changes a month`);
  return signature;
}

// ---- the name ----

/**
 * Names that need proof (a licence, a trademark) and a review: WeChat protects such keywords
 * (checkwxverifynickname's hit_condition); the emulator keeps this small list.
 */
export const PROTECTED_NAME_KEYWORDS: readonly string[] = ['中国', '国家', '官方', '腾讯', '微信', '旗舰'];

/** checkwxverifynickname's wording for a name that hits a keyword (WeChat's text). */
export const PROTECTED_NAME_WORDING =
  '你申请的名称可能涉及特定主体姓名或名称，请提供可确认主体材料与名称对应的材料，或提供《商标注册证》等其他材料，以证明你有权合理且善意使用该名称，否则可能审核不通过';

/** WeChat: 4-30 characters, a Chinese character counting 2. */
export const NICKNAME_WEIGHT = { min: 4, max: 30 };
/** Chinese characters, letters, digits, and inside the name spaces, `+`, `-` and `·`. */
const NICKNAME_CHARACTERS = /^[\p{Script=Han}A-Za-z0-9](?:[\p{Script=Han}A-Za-z0-9 +\-·]*[\p{Script=Han}A-Za-z0-9+])?$/u;

const nameWeight = (name: string) => [...name].reduce((sum, ch) => sum + (/\p{Script=Han}/u.test(ch) ? 2 : 1), 0);

/**
 * What every name check answers first: format 53010, a name containing 小程序 (which the docs say
 * is not supported) 53012, another mini-program's name (or one under review for it) 53013.
 */
export function checkNicknameFormat(state: EmulatorState, mp: MiniProgram, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ApiFailure(53010, 'nick_name missing');
  const name = value.trim();
  const weight = nameWeight(name);
  if (!NICKNAME_CHARACTERS.test(name)) throw new ApiFailure(53010, 'a name has Chinese characters, letters, digits and inside it spaces, +, - or ·');
  if (weight < NICKNAME_WEIGHT.min || weight > NICKNAME_WEIGHT.max) {
    throw new ApiFailure(53010, `a name is ${NICKNAME_WEIGHT.min}-${NICKNAME_WEIGHT.max} characters, a Chinese one counting 2; this one ${weight}`);
  }
  if (name.includes('小程序')) throw new ApiFailure(53012, 'a name may not contain 小程序');
  for (const other of state.miniPrograms.values()) {
    if (other === mp) continue;
    if (other.nickName === name || (other.nicknameAudit?.status === 1 && other.nicknameAudit.nickname === name)) {
      throw new ApiFailure(53013, `${name} is another mini-program's name`);
    }
  }
  return name;
}

export function protectedKeywordOf(name: string): string | undefined {
  return PROTECTED_NAME_KEYWORDS.find((keyword) => name.includes(keyword));
}
