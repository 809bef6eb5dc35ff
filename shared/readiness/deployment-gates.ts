/**
 * The release gates for one tenant in one deployment: its stored readiness read against the
 * template's release profile. Pure: no WeChat call, so preflight and the fan-out can judge a
 * thousand tenants from what is stored.
 */
import { fillPlaceholders } from '../tenant-config/placeholders';
import type { AuditItemMapping, PrivacyGuide, ReleaseProfile } from '../templates/release-profile';
import type { Tenant } from '../tenants/tenant';
import type { AuditItem, SetPrivacySettingRequest } from '../wechat/types';
import { blocker, type Blocker } from './blockers';
import { unavailable, type TenantCategory } from './readiness';

/** Privacy interfaces WeChat grants one by one (接口设置): code calling them needs the grant. */
export const LOCATION_APIS: ReadonlySet<string> = new Set([
  'wx.getLocation',
  'wx.getFuzzyLocation',
  'wx.onLocationChange',
  'wx.startLocationUpdate',
  'wx.startLocationUpdateBackground',
  'wx.chooseLocation',
  'wx.choosePoi',
  'wx.chooseAddress',
]);

export interface GateOptions {
  /** A deployment that only commits meets none of the audit and release gates. */
  submitAudit: boolean;
}

/** Readiness blockers a deployment cannot act on itself; the quota is a budget of the whole deployment, not a tenant's gate. */
const TENANT_GATES = new Set(['icp_not_filed', 'icp_in_review', 'icp_rejected', 'basic_info_incomplete']);

/** What keeps this tenant's version from passing, for this deployment; empty when nothing known does. */
export function gateBlockers(tenant: Pick<Tenant, 'readiness'>, profile: ReleaseProfile | undefined, options: GateOptions): Blocker[] {
  const readiness = tenant.readiness;
  if (!options.submitAudit || !readiness) return [];
  const blockers = readiness.blockers.filter((b) => TENANT_GATES.has(b.code));
  if (!readiness.privacy.configured && !profile?.privacy) blockers.push(...readiness.blockers.filter((b) => b.code === 'privacy_not_configured'));
  if (unavailable(readiness, 'categories')) {
    // Unknown categories: WeChat decides at submit (85008 ends the target blocked then).
  } else if (readiness.categories.length === 0) {
    blockers.push(blocker('category_missing', 'the mini-program has no service category: WeChat refuses the audit'));
  } else if (profile?.auditItems && auditItemsFor(readiness.categories, profile.auditItems).length === 0) {
    const has = readiness.categories.map(categoryName).join(', ');
    blockers.push(blocker('category_missing', `none of the mini-program's categories (${has}) is mapped in the template's release profile (auditItems)`));
  }
  const interfacesKnown = !unavailable(readiness, 'privacy_interfaces');
  const ungranted = (profile?.privacyApis ?? []).filter((api) => LOCATION_APIS.has(api) && !readiness.privacy.grantedApis.includes(api));
  if (interfacesKnown && ungranted.length) blockers.push(blocker('privacy_api_not_granted', `the template's code calls ${ungranted.join(', ')}, which WeChat has not granted this mini-program`));
  return blockers;
}

const categoryName = (c: Pick<TenantCategory, 'first' | 'second' | 'third'>) => [c.first, c.second, c.third].filter(Boolean).join('/');

/**
 * submit_audit's item_list for a tenant: each mapping whose category the tenant has (one without
 * a category takes the tenant's first), at most 5, as WeChat requires categories the mini-program
 * has. Without mappings, one item: the tenant's first category.
 */
export function auditItemsFor(categories: readonly TenantCategory[], mappings: readonly AuditItemMapping[] | undefined): AuditItem[] {
  if (categories.length === 0) return [];
  const items: AuditItem[] = [];
  for (const mapping of mappings ?? [{}]) {
    const category = mapping.category
      ? categories.find((c) => c.first === mapping.category!.first && c.second === mapping.category!.second && (mapping.category!.third === undefined || c.third === mapping.category!.third))
      : categories[0];
    if (!category) continue;
    items.push({
      first_class: category.first,
      second_class: category.second,
      first_id: category.firstId,
      second_id: category.secondId,
      ...(category.third ? { third_class: category.third, ...(category.thirdId ? { third_id: category.thirdId } : {}) } : {}),
      ...(mapping.address ? { address: mapping.address } : {}),
      ...(mapping.tag ? { tag: mapping.tag } : {}),
      ...(mapping.title ? { title: mapping.title } : {}),
    });
    if (items.length === 5) break;
  }
  return items;
}

/** `{{config.ext.contactEmail}}`: a string at that path of the tenant's configuration (its ext_json fragment). */
const CONFIG_PLACEHOLDER = /\{\{\s*config\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}/g;

function configString(config: unknown, path: string): string {
  const value = path.split('.').reduce<unknown>((at, key) => (at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined), config);
  return typeof value === 'string' ? value : '';
}

/** The profile's privacy guide for one tenant: its placeholders filled from the tenant and its configuration. */
export function privacyGuideFor(guide: PrivacyGuide, tenant: Pick<Tenant, 'appid' | 'nickName' | 'principalName' | 'userName' | 'config'>): SetPrivacySettingRequest {
  const filled = fillPlaceholders(guide, { appid: tenant.appid, nickName: tenant.nickName, principalName: tenant.principalName, userName: tenant.userName });
  const withConfig = JSON.parse(
    JSON.stringify(filled, (_key, value: unknown) => (typeof value === 'string' ? value.replace(CONFIG_PLACEHOLDER, (_m, path: string) => configString(tenant.config, path)) : value)),
  ) as PrivacyGuide;
  return { privacy_ver: withConfig.privacy_ver ?? 2, owner_setting: withConfig.owner_setting, setting_list: withConfig.setting_list, ...(withConfig.sdk_privacy_info_list ? { sdk_privacy_info_list: withConfig.sdk_privacy_info_list as SetPrivacySettingRequest['sdk_privacy_info_list'] } : {}) };
}
