/**
 * WeChat-style answers: every API response carries `errcode` and `errmsg`, and a failed one's
 * errmsg ends with ` rid: <hex>-<hex>-<hex>` (the request id WeChat support asks for).
 */
import { randomBytes } from 'node:crypto';

/** WeChat's own errmsg texts (English, as the API sends them). */
const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40004: 'invalid media type',
  40005: 'invalid file type',
  40006: 'invalid meida size',
  40007: 'invalid media_id',
  40008: 'invalid message type',
  40009: 'invalid image size',
  40013: 'invalid appid',
  40029: 'invalid code',
  40037: 'invalid template_id',
  40014: 'invalid access_token',
  40066: 'invalid url',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40165: 'invalid weapp pagepath',
  40169: 'invalid length for scene, or the data is not json',
  40212: 'invalid query',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41005: 'media data missing',
  41008: 'missing code',
  41030: 'invalid page',
  42001: 'access_token expired',
  44002: 'empty post data',
  45009: 'reach max api daily quota limit',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  43101: 'user refuse to accept the msg',
  47001: 'data format error',
  47003: 'argument invalid!',
  48001: 'api unauthorized',
  53010: '名称格式不合法',
  53012: '禁止使用该名称',
  53013: '公众平台已有该名称',
  53200: '本月功能介绍修改次数已用完',
  53201: '功能介绍内容命中黑名单关键字',
  53202: '本月头像修改次数已用完',
  53204: 'signature invalid',
  53300: '超出每月次数限制',
  53301: '超出可配置类目总数限制',
  53303: '提交的参数不合法',
  53304: '与已有类目重复',
  53308: '审核中的类目不允许删除',
  61003: 'component is not authorized by this account',
  61004: 'access clientip is not registered',
  61005: 'component ticket is expired',
  61006: 'component ticket is invalid',
  61007: 'api is unauthorized to component',
  61009: 'code is invalid',
  61010: 'code is expired',
  61023: 'refresh_token is invalid',
  61039: 'code privacy scan is not finished, please retry later',
  61040: 'privacy check failed',
  61070: 'name, wechat name not in accordance',
  85001: 'wechatid not exist or not searchable',
  85004: 'wechatid already bound as tester',
  85008: 'category is not one of the mini-program\'s categories',
  85009: 'already submit a version under auditing',
  85010: 'item_list has an invalid item',
  85012: 'invalid audit id',
  85013: 'invalid ext_json',
  85019: 'no audit version',
  85020: 'status not allowed',
  85021: 'status can not change',
  85022: 'invalid action',
  85023: 'item_list count must be within 1-5',
  85043: 'template error',
  85045: 'some path in ext_json not exist',
  85046: 'tabBar list item lacks pagePath',
  85047: 'pages are empty',
  85048: 'ext_json parse fail',
  85052: 'app is already released',
  85064: 'template not found',
  85079: 'no online version, can not gray release',
  85080: 'audit version not approved',
  85081: 'invalid gray percentage',
  85082: 'gray percentage must be higher than the current one',
  85085: 'submit audit reach limit, please try later',
  85086: 'must commit before submit audit',
  86002: 'nickname, head image or intro is not set',
  86004: 'invalid wechat',
  87011: 'gray release in progress, can not revert',
  87012: 'forbid revert this version release',
  87013: 'no quota to undo code',
  89247: 'inner error',
  89248: 'invalid code type',
  89249: 'task running',
  89250: 'task not found',
  89251: 'legal person checking',
  89252: 'front checking',
  89253: 'lack of some params',
  89255: 'enterprise code_invalid invalid',
  91003: '改名状态不合法',
  91009: '需要提交材料',
  91011: '查不到昵称修改审核单信息',
  91019: '小程序正在审核中',
};

export function defaultErrmsg(errcode: number): string {
  return ERRMSG[errcode] ?? 'emulated error';
}

/** Looks like WeChat's: `686ee164-40c4e5c9-5d967011` (seconds in hex, then two random words). */
export function requestId(nowMs: number = Date.now()): string {
  const random = randomBytes(8).toString('hex');
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8);
  return `${seconds}-${random.slice(0, 8)}-${random.slice(8)}`;
}

// A type alias (not an interface) so it is assignable to Record<string, unknown>.
export type WeChatErrorBody = { errcode: number; errmsg: string };

/** `hint` adds WeChat's `hint: [...]` detail, which tells the developer what exactly was wrong. */
export function errorBody(errcode: number, opts: { text?: string; hint?: string } = {}): WeChatErrorBody {
  const text = opts.text ?? defaultErrmsg(errcode);
  const hint = opts.hint === undefined ? '' : ` hint: [${opts.hint}]`;
  return { errcode, errmsg: `${text}${hint} rid: ${requestId()}` };
}

export function okBody<T extends object>(extra?: T): { errcode: 0; errmsg: 'ok' } & T {
  return { errcode: 0, errmsg: 'ok', ...(extra ?? ({} as T)) };
}

/** Thrown by route handlers; the server turns it into an errcode answer. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  readonly errcode: number;
  readonly hint?: string;
  readonly text?: string;

  constructor(errcode: number, hint?: string, text?: string) {
    super(`${errcode} ${text ?? defaultErrmsg(errcode)}${hint === undefined ? '' : ` (${hint})`}`);
    this.errcode = errcode;
    if (hint !== undefined) this.hint = hint;
    if (text !== undefined) this.text = text;
  }

  toBody(): WeChatErrorBody {
    return errorBody(this.errcode, {
      ...(this.text === undefined ? {} : { text: this.text }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    });
  }
}
