/**
 * WeChat's release gates, as the emulator keeps and checks them: ICP filing (备案), basic info
 * (name, avatar, introduction), the mini-program's own categories, the location-type privacy
 * interfaces it has been granted, its privacy guide (用户隐私保护指引), and the code privacy scan
 * that follows a commit. Route handlers and the admin API read and change them through here.
 */
import type { AuditCategory } from './fixtures';
import type { CodeVersion, MiniProgram, PrivacySetting, Template } from './state';

// ---- ICP filing (get_icp_entrance_info `info.status`) ----

export const ICP_PLATFORM_REVIEW = 2;
export const ICP_PLATFORM_REJECTED = 3;
export const ICP_AUTHORITY_REVIEW = 4;
export const ICP_AUTHORITY_REJECTED = 5;
export const ICP_FILED = 6;
export const ICP_NOT_FILED = 1024;
/** Documented as another "not filed" value; the emulator treats it like 1024. */
export const ICP_NOT_FILED_OTHER = 1025;
export const ICP_STATUSES: readonly number[] = [2, 3, 4, 5, 6, 1024, 1025];

export interface IcpAuditItem {
  key_name: string;
  error: string;
  suggest: string;
}

export interface IcpFiling {
  status: number;
  /** Only while rejected (3 or 5). */
  auditData: IcpAuditItem[];
}

export const isIcpRejected = (status: number) => status === ICP_PLATFORM_REJECTED || status === ICP_AUTHORITY_REJECTED;

export const DEFAULT_ICP_AUDIT_DATA: readonly IcpAuditItem[] = [
  { key_name: '主办单位名称', error: '主办单位名称与证件不一致 / the principal name does not match the certificate', suggest: '请按证件填写主办单位名称 / use the name on the certificate' },
];

// ---- verification (微信认证) ----

export interface VerifyInfo {
  qualification: boolean;
  naming: boolean;
  annualReview: boolean;
  /** Epoch seconds. */
  annualReviewBegin?: number;
  annualReviewEnd?: number;
  /** Epoch seconds, when it expired (admin: expire-verification). */
  expiredAt?: number;
}

/** A rename under review or decided (wxa_nickname_audit pushes its result). 1 under review, 2 rejected, 3 approved. */
export interface NicknameAudit {
  /** api_wxa_querynickname's audit_id (absent in a state file from before it). */
  auditId?: number;
  nickname: string;
  status: 1 | 2 | 3;
  reason?: string;
  createTime: number;
  auditTime?: number;
}

// ---- privacy interfaces (get_privacy_interface) and privacy keys (setprivacysetting) ----

export interface PrivacyInterface {
  api_name: string;
  api_ch_name: string;
  api_desc: string;
  api_link: string;
}

const API_DOC = 'https://developers.weixin.qq.com/miniprogram/dev/api';

/** The location-type interfaces that need a grant (申请开通) and a requiredPrivateInfos declaration. */
export const LOCATION_INTERFACES: readonly PrivacyInterface[] = [
  { api_name: 'wx.getFuzzyLocation', api_ch_name: '获取模糊地理位置', api_desc: '获取当前的模糊地理位置（精确到市）', api_link: `${API_DOC}/location/wx.getFuzzyLocation.html` },
  { api_name: 'wx.getLocation', api_ch_name: '获取当前的地理位置、速度', api_desc: '获取当前的地理位置、速度', api_link: `${API_DOC}/location/wx.getLocation.html` },
  { api_name: 'wx.onLocationChange', api_ch_name: '监听实时地理位置变化事件', api_desc: '监听实时地理位置变化事件', api_link: `${API_DOC}/location/wx.onLocationChange.html` },
  { api_name: 'wx.startLocationUpdate', api_ch_name: '开启小程序进入前台时接收位置消息', api_desc: '开启小程序进入前台时接收位置消息', api_link: `${API_DOC}/location/wx.startLocationUpdate.html` },
  { api_name: 'wx.startLocationUpdateBackground', api_ch_name: '开启小程序进入前后台时均接收位置消息', api_desc: '开启小程序进入前后台时均接收位置消息', api_link: `${API_DOC}/location/wx.startLocationUpdateBackground.html` },
  { api_name: 'wx.chooseLocation', api_ch_name: '打开地图选择位置', api_desc: '打开地图选择位置', api_link: `${API_DOC}/location/wx.chooseLocation.html` },
  { api_name: 'wx.choosePoi', api_ch_name: '打开POI列表选择位置', api_desc: '选择位置，支持模糊定位和精确定位混选', api_link: `${API_DOC}/location/wx.choosePoi.html` },
  { api_name: 'wx.chooseAddress', api_ch_name: '获取用户收货地址', api_desc: '调起用户编辑收货地址原生界面，并在编辑完成后返回用户选择的地址', api_link: `${API_DOC}/open-api/address/wx.chooseAddress.html` },
];
export const LOCATION_API_NAMES: readonly string[] = LOCATION_INTERFACES.map((i) => i.api_name);

/** get_privacy_interface `status`: 1 to apply for, 5 granted. */
export const INTERFACE_NOT_APPLIED = 1;
export const INTERFACE_GRANTED = 5;

/** `getLocation` (app.json style) and `wx.getLocation` name the same API. */
export function apiName(name: string): string {
  return name.startsWith('wx.') ? name : `wx.${name}`;
}

export const isLocationApi = (name: string) => LOCATION_API_NAMES.includes(apiName(name));

/** The privacy keys of setprivacysetting's setting_list, with what getprivacysetting describes them as. */
export const PRIVACY_KEYS: Readonly<Record<string, string>> = {
  UserInfo: '用户信息（微信昵称、头像）',
  Location: '位置信息',
  Address: '地址',
  Invoice: '发票信息',
  RunData: '微信运动数据',
  Record: '麦克风',
  Album: '选中的照片或视频信息',
  Camera: '摄像头',
  PhoneNumber: '手机号码',
  Contact: '通讯录（仅写入）权限',
  DeviceInfo: '设备信息',
  EXIDNumber: '身份证号码',
  EXOrderInfo: '订单信息',
  EXUserPublishContent: '发布内容',
  EXUserFollowAcct: '所关注账号',
  EXUserOpLog: '操作日志',
  AlbumWriteOnly: '相册（仅写入）权限',
  LicensePlate: '车牌号',
  BlueTooth: '蓝牙',
  CalendarWriteOnly: '日历（仅写入）权限',
  Email: '邮箱',
  MessageFile: '选中的文件',
  ChooseLocation: '选择的位置信息',
  Accelerometer: '加速传感器',
  Compass: '磁场传感器',
  DeviceMotion: '方向传感器',
  Gyroscope: '陀螺仪传感器',
  Clipboard: '剪切板',
};

/** Which privacy key a privacy API of the code needs in the guide. */
export const API_PRIVACY_KEY: Readonly<Record<string, string>> = {
  'wx.getUserProfile': 'UserInfo',
  'wx.getUserInfo': 'UserInfo',
  'wx.getLocation': 'Location',
  'wx.getFuzzyLocation': 'Location',
  'wx.onLocationChange': 'Location',
  'wx.startLocationUpdate': 'Location',
  'wx.startLocationUpdateBackground': 'Location',
  'wx.chooseLocation': 'ChooseLocation',
  'wx.choosePoi': 'ChooseLocation',
  'wx.chooseAddress': 'Address',
  'wx.chooseInvoice': 'Invoice',
  'wx.chooseInvoiceTitle': 'Invoice',
  'wx.getWeRunData': 'RunData',
  'wx.startRecord': 'Record',
  'wx.getRecorderManager': 'Record',
  'wx.joinVoIPChat': 'Record',
  'wx.chooseImage': 'Album',
  'wx.chooseMedia': 'Album',
  'wx.chooseVideo': 'Album',
  'wx.saveImageToPhotosAlbum': 'AlbumWriteOnly',
  'wx.saveVideoToPhotosAlbum': 'AlbumWriteOnly',
  'wx.createCameraContext': 'Camera',
  'wx.scanCode': 'Camera',
  'wx.getPhoneNumber': 'PhoneNumber',
  'wx.addPhoneContact': 'Contact',
  'wx.chooseLicensePlate': 'LicensePlate',
  'wx.openBluetoothAdapter': 'BlueTooth',
  'wx.addPhoneCalendar': 'CalendarWriteOnly',
  'wx.chooseMessageFile': 'MessageFile',
  'wx.startAccelerometer': 'Accelerometer',
  'wx.startCompass': 'Compass',
  'wx.startDeviceMotionListening': 'DeviceMotion',
  'wx.startGyroscope': 'Gyroscope',
  'wx.getClipboardData': 'Clipboard',
  'wx.setClipboardData': 'Clipboard',
};
export const PRIVACY_API_NAMES: readonly string[] = Object.keys(API_PRIVACY_KEY);

/** The privacy keys code calling `apis` needs, in first-use order, without repeats. */
export function privacyKeysOf(apis: readonly string[]): string[] {
  const keys: string[] = [];
  for (const api of apis) {
    const key = API_PRIVACY_KEY[apiName(api)];
    if (key !== undefined && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/**
 * A mini-program has a privacy guide when either version (1 online, 2 in development, the
 * default of setprivacysetting) was set with a non-empty setting_list.
 */
export function hasPrivacyGuide(mp: MiniProgram): boolean {
  return [mp.privacy[1], mp.privacy[2]].some((setting) => setting !== undefined && setting.setting_list.length > 0);
}

export function defaultPrivacyGuide(nowSec: number): PrivacySetting {
  return {
    owner_setting: { notice_method: '弹窗提示', contact_email: 'privacy@example.com' },
    setting_list: [
      { privacy_key: 'UserInfo', privacy_text: '登录与展示个人资料' },
      { privacy_key: 'Location', privacy_text: '查找附近的门店' },
      { privacy_key: 'Album', privacy_text: '上传商品图片' },
    ],
    sdk_privacy_info_list: [],
    update_time: nowSec,
  };
}

// ---- the code privacy scan (get_code_privacy_info) ----

export interface ScanResult {
  without_auth_list: string[];
  without_conf_list: string[];
}

/** What a commit of `template` with this ext_json declares and uses, and when its scan ends. */
export function scanFacts(template: Template, ext: Record<string, unknown>, scanDoneAt: number): Pick<CodeVersion, 'privacyApis' | 'declaredPrivateInfos' | 'scanDoneAt'> {
  const fromExt = Array.isArray(ext.requiredPrivateInfos) ? ext.requiredPrivateInfos.filter((item): item is string => typeof item === 'string') : [];
  return {
    privacyApis: template.privacyApis.map(apiName),
    declaredPrivateInfos: [...new Set([...template.requiredPrivateInfos, ...fromExt].map(apiName))],
    scanDoneAt,
  };
}

/** undefined while the scan of the committed code is still running. */
export function scanResult(mp: MiniProgram, code: CodeVersion, nowMs: number): ScanResult | undefined {
  if (nowMs < (code.scanDoneAt ?? 0)) return undefined;
  const locationApis = [...new Set((code.privacyApis ?? []).map(apiName))].filter(isLocationApi);
  const declared = new Set(code.declaredPrivateInfos ?? []);
  return {
    without_auth_list: locationApis.filter((api) => !mp.grantedPrivacyApis.includes(api)),
    without_conf_list: locationApis.filter((api) => !declared.has(api)),
  };
}

// ---- basic info and categories ----

/** Which of name, avatar and introduction are not set (86002 when any is). */
export function missingBasicInfo(mp: MiniProgram): string[] {
  const missing: string[] = [];
  if (mp.nickName.trim() === '') missing.push('nickname');
  if (mp.headImg.trim() === '') missing.push('head image');
  if (mp.signature.trim() === '') missing.push('signature');
  return missing;
}

function idOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

function nameOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Whether an item_list entry names one of `categories`: by ids when it gives first_id and
 * second_id (and third_id, when given), else by first_class and second_class (and third_class,
 * when given). An entry naming no category at all matches none.
 */
export function itemCategoryMatches(item: Record<string, unknown>, categories: readonly AuditCategory[]): boolean {
  const firstId = idOf(item.first_id);
  const secondId = idOf(item.second_id);
  if (firstId !== undefined && secondId !== undefined) {
    const thirdId = idOf(item.third_id);
    return categories.some((c) => c.first_id === firstId && c.second_id === secondId && (thirdId === undefined || c.third_id === thirdId));
  }
  const first = nameOf(item.first_class);
  const second = nameOf(item.second_class);
  if (first === undefined || second === undefined) return false;
  const third = nameOf(item.third_class);
  return categories.some((c) => c.first_class === first && c.second_class === second && (third === undefined || c.third_class === third));
}

export function describeCategory(item: Record<string, unknown>): string {
  const names = [item.first_class, item.second_class, item.third_class].filter((n) => typeof n === 'string' && n !== '');
  const ids = [item.first_id, item.second_id, item.third_id].filter((n) => n !== undefined && n !== null && n !== '');
  return names.length > 0 ? names.join(' > ') : ids.length > 0 ? `ids ${ids.join('/')}` : 'no category';
}
