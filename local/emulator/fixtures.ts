/**
 * The emulator's fake platform credentials and the seed data it starts with. Everything here is
 * deterministic, so the same appids come back on every run and can be written into demos.
 * None of it is a real secret: it only opens the emulator.
 */
import { createHash } from 'node:crypto';

export interface PlatformCredentials {
  componentAppid: string;
  componentSecret: string;
  token: string;
  encodingAesKey: string;
}

export const EMULATOR_PLATFORM: PlatformCredentials = {
  componentAppid: 'wx0e3a1f5c7b9d2468',
  componentSecret: 'fa4e0000e3a1f5c7b9d24680e3a1f5c7',
  token: 'mpfleetEmulatorToken',
  encodingAesKey: 'mpfleetEmulatorFakeEncodingAesKey0123456789',
};

/** WeChat's fixed test accounts of the full-network release check (docs/wechat-protocol.md §6). */
export const FULL_NETWORK_TEST_MINI_PROGRAMS = [
  'wxd101a85aa106f53e',
  'wxc39235c15087f6f3',
  'wx7720d01d4b2a4500',
  'wx05d483572dcd5d8b',
  'wx5910277cae6fd970',
] as const;

export const FULL_NETWORK_TEST_OFFICIAL_ACCOUNTS = [
  'wx570bc396a51b8ff8',
  'wx9252c5e0bb1836fc',
  'wx8e1097c5bc82cde9',
  'wx14550af28c71a144',
  'wxa35b9c23cfe664eb',
] as const;

export const MAX_SEEDED_MINI_PROGRAMS = 10_000;

export interface AuditCategory {
  first_class: string;
  second_class: string;
  third_class?: string;
  first_id: number;
  second_id: number;
  third_id?: number;
}

/** The categories every mini-program of the `ready` fleet has (and every one had before categories were per mini-program). */
export const CATEGORIES: readonly AuditCategory[] = [
  { first_class: '工具', second_class: '效率', first_id: 287, second_id: 612 },
  { first_class: '生活服务', second_class: '综合生活服务平台', first_id: 150, second_id: 627 },
];

/** Category sets of the `realistic` fleet: mini-program i has set i % 4 (set 0 is CATEGORIES). */
export const CATEGORY_SETS: readonly (readonly AuditCategory[])[] = [
  CATEGORIES,
  [{ first_class: '餐饮服务', second_class: '点餐平台', first_id: 220, second_id: 688 }],
  [
    { first_class: '商家自营', second_class: '服装/鞋/箱包', first_id: 304, second_id: 786 },
    { first_class: '工具', second_class: '效率', first_id: 287, second_id: 612 },
  ],
  [{ first_class: '生活服务', second_class: '家政', third_class: '保洁', first_id: 150, second_id: 653, third_id: 1107 }],
];

/** Seeded mini-programs: 'ready' passes every release gate; 'realistic' is a mix, like a real fleet. */
export type Fleet = 'ready' | 'realistic';
export const FLEETS: readonly Fleet[] = ['ready', 'realistic'];

/** Where mini-program `index` stands on the release gates when seeded. */
export interface GateSeed {
  icpStatus: number;
  /** Set when icpStatus is 3 or 5. */
  icpRejected: boolean;
  privacyGuide: boolean;
  /** false: seeded without a signature (introduction), so submit_audit answers 86002. */
  completeBasicInfo: boolean;
  categories: readonly AuditCategory[];
}

/**
 * The `realistic` fleet, deterministic by seed index: #1 (and every 10th after it) not filed
 * (1024); #6 in platform review (2) and every 10th after it in review (2 or 4, alternating); #8
 * rejected by the authority (5, with audit_data; the only rejected one); #2 the only one without a
 * privacy guide; #3 the only one without a signature; categories from CATEGORY_SETS by index;
 * every other gate passed.
 */
export function gateSeed(fleet: Fleet, index: number): GateSeed {
  if (fleet === 'ready') return { icpStatus: 6, icpRejected: false, privacyGuide: true, completeBasicInfo: true, categories: CATEGORIES };
  let icpStatus = 6;
  if (index === 8) icpStatus = 5;
  else if (index % 10 === 1) icpStatus = 1024;
  else if (index % 10 === 6) icpStatus = Math.floor(index / 10) % 2 === 0 ? 2 : 4;
  return {
    icpStatus,
    icpRejected: icpStatus === 5,
    privacyGuide: index !== 2,
    completeBasicInfo: index !== 3,
    categories: CATEGORY_SETS[index % CATEGORY_SETS.length]!,
  };
}

export interface MiniProgramProfile {
  appid: string;
  /** The gh_ original id, which WeChat puts into ToUserName of message pushes. */
  userName: string;
  nickName: string;
  nickNameEn: string;
  principalName: string;
  headImg: string;
  signature: string;
  testAccount: boolean;
}

/** Stable pseudo-random hex for seed `n` (fast enough for 10,000 seeds in a few ms). */
function seedHex(label: string, n: number): string {
  return createHash('sha1').update(`mpfleet-emulator:${label}:${n}`).digest('hex');
}

export function seededProfile(index: number): MiniProgramProfile {
  const hex = seedHex('mini-program', index);
  const number = index + 1;
  return {
    appid: `wx${hex.slice(0, 16)}`,
    userName: `gh_${hex.slice(16, 28)}`,
    nickName: `示例小程序${number}`,
    nickNameEn: `Demo mini-program ${number}`,
    principalName: `示例科技有限公司${number}`,
    headImg: `http://wx.qlogo.cn/mmopen/emulator-${hex.slice(28, 36)}/0`,
    signature: `模拟器中的第 ${number} 个小程序 / mini-program #${number} of the emulator`,
    testAccount: false,
  };
}

export function testAccountProfile(appid: string): MiniProgramProfile {
  const hex = seedHex('test-account', Number.parseInt(appid.slice(2, 10), 16));
  const isMiniProgram = (FULL_NETWORK_TEST_MINI_PROGRAMS as readonly string[]).includes(appid);
  return {
    appid,
    userName: `gh_${hex.slice(0, 12)}`,
    nickName: isMiniProgram ? '全网发布专用测试小程序' : '全网发布专用测试公众号',
    nickNameEn: isMiniProgram ? 'Full-network test mini-program' : 'Full-network test official account',
    principalName: '腾讯测试',
    headImg: `http://wx.qlogo.cn/mmopen/emulator-test-${hex.slice(12, 20)}/0`,
    signature: '全网发布接入检测 / full-network release check',
    testAccount: true,
  };
}

export interface TemplateSeed {
  templateId: number;
  templateType: 0 | 1;
  userVersion: string;
  userDesc: string;
  pages: string[];
  /** Days before emulator start, so create_time looks plausible. */
  ageDays: number;
}

export interface DraftSeed {
  draftId: number;
  userVersion: string;
  userDesc: string;
  pages: string[];
  ageDays: number;
}

/** What the code of a seeded draft or template calls (`privacyApis`) and declares in app.json (`requiredPrivateInfos`). */
export interface CodePrivacySeed {
  privacyApis: string[];
  requiredPrivateInfos: string[];
}

const NO_PRIVACY_APIS: CodePrivacySeed = { privacyApis: [], requiredPrivateInfos: [] };
/** The demo template's code finds the nearest store and uploads photos. */
const STORE_FINDER: CodePrivacySeed = { privacyApis: ['wx.getLocation', 'wx.chooseImage'], requiredPrivateInfos: ['getLocation'] };
/** Draft 3 also reads the delivery address, which its app.json does not declare (without_conf_list until ext_json does). */
const SETTINGS_PAGE: CodePrivacySeed = { privacyApis: ['wx.getLocation', 'wx.chooseImage', 'wx.chooseAddress'], requiredPrivateInfos: ['getLocation'] };

/** The `ready` fleet's code uses no privacy API; the `realistic` fleet's demo template and draft 3 do. */
export function templatePrivacySeed(fleet: Fleet, kind: 'draft' | 'template', id: number): CodePrivacySeed {
  if (fleet === 'ready') return NO_PRIVACY_APIS;
  if (id === 1) return STORE_FINDER;
  if (kind === 'draft' && id === 3) return SETTINGS_PAGE;
  return NO_PRIVACY_APIS;
}

export const TEMPLATE_PAGES = ['pages/index/index', 'pages/about/about', 'pages/profile/profile'];

/** Template 1 is what a deploy uses out of the box. */
export const TEMPLATE_SEEDS: readonly TemplateSeed[] = [
  { templateId: 1, templateType: 0, userVersion: '1.0.0', userDesc: 'mpfleet 示例模板 / demo template', pages: TEMPLATE_PAGES, ageDays: 30 },
  { templateId: 2, templateType: 1, userVersion: '1.0.0', userDesc: '标准模板 / standard template', pages: TEMPLATE_PAGES, ageDays: 20 },
];

/** Drafts 1 and 2 are already in the library (as templates 1 and 2); draft 3 is new. */
export const DRAFT_SEEDS: readonly DraftSeed[] = [
  { draftId: 1, userVersion: '1.0.0', userDesc: 'mpfleet 示例模板 / demo template', pages: TEMPLATE_PAGES, ageDays: 31 },
  { draftId: 2, userVersion: '1.0.0', userDesc: '标准模板 / standard template', pages: TEMPLATE_PAGES, ageDays: 21 },
  {
    draftId: 3,
    userVersion: '1.1.0',
    userDesc: '新增设置页 / adds a settings page',
    pages: [...TEMPLATE_PAGES, 'pages/settings/settings'],
    ageDays: 1,
  },
];

/** The mini-program whose code the drafts were uploaded from (a developer's own account). */
export const TEMPLATE_SOURCE = { appid: 'wx5eed000000000001', nickName: 'mpfleet 开发小程序' };

/** Permission sets (权限集) granted on consent; 18 is code management. */
export const GRANTED_FUNC_SCOPES = [17, 18, 19, 25, 30, 31, 36, 37, 40, 41, 48, 49, 51, 52, 57, 65, 67, 70, 71, 73];
