import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isWeChatApiError } from '../../../shared/wechat/errors';
import type { WeChatApiError, WeChatErrorClass } from '../../../shared/wechat/errors';
import { ERRCODE_CLASSES } from '../../support/errcode-classes';
import { WeChatHttp } from '../../../shared/wechat/http';
import { startFakeWeChat, type CannedReply } from '../../support/fake-wechat';

const TOKEN = 'ACCESS_TOKEN_must_never_leak_91f3';

/** A fake WeChat per test, closed after it. */
async function fakeWeChat(reply: CannedReply | 'hang') {
  const wechat = await startFakeWeChat(reply);
  servers.push(wechat.close);
  return wechat;
}

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

async function failureOf(promise: Promise<unknown>): Promise<WeChatApiError> {
  try {
    await promise;
  } catch (e) {
    if (isWeChatApiError(e)) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** Every way an error could end up in a log line. */
function renderings(error: Error): string[] {
  return [String(error), error.message, error.stack ?? '', JSON.stringify(error), inspect(error)];
}

describe('WeChatHttp requests', () => {
  it('POSTs a JSON body with the query string and returns the parsed answer', async () => {
    const wechat = await fakeWeChat({ body: JSON.stringify({ errcode: 0, errmsg: 'ok', auditid: 1234 }) });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const answer = await http.postJson<{ auditid: number }>('/wxa/submit_audit', { access_token: TOKEN }, { version_desc: '中文 ok' });

    expect(answer.auditid).toBe(1234);
    expect(wechat.requests).toEqual([
      {
        method: 'POST',
        path: '/wxa/submit_audit',
        query: { access_token: TOKEN },
        contentType: 'application/json; charset=utf-8',
        body: '{"version_desc":"中文 ok"}',
      },
    ]);
  });

  it('GETs without a body', async () => {
    const wechat = await fakeWeChat({ body: JSON.stringify({ errcode: 0, errmsg: 'ok', page_list: ['pages/index'] }) });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const answer = await http.getJson<{ page_list: string[] }>('/wxa/get_page', { access_token: TOKEN });

    expect(answer.page_list).toEqual(['pages/index']);
    expect(wechat.requests).toMatchObject([{ method: 'GET', path: '/wxa/get_page', query: { access_token: TOKEN }, body: '' }]);
  });

  it('keeps a path prefix of apiBase and tolerates its trailing slash', async () => {
    const wechat = await fakeWeChat({ body: '{}' });
    const http = new WeChatHttp({ apiBase: `${wechat.baseUrl}/wechat-api/` });

    await http.getJson('/wxa/queryquota', { access_token: TOKEN });

    expect(wechat.requests[0]?.path).toBe('/wechat-api/wxa/queryquota');
  });

  it.each([
    ['omits errcode', { component_access_token: 'abc', expires_in: 7200 }],
    ['has errcode 0', { errcode: 0, errmsg: 'ok', component_access_token: 'abc', expires_in: 7200 }],
    ['has errcode "0" as a string', { errcode: '0', errmsg: 'ok', component_access_token: 'abc', expires_in: 7200 }],
  ])('accepts a successful answer that %s', async (_label, body) => {
    const wechat = await fakeWeChat({ contentType: 'text/plain', body: JSON.stringify(body) });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    await expect(http.postJson('/cgi-bin/component/api_component_token', {}, {})).resolves.toMatchObject({
      component_access_token: 'abc',
      expires_in: 7200,
    });
  });
});

describe('WeChatHttp errcode answers', () => {
  const table: [number, WeChatErrorClass][] = [
    ...ERRCODE_CLASSES,
  ];

  it.each(table)('errcode %i becomes a %s WeChatApiError', async (code, errorClass) => {
    const errmsg = `something went wrong rid: 66a0-${code}`;
    const wechat = await fakeWeChat({ body: JSON.stringify({ errcode: code, errmsg }) });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const error = await failureOf(http.postJson('/wxa/commit', { access_token: TOKEN }, {}));

    expect(error).toMatchObject({ code, errmsg, errorClass, path: '/wxa/commit', network: false });
    for (const text of renderings(error)) expect(text).not.toContain(TOKEN);
  });

  it('keeps the errcode of a JSON answer even when the status is not 2xx', async () => {
    const wechat = await fakeWeChat({ status: 400, body: JSON.stringify({ errcode: 41001, errmsg: 'access_token missing rid: x' }) });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const error = await failureOf(http.getJson('/wxa/get_page', {}));

    expect(error).toMatchObject({ code: 41001, errorClass: 'permanent', network: false });
  });

  it('scrubs the token and request secrets if WeChat echoes them in errmsg', async () => {
    const secret = 'component-secret-8d2e';
    const wechat = await fakeWeChat({
      body: JSON.stringify({ errcode: 40125, errmsg: `invalid appsecret ${secret} for token ${TOKEN} rid: 1` }),
    });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const error = await failureOf(
      http.postJson('/cgi-bin/component/api_component_token', { component_access_token: TOKEN }, { component_appsecret: secret }),
    );

    expect(error.errmsg).toBe('invalid appsecret *** for token *** rid: 1');
    for (const text of renderings(error)) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(secret);
    }
  });
});

describe('WeChatHttp network failures', () => {
  const expectRetryableNetworkError = (error: WeChatApiError, path: string) => {
    expect(error).toMatchObject({ code: -1, errorClass: 'retryable', network: true, path });
    for (const text of renderings(error)) expect(text).not.toContain(TOKEN);
  };

  it('turns a timeout into a retryable network error', async () => {
    const wechat = await fakeWeChat('hang');
    const http = new WeChatHttp({ apiBase: wechat.baseUrl, timeoutMs: 200 });

    const error = await failureOf(http.postJson('/wxa/release', { access_token: TOKEN }, {}));

    expectRetryableNetworkError(error, '/wxa/release');
    expect(error.errmsg).toBe('timed out after 200 ms');
  });

  it('turns a refused connection into a retryable network error', async () => {
    const wechat = await fakeWeChat({ body: '{}' });
    await wechat.close();
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const error = await failureOf(http.getJson('/wxa/get_page', { access_token: TOKEN }));

    expectRetryableNetworkError(error, '/wxa/get_page');
    expect(error.errmsg).toContain('ECONNREFUSED');
  });

  it.each([
    ['a non-JSON 502', { status: 502, contentType: 'text/html', body: '<html>Bad Gateway</html>' }],
    ['an empty 500', { status: 500, body: '' }],
    ['a 200 HTML page', { status: 200, contentType: 'text/html', body: '<html>maintenance</html>' }],
    ['a 200 JSON array', { status: 200, body: '[]' }],
  ])('turns %s into a retryable network error', async (_label, reply) => {
    const wechat = await fakeWeChat(reply);
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const error = await failureOf(http.postJson('/wxa/commit', { access_token: TOKEN }, {}));

    expectRetryableNetworkError(error, '/wxa/commit');
  });

  it('never copies a fetch error message, which may carry the URL with its token', async () => {
    const leakyFetch: typeof fetch = async (input) => {
      throw new TypeError(`Failed to parse URL from ${String(input)}`);
    };
    const http = new WeChatHttp({ apiBase: 'http://127.0.0.1:1', fetch: leakyFetch });

    const error = await failureOf(http.getJson('/wxa/get_page', { access_token: TOKEN }));

    expectRetryableNetworkError(error, '/wxa/get_page');
  });
});

describe('WeChatHttp.getBinary', () => {
  it('returns image bytes and their content type', async () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x7b, 0x00, 0xff, 0xd9]);
    const wechat = await fakeWeChat({ contentType: 'image/jpeg', body: jpeg });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const answer = await http.getBinary('/wxa/get_qrcode', { access_token: TOKEN, path: 'pages/index?a=1' });

    expect(answer.contentType).toBe('image/jpeg');
    expect(answer.body.equals(jpeg)).toBe(true);
    expect(wechat.requests[0]?.query).toEqual({ access_token: TOKEN, path: 'pages/index?a=1' });
  });

  it.each([
    ['labelled JSON', 'application/json; encoding=utf-8'],
    ['labelled as text', 'text/plain'],
  ])('turns a JSON error body %s into a WeChatApiError', async (_label, contentType) => {
    const wechat = await fakeWeChat({ contentType, body: JSON.stringify({ errcode: 40001, errmsg: 'invalid credential rid: q' }) });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const error = await failureOf(http.getBinary('/wxa/get_qrcode', { access_token: TOKEN }));

    expect(error).toMatchObject({ code: 40001, errorClass: 'token_invalid', path: '/wxa/get_qrcode' });
    for (const text of renderings(error)) expect(text).not.toContain(TOKEN);
  });

  it('turns a non-2xx answer into a retryable network error', async () => {
    const wechat = await fakeWeChat({ status: 503, contentType: 'text/html', body: 'busy' });
    const http = new WeChatHttp({ apiBase: wechat.baseUrl });

    const error = await failureOf(http.getBinary('/wxa/get_qrcode', { access_token: TOKEN }));

    expect(error).toMatchObject({ code: -1, network: true });
  });
});
