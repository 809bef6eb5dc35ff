/**
 * Validates a commit's ext_json the way WeChat does (docs/wechat-protocol.md §7): a JSON string holding an
 * object, `extAppid` (when present) equal to the appid being committed, paths that exist in the
 * template, a pagePath on every tabBar item, and only `extAppid, ext, window` for a standard
 * template. Returns the page list of the resulting code.
 */
import { ApiFailure } from './errors';
import type { Template } from './state';

const STANDARD_TEMPLATE_KEYS = new Set(['extAppid', 'ext', 'window']);
const OBJECT_KEYS = ['ext', 'extPages', 'window', 'tabBar', 'networkTimeout', 'plugins'];

export function validateExtJson(raw: string, appid: string, template: Template): { pages: string[]; ext: Record<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiFailure(85013, 'ext_json is not valid JSON');
  }
  if (!isPlainObject(parsed)) throw new ApiFailure(85013, 'ext_json must encode a JSON object');
  const ext = parsed;

  if (ext.extAppid !== undefined && ext.extAppid !== appid) {
    throw new ApiFailure(85013, `extAppid must be the appid being committed (${appid})`);
  }
  if (template.template_type === 1) {
    const extra = Object.keys(ext).filter((key) => !STANDARD_TEMPLATE_KEYS.has(key));
    if (extra.length > 0) {
      throw new ApiFailure(85013, `a standard template accepts only extAppid, ext, window; got ${extra.join(', ')}`);
    }
  }
  for (const key of OBJECT_KEYS) {
    if (ext[key] !== undefined && !isPlainObject(ext[key])) throw new ApiFailure(85013, `${key} must be an object`);
  }

  if (ext.requiredPrivateInfos !== undefined) {
    const infos = ext.requiredPrivateInfos;
    if (!Array.isArray(infos) || !infos.every((item) => typeof item === 'string')) {
      throw new ApiFailure(85013, 'requiredPrivateInfos must be an array of strings');
    }
  }

  const templatePages = new Set(template.pages);
  let pages = template.pages;
  if (ext.pages !== undefined) {
    if (!Array.isArray(ext.pages) || !ext.pages.every((page) => typeof page === 'string')) {
      throw new ApiFailure(85013, 'pages must be an array of strings');
    }
    if (ext.pages.length === 0) throw new ApiFailure(85047);
    for (const page of ext.pages) if (!templatePages.has(page)) throw new ApiFailure(85045, `pages: ${page}`);
    pages = ext.pages;
  }
  const known = new Set(pages);

  if (isPlainObject(ext.extPages)) {
    for (const page of Object.keys(ext.extPages)) if (!known.has(page)) throw new ApiFailure(85045, `extPages: ${page}`);
  }
  if (isPlainObject(ext.tabBar) && ext.tabBar.list !== undefined) {
    const list = ext.tabBar.list;
    if (!Array.isArray(list)) throw new ApiFailure(85013, 'tabBar.list must be an array');
    list.forEach((item: unknown, index) => {
      const pagePath = isPlainObject(item) ? item.pagePath : undefined;
      if (typeof pagePath !== 'string' || pagePath === '') throw new ApiFailure(85046, `tabBar.list[${index}]`);
      if (!known.has(pagePath)) throw new ApiFailure(85045, `tabBar.list[${index}].pagePath: ${pagePath}`);
    });
  }
  return { pages: [...pages], ext };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
