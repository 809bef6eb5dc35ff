import { describe, expect, it } from 'vitest';
import { authorizationErrorPage, authorizedPage, escapeHtml, landingPage } from '../../../shared/authorization/pages';

const brand = { platformName: 'mpfleet' };
const HOSTILE = `<script>alert("x")</script>'`;

const VOID_ELEMENTS = new Set(['meta', 'img', 'br', 'hr', 'link', 'input', 'source', 'wbr']);

/** Every start tag is closed in order (void elements and `/>` excepted); returns the tag names seen. */
function assertBalanced(html: string): string[] {
  const body = html.replace(/<style>[\s\S]*?<\/style>/g, '<style></style>').replace(/^<!doctype html>/i, '');
  const stack: string[] = [];
  const seen: string[] = [];
  for (const match of body.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(\/?)>/g)) {
    const [, closing, rawName, selfClosing] = match;
    const name = rawName!.toLowerCase();
    if (closing) {
      expect(stack.pop(), `closing </${name}>`).toBe(name);
    } else {
      seen.push(name);
      if (!selfClosing && !VOID_ELEMENTS.has(name)) stack.push(name);
    }
  }
  expect(stack).toEqual([]);
  return seen;
}

/** Every tag is made only of well-formed, double-quoted attributes and none is an event handler. */
function assertAttributesIntact(html: string): void {
  const markup = html.replace(/<style>[\s\S]*?<\/style>/g, '');
  for (const [tag] of markup.matchAll(/<[a-zA-Z][^>]*>/g)) {
    expect(tag).toMatch(/^<[a-zA-Z][a-zA-Z0-9-]*(\s+[a-zA-Z-:]+(="[^"<>]*")?)*\s*\/?>$/);
    expect(tag).not.toMatch(/\son[a-z]+=/i);
  }
}

/** Attribute values of one name, decoded as the browser would read them. */
function attributeValues(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`\\s${name}="([^"]*)"`, 'g'))].map(([, value]) =>
    value!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
  );
}

function textOf(html: string): string {
  return html.replace(/<style>[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ');
}

function expectSafeDocument(html: string): void {
  expect(html.startsWith('<!doctype html>')).toBe(true);
  const tags = assertBalanced(html);
  for (const structural of ['html', 'head', 'body', 'main']) expect(tags.filter((tag) => tag === structural)).toHaveLength(1);
  assertAttributesIntact(html);
  expect(html).not.toMatch(/<script/i);
  expect(html).toContain('<meta name="robots" content="noindex">');
  expect(html).toContain('<meta name="referrer" content="no-referrer">');
  expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">');
  expect(html).toContain('"PingFang SC"');
  expect(html).toContain('"Microsoft YaHei"');
  // Self-contained: nothing is fetched but an optional head image.
  expect(html).not.toMatch(/<link\b|@import|url\(/i);
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
  });

  it('escapes an already escaped value again rather than trusting it', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });

  it('leaves Chinese text untouched', () => {
    expect(escapeHtml('小程序管理后台 → 设置')).toBe('小程序管理后台 → 设置');
  });
});

describe('landingPage', () => {
  const html = landingPage({ brand, pcHref: '/authorize?platform=pc&v=1', mobileHref: '/authorize?platform=mobile' });

  it('explains what authorizing grants and offers both routes, Chinese first', () => {
    expectSafeDocument(html);
    const text = textOf(html);
    expect(text).toContain('代码管理等权限');
    expect(text).toContain("manage and release your mini-program's code");
    expect(text.indexOf('电脑扫码授权')).toBeLessThan(text.indexOf('Scan to authorize on PC'));
    expect(text.indexOf('在微信中授权')).toBeLessThan(text.indexOf('Authorize in WeChat'));
    expect(text).toContain('仅在微信内打开本页时可用');
    expect(text).toContain('Only works when this page is opened inside WeChat');
    expect(text).toContain('mpfleet');
  });

  it('links each action to its href, ampersands encoded', () => {
    expect(html).toContain('href="/authorize?platform=pc&amp;v=1"');
    expect(attributeValues(html, 'href')).toEqual(['/authorize?platform=pc&v=1', '/authorize?platform=mobile']);
  });

  it('accepts absolute https links such as a prebuilt WeChat URL', () => {
    const pcUrl = 'https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=wx1&pre_auth_code=p&redirect_uri=https%3A%2F%2Fa.example%2Fauth%2Fcallback';
    const page = landingPage({ brand, pcHref: pcUrl, mobileHref: 'http://127.0.0.1:8080/wxaopen/safe/bindcomponent#wechat_redirect' });
    expect(attributeValues(page, 'href')).toEqual([pcUrl, 'http://127.0.0.1:8080/wxaopen/safe/bindcomponent#wechat_redirect']);
  });

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['upper-case JavaScript:', ' JavaScript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['protocol-relative', '//evil.example/authorize'],
    ['backslash-relative', '/\\evil.example'],
    ['tab-smuggled protocol-relative', '/\t/evil.example'],
    ['bare relative', 'authorize?platform=pc'],
    ['empty', ''],
  ])('drops a %s href but still shows the action', (_kind, hostileHref) => {
    const page = landingPage({ brand, pcHref: hostileHref, mobileHref: '/authorize?platform=mobile' });
    expectSafeDocument(page);
    expect(attributeValues(page, 'href')).toEqual(['/authorize?platform=mobile']);
    expect(page).not.toMatch(/javascript:|data:text|evil\.example/i);
    expect(textOf(page)).toContain('电脑扫码授权');
  });

  it('escapes a hostile brand name everywhere it appears', () => {
    const page = landingPage({ brand: { platformName: HOSTILE }, pcHref: '/a', mobileHref: '/b' });
    expectSafeDocument(page);
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;');
  });

  it('falls back to a default name when the brand is blank', () => {
    expect(textOf(landingPage({ brand: { platformName: '  ' }, pcHref: '/a', mobileHref: '/b' }))).toContain('授权小程序给 mpfleet');
  });
});

describe('authorizedPage', () => {
  const appid = 'wx8a3f2c1d9e7b6a50';

  it('names the mini-program and its appid and says what happens next', () => {
    const html = authorizedPage({ brand, nickName: '小鹿咖啡', appid, headImg: 'https://wx.qlogo.cn/mmhead/abc/0' });
    expectSafeDocument(html);
    const text = textOf(html);
    expect(text).toContain('授权成功');
    expect(text).toContain('Authorized');
    expect(text).toContain('小鹿咖啡');
    expect(text).toContain(appid);
    expect(text).toContain('can now deploy to this mini-program');
    expect(text).toMatch(/小程序管理后台 → 设置 → 第三方设置/);
    expect(text).toMatch(/revoke it any time/);
    expect(attributeValues(html, 'src')).toEqual(['https://wx.qlogo.cn/mmhead/abc/0']);
    expect(text).not.toContain('Already authorized');
  });

  it('falls back to the appid when the nickname is missing', () => {
    const html = authorizedPage({ brand, appid });
    expect(html).toContain(`<div class="app-name">${appid}</div>`);
    expect(html).not.toMatch(/<img/);
  });

  it('shows the gentle already-authorized variant', () => {
    const html = authorizedPage({ brand, nickName: '小鹿咖啡', appid, alreadyAuthorized: true });
    expectSafeDocument(html);
    const text = textOf(html);
    expect(text).toContain('已授权');
    expect(text).toContain('Already authorized');
    expect(text).toContain('无需重复操作');
    expect(text).not.toContain('授权成功');
    expect(text).toContain(appid);
  });

  it('says a re-authorized mini-program was authorized again', () => {
    const html = authorizedPage({ brand, nickName: '小鹿咖啡', appid, authorizedAgain: true, alreadyAuthorized: true });
    expectSafeDocument(html);
    const text = textOf(html);
    expect(text).toContain('已重新授权');
    expect(text).toContain('Authorized again');
    expect(text).not.toContain('Already authorized');
    expect(text).not.toContain('无需重复操作');
    expect(text).toContain('can now deploy to this mini-program');
  });

  it.each([
    ['data:', 'data:image/svg+xml,<svg onload=alert(1)>'],
    ['javascript:', 'javascript:alert(1)'],
    ['relative', '/avatar.png'],
    ['protocol-relative', '//evil.example/a.png'],
  ])('omits a %s head image', (_kind, headImg) => {
    const html = authorizedPage({ brand, nickName: 'n', appid, headImg });
    expectSafeDocument(html);
    expect(html).not.toMatch(/<img/);
    expect(html).not.toMatch(/data:image|javascript:|evil\.example|avatar\.png/);
  });

  it('keeps a quote inside a head image URL from breaking out of the attribute', () => {
    const html = authorizedPage({ brand, appid, headImg: 'https://wx.qlogo.cn/a.png"onerror="alert(1)' });
    expectSafeDocument(html);
    expect(attributeValues(html, 'src')).toEqual(['https://wx.qlogo.cn/a.png"onerror="alert(1)']);
  });

  it('escapes hostile nickname and appid', () => {
    const html = authorizedPage({ brand, nickName: HOSTILE, appid: 'wx"><img src=x onerror=alert(1)>' });
    expectSafeDocument(html);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('wx&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('authorizationErrorPage', () => {
  it('shows the title, detail, status and a retry link', () => {
    const html = authorizationErrorPage({
      brand,
      title: '授权码已失效 / Authorization code expired',
      detail: '请重新发起授权。 / Please start again.',
      retryHref: '/authorize',
      status: 400,
    });
    expectSafeDocument(html);
    const text = textOf(html);
    expect(text).toContain('授权未完成');
    expect(text).toContain('Authorization not completed');
    expect(text.indexOf('授权码已失效')).toBeLessThan(text.indexOf('Authorization code expired'));
    expect(text).toContain('Please start again.');
    expect(text).toContain('重新授权');
    expect(text).toContain('Try again');
    expect(text).toContain('400');
    expect(attributeValues(html, 'href')).toEqual(['/authorize']);
  });

  it('has no retry link when none is given or the given one is unsafe', () => {
    for (const retryHref of [undefined, 'javascript:alert(1)', '//evil.example']) {
      const html = authorizationErrorPage({ brand, title: 't', detail: 'd', ...(retryHref ? { retryHref } : {}) });
      expectSafeDocument(html);
      expect(html).not.toMatch(/href=/);
      expect(textOf(html)).not.toContain('Try again');
    }
  });

  it('shows no status when it is not an HTTP status code', () => {
    expect(textOf(authorizationErrorPage({ brand, title: 't', detail: 'd' }))).not.toContain('Status');
    expect(textOf(authorizationErrorPage({ brand, title: 't', detail: 'd', status: 4.5 }))).not.toContain('Status');
  });

  it('escapes hostile title and detail', () => {
    const html = authorizationErrorPage({ brand, title: HOSTILE, detail: `a / <img src=x onerror="alert(1)">` });
    expectSafeDocument(html);
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/<img/);
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });
});
