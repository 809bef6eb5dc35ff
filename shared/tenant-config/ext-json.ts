import type { TenantConfig } from './schema';

export interface ExtJsonInput {
  appid: string;
  /** 0 normal, 1 standard template. */
  templateType: 0 | 1;
  deployDefaults?: TenantConfig;
  tenantConfig?: TenantConfig;
  tenant: { nickName?: string; principalName?: string; userName?: string };
}

/** The merged ext_json cannot be committed (e.g. keys a standard template does not accept). */
export class ExtJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtJsonError';
  }
}

/** A standard template (template_type 1) accepts only these keys. */
const STANDARD_TEMPLATE_KEYS = new Set(['extAppid', 'ext', 'window', 'extEnable']);
/** These replace the template's (and the defaults') value outright (protocol doc §7). */
const REPLACED = new Set(['pages']);

/**
 * The ext_json committed for one tenant: deploy-wide defaults under the tenant's own values,
 * `pages` and `tabBar.list` replaced rather than merged, other objects merged one level deep,
 * `{{appid}}`, `{{nickName}}`, `{{principalName}}`, `{{userName}}` filled in every string (an
 * unknown placeholder stays as written; a known one without a value becomes empty), and always
 * `extEnable: true, extAppid: <the tenant's appid>`.
 */
export function buildExtJson(input: ExtJsonInput): { value: Record<string, unknown>; extJson: string } {
  const merged: Record<string, unknown> = {};
  for (const layer of [input.deployDefaults ?? {}, input.tenantConfig ?? {}] as Record<string, unknown>[]) {
    for (const [key, value] of Object.entries(layer)) {
      merged[key] = mergeKey(key, merged[key], value);
    }
  }
  const value = fillPlaceholders({ extEnable: true, ...merged, extAppid: input.appid }, placeholderValues(input)) as Record<string, unknown>;
  if (input.templateType === 1) {
    const refused = Object.keys(value).filter((key) => !STANDARD_TEMPLATE_KEYS.has(key));
    if (refused.length) throw new ExtJsonError(`a standard template accepts only extAppid, ext and window; remove ${refused.join(', ')}`);
  }
  return { value, extJson: JSON.stringify(value) };
}

function mergeKey(key: string, under: unknown, over: unknown): unknown {
  if (REPLACED.has(key) || !isObject(under) || !isObject(over)) return over;
  if (key === 'tabBar') {
    // tabBar.list replaces; the rest of tabBar merges.
    return { ...under, ...over, ...(over.list !== undefined ? { list: over.list } : {}) };
  }
  return { ...under, ...over };
}

function placeholderValues(input: ExtJsonInput): Record<string, string> {
  return {
    appid: input.appid,
    nickName: input.tenant.nickName ?? '',
    principalName: input.tenant.principalName ?? '',
    userName: input.tenant.userName ?? '',
  };
}

function fillPlaceholders(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === 'string') return value.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));
  if (Array.isArray(value)) return value.map((item) => fillPlaceholders(item, values));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, values)]));
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
