/**
 * The ext_json committed with a template for one tenant (docs/wechat-protocol.md §7), built from
 * deploy-wide defaults and the tenant's own fragment:
 *
 * 1. Both fragments are validated again (a stored fragment may predate today's schema).
 * 2. The tenant's values go over the defaults. Objects (`ext`, `window`, `tabBar`, `extPages`,
 *    `networkTimeout`, `plugins`) merge one level, key by key; everything else — arrays such as
 *    `pages`, `subpackages`, `requiredPrivateInfos`, and scalars — is replaced. `tabBar.list` sits
 *    one level down, so a tenant's list replaces the defaults' list whole, as WeChat replaces the
 *    template's.
 * 3. Placeholders are filled in string values (see placeholders.ts).
 * 4. `extAppid` is always the tenant's appid; `extEnable` is always `true` for a normal template.
 *    A standard template (template_type 1) accepts only `extAppid, ext, window`, so there
 *    `extEnable` is left out and any other key is an error naming it.
 */
import { DomainError } from '../errors';
import { isAppid } from '../tenants/tenant';
import { isPlainObject } from './json-values';
import { fillPlaceholders, type PlaceholderValues } from './placeholders';
import { parseTenantConfig, type TenantConfig } from './schema';

/** Limit of the committed ext_json: two full fragments plus what placeholders add. */
export const MAX_EXT_JSON_BYTES = 64 * 1024;
/** What WeChat accepts in the ext_json of a standard template. */
export const STANDARD_TEMPLATE_KEYS: readonly string[] = ['extAppid', 'ext', 'window'];

export interface ExtJsonInput {
  appid: string;
  /** 0 normal, 1 standard template. */
  templateType: 0 | 1;
  deployDefaults?: TenantConfig;
  tenantConfig?: TenantConfig;
  tenant: { nickName?: string; principalName?: string; userName?: string };
}

/** The merged ext_json cannot be committed; the message says why. */
export class ExtJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtJsonError';
  }
}

export function buildExtJson(input: ExtJsonInput): { value: Record<string, unknown>; extJson: string } {
  if (!isAppid(input.appid)) throw new ExtJsonError(`"${String(input.appid)}" is not an appid`);
  if (input.templateType !== 0 && input.templateType !== 1) throw new ExtJsonError(`template type ${String(input.templateType)} is neither 0 (normal) nor 1 (standard)`);
  const defaults = validFragment('deploy defaults', input.deployDefaults);
  const own = validFragment('tenant config', input.tenantConfig);

  const { extEnable: _alwaysTrue, ...merged } = fillPlaceholders(mergeConfigs(defaults, own), placeholderValues(input));
  let value: Record<string, unknown>;
  if (input.templateType === 1) {
    const refused = Object.keys(merged).filter((key) => !STANDARD_TEMPLATE_KEYS.includes(key));
    if (refused.length > 0) {
      throw new ExtJsonError(`a standard template (template_type 1) accepts only extAppid, ext and window; the configuration also sets ${refused.join(', ')}`);
    }
    value = { extAppid: input.appid, ...merged };
  } else {
    value = { extEnable: true, extAppid: input.appid, ...merged };
  }

  const extJson = JSON.stringify(value);
  const bytes = Buffer.byteLength(extJson, 'utf8');
  if (bytes > MAX_EXT_JSON_BYTES) throw new ExtJsonError(`ext_json would be ${bytes} bytes; the limit is ${MAX_EXT_JSON_BYTES}`);
  return { value, extJson };
}

/** `over` on top of `under`: plain objects merge one level, anything else replaces. */
export function mergeConfigs(under: TenantConfig, over: TenantConfig): TenantConfig {
  const merged: Record<string, unknown> = { ...under };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const base = merged[key];
    merged[key] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  return merged as TenantConfig;
}

function validFragment(label: string, fragment: TenantConfig | undefined): TenantConfig {
  if (fragment === undefined || fragment === null) return {};
  try {
    return parseTenantConfig(fragment);
  } catch (error) {
    if (error instanceof DomainError) throw new ExtJsonError(`${label}: ${error.message}`);
    throw error;
  }
}

function placeholderValues(input: ExtJsonInput): PlaceholderValues {
  return {
    appid: input.appid,
    nickName: input.tenant.nickName,
    principalName: input.tenant.principalName,
    userName: input.tenant.userName,
  };
}
