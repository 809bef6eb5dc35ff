/**
 * What a template's backend calls at run time: login through the component
 * (sns/component/jscode2session, component token), and with the mini-program's authorizer token
 * subscribe messages, unlimited mini-program codes, URL schemes and URL links. Each validates its
 * input the way WeChat does and records what it did in the mini-program's runtime records.
 */
import { ApiFailure, okBody } from '../errors';
import { QRCODE_JPEG } from '../qrcode-image';
import { newSessionKey, randomToken, record, runtimeOf, unionidFor } from '../runtime';
import type { EmulatorContext } from '../context';
import type { MiniProgram } from '../state';
import { optionalInteger, optionalString } from './params';
import { BinaryAnswer, callerOf } from './types';
import type { ApiRoute } from './types';

const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'];
const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'];
const ENV_VERSIONS = ['release', 'trial', 'develop'];
/** getwxacodeunlimit: at most 32 visible characters of this set. */
const SCENE = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;
/** Scheme and link queries: at most 1024 characters of this set. */
const LINK_QUERY = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]{0,1024}$/;
/** Schemes and links live at most 30 days (WeChat's rule since April 2022). */
const MAX_LINK_DAYS = 30;

function queryParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

/** The pages of the version online for everyone, or undefined when nothing is released. */
function releasedPages(ctx: EmulatorContext, mp: MiniProgram): string[] | undefined {
  if (mp.released === undefined) return undefined;
  return ctx.state.template(mp.released.templateId)?.pages ?? [];
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ApiFailure(47001, `${name} must be a boolean`);
  return value;
}

function envVersion(body: Record<string, unknown>): string {
  const env = optionalString(body, 'env_version') ?? 'release';
  if (!ENV_VERSIONS.includes(env)) throw new ApiFailure(47001, `env_version must be one of ${ENV_VERSIONS.join(', ')}`);
  return env;
}

/**
 * A scheme's or link's target: a page of the released code (path without query, no leading `/`)
 * and a query of WeChat's characters. Released code is needed for env_version release (85079).
 */
function linkTarget(ctx: EmulatorContext, mp: MiniProgram, source: Record<string, unknown>): { path: string; query: string; env: string } {
  const path = optionalString(source, 'path', 40165) ?? '';
  const query = optionalString(source, 'query', 40212) ?? '';
  const env = envVersion(source);
  if (!LINK_QUERY.test(query)) throw new ApiFailure(40212, 'query: at most 1024 characters of 0-9 A-Z a-z !#$&\'()*+,/:;=?@-._~%');
  if (path.includes('?')) throw new ApiFailure(40165, 'path must not carry a query');
  if (env === 'release') {
    const pages = releasedPages(ctx, mp);
    if (pages === undefined) throw new ApiFailure(85079, 'the mini-program has no released version');
    if (path !== '' && !pages.includes(path)) throw new ApiFailure(40165, `${path} is not a page of the released version`);
  }
  return { path, query, env };
}

/** expire_type 0 (expire_time, epoch seconds) or 1 (expire_interval, days); at most 30 days, 30 by default. */
function linkExpiry(body: Record<string, unknown>, nowSec: number): number {
  const type = optionalInteger(body, 'expire_type', 40097) ?? 0;
  const max = nowSec + MAX_LINK_DAYS * 86_400;
  if (type === 0) {
    const time = optionalInteger(body, 'expire_time', 40097);
    if (time === undefined) return max;
    if (time <= nowSec || time > max) throw new ApiFailure(40097, `expire_time must be in the next ${MAX_LINK_DAYS} days`);
    return time;
  }
  if (type === 1) {
    const days = optionalInteger(body, 'expire_interval', 40097);
    if (days === undefined || days < 1 || days > MAX_LINK_DAYS) throw new ApiFailure(40097, `expire_interval must be 1-${MAX_LINK_DAYS}`);
    return nowSec + days * 86_400;
  }
  throw new ApiFailure(40097, 'expire_type must be 0 or 1');
}

export const runtimeRoutes: ApiRoute[] = [
  {
    path: '/sns/component/jscode2session',
    method: 'GET',
    auth: 'component',
    handle({ query }, ctx) {
      const appid = queryParam(query, 'appid');
      if (appid === undefined) throw new ApiFailure(41002, 'appid missing');
      const componentAppid = queryParam(query, 'component_appid');
      if (componentAppid === undefined) throw new ApiFailure(41002, 'component_appid missing');
      if (componentAppid !== ctx.platform.componentAppid) throw new ApiFailure(40013, 'component_appid');
      const grantType = queryParam(query, 'grant_type');
      if (grantType !== 'authorization_code') throw new ApiFailure(40002, 'grant_type must be authorization_code');
      const code = queryParam(query, 'js_code');
      if (code === undefined) throw new ApiFailure(41008, 'js_code missing');
      const mp = ctx.state.get(appid);
      if (mp === undefined) throw new ApiFailure(40013, 'appid');
      if (mp.authorization === undefined) throw new ApiFailure(61003);
      const redeemed = ctx.state.redeemWxLoginCode(code, appid);
      if ('errcode' in redeemed) throw new ApiFailure(redeemed.errcode);
      record(runtimeOf(mp).logins, { time: ctx.now(), openid: redeemed.openid });
      return { openid: redeemed.openid, session_key: newSessionKey(), unionid: unionidFor(redeemed.openid, mp.principalName) };
    },
  },
  {
    path: '/cgi-bin/message/subscribe/send',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const { body } = req;
      const runtime = runtimeOf(mp);
      const touser = optionalString(body, 'touser', 40003);
      if (touser === undefined || !runtime.users.includes(touser)) throw new ApiFailure(40003, 'touser is not a user of this mini-program');
      const templateId = optionalString(body, 'template_id', 40037);
      if (templateId === undefined || !/^[A-Za-z0-9_-]{1,128}$/.test(templateId)) throw new ApiFailure(40037);
      const data = body.data;
      if (typeof data !== 'object' || data === null || Array.isArray(data) || Object.keys(data).length === 0) {
        throw new ApiFailure(47003, 'data must be an object of {"<key>": {"value": "<text>"}}');
      }
      for (const [key, entry] of Object.entries(data)) {
        const value = typeof entry === 'object' && entry !== null ? (entry as { value?: unknown }).value : undefined;
        if (typeof value !== 'string' && typeof value !== 'number') throw new ApiFailure(47003, `data.${key}.value`);
      }
      const state = optionalString(body, 'miniprogram_state') ?? 'formal';
      if (!MINIPROGRAM_STATES.includes(state)) throw new ApiFailure(47001, `miniprogram_state must be one of ${MINIPROGRAM_STATES.join(', ')}`);
      const page = optionalString(body, 'page', 41030);
      if (page !== undefined && page !== '' && state === 'formal') {
        const path = page.replace(/^\//, '').split('?')[0] ?? '';
        const pages = releasedPages(ctx, mp);
        if (pages !== undefined && !pages.includes(path)) throw new ApiFailure(41030, `${path} is not a page of the released version`);
      }
      const lang = optionalString(body, 'lang') ?? 'zh_CN';
      if (!LANGS.includes(lang)) throw new ApiFailure(47001, `lang must be one of ${LANGS.join(', ')}`);
      record(runtime.subscribeMessages, {
        time: ctx.now(),
        touser,
        template_id: templateId,
        ...(page === undefined || page === '' ? {} : { page }),
        data: data as Record<string, unknown>,
        miniprogram_state: state,
        lang,
      });
      return okBody({ msgid: ctx.state.sequence.nextMsgId++ });
    },
  },
  {
    path: '/wxa/getwxacodeunlimit',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const { body } = req;
      const scene = optionalString(body, 'scene', 40169);
      if (scene === undefined || !SCENE.test(scene)) {
        throw new ApiFailure(40169, 'scene: 1-32 characters of 0-9 A-Z a-z !#$&\'()*+,/:;=?@-._~');
      }
      const page = optionalString(body, 'page', 41030) ?? '';
      const checkPath = optionalBoolean(body, 'check_path') ?? true;
      const env = envVersion(body);
      const width = optionalInteger(body, 'width') ?? 430;
      for (const flag of ['auto_color', 'is_hyaline']) optionalBoolean(body, flag);
      if (page.startsWith('/') || page.includes('?')) throw new ApiFailure(41030, 'page: no leading / and no query (put parameters in scene)');
      if (checkPath) {
        const pages = releasedPages(ctx, mp);
        if (pages === undefined) throw new ApiFailure(41030, 'the mini-program has no released version (check_path: false allows it)');
        if (page !== '' && !pages.includes(page)) throw new ApiFailure(41030, `${page} is not a page of the released version`);
      }
      record(runtimeOf(mp).wxacodes, {
        time: ctx.now(),
        scene,
        page,
        env_version: env,
        check_path: checkPath,
        width: Math.min(1280, Math.max(280, width)),
      });
      return new BinaryAnswer('image/jpeg', QRCODE_JPEG);
    },
  },
  {
    path: '/wxa/generatescheme',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const { body } = req;
      const jump = body.jump_wxa ?? {};
      if (typeof jump !== 'object' || jump === null || Array.isArray(jump)) throw new ApiFailure(47001, 'jump_wxa must be an object');
      const target = linkTarget(ctx, mp, jump as Record<string, unknown>);
      const expireTime = linkExpiry(body, ctx.state.nowSec());
      const openlink = `weixin://dl/business/?t=${randomToken(13)}`;
      record(runtimeOf(mp).schemes, { time: ctx.now(), openlink, path: target.path, query: target.query, env_version: target.env, expireTime });
      return okBody({ openlink });
    },
  },
  {
    path: '/wxa/generate_urllink',
    method: 'POST',
    auth: 'authorizer',
    handle(req, ctx) {
      const mp = callerOf(req);
      const { body } = req;
      const target = linkTarget(ctx, mp, body);
      const expireTime = linkExpiry(body, ctx.state.nowSec());
      const urlLink = `https://wxaurl.cn/${randomToken(12)}`;
      record(runtimeOf(mp).urlLinks, { time: ctx.now(), url_link: urlLink, path: target.path, query: target.query, env_version: target.env, expireTime });
      return okBody({ url_link: urlLink });
    },
  },
];
