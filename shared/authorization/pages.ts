/**
 * The merchant-facing HTML pages of the authorization flow: the `/authorize` landing page and the
 * result pages of `/auth/callback`. Pure render functions returning whole documents: inline CSS,
 * no scripts, no external assets, so they work inside WeChat's in-app browser and behind a strict CSP.
 * Every interpolated value is escaped; links and images are only emitted for safe URLs.
 */

export interface PageBrand {
  /** The operator's platform name shown to merchants, e.g. 'mpfleet'. */
  platformName: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for both element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return String(value).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

// Browsers silently drop tabs/newlines inside URLs, so `/\t/evil.example` would become the
// protocol-relative `//evil.example`: any whitespace or control character disqualifies a URL.
// eslint-disable-next-line no-control-regex
const UNSAFE_URL_CHARS = /[\u0000-\u0020\u007f-\u009f]/;

/** An absolute http(s) URL, or undefined. */
function safeAbsoluteUrl(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const url = value.trim();
  if (url === '' || UNSAFE_URL_CHARS.test(url) || !/^https?:\/\//i.test(url)) return undefined;
  // The scheme check above decides safety; parsing only rejects URLs no browser could follow.
  return URL.canParse(url) ? url : undefined;
}

/**
 * An http(s) URL or a same-site path starting with '/', or undefined. `//host` and `/\host` are
 * rejected: browsers read both as links to another host.
 */
function safeHref(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const href = value.trim();
  if (/^\/(?![/\\])/.test(href)) return UNSAFE_URL_CHARS.test(href) ? undefined : href;
  return safeAbsoluteUrl(href);
}

function brandName(brand: PageBrand): string {
  return brand.platformName?.trim() || 'mpfleet';
}

/** Chinese first, English secondary: the pattern used for every heading, button and message. */
function bilingual(zh: string, en: string): string {
  return `<span class="zh">${zh}</span><span class="en">${en}</span>`;
}

// Scripts, forms, frames and foreign styles are refused even if a value ever slipped through
// unescaped; images stay allowed over http(s) because WeChat serves head images from its CDN.
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http:; form-action 'none'; base-uri 'none'";

const STYLES = `
:root {
  color-scheme: light dark;
  --bg: #f2f3f5; --card: #ffffff; --text: #1d2129; --muted: #6b7280; --line: #e5e6eb;
  --green: #07c160; --green-press: #06ad56; --green-soft: #e7f8ef;
  --blue: #1677ff; --blue-soft: #e8f1ff; --orange: #f97316; --orange-soft: #fff1e6;
  --option: #f7f8fa; --option-press: #eceef2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111214; --card: #1c1d21; --text: #e8e9eb; --muted: #9ca3af; --line: #2c2e33;
    --green-soft: #12301f; --blue-soft: #13233d; --orange-soft: #35200f;
    --option: #24262b; --option-press: #2d3036;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; min-height: 100vh; background: var(--bg); color: var(--text);
  font-family: -apple-system, BlinkMacSystemFont, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
    "Segoe UI", Roboto, "Noto Sans CJK SC", "Source Han Sans SC", "Helvetica Neue", Arial, sans-serif;
  font-size: 16px; line-height: 1.55;
  display: flex; flex-direction: column; align-items: center;
  padding: max(24px, env(safe-area-inset-top)) 16px max(24px, env(safe-area-inset-bottom));
}
main {
  width: 100%; max-width: 440px; background: var(--card); border-radius: 16px;
  padding: 28px 22px 24px; box-shadow: 0 1px 2px rgba(0, 0, 0, .04), 0 8px 24px rgba(0, 0, 0, .06);
}
.brand { display: flex; align-items: center; gap: 8px; font-size: 14px; font-weight: 600; color: var(--muted); margin-bottom: 22px; }
.brand-mark { width: 22px; height: 22px; border-radius: 6px; background: var(--green); flex: none; display: grid; place-items: center; }
.brand-mark svg { width: 14px; height: 14px; }
.badge { width: 56px; height: 56px; border-radius: 50%; display: grid; place-items: center; margin-bottom: 16px; }
.badge svg { width: 30px; height: 30px; }
.badge-success { background: var(--green-soft); color: var(--green); }
.badge-info { background: var(--blue-soft); color: var(--blue); }
.badge-error { background: var(--orange-soft); color: var(--orange); }
.badge-link { background: var(--green-soft); color: var(--green); }
.zh, .en { display: block; }
.en { color: var(--muted); font-size: .8em; font-weight: 400; line-height: 1.45; margin-top: 2px; }
h1 { font-size: 24px; line-height: 1.3; margin: 0 0 12px; font-weight: 600; }
h1 .en { font-size: 15px; margin-top: 4px; }
h2 { font-size: 15px; margin: 24px 0 10px; font-weight: 600; }
h2 .zh, h2 .en, .eyebrow .zh, .eyebrow .en { display: inline; }
h2 .en { margin-left: 8px; font-size: 13px; }
p { margin: 0 0 12px; }
.lead .en, .note .en { font-size: 14px; }
.eyebrow { font-size: 13px; font-weight: 600; color: var(--orange); margin: 0 0 6px; }
.eyebrow .en { margin-left: 8px; font-size: 12px; color: inherit; opacity: .8; font-weight: 500; }
.actions { display: grid; gap: 12px; margin-top: 22px; }
.option {
  display: flex; align-items: center; gap: 14px; min-height: 72px; padding: 14px 16px;
  border-radius: 12px; background: var(--option); color: var(--text); text-decoration: none;
  border: 1px solid var(--line); -webkit-tap-highlight-color: transparent;
}
.option:active { background: var(--option-press); }
.option:focus-visible, .button:focus-visible { outline: 3px solid var(--blue); outline-offset: 2px; }
.option-icon { width: 40px; height: 40px; border-radius: 10px; display: grid; place-items: center; flex: none; background: var(--green); color: #fff; }
.option-icon svg { width: 22px; height: 22px; }
.option-text { flex: 1; min-width: 0; font-size: 17px; font-weight: 600; }
.option-text .en { font-size: 13px; }
.option-hint { display: block; font-size: 13px; font-weight: 400; color: var(--muted); margin-top: 6px; line-height: 1.45; }
.chevron { width: 18px; height: 18px; color: var(--muted); flex: none; }
.option.disabled { opacity: .5; }
.button {
  display: flex; flex-direction: column; align-items: center; justify-content: center; min-height: 52px;
  padding: 10px 16px; border-radius: 12px; background: var(--green); color: #fff; text-decoration: none;
  font-size: 17px; font-weight: 600; text-align: center; margin-top: 20px; -webkit-tap-highlight-color: transparent;
}
.button:active { background: var(--green-press); }
.button .en { color: rgba(255, 255, 255, .85); font-size: 13px; margin-top: 0; }
.app { display: flex; align-items: center; gap: 14px; padding: 14px; border-radius: 12px; background: var(--option); border: 1px solid var(--line); margin: 18px 0 4px; }
.app-avatar { width: 52px; height: 52px; border-radius: 12px; flex: none; object-fit: cover; background: var(--line); }
.app-initial { display: grid; place-items: center; font-size: 22px; font-weight: 600; color: var(--green); background: var(--green-soft); }
.app-name { font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
.app-id { font-size: 13px; color: var(--muted); overflow-wrap: anywhere; }
.app-id code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.steps { margin: 0; padding: 0; list-style: none; display: grid; gap: 12px; }
.steps li { display: flex; gap: 10px; font-size: 15px; }
.steps li > svg { width: 18px; height: 18px; flex: none; margin-top: 3px; color: var(--green); }
.steps .en { font-size: 13px; }
.path { font-weight: 600; }
.note { font-size: 14px; color: var(--muted); margin: 18px 0 0; }
.status { font-size: 13px; color: var(--muted); margin-top: 16px; }
.status code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
@media (min-width: 600px) {
  body { padding-top: 56px; }
  main { padding: 36px 32px 30px; }
}
footer { max-width: 440px; width: 100%; text-align: center; font-size: 12px; color: var(--muted); margin-top: 18px; line-height: 1.5; }
footer .en { font-size: 12px; }
`;

const ICONS = {
  link: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M10 13a5 5 0 0 0 7.07 0l3-3a5 5 0 0 0-7.07-7.07l-1.5 1.5"></path><path d="M14 11a5 5 0 0 0-7.07 0l-3 3a5 5 0 0 0 7.07 7.07l1.5-1.5"></path></svg>',
  check: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 12.5l4.5 4.5L19 7.5"></path></svg>',
  info: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><circle cx="12" cy="12" r="9"></circle><path d="M12 11v5"></path><path d="M12 7.5h.01"></path></svg>',
  alert: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M12 3.5L2.5 20h19L12 3.5z"></path><path d="M12 10v4.5"></path><path d="M12 17.3h.01"></path></svg>',
  monitor: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="3" y="4" width="18" height="12" rx="2"></rect><path d="M8 20h8"></path><path d="M12 16v4"></path></svg>',
  phone: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><rect x="6" y="2.5" width="12" height="19" rx="2.5"></rect><path d="M11 18h2"></path></svg>',
  chevron: '<svg class="chevron" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M9 6l6 6-6 6"></path></svg>',
  dot: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 12.5l4.5 4.5L19 7.5"></path></svg>',
  mark: '<svg viewBox="0 0 24 24" fill="none" stroke="#fff" stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 17l5-5 4 4 7-8"></path></svg>',
} as const;

function renderDocument(opts: { brand: PageBrand; titleZh: string; titleEn: string; body: string }): string {
  const name = escapeHtml(brandName(opts.brand));
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(opts.titleZh)} / ${escapeHtml(opts.titleEn)} · ${name}</title>
<style>${STYLES}</style>
</head>
<body>
<main>
<div class="brand"><span class="brand-mark">${ICONS.mark}</span><span>${name}</span></div>
${opts.body}
</main>
<footer>${bilingual(`${name} · 微信开放平台第三方平台`, `${name} · a WeChat Open Platform third-party platform`)}</footer>
</body>
</html>
`;
}

/** Caller text, escaped; "中文 / English" is split at the first " / " into the bilingual layout. */
function callerText(value: string): string {
  const text = String(value);
  const at = text.indexOf(' / ');
  if (at <= 0) return escapeHtml(text);
  return bilingual(escapeHtml(text.slice(0, at).trim()), escapeHtml(text.slice(at + 3).trim()));
}

/** One large tappable choice; rendered inert (no href) when its URL is not safe to link to. */
function renderOption(opts: { href: string | undefined; icon: string; zh: string; en: string; hintZh: string; hintEn: string }): string {
  const text = `<span class="option-icon">${opts.icon}</span><span class="option-text">${bilingual(opts.zh, opts.en)}<span class="option-hint">${opts.hintZh}<br>${opts.hintEn}</span></span>`;
  const href = safeHref(opts.href);
  if (href === undefined) return `<div class="option disabled" aria-disabled="true">${text}</div>`;
  return `<a class="option" href="${escapeHtml(href)}">${text}${ICONS.chevron}</a>`;
}

/** `GET /authorize`: explains what authorizing grants and offers the PC (scan) and in-WeChat routes. */
export function landingPage(opts: { brand: PageBrand; pcHref: string; mobileHref: string }): string {
  const name = escapeHtml(brandName(opts.brand));
  const body = `<div class="badge badge-link">${ICONS.link}</div>
<h1>${bilingual(`授权小程序给 ${name}`, `Authorize your mini-program for ${name}`)}</h1>
<p class="lead">${bilingual(
    `授权后，${name} 将获得小程序的代码管理等权限，为你上传、提审并发布小程序代码。`,
    `This lets ${name} manage and release your mini-program's code (code management and related permissions).`,
  )}</p>
<div class="actions">
${renderOption({
  href: opts.pcHref,
  icon: ICONS.monitor,
  zh: '电脑扫码授权',
  en: 'Scan to authorize on PC',
  hintZh: '电脑打开后，用管理员微信扫码',
  hintEn: "On a computer; scan with the admin's WeChat",
})}
${renderOption({
  href: opts.mobileHref,
  icon: ICONS.phone,
  zh: '在微信中授权',
  en: 'Authorize in WeChat',
  hintZh: '仅在微信内打开本页时可用',
  hintEn: 'Only works when this page is opened inside WeChat',
})}
</div>
<p class="note">${bilingual('需由小程序管理员在微信中确认授权。', "The mini-program's admin confirms the authorization in WeChat.")}</p>`;
  return renderDocument({ brand: opts.brand, titleZh: '授权小程序', titleEn: 'Authorize mini-program', body });
}

function renderMiniProgram(opts: { nickName?: string; appid: string; headImg?: string }): string {
  const displayName = opts.nickName?.trim() || opts.appid;
  const image = safeAbsoluteUrl(opts.headImg);
  const avatar =
    image === undefined
      ? `<div class="app-avatar app-initial" aria-hidden="true">${escapeHtml(Array.from(displayName)[0] ?? '?')}</div>`
      : `<img class="app-avatar" src="${escapeHtml(image)}" alt="" width="52" height="52" referrerpolicy="no-referrer">`;
  return `<div class="app">${avatar}<div><div class="app-name">${escapeHtml(displayName)}</div><div class="app-id">AppID <code>${escapeHtml(opts.appid)}</code></div></div></div>`;
}

/** `GET /auth/callback` after a successful (or repeated) code exchange. */
export function authorizedPage(opts: {
  brand: PageBrand;
  nickName?: string;
  appid: string;
  headImg?: string;
  alreadyAuthorized?: boolean;
  /** The mini-program had been authorized before (e.g. revoked, then authorized again): say so. */
  authorizedAgain?: boolean;
}): string {
  const name = escapeHtml(brandName(opts.brand));
  const again = opts.authorizedAgain === true;
  const already = opts.alreadyAuthorized === true && !again;
  const heading = again
    ? `<div class="badge badge-success">${ICONS.check}</div>
<h1>${bilingual('已重新授权', 'Authorized again')}</h1>
<p class="lead">${bilingual(`该小程序已重新授权给 ${name}。`, `This mini-program is authorized for ${name} again.`)}</p>`
    : already
    ? `<div class="badge badge-info">${ICONS.info}</div>
<h1>${bilingual('已授权', 'Already authorized')}</h1>
<p class="lead">${bilingual(`该小程序此前已授权给 ${name}，无需重复操作。`, `This mini-program was already authorized for ${name}. Nothing more to do.`)}</p>`
    : `<div class="badge badge-success">${ICONS.check}</div>
<h1>${bilingual('授权成功', 'Authorized')}</h1>
<p class="lead">${bilingual(`该小程序已授权给 ${name}。`, `This mini-program is now authorized for ${name}.`)}</p>`;
  const body = `${heading}
${renderMiniProgram(opts)}
<h2>${bilingual('接下来', "What's next")}</h2>
<ul class="steps">
<li>${ICONS.dot}<div>${bilingual(
    `${name} 现在可以为该小程序上传、提交审核并发布代码，你无需再做其他操作。`,
    `${name} can now deploy to this mini-program: upload, submit for review and release its code. Nothing else is needed from you.`,
  )}</div></li>
<li>${ICONS.dot}<div>${bilingual(
    '你可以随时撤销授权：<span class="path">小程序管理后台 → 设置 → 第三方设置</span>。',
    'You can revoke it any time in the mini-program admin console: <span class="path">Settings → Third-party settings</span>.',
  )}</div></li>
</ul>
<p class="note">${bilingual('现在可以关闭此页面。', 'You can close this page now.')}</p>`;
  return renderDocument({
    brand: opts.brand,
    titleZh: again ? '已重新授权' : already ? '已授权' : '授权成功',
    titleEn: again ? 'Authorized again' : already ? 'Already authorized' : 'Authorized',
    body,
  });
}

/**
 * `GET /auth/callback` when WeChat holds the authorization but this visit cannot name the
 * mini-program (its exchange was interrupted and recovered from WeChat's list of authorizations).
 */
export function authorizationReceivedPage(opts: { brand: PageBrand }): string {
  const name = escapeHtml(brandName(opts.brand));
  const body = `<div class="badge badge-success">${ICONS.check}</div>
<h1>${bilingual('授权已收到', 'Authorization received')}</h1>
<p class="lead">${bilingual(
    `微信已确认你的授权，${name} 正在完成处理，你无需再做其他操作。`,
    `WeChat confirmed your authorization and ${name} is completing it. Nothing more is needed from you.`,
  )}</p>
<p class="note">${bilingual(`如果几分钟后 ${name} 的运营方仍看不到你的小程序，请重新授权。`, `If the operator of ${name} still cannot see your mini-program in a few minutes, authorize again.`)}</p>
<p class="note">${bilingual('现在可以关闭此页面。', 'You can close this page now.')}</p>`;
  return renderDocument({ brand: opts.brand, titleZh: '授权已收到', titleEn: 'Authorization received', body });
}

/**
 * `GET /auth/callback` when the exchange failed, or `/authorize` when no link could be built.
 * `title` and `detail` are the caller's words; written as "中文 / English" they are laid out like
 * every other bilingual text. `status` is shown small for support conversations.
 */
export function authorizationErrorPage(opts: {
  brand: PageBrand;
  title: string;
  detail: string;
  retryHref?: string;
  status?: number;
}): string {
  const name = escapeHtml(brandName(opts.brand));
  const retryHref = safeHref(opts.retryHref);
  const retry =
    retryHref === undefined ? '' : `\n<a class="button" href="${escapeHtml(retryHref)}">${bilingual('重新授权', 'Try again')}</a>`;
  const status =
    typeof opts.status === 'number' && Number.isInteger(opts.status) && opts.status >= 100 && opts.status <= 599
      ? `\n<p class="status">状态码 / Status <code>${opts.status}</code></p>`
      : '';
  const body = `<div class="badge badge-error">${ICONS.alert}</div>
<p class="eyebrow">${bilingual('授权未完成', 'Authorization not completed')}</p>
<h1>${callerText(opts.title)}</h1>
<p class="lead">${callerText(opts.detail)}</p>${retry}
<p class="note">${bilingual(`如果问题持续出现，请联系 ${name} 的运营方。`, `If this keeps happening, contact the operator of ${name}.`)}</p>${status}`;
  return renderDocument({ brand: opts.brand, titleZh: '授权未完成', titleEn: 'Authorization not completed', body });
}
