import { z } from 'zod';
import { HttpError } from '../http/errors';

/** WeChat's privacy-sensitive location APIs a mini-program may declare (requiredPrivateInfos). */
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

/** A tenant's configuration is small; anything near this is a mistake (or an attack). */
export const MAX_CONFIG_BYTES = 32 * 1024;

const jsonObject = z.record(z.string(), z.unknown());
const pagePath = z.string().min(1).max(256).regex(/^[\w\-/.]+$/, 'must be a page path such as pages/index/index');
const positiveMs = z.number().int().positive().max(600_000);

/**
 * The tenant's fragment of ext_json (protocol doc §7). `extAppid` and `extEnable` are not here:
 * mpfleet always sets them, to the tenant's own appid.
 */
export const TenantConfigSchema = z
  .object({
    ext: jsonObject.optional(),
    extPages: z.record(pagePath, jsonObject).optional(),
    pages: z.array(pagePath).min(1).max(200).optional(),
    window: jsonObject.optional(),
    tabBar: z
      .object({
        list: z
          .array(
            z
              .object({ pagePath, text: z.string().min(1).max(32), iconPath: z.string().max(256).optional(), selectedIconPath: z.string().max(256).optional() })
              .strict(),
          )
          .min(2)
          .max(5)
          .optional(),
      })
      .catchall(z.unknown())
      .optional(),
    networkTimeout: z
      .object({ request: positiveMs.optional(), downloadFile: positiveMs.optional(), connectSocket: positiveMs.optional(), uploadFile: positiveMs.optional() })
      .strict()
      .optional(),
    requiredPrivateInfos: z.array(z.enum(PRIVATE_INFOS)).max(PRIVATE_INFOS.length).optional(),
    plugins: jsonObject.optional(),
    subpackages: z.array(jsonObject).max(100).optional(),
    directCommit: z.boolean().optional(),
  })
  .strict();

export type TenantConfig = z.infer<typeof TenantConfigSchema>;

/** Validates an operator-supplied fragment, or a 400 naming the field at fault. */
export function parseTenantConfig(input: unknown): TenantConfig {
  const size = Buffer.byteLength(JSON.stringify(input ?? null), 'utf8');
  if (size > MAX_CONFIG_BYTES) throw new HttpError(400, 'invalid_config', `configuration is ${size} bytes; the limit is ${MAX_CONFIG_BYTES}`);
  const result = TenantConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'configuration';
  throw new HttpError(400, 'invalid_config', `${where}: ${issue.message}`);
}
