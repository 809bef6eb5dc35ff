/**
 * A tenant's ext_json fragment (docs/wechat-protocol.md §7): the part of the committed ext_json an
 * operator configures per tenant, or per deployment as defaults. Top-level keys are WeChat's and
 * nothing else; the well-known nested fields are type-checked. `window` and page configs (`extPages`) also
 * pass keys this schema does not know, because WeChat keeps adding page options the template may
 * use; `ext` is free-form JSON read by `wx.getExtConfigSync()`.
 *
 * `extAppid` and `extEnable` are not the operator's to choose: they are always the tenant's own
 * appid and `true` (see ext-json.ts), so `extAppid` is refused and `extEnable` accepts only `true`.
 */
import * as z from 'zod';
import { InvalidInput, TooLarge } from '../errors';
import { isPlainObject, jsonProblem } from './json-values';

/** Serialized size limit of one fragment; the committed ext_json gets its own limit. */
export const MAX_CONFIG_BYTES = 32 * 1024;

/** The location APIs WeChat requires declaring in requiredPrivateInfos (app.json / ext.json). */
export const PRIVATE_INFOS = [
  'getFuzzyLocation',
  'getLocation',
  'onLocationChange',
  'startLocationUpdate',
  'startLocationUpdateBackground',
  'chooseLocation',
  'choosePoi',
  'chooseAddress',
] as const;
/** WeChat refuses code declaring the fuzzy location API together with a precise one. */
const PRECISE_LOCATION = new Set(['getLocation', 'onLocationChange', 'startLocationUpdate', 'startLocationUpdateBackground']);

const PAGE_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
const pagePath = z
  .string()
  .max(256)
  .regex(PAGE_PATH, { error: 'must be a page path like pages/index/index (no leading slash, no extension)' });
const hexColor = z.string().regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, { error: 'must be a hex colour like #ffffff' });
const timeoutMs = z.number().int({ error: 'must be a whole number of milliseconds' }).positive({ error: 'must be a positive number of milliseconds' });
const appid = z.string().regex(/^wx[0-9a-f]{16}$/, { error: 'must be an appid (wx + 16 hex digits)' });
const jsonObject = z.record(z.string(), z.unknown());

/** Page options shared by `window` and each `extPages` entry; unknown options pass as JSON. */
const pageOptions = {
  navigationBarBackgroundColor: hexColor.optional(),
  navigationBarTextStyle: z.enum(['black', 'white']).optional(),
  navigationBarTitleText: z.string().optional(),
  navigationStyle: z.enum(['default', 'custom']).optional(),
  backgroundColor: hexColor.optional(),
  backgroundTextStyle: z.enum(['dark', 'light']).optional(),
  backgroundColorTop: hexColor.optional(),
  backgroundColorBottom: hexColor.optional(),
  enablePullDownRefresh: z.boolean().optional(),
  onReachBottomDistance: z.number().int().nonnegative().optional(),
  pageOrientation: z.enum(['portrait', 'landscape', 'auto']).optional(),
};
const windowConfig = z.looseObject(pageOptions);
const pageConfig = z.looseObject({ ...pageOptions, usingComponents: z.record(z.string(), z.string()).optional(), disableScroll: z.boolean().optional() });

const tabBarItem = z.strictObject({
  pagePath,
  text: z.string().min(1, { error: 'must not be empty' }),
  iconPath: z.string().optional(),
  selectedIconPath: z.string().optional(),
});

const tabBar = z.strictObject({
  color: hexColor.optional(),
  selectedColor: hexColor.optional(),
  backgroundColor: hexColor.optional(),
  borderStyle: z.enum(['black', 'white']).optional(),
  position: z.enum(['bottom', 'top']).optional(),
  custom: z.boolean().optional(),
  list: z
    .array(tabBarItem)
    .min(2, { error: 'must have 2 to 5 items' })
    .max(5, { error: 'must have 2 to 5 items' })
    .refine((items) => new Set(items.map((i) => i.pagePath)).size === items.length, { error: 'names a pagePath twice' })
    .optional(),
});

const networkTimeout = z.strictObject({
  request: timeoutMs.optional(),
  connectSocket: timeoutMs.optional(),
  uploadFile: timeoutMs.optional(),
  downloadFile: timeoutMs.optional(),
});

const plugin = z.looseObject({ version: z.string().min(1), provider: appid });

const subpackage = z.looseObject({
  root: z.string().min(1).max(256),
  pages: z.array(pagePath).min(1),
  name: z.string().optional(),
  independent: z.boolean().optional(),
});

const requiredPrivateInfos = z
  .array(z.enum(PRIVATE_INFOS, { error: `must be one of ${PRIVATE_INFOS.join(', ')}` }))
  .superRefine((infos, ctx) => {
    if (new Set(infos).size !== infos.length) ctx.addIssue({ code: 'custom', message: 'lists an API twice' });
    if (infos.includes('getFuzzyLocation') && infos.some((i) => PRECISE_LOCATION.has(i))) {
      ctx.addIssue({ code: 'custom', message: 'getFuzzyLocation cannot be declared together with a precise location API (WeChat refuses it)' });
    }
  });

export const TenantConfigSchema = z.strictObject({
  extEnable: z.literal(true, { error: 'is always true and can be left out' }).optional(),
  directCommit: z.boolean().optional(),
  ext: jsonObject.optional(),
  extPages: z.record(pagePath, pageConfig).optional(),
  pages: z
    .array(pagePath)
    .min(1, { error: 'must list at least one page' })
    .refine((pages) => new Set(pages).size === pages.length, { error: 'lists a page twice' })
    .optional(),
  window: windowConfig.optional(),
  tabBar: tabBar.optional(),
  networkTimeout: networkTimeout.optional(),
  plugins: z.record(z.string().min(1).max(64), plugin).optional(),
  subpackages: z.array(subpackage).max(100).optional(),
  requiredPrivateInfos: requiredPrivateInfos.optional(),
});

export type TenantConfig = z.infer<typeof TenantConfigSchema>;

/** The top-level keys a fragment may set. */
export const CONFIG_KEYS = Object.keys(TenantConfigSchema.shape) as (keyof TenantConfig)[];

const invalid = (message: string) => new InvalidInput('invalid_config', message);

/**
 * Validates an operator's fragment. Throws InvalidInput `invalid_config` naming the offending
 * field (e.g. `tabBar.list: must have 2 to 5 items`), or TooLarge `config_too_large`.
 */
export function parseTenantConfig(input: unknown): TenantConfig {
  if (!isPlainObject(input)) throw invalid('config must be a JSON object');
  if ('extAppid' in input) throw invalid("extAppid: is always the tenant's own appid and cannot be configured");
  const problem = jsonProblem(input, 'config');
  if (problem) throw invalid(problem.replace(/^config\./, ''));
  const bytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    throw new TooLarge('config_too_large', `config is ${bytes} bytes serialized; the limit is ${MAX_CONFIG_BYTES}`);
  }
  const result = TenantConfigSchema.safeParse(input);
  if (!result.success) throw invalid(describeIssue(result.error.issues[0]!));
  return result.data;
}

const EXPECTED: Record<string, string> = {
  record: 'an object',
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function describeIssue(issue: z.core.$ZodIssue): string {
  const at = (path: PropertyKey[]) =>
    path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)), '') || 'config';
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return issue.path.length ? `${at(issue.path)}: unknown key ${keys}` : `config: unknown key ${keys} (allowed: ${CONFIG_KEYS.join(', ')})`;
    }
    case 'invalid_key': {
      const key = String(issue.path.at(-1));
      return `${at(issue.path.slice(0, -1))}: key "${key}" ${issue.issues[0]?.message ?? 'is not allowed'}`;
    }
    case 'invalid_type':
      // zod's wording ("expected record, received undefined") speaks zod, not JSON.
      if (/received undefined$/.test(issue.message)) return `${at(issue.path)}: is required`;
      return `${at(issue.path)}: must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    default:
      return `${at(issue.path)}: ${issue.message}`;
  }
}
