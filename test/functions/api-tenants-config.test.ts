import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QRCODE_JPEG } from '../../local/emulator/qrcode-image';
import { services } from '../../shared/services';
import { MAX_CONFIG_BYTES } from '../../shared/tenant-config/schema';
import { authorizeTenants, startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
let appids: string[];
beforeAll(async () => {
  t = await startTestStack();
  appids = await authorizeTenants(t, 3);
});
afterAll(() => t?.close());

const UNKNOWN = 'wx0000000000000000';
const NORMAL_TEMPLATE = 1;
const STANDARD_TEMPLATE = 2;

const putConfig = (appid: string, body: string) => t.operator(`/api/tenants/${appid}/config`, { method: 'PUT', body });
const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;
const profile = async (appid: string) => (await (await t.operator(`/api/tenants/${appid}`)).json()) as Record<string, string | null>;

interface Preview {
  templateId: number;
  templateType: 0 | 1;
  extJson: string;
  value: Record<string, unknown>;
}

describe('GET and PUT /api/tenants/{appid}/config', () => {
  it('answers {} for a tenant that has no configuration yet', async () => {
    const response = await t.operator(`/api/tenants/${appids[1]}/config`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });

  it('stores a valid fragment, returns it, and shows it on the tenant', async () => {
    const fragment = {
      ext: { shopId: 'shop-1', title: '{{nickName}}' },
      window: { navigationBarTitleText: '{{nickName}}', navigationBarBackgroundColor: '#123456' },
      tabBar: { list: [{ pagePath: 'pages/index/index', text: '首页' }, { pagePath: 'pages/about/about', text: '关于' }] },
      networkTimeout: { request: 8000 },
      requiredPrivateInfos: ['chooseAddress'],
    };
    const put = await putConfig(appids[0]!, JSON.stringify(fragment));
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual(fragment);
    expect(await (await t.operator(`/api/tenants/${appids[0]}/config`)).json()).toEqual(fragment);
    expect((await profile(appids[0]!)).config).toEqual(fragment);
  });

  it('replaces the whole fragment on the next PUT (no merge with what was stored)', async () => {
    await putConfig(appids[1]!, JSON.stringify({ ext: { a: 1 }, window: { navigationBarTitleText: 'x' } }));
    const put = await putConfig(appids[1]!, JSON.stringify({ ext: { b: 2 } }));
    expect(await put.json()).toEqual({ ext: { b: 2 } });
    expect(await (await t.operator(`/api/tenants/${appids[1]}/config`)).json()).toEqual({ ext: { b: 2 } });
    await putConfig(appids[1]!, '{}');
    expect(await (await t.operator(`/api/tenants/${appids[1]}/config`)).json()).toEqual({});
  });

  it('round-trips unicode, nulls, floats and empty values exactly', async () => {
    const fragment = { ext: { 名称: '小店 🚀', empty: '', none: null, ratio: 0.1, list: [], map: {}, negative: -42 } };
    await putConfig(appids[1]!, JSON.stringify(fragment));
    expect(await (await t.operator(`/api/tenants/${appids[1]}/config`)).json()).toEqual(fragment);
  });

  it.each([
    ['malformed JSON', '{"ext":', 400, 'invalid_json'],
    ['an empty body', '', 400, 'invalid_json'],
    ['a JSON array', '[]', 400, 'invalid_config'],
    ['an unknown key', '{"ext":{},"colour":"red"}', 400, 'invalid_config'],
    ['extAppid', '{"extAppid":"wx1111111111111111"}', 400, 'invalid_config'],
    ['a one-item tabBar', '{"tabBar":{"list":[{"pagePath":"pages/index/index","text":"A"}]}}', 400, 'invalid_config'],
    ['a zero timeout', '{"networkTimeout":{"request":0}}', 400, 'invalid_config'],
    ['an unknown private info', '{"requiredPrivateInfos":["getPhoneNumber"]}', 400, 'invalid_config'],
    ['a __proto__ key', '{"ext":{"__proto__":{"admin":true}}}', 400, 'invalid_config'],
    ['a number DynamoDB cannot hold', '{"ext":{"n":1e300}}', 400, 'invalid_config'],
    ['a fragment over 32 KiB', JSON.stringify({ ext: { blob: 'x'.repeat(MAX_CONFIG_BYTES) } }), 413, 'config_too_large'],
    ['a body over the request limit', JSON.stringify({ ext: { blob: 'x'.repeat(3 * MAX_CONFIG_BYTES) } }), 413, 'payload_too_large'],
  ])('refuses %s and changes nothing', async (_name, body, status, code) => {
    await putConfig(appids[0]!, JSON.stringify({ ext: { keep: true } }));
    const before = await t.snapshot();
    const response = await putConfig(appids[0]!, body);
    expect(response.status).toBe(status);
    const error = await errorOf(response);
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(5);
    expect(await t.snapshot()).toEqual(before);
  });

  it('names the offending field in the message', async () => {
    const response = await putConfig(appids[0]!, '{"tabBar":{"list":[{"pagePath":"pages/index/index","text":"A"},{"text":"B"}]}}');
    expect((await errorOf(response)).message).toBe('tabBar.list[1].pagePath: is required');
  });

  it('404s an unknown tenant without creating it, and 400s a malformed appid', async () => {
    const before = await t.snapshot();
    const put = await putConfig(UNKNOWN, '{"ext":{}}');
    expect(put.status).toBe(404);
    expect((await errorOf(put)).code).toBe('tenant_not_found');
    expect(await t.snapshot()).toEqual(before);
    expect((await t.operator(`/api/tenants/${UNKNOWN}/config`)).status).toBe(404);
    expect((await errorOf(await t.operator('/api/tenants/WX1/config'))).code).toBe('invalid_appid');
  });
});

describe('GET /api/tenants/{appid}/ext-json', () => {
  it('shows exactly what a normal template would commit, placeholders filled', async () => {
    const appid = appids[2]!;
    await putConfig(appid, JSON.stringify({ ext: { greeting: 'Hi {{nickName}} ({{appid}})', other: '{{unknown}}' }, pages: ['pages/index/index', 'pages/about/about'] }));
    const response = await t.operator(`/api/tenants/${appid}/ext-json?templateId=${NORMAL_TEMPLATE}`);
    expect(response.status).toBe(200);
    const preview = (await response.json()) as Preview;
    const { nickName } = await profile(appid);
    expect(nickName).toBeTruthy();
    expect(preview).toEqual({
      templateId: NORMAL_TEMPLATE,
      templateType: 0,
      extJson: expect.any(String),
      value: {
        extEnable: true,
        extAppid: appid,
        ext: { greeting: `Hi ${nickName} (${appid})`, other: '{{unknown}}' },
        pages: ['pages/index/index', 'pages/about/about'],
      },
    });
    expect(JSON.parse(preview.extJson)).toEqual(preview.value);
  });

  it('gives WeChat an ext_json it accepts as is (committed through the emulator)', async () => {
    const appid = appids[2]!;
    const preview = (await (await t.operator(`/api/tenants/${appid}/ext-json?templateId=${NORMAL_TEMPLATE}`)).json()) as Preview;
    const p = services();
    await p.authorizerTokens
      .forTenant(appid)
      .use((token) => p.authorizerApi.commit(token, { template_id: NORMAL_TEMPLATE, ext_json: preview.extJson, user_version: '0.0.1', user_desc: 'preview check' }));
    expect(t.stack.emulator!.state.get(appid)!.committed!.extJson).toBe(preview.extJson);
  });

  it('keeps a standard template to extAppid, ext and window, and WeChat accepts it', async () => {
    const appid = appids[1]!;
    await putConfig(appid, JSON.stringify({ ext: { shop: '{{nickName}}' }, window: { navigationBarTitleText: 'Shop' } }));
    const preview = (await (await t.operator(`/api/tenants/${appid}/ext-json?templateId=${STANDARD_TEMPLATE}`)).json()) as Preview;
    expect(preview.templateType).toBe(1);
    expect(Object.keys(preview.value).sort()).toEqual(['ext', 'extAppid', 'window']);
    const p = services();
    await p.authorizerTokens
      .forTenant(appid)
      .use((token) => p.authorizerApi.commit(token, { template_id: STANDARD_TEMPLATE, ext_json: preview.extJson, user_version: '0.0.1', user_desc: 'standard' }));
  });

  it('answers 422 naming the keys a standard template would refuse', async () => {
    const appid = appids[1]!;
    await putConfig(appid, JSON.stringify({ ext: {}, networkTimeout: { request: 1000 }, pages: ['pages/index/index'] }));
    const response = await t.operator(`/api/tenants/${appid}/ext-json?templateId=${STANDARD_TEMPLATE}`);
    expect(response.status).toBe(422);
    const error = await errorOf(response);
    expect(error.code).toBe('invalid_ext_json');
    expect(error.message).toMatch(/accepts only extAppid, ext and window; the configuration also sets pages, networkTimeout/);
  });

  it('404s an unknown template and an unknown tenant', async () => {
    const unknownTemplate = await t.operator(`/api/tenants/${appids[0]}/ext-json?templateId=99999`);
    expect(unknownTemplate.status).toBe(404);
    expect((await errorOf(unknownTemplate)).code).toBe('template_not_found');
    const unknownTenant = await t.operator(`/api/tenants/${UNKNOWN}/ext-json?templateId=${NORMAL_TEMPLATE}`);
    expect((await errorOf(unknownTenant)).code).toBe('tenant_not_found');
  });

  it.each(['', '?templateId=', '?templateId=abc', '?templateId=-1', '?templateId=1.5', '?templateId=99999999999'])('400s a missing or invalid templateId (%s)', async (query) => {
    const response = await t.operator(`/api/tenants/${appids[0]}/ext-json${query}`);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/^templateId: /);
  });
});

describe('GET /api/tenants/{appid}/qrcode', () => {
  it('returns the experience version QR code as JPEG bytes', async () => {
    const response = await t.operator(`/api/tenants/${appids[0]}/qrcode?path=${encodeURIComponent('pages/index/index?from=ops')}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await response.arrayBuffer()).equals(QRCODE_JPEG)).toBe(true);
    const calls = await t.calls({ path: '/wxa/get_qrcode' });
    expect(calls.at(-1)).toMatchObject({ appid: appids[0], errcode: 0 });
  });

  it('works without a path', async () => {
    const response = await t.operator(`/api/tenants/${appids[0]}/qrcode`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('maps a WeChat error to a JSON error instead of passing its body off as an image', async () => {
    // A one-shot fault: the rule is spent by this one call.
    await t.admin('/faults', { path: '/wxa/get_qrcode', appid: appids[0], errcode: 85074, errmsg: 'not released', times: 1 });
    const response = await t.operator(`/api/tenants/${appids[0]}/qrcode`);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await errorOf(response)).code).toBe('wechat_85074');
  });

  it('404s an unknown tenant', async () => {
    expect((await errorOf(await t.operator(`/api/tenants/${UNKNOWN}/qrcode`))).code).toBe('tenant_not_found');
  });

  it('answers 409 for a tenant that revoked the authorization, without calling WeChat', async () => {
    const appid = appids[2]!;
    await t.admin('/revoke', { appid });
    await t.until(async () => (await services().tenants.get(appid))?.status === 'revoked');
    await t.admin('/calls', undefined, 'DELETE');
    const response = await t.operator(`/api/tenants/${appid}/qrcode`);
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe('tenant_revoked');
    expect(await t.calls({ path: '/wxa/get_qrcode' })).toEqual([]);
  });
});
