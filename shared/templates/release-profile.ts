/**
 * A template's release profile: what a release of that template needs from each mini-program,
 * kept by mpfleet (WeChat has no such thing). `privacy` is WeChat's own setprivacysetting body,
 * applied to tenants without a privacy guide (string values may use the tenant placeholders and
 * `{{config.<path>}}` for a string in the tenant's configuration, e.g. `{{config.ext.contactEmail}}`);
 * `auditItems` say how a tenant's categories become submit_audit's item_list; `privacyApis` are
 * the privacy APIs the template's code calls; `domains` the server domains it needs.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Services } from '../services';
import { parseInput } from '../validation';

const text = (max: number) => z.string().min(1).max(max);
const domain = z.string().regex(/^(https|wss|udp|tcp):\/\/[a-z0-9.-]+(:\d+)?$/i, 'must be scheme://host');

export const PrivacyGuideSchema = z
  .object({
    privacy_ver: z.union([z.literal(1), z.literal(2)]).optional(),
    owner_setting: z
      .object({
        contact_email: z.string().max(256).optional(),
        contact_phone: z.string().max(64).optional(),
        contact_qq: z.string().max(64).optional(),
        contact_weixin: z.string().max(64).optional(),
        ext_file_media_id: z.string().max(256).optional(),
        notice_method: text(200),
        store_expire_timestamp: z.string().max(64).optional(),
        store_region: z.number().int().optional(),
      })
      .strict()
      .refine((o) => o.contact_email || o.contact_phone || o.contact_qq || o.contact_weixin, { message: 'needs at least one contact (contact_email, contact_phone, contact_qq or contact_weixin)' }),
    setting_list: z.array(z.object({ privacy_key: text(64), privacy_text: text(500) }).strict()).min(1).max(100),
    sdk_privacy_info_list: z.array(z.unknown()).max(100).optional(),
  })
  .strict();

/** A category of the tenant, by WeChat's names; `third` only where the category has one. */
const CategoryMatch = z.object({ first: text(64), second: text(64), third: text(64).optional() }).strict();

const AuditItemMapping = z
  .object({
    /** Which of the tenant's categories this item is for; without it, the tenant's first category. */
    category: CategoryMatch.optional(),
    address: z.string().max(256).optional(),
    tag: z.string().max(220).optional(),
    title: z.string().max(64).optional(),
  })
  .strict();

export const ReleaseProfileSchema = z
  .object({
    privacy: PrivacyGuideSchema.optional(),
    privacyApis: z.array(z.string().regex(/^wx\.[A-Za-z]+$/, 'must be an API name like wx.getLocation')).max(100).optional(),
    auditItems: z.array(AuditItemMapping).min(1).max(20).optional(),
    domains: z
      .object({
        requestdomain: z.array(domain).max(200).optional(),
        wsrequestdomain: z.array(domain).max(200).optional(),
        uploaddomain: z.array(domain).max(200).optional(),
        downloaddomain: z.array(domain).max(200).optional(),
        udpdomain: z.array(domain).max(200).optional(),
        tcpdomain: z.array(domain).max(200).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ReleaseProfile = z.infer<typeof ReleaseProfileSchema>;
export type AuditItemMapping = z.infer<typeof AuditItemMapping>;
export type PrivacyGuide = z.infer<typeof PrivacyGuideSchema>;

export function parseReleaseProfile(body: unknown): ReleaseProfile {
  return parseInput(ReleaseProfileSchema, body);
}

const profileKey = (templateId: number) => ({ pk: `TEMPLATE#${templateId}`, sk: 'PROFILE' });

type Store = Pick<Services, 'db' | 'table'>;

export async function getReleaseProfile(services: Store, templateId: number): Promise<{ profile: ReleaseProfile; updatedAtMs: number } | undefined> {
  const { Item } = await services.db.send(new GetCommand({ TableName: services.table, Key: profileKey(templateId), ConsistentRead: true }));
  if (!Item || typeof Item.profile !== 'object') return undefined;
  return { profile: Item.profile as ReleaseProfile, updatedAtMs: Number(Item.updatedAtMs) };
}

export async function saveReleaseProfile(services: Store, templateId: number, profile: ReleaseProfile, nowMs = Date.now()): Promise<void> {
  await services.db.send(new PutCommand({ TableName: services.table, Item: { ...profileKey(templateId), templateId, profile, updatedAtMs: nowMs } }));
}
