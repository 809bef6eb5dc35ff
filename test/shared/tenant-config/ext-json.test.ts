import { describe, expect, it } from 'vitest';
import { buildExtJson, ExtJsonError, MAX_EXT_JSON_BYTES, mergeConfigs, type ExtJsonInput } from '../../../shared/tenant-config/ext-json';
import type { TenantConfig } from '../../../shared/tenant-config/schema';

const APPID = 'wx1234567890abcdef';
const PROFILE = { nickName: '小店', principalName: '某某公司', userName: 'gh_0123456789ab' };

function build(overrides: Partial<ExtJsonInput> = {}) {
  return buildExtJson({ appid: APPID, templateType: 0, tenant: PROFILE, ...overrides });
}

function failure(overrides: Partial<ExtJsonInput>): ExtJsonError {
  try {
    build(overrides);
  } catch (error) {
    if (error instanceof ExtJsonError) return error;
    throw error;
  }
  throw new Error('built without complaint');
}

const tabs = (...pages: string[]) => pages.map((pagePath) => ({ pagePath, text: pagePath.split('/')[1]! }));

describe('buildExtJson: fixed keys', () => {
  it('always enables ext and names the tenant appid, even with no configuration', () => {
    const { value, extJson } = build();
    expect(value).toEqual({ extEnable: true, extAppid: APPID });
    expect(extJson).toBe(`{"extEnable":true,"extAppid":"${APPID}"}`);
  });

  it('returns extJson as the JSON string of value (what wxa/commit takes)', () => {
    const { value, extJson } = build({ tenantConfig: { ext: { a: 1 }, window: { navigationBarTitleText: 'x' } } });
    expect(typeof extJson).toBe('string');
    expect(JSON.parse(extJson)).toEqual(value);
  });

  it('keeps extEnable true when a fragment says so too', () => {
    expect(build({ tenantConfig: { extEnable: true } }).value).toEqual({ extEnable: true, extAppid: APPID });
  });

  it('refuses an extAppid smuggled into a stored fragment instead of committing another appid', () => {
    const error = failure({ tenantConfig: { extAppid: 'wx0000000000000000' } as TenantConfig });
    expect(error.message).toMatch(/^tenant config: extAppid/);
  });

  it('refuses an appid that is not one and a template type that is neither 0 nor 1', () => {
    expect(failure({ appid: 'wx-nope' }).message).toMatch(/not an appid/);
    expect(failure({ templateType: 2 as 0 }).message).toMatch(/template type 2/);
  });
});

describe('buildExtJson: merge of deploy defaults and tenant values', () => {
  it('puts the tenant values over the defaults, key by key inside ext', () => {
    const { value } = build({
      deployDefaults: { ext: { theme: 'dark', shopId: 'default', nested: { a: 1, b: 2 } } },
      tenantConfig: { ext: { shopId: 'shop-7', nested: { a: 9 } } },
    });
    // one level only: the tenant's `nested` replaces the default's whole
    expect(value.ext).toEqual({ theme: 'dark', shopId: 'shop-7', nested: { a: 9 } });
  });

  it('merges window, networkTimeout, plugins and extPages one level', () => {
    const { value } = build({
      deployDefaults: {
        window: { navigationBarTitleText: 'Default', backgroundColor: '#ffffff' },
        networkTimeout: { request: 10_000, downloadFile: 10_000 },
        plugins: { a: { version: '1.0.0', provider: 'wx1111111111111111' } },
        extPages: { 'pages/index/index': { navigationBarTitleText: 'Home', enablePullDownRefresh: true }, 'pages/about/about': { navigationBarTitleText: 'About' } },
      },
      tenantConfig: {
        window: { navigationBarTitleText: 'Mine' },
        networkTimeout: { request: 5000 },
        plugins: { b: { version: '2.0.0', provider: 'wx2222222222222222' } },
        extPages: { 'pages/index/index': { navigationBarTitleText: 'My home' } },
      },
    });
    expect(value.window).toEqual({ navigationBarTitleText: 'Mine', backgroundColor: '#ffffff' });
    expect(value.networkTimeout).toEqual({ request: 5000, downloadFile: 10_000 });
    expect(value.plugins).toEqual({ a: { version: '1.0.0', provider: 'wx1111111111111111' }, b: { version: '2.0.0', provider: 'wx2222222222222222' } });
    expect(value.extPages).toEqual({ 'pages/index/index': { navigationBarTitleText: 'My home' }, 'pages/about/about': { navigationBarTitleText: 'About' } });
  });

  it('replaces pages rather than merging them', () => {
    const { value } = build({ deployDefaults: { pages: ['pages/index/index', 'pages/about/about'] }, tenantConfig: { pages: ['pages/index/index'] } });
    expect(value.pages).toEqual(['pages/index/index']);
  });

  it('replaces tabBar.list while the rest of tabBar merges', () => {
    const { value } = build({
      deployDefaults: { tabBar: { color: '#999999', selectedColor: '#000000', list: tabs('pages/a/a', 'pages/b/b', 'pages/c/c') } },
      tenantConfig: { tabBar: { selectedColor: '#ff0000', list: tabs('pages/b/b', 'pages/a/a') } },
    });
    expect(value.tabBar).toEqual({ color: '#999999', selectedColor: '#ff0000', list: tabs('pages/b/b', 'pages/a/a') });
  });

  it('keeps the default tabBar.list when the tenant only recolours', () => {
    const { value } = build({ deployDefaults: { tabBar: { list: tabs('pages/a/a', 'pages/b/b') } }, tenantConfig: { tabBar: { color: '#111111' } } });
    expect(value.tabBar).toEqual({ color: '#111111', list: tabs('pages/a/a', 'pages/b/b') });
  });

  it('replaces other arrays and scalars', () => {
    const { value } = build({
      deployDefaults: { requiredPrivateInfos: ['getLocation', 'chooseAddress'], directCommit: true, subpackages: [{ root: 'a', pages: ['p/p'] }] },
      tenantConfig: { requiredPrivateInfos: ['getFuzzyLocation'], directCommit: false },
    });
    expect(value).toMatchObject({ requiredPrivateInfos: ['getFuzzyLocation'], directCommit: false, subpackages: [{ root: 'a', pages: ['p/p'] }] });
  });

  it('uses defaults alone, or tenant values alone, as given', () => {
    expect(build({ deployDefaults: { ext: { a: 1 } } }).value.ext).toEqual({ a: 1 });
    expect(build({ tenantConfig: { ext: { b: 2 } } }).value.ext).toEqual({ b: 2 });
  });

  it('leaves its inputs untouched', () => {
    const defaults: TenantConfig = { ext: { a: 1 }, tabBar: { list: tabs('pages/a/a', 'pages/b/b') } };
    const own: TenantConfig = { ext: { b: '{{appid}}' } };
    const before = JSON.stringify([defaults, own]);
    build({ deployDefaults: defaults, tenantConfig: own });
    mergeConfigs(defaults, own);
    expect(JSON.stringify([defaults, own])).toBe(before);
  });

  it('names which fragment is invalid', () => {
    expect(failure({ deployDefaults: { tabBar: { list: tabs('pages/a/a') } } }).message).toBe('deploy defaults: tabBar.list: must have 2 to 5 items');
    expect(failure({ tenantConfig: { bogus: 1 } as TenantConfig }).message).toMatch(/^tenant config: config: unknown key "bogus"/);
  });
});

describe('buildExtJson: placeholders', () => {
  it.each([
    ['{{appid}}', APPID],
    ['{{nickName}}', PROFILE.nickName],
    ['{{principalName}}', PROFILE.principalName],
    ['{{userName}}', PROFILE.userName],
  ])('fills %s', (placeholder, expected) => {
    expect(build({ tenantConfig: { ext: { v: `<${placeholder}>` } } }).value.ext).toEqual({ v: `<${expected}>` });
  });

  it('fills strings anywhere — nested objects, arrays, window, tabBar text, extPages, defaults too', () => {
    const { value } = build({
      deployDefaults: { window: { navigationBarTitleText: '{{nickName}}' }, ext: { deep: { list: ['{{userName}}', 1, '{{appid}}-{{appid}}'] } } },
      tenantConfig: {
        tabBar: { list: [{ pagePath: 'pages/a/a', text: '{{nickName}} 首页' }, { pagePath: 'pages/b/b', text: 'B' }] },
        extPages: { 'pages/a/a': { navigationBarTitleText: '{{principalName}}' } },
      },
    });
    expect(value.window).toEqual({ navigationBarTitleText: '小店' });
    expect(value.ext).toEqual({ deep: { list: [PROFILE.userName, 1, `${APPID}-${APPID}`] } });
    expect((value.tabBar as { list: { text: string }[] }).list[0]!.text).toBe('小店 首页');
    expect(value.extPages).toEqual({ 'pages/a/a': { navigationBarTitleText: '某某公司' } });
  });

  it('tolerates spaces inside the braces', () => {
    expect(build({ tenantConfig: { ext: { v: '{{ appid }}' } } }).value.ext).toEqual({ v: APPID });
  });

  it('leaves unknown placeholders, other casing and keys verbatim', () => {
    const ext = { v: '{{shopId}} {{NICKNAME}} {{ item.name }} {nickName} {{nickName', '{{nickName}}': 'key stays' };
    expect(build({ tenantConfig: { ext } }).value.ext).toEqual(ext);
  });

  it('fills a known placeholder the tenant has no value for with the empty string', () => {
    const { value } = build({ tenant: {}, tenantConfig: { ext: { v: '[{{nickName}}|{{principalName}}|{{userName}}]' } } });
    expect(value.ext).toEqual({ v: '[||]' });
  });

  it('does not expand a value that itself looks like a placeholder (one pass)', () => {
    const { value } = build({ tenant: { nickName: '{{appid}}' }, tenantConfig: { ext: { v: '{{nickName}}' } } });
    expect(value.ext).toEqual({ v: '{{appid}}' });
  });

  it('treats $-patterns in values literally', () => {
    const { value } = build({ tenant: { nickName: "$& $' $1" }, tenantConfig: { ext: { v: '{{nickName}}' } } });
    expect(value.ext).toEqual({ v: "$& $' $1" });
  });

  it('escapes hostile values into valid JSON', () => {
    const nickName = '"},"extAppid":"wx0000000000000000","x":{"';
    const { extJson } = build({ tenant: { nickName }, tenantConfig: { ext: { v: '{{nickName}}' } } });
    const parsed = JSON.parse(extJson) as Record<string, unknown>;
    expect(parsed.extAppid).toBe(APPID);
    expect(parsed.ext).toEqual({ v: nickName });
  });
});

describe('buildExtJson: standard templates (template_type 1)', () => {
  it('commits only extAppid, ext and window — without extEnable', () => {
    const { value } = build({
      templateType: 1,
      deployDefaults: { window: { navigationBarTitleText: '{{nickName}}' } },
      tenantConfig: { extEnable: true, ext: { shopId: 1 } },
    });
    expect(value).toEqual({ extAppid: APPID, window: { navigationBarTitleText: '小店' }, ext: { shopId: 1 } });
  });

  it('names every other key instead of committing it', () => {
    const error = failure({ templateType: 1, deployDefaults: { pages: ['pages/a/a'] }, tenantConfig: { ext: {}, tabBar: { color: '#000000' } } });
    expect(error.message).toBe('a standard template (template_type 1) accepts only extAppid, ext and window; the configuration also sets pages, tabBar');
  });
});

describe('buildExtJson: size', () => {
  it('refuses an ext_json past the limit that placeholders inflated', () => {
    const tenantConfig: TenantConfig = { ext: { v: '{{principalName}}'.repeat(1500) } }; // ~25 KiB fragment
    const principalName = 'x'.repeat(100);
    const error = failure({ tenantConfig, tenant: { principalName } });
    expect(error.message).toMatch(new RegExp(`ext_json would be \\d+ bytes; the limit is ${MAX_EXT_JSON_BYTES}`));
  });

  it('accepts two full-size fragments', () => {
    const half = 'y'.repeat(30 * 1024);
    expect(() => build({ deployDefaults: { ext: { a: half } }, tenantConfig: { ext: { b: half } } })).not.toThrow();
  });
});
