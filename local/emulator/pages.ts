/**
 * The authorization pages a mini-program's admin opens (docs/wechat-protocol.md §3): the PC page
 * `/cgi-bin/componentloginpage` and the mobile pages `/wxaopen/safe/bindcomponent` and
 * `/safe/bindcomponent`. The emulator validates the link like WeChat, lets a person pick one of
 * the seeded mini-programs and consent (a form POST to the same path + `/confirm`), then pushes
 * `authorized`/`updateauthorized` and redirects to `redirect_uri?auth_code=…&expires_in=600`.
 */
import type { ServerResponse } from 'node:http';
import type { EmulatorContext } from './context';
import { escapeHtml, layout } from './html';
import { redirect, sendHtml } from './http-io';
import { grantAuthorization } from './platform-events';
import type { MiniProgram } from './state';

type PageVariant = 'pc' | 'mobile';

const PAGE_PATHS: Record<string, PageVariant> = {
  '/cgi-bin/componentloginpage': 'pc',
  '/wxaopen/safe/bindcomponent': 'mobile',
  '/safe/bindcomponent': 'mobile',
};

/** How many choices the page lists before asking the person to search. */
const MAX_LISTED_CHOICES = 100;

export interface AuthPageMatch {
  basePath: string;
  variant: PageVariant;
  confirm: boolean;
}

export function matchAuthPage(path: string): AuthPageMatch | undefined {
  const confirm = path.endsWith('/confirm');
  const basePath = confirm ? path.slice(0, -'/confirm'.length) : path;
  const variant = PAGE_PATHS[basePath];
  return variant === undefined ? undefined : { basePath, variant, confirm };
}

interface AuthRequest {
  preAuthCode: string;
  redirectUri: string;
  authType: 1 | 2 | 3;
  bizAppid: string | undefined;
  choices: MiniProgram[];
}

interface PageError {
  zh: string;
  en: string;
}

export async function handleAuthPage(
  ctx: EmulatorContext,
  match: AuthPageMatch,
  method: string,
  url: URL,
  rawBody: string,
  res: ServerResponse,
): Promise<void> {
  const expected = match.confirm ? 'POST' : 'GET';
  if (method !== expected) {
    sendHtml(res, 405, errorPage({ zh: `请使用 ${expected} 请求此页面`, en: `Use ${expected} for this page.` }));
    return;
  }
  const params = match.confirm ? new URLSearchParams(rawBody) : url.searchParams;
  const request = validateRequest(ctx, params);
  if ('zh' in request) {
    sendHtml(res, 400, errorPage(request));
    return;
  }
  if (request.authType === 1) {
    sendHtml(res, 200, noEligibleAccountPage());
    return;
  }
  if (!match.confirm) {
    sendHtml(res, 200, consentPage(ctx, match, request, params.get('q') ?? ''));
    return;
  }

  const chosen = params.get('authorizer_appid') ?? '';
  const mp = request.choices.find((choice) => choice.appid === chosen);
  if (mp === undefined) {
    sendHtml(res, 400, errorPage({ zh: '请选择一个要授权的小程序。', en: 'Choose a mini-program to authorize.' }));
    return;
  }
  ctx.state.usePreAuthCode(request.preAuthCode);
  const consent = grantAuthorization(ctx, mp, request.preAuthCode);
  await ctx.durable?.();
  redirect(res, withAuthCode(request.redirectUri, consent.authCode, ctx.settings.authCodeTtlSec));
}

function validateRequest(ctx: EmulatorContext, params: URLSearchParams): AuthRequest | PageError {
  if (params.get('component_appid') !== ctx.platform.componentAppid) {
    return { zh: '参数错误：component_appid 无效。', en: 'Invalid parameter: component_appid is not this platform.' };
  }
  const preAuthCode = params.get('pre_auth_code') ?? '';
  const codeState = preAuthCode === '' ? 'unknown' : ctx.state.checkPreAuthCode(preAuthCode);
  if (codeState === 'used') return { zh: '该授权链接已被使用，请重新获取。', en: 'This authorization link was already used. Ask for a new one.' };
  if (codeState === 'expired') return { zh: '该授权链接已过期，请重新获取。', en: 'This authorization link has expired. Ask for a new one.' };
  if (codeState === 'unknown') return { zh: '授权链接无效：pre_auth_code 不正确。', en: 'Invalid authorization link: unknown pre_auth_code.' };

  const redirectUri = params.get('redirect_uri') ?? '';
  if (!isHttpUrl(redirectUri)) {
    return { zh: '参数错误：redirect_uri 缺失或不是 http(s) 地址。', en: 'Invalid parameter: redirect_uri is missing or not an http(s) URL.' };
  }
  const rawAuthType = params.get('auth_type') ?? '3';
  if (rawAuthType !== '1' && rawAuthType !== '2' && rawAuthType !== '3') {
    return { zh: '参数错误：auth_type 只能是 1、2 或 3。', en: 'Invalid parameter: auth_type must be 1, 2 or 3.' };
  }
  const bizAppid = params.get('biz_appid') || undefined;
  let choices = ctx.state.consentChoices();
  if (bizAppid !== undefined) {
    const mp = choices.find((choice) => choice.appid === bizAppid);
    if (mp === undefined) {
      return { zh: 'biz_appid 指定的小程序不存在或不可授权。', en: 'The mini-program named by biz_appid does not exist here.' };
    }
    choices = [mp];
  }
  return { preAuthCode, redirectUri, authType: Number(rawAuthType) as 1 | 2 | 3, bizAppid, choices };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** WeChat appends the code to the redirect_uri's own query (before any fragment). */
export function withAuthCode(redirectUri: string, authCode: string, expiresIn: number): string {
  const hashAt = redirectUri.indexOf('#');
  const base = hashAt === -1 ? redirectUri : redirectUri.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : redirectUri.slice(hashAt);
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}auth_code=${encodeURIComponent(authCode)}&expires_in=${expiresIn}${hash}`;
}

function platformHeader(ctx: EmulatorContext): string {
  return `<div class="platform"><div class="logo">MP</div><div>
    <div><strong>mpfleet 第三方平台</strong> <span class="en">third-party platform</span></div>
    <div class="appid">${escapeHtml(ctx.platform.componentAppid)}</div></div></div>`;
}

const EMULATOR_NOTE = `<p class="en">这是 mpfleet 内置的微信模拟器，不会连接真实的微信。<br>
  This is mpfleet's built-in WeChat emulator; nothing here reaches the real WeChat.</p>`;

const SCOPES = [
  ['开发管理与数据分析', 'Code management and analytics'],
  ['小程序基本信息管理', 'Basic profile management'],
  ['客服消息管理', 'Customer-service messages'],
  ['开放平台账号管理', 'Open Platform account management'],
];

function consentPage(ctx: EmulatorContext, match: AuthPageMatch, request: AuthRequest, search: string): string {
  const needle = search.trim().toLowerCase();
  const filtered =
    needle === ''
      ? request.choices
      : request.choices.filter((mp) => mp.appid.toLowerCase().includes(needle) || mp.nickName.toLowerCase().includes(needle));
  const listed = filtered.slice(0, MAX_LISTED_CHOICES);
  const hidden = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const linkFields =
    hidden('component_appid', ctx.platform.componentAppid) +
    hidden('pre_auth_code', request.preAuthCode) +
    hidden('redirect_uri', request.redirectUri) +
    hidden('auth_type', String(request.authType)) +
    hidden('biz_appid', request.bizAppid);

  const searchForm =
    request.choices.length > 1
      ? `<form method="get" action="${escapeHtml(match.basePath)}">${linkFields}
          <input type="search" name="q" value="${escapeHtml(search)}" placeholder="搜索名称或 AppID / search by name or AppID"></form>`
      : '';
  const radios = listed
    .map(
      (mp, index) => `<label class="choice"><input type="radio" name="authorizer_appid" value="${escapeHtml(mp.appid)}"${index === 0 ? ' checked' : ''}>
        <span><strong>${escapeHtml(mp.nickName)}</strong> <span class="en">${escapeHtml(mp.nickNameEn)}</span><br>
        <span class="appid">${escapeHtml(mp.appid)}${mp.authorization ? ' · 已授权 / already authorized' : ''}</span></span></label>`,
    )
    .join('');
  const more =
    filtered.length > listed.length
      ? `<p class="en">另有 ${filtered.length - listed.length} 个未列出，请搜索。 / ${filtered.length - listed.length} more not listed: search above.</p>`
      : '';
  const empty = listed.length === 0 ? '<p>没有匹配的小程序。 / No matching mini-program.</p>' : '';
  const heading =
    match.variant === 'mobile'
      ? '<h1>授权小程序</h1><div class="en">Authorize a mini-program (in WeChat)</div>'
      : '<h1>扫码授权</h1><div class="en">Scan-to-authorize (the emulator skips the scan)</div>';

  return layout(
    '授权 / Authorize',
    `<div class="card">${platformHeader(ctx)}${heading}</div>
    <div class="card"><h2>该平台将获得以下权限 <span class="en">The platform will be able to</span></h2>
      <ul class="scopes">${SCOPES.map(([zh, en]) => `<li>${zh} <span class="en">${en}</span></li>`).join('')}</ul></div>
    <div class="card"><h2>选择要授权的小程序 <span class="en">Choose the mini-program</span></h2>${searchForm}
      <form method="post" action="${escapeHtml(`${match.basePath}/confirm`)}">${linkFields}${radios}${more}${empty}
        ${listed.length > 0 ? '<button type="submit">确认授权 / Authorize</button>' : ''}</form></div>
    ${EMULATOR_NOTE}`,
  );
}

function noEligibleAccountPage(): string {
  return layout(
    '没有可授权的账号 / No eligible account',
    `<div class="card error"><h1>没有可授权的账号</h1><div class="en">No eligible account</div>
      <p>此授权链接（auth_type=1）只允许公众号授权，而模拟器中只有小程序。请使用 auth_type=2 或 3。</p>
      <p class="en">This link (auth_type=1) only accepts official accounts, and the emulator only has mini-programs.
      Use auth_type=2 or 3.</p></div>${EMULATOR_NOTE}`,
  );
}

function errorPage(error: PageError): string {
  return layout(
    '授权失败 / Authorization failed',
    `<div class="card error"><h1>无法授权</h1><div class="en">Cannot authorize</div>
      <p>${escapeHtml(error.zh)}</p><p class="en">${escapeHtml(error.en)}</p></div>${EMULATOR_NOTE}`,
  );
}
