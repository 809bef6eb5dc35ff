/**
 * What a registration may carry for its mini-program — the merchant's intended name, avatar,
 * introduction, categories, privacy guide and configuration — checked in full before WeChat is
 * asked for anything, so bad input is a 400 that starts no registration.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { TooLarge } from '../errors';
import { parseTenantConfig } from '../tenant-config/schema';
import { BasicInfoRequest } from '../tenant-profile/basic-info';
import { CategoryRequest } from '../tenant-profile/categories';
import { PrivacyGuideSchema } from '../templates/release-profile';
import type { Services } from '../services';
import { parseInput } from '../validation';

/** The plan is stored whole beside its registration, images included: DynamoDB items hold 400 KB. */
export const MAX_PLAN_BYTES = 360 * 1024;

const OnboardingPlanSchema = z
  .object({
    nickName: z.string().trim().min(1).max(30).optional(),
    avatar: z.string().optional(),
    signature: z.string().trim().min(4).max(120).optional(),
    nicknameMaterials: z.unknown().optional(),
    categories: z.array(CategoryRequest).min(1).max(5).optional(),
    privacy: PrivacyGuideSchema.optional(),
    /** The tenant's ext_json fragment (PUT /api/tenants/{appid}/config's body). */
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((plan) => Object.values(plan).some((value) => value !== undefined), { message: 'name at least one of nickName, avatar, signature, categories, privacy, config' });
export type OnboardingPlan = z.infer<typeof OnboardingPlanSchema>;

export function parseOnboardingPlan(input: unknown): OnboardingPlan {
  const plan = prefixed('onboarding', () => parseInput(OnboardingPlanSchema, input));
  // The basic-info fields are checked exactly as PUT …/basic-info checks them (images by their bytes).
  const { nickName, avatar, signature, nicknameMaterials } = plan;
  if (nickName !== undefined || avatar !== undefined || signature !== undefined) prefixed('onboarding', () => parseInput(BasicInfoRequest, { nickName, avatar, signature, nicknameMaterials }));
  else if (nicknameMaterials !== undefined) prefixed('onboarding', () => parseInput(BasicInfoRequest, { nicknameMaterials }));
  if (plan.config !== undefined) prefixed('onboarding.config', () => parseTenantConfig(plan.config));
  const bytes = Buffer.byteLength(JSON.stringify(plan));
  if (bytes > MAX_PLAN_BYTES) throw new TooLarge('onboarding_too_large', `onboarding is ${Math.ceil(bytes / 1024)} KB; its images together may take at most ${MAX_PLAN_BYTES / 1024} KB`);
  return plan;
}

function prefixed<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof Error && 'code' in error) error.message = `${where}.${error.message}`;
    throw error;
  }
}

type Store = Pick<Services, 'db' | 'table'>;
const planKey = (id: string) => ({ pk: `REGISTRATION#${id}`, sk: 'ONBOARDING' });

/** The plan (images included) is kept apart from the registration, which lists stay small without. */
export async function savePlan(store: Store, registrationId: string, plan: OnboardingPlan): Promise<void> {
  await store.db.send(new PutCommand({ TableName: store.table, Item: { ...planKey(registrationId), plan } }));
}

export async function loadPlan(store: Store, registrationId: string): Promise<OnboardingPlan | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.table, Key: planKey(registrationId), ConsistentRead: true }));
  return Item?.plan as OnboardingPlan | undefined;
}
