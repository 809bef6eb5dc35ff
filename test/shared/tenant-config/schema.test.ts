import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../shared/errors';
import { toHttpError } from '../../../shared/http/error-mapping';
import type { HttpError } from '../../../shared/http/errors';
import { MAX_CONFIG_BYTES, parseTenantConfig } from '../../../shared/tenant-config/schema';

/** What the operator API answers for the domain error parseTenantConfig throws for `input`. */
function rejection(input: unknown): HttpError {
  try {
    parseTenantConfig(input);
  } catch (error) {
    if (error instanceof DomainError) return toHttpError(error)!;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

const FULL = {
  extEnable: true,
  directCommit: false,
  ext: { shopId: 42, theme: { primary: '#ff0000' }, tags: ['a', 'b'], banner: null, title: '{{nickName}}' },
  extPages: { 'pages/index/index': { navigationBarTitleText: 'Home', usingComponents: { card: '/components/card' }, somethingNew: 1 } },
  pages: ['pages/index/index', 'pages/about/about'],
  window: { navigationBarBackgroundColor: '#000000', navigationBarTextStyle: 'white', navigationBarTitleText: '{{nickName}}', homeButton: true },
  tabBar: {
    color: '#999',
    selectedColor: '#1aad19',
    borderStyle: 'white',
    list: [
      { pagePath: 'pages/index/index', text: '首页', iconPath: 'img/home.png', selectedIconPath: 'img/home-on.png' },
      { pagePath: 'pages/about/about', text: 'About' },
    ],
  },
  networkTimeout: { request: 10_000, downloadFile: 20_000, connectSocket: 5000, uploadFile: 30_000 },
  plugins: { live: { version: '1.2.3', provider: 'wx2b03c6e691cd7370' } },
  subpackages: [{ root: 'packageA', pages: ['pages/cat/cat'], independent: true }],
  requiredPrivateInfos: ['getLocation', 'chooseAddress'],
};

describe('parseTenantConfig accepts', () => {
  it('every key WeChat defines for ext_json, unchanged', () => {
    expect(parseTenantConfig(FULL)).toEqual(FULL);
  });

  it('an empty fragment', () => {
    expect(parseTenantConfig({})).toEqual({});
  });

  it('any JSON in ext, including unicode, empty strings and deep-ish nesting', () => {
    const ext = { 名字: '小店 🚀', empty: '', nested: { a: { b: { c: [1, 2.5, -3, 0, true, null] } } } };
    expect(parseTenantConfig({ ext })).toEqual({ ext });
  });

  it('every requiredPrivateInfos value WeChat knows (one of fuzzy / precise location)', () => {
    expect(parseTenantConfig({ requiredPrivateInfos: ['getFuzzyLocation', 'chooseLocation', 'choosePoi', 'chooseAddress'] })).toBeTruthy();
    const precise = ['getLocation', 'onLocationChange', 'startLocationUpdate', 'startLocationUpdateBackground', 'chooseLocation', 'choosePoi', 'chooseAddress'];
    expect(parseTenantConfig({ requiredPrivateInfos: precise })).toEqual({ requiredPrivateInfos: precise });
  });

  it('a tabBar without a list (a tenant may recolour the template tab bar only)', () => {
    expect(parseTenantConfig({ tabBar: { selectedColor: '#ff0000' } })).toEqual({ tabBar: { selectedColor: '#ff0000' } });
  });
});

describe('parseTenantConfig rejects with 400 invalid_config naming the field', () => {
  it.each([
    ['not an object', [], /config must be a JSON object/],
    ['null', null, /config must be a JSON object/],
    ['a string', 'ext', /config must be a JSON object/],
    ['an unknown top-level key', { extra: 1 }, /config: unknown key "extra" \(allowed: extEnable, directCommit, ext,/],
    ['extAppid (always the tenant appid)', { extAppid: 'wx1111111111111111' }, /^extAppid: .*cannot be configured/],
    ['extEnable false', { extEnable: false }, /^extEnable: is always true/],
    ['ext that is not an object', { ext: [1, 2] }, /^ext: must be an object$/],
    ['ext as a string', { ext: '{"a":1}' }, /^ext: must be an object$/],
    ['window that is not an object', { window: 'dark' }, /^window: must be an object$/],
    ['a window colour that is not hex', { window: { navigationBarBackgroundColor: 'red' } }, /^window\.navigationBarBackgroundColor: must be a hex colour/],
    ['a window text style WeChat does not know', { window: { navigationBarTextStyle: 'blue' } }, /^window\.navigationBarTextStyle: /],
    ['an empty pages list', { pages: [] }, /^pages: must list at least one page/],
    ['a page with a leading slash', { pages: ['/pages/index/index'] }, /^pages\[0\]: must be a page path/],
    ['a page escaping the package', { pages: ['pages/../secret'] }, /^pages\[0\]: must be a page path/],
    ['a page listed twice', { pages: ['pages/a/a', 'pages/a/a'] }, /^pages: lists a page twice/],
    ['an extPages key that is not a page path', { extPages: { '../x': {} } }, /^extPages: key "..\/x" must be a page path/],
    ['an extPages entry that is not an object', { extPages: { 'pages/index/index': 'x' } }, /^extPages\.pages\/index\/index: must be an object$/],
    ['a tabBar list of one item', { tabBar: { list: [{ pagePath: 'pages/a/a', text: 'A' }] } }, /^tabBar\.list: must have 2 to 5 items/],
    ['a tabBar list of six items', { tabBar: { list: Array.from({ length: 6 }, (_, i) => ({ pagePath: `pages/p${i}/p${i}`, text: `P${i}` })) } }, /^tabBar\.list: must have 2 to 5 items/],
    ['a tabBar item without pagePath', { tabBar: { list: [{ text: 'A' }, { pagePath: 'pages/b/b', text: 'B' }] } }, /^tabBar\.list\[0\]\.pagePath: is required$/],
    ['a tabBar item without text', { tabBar: { list: [{ pagePath: 'pages/a/a' }, { pagePath: 'pages/b/b', text: 'B' }] } }, /^tabBar\.list\[0\]\.text: is required$/],
    ['a tabBar item with empty text', { tabBar: { list: [{ pagePath: 'pages/a/a', text: '' }, { pagePath: 'pages/b/b', text: 'B' }] } }, /^tabBar\.list\[0\]\.text: must not be empty/],
    ['a tabBar item with an unknown key', { tabBar: { list: [{ pagePath: 'pages/a/a', text: 'A', badge: 1 }, { pagePath: 'pages/b/b', text: 'B' }] } }, /^tabBar\.list\[0\]: unknown key "badge"/],
    ['a tabBar with the same page twice', { tabBar: { list: [{ pagePath: 'pages/a/a', text: 'A' }, { pagePath: 'pages/a/a', text: 'B' }] } }, /^tabBar\.list: names a pagePath twice/],
    ['an unknown tabBar key', { tabBar: { colour: '#fff' } }, /^tabBar: unknown key "colour"/],
    ['a zero timeout', { networkTimeout: { request: 0 } }, /^networkTimeout\.request: must be a positive number of milliseconds/],
    ['a negative timeout', { networkTimeout: { downloadFile: -5 } }, /^networkTimeout\.downloadFile: /],
    ['a fractional timeout', { networkTimeout: { request: 1.5 } }, /^networkTimeout\.request: must be a whole number/],
    ['a timeout as a string', { networkTimeout: { request: '1000' } }, /^networkTimeout\.request: must be a number$/],
    ['an unknown networkTimeout key', { networkTimeout: { websocket: 10 } }, /^networkTimeout: unknown key "websocket"/],
    ['a plugin without provider', { plugins: { live: { version: '1.0.0' } } }, /^plugins\.live\.provider: is required$/],
    ['a plugin provider that is not an appid', { plugins: { live: { version: '1.0.0', provider: 'someone' } } }, /^plugins\.live\.provider: must be an appid/],
    ['a subpackage without root', { subpackages: [{ pages: ['pages/a/a'] }] }, /^subpackages\[0\]\.root: is required$/],
    ['an unknown private info', { requiredPrivateInfos: ['getPhoneNumber'] }, /^requiredPrivateInfos\[0\]: must be one of getFuzzyLocation, /],
    ['a private info listed twice', { requiredPrivateInfos: ['getLocation', 'getLocation'] }, /^requiredPrivateInfos: lists an API twice/],
    ['fuzzy and precise location together', { requiredPrivateInfos: ['getFuzzyLocation', 'getLocation'] }, /^requiredPrivateInfos: getFuzzyLocation cannot be declared together/],
    ['directCommit that is not a boolean', { directCommit: 'yes' }, /^directCommit: must be true or false$/],
  ])('%s', (_name, input, message) => {
    const error = rejection(input);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('invalid_config');
    expect(error.message).toMatch(message);
  });
});

describe('parseTenantConfig refuses hostile values', () => {
  it.each([
    ['a __proto__ key (prototype pollution)', JSON.parse('{"ext":{"__proto__":{"polluted":true}}}'), /^ext: the key "__proto__" is not allowed/],
    ['a __proto__ key at the top', JSON.parse('{"__proto__":{"polluted":true}}'), /^config: the key "__proto__" is not allowed/],
    ['an empty key', { ext: { '': 1 } }, /^ext: has an empty key/],
    ['nesting past the depth limit', { ext: JSON.parse('['.repeat(40) + ']'.repeat(40)) }, /nested deeper than/],
    ['a number DynamoDB cannot store through the SDK', { ext: { big: 2 ** 60 } }, /^ext\.big: numbers must lie within/],
    ['a number DynamoDB would underflow', { ext: { tiny: 1e-200 } }, /^ext\.tiny: numbers closer to zero/],
    ['a lone surrogate', { ext: { s: 'a\ud800b' } }, /^ext\.s: is not well-formed Unicode/],
    ['a non-JSON value from a programmatic caller', { ext: { when: new Date(0) } }, /^ext\.when: is not a plain JSON object/],
    ['undefined from a programmatic caller', { ext: { u: undefined } }, /^ext\.u: undefined is not a JSON value/],
    ['NaN from a programmatic caller', { ext: { n: Number.NaN } }, /^ext\.n: must be a finite number/],
  ])('%s', (_name, input, message) => {
    const error = rejection(input);
    expect(error.statusCode).toBe(400);
    expect(error.message).toMatch(message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a fragment over the size limit, with 413 config_too_large and the sizes', () => {
    const error = rejection({ ext: { blob: 'x'.repeat(MAX_CONFIG_BYTES) } });
    expect(error.statusCode).toBe(413);
    expect(error.code).toBe('config_too_large');
    expect(error.message).toMatch(new RegExp(`bytes serialized; the limit is ${MAX_CONFIG_BYTES}`));
  });

  it('counts the size in UTF-8 bytes, not characters', () => {
    const chars = Math.floor(MAX_CONFIG_BYTES / 3) - 10; // '店' is 3 bytes in UTF-8
    expect(() => parseTenantConfig({ ext: { s: '店'.repeat(chars) } })).not.toThrow();
    expect(rejection({ ext: { s: '店'.repeat(chars + 20) } }).statusCode).toBe(413);
  });

  it('accepts nesting up to the limit', () => {
    const deep = JSON.parse('{"a":'.repeat(10) + '1' + '}'.repeat(10));
    expect(parseTenantConfig({ ext: deep })).toEqual({ ext: deep });
  });
});
