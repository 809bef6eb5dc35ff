/**
 * The onboarding steps, declared as data: which part of the plan each applies, in order, and what
 * it asks of WeChat (or of mpfleet, for the configuration). A step answers its outcome; a refusal
 * WeChat will repeat throws (run-onboarding.ts records it as failed with WeChat's reason), anything
 * passing (WeChat busy, unreachable) throws too and the queue runs the step again.
 */
import { privacyGuideFor } from '../readiness/deployment-gates';
import type { Services } from '../services';
import { replaceTenantConfig } from '../tenant-config/tenant-config-use-cases';
import { setAvatar, setNickname, type BasicInfoRequest } from '../tenant-profile/basic-info';
import { addCategories } from '../tenant-profile/categories';
import type { Tenant } from '../tenants/tenant';
import type { TenantClient } from '../wechat/bound-clients';
import type { OnboardingPlan } from './onboarding-plan';

export const STEP_NAMES = ['config', 'avatar', 'signature', 'nickName', 'categories', 'privacy'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** done; in_review: WeChat reviews it and pushes the result; skipped: does not apply to this mini-program. */
export type StepResult = { state: 'done' | 'skipped'; message?: string } | { state: 'in_review'; message: string; awaiting?: string[] };

export interface StepContext {
  services: Pick<Services, 'tenants'>;
  wechat: TenantClient;
  tenant: Tenant;
  plan: OnboardingPlan;
  kind: 'enterprise' | 'personal' | 'trial';
  nowMs: number;
}

export interface OnboardingStep {
  name: StepName;
  /** What the operator reads for this step. */
  title: string;
  wanted(plan: OnboardingPlan): boolean;
  run(ctx: StepContext): Promise<StepResult>;
}

export const ONBOARDING_STEPS: readonly OnboardingStep[] = [
  {
    name: 'config',
    title: 'configuration (ext_json fragment)',
    wanted: (plan) => plan.config !== undefined,
    run: async ({ services, tenant, plan }) => {
      await replaceTenantConfig(services, tenant.appid, plan.config);
      return { state: 'done' };
    },
  },
  {
    name: 'avatar',
    title: 'avatar',
    wanted: (plan) => plan.avatar !== undefined,
    run: async ({ wechat, plan }) => {
      await setAvatar(wechat, plan.avatar!);
      return { state: 'done' };
    },
  },
  {
    name: 'signature',
    title: 'introduction',
    wanted: (plan) => plan.signature !== undefined,
    run: async ({ wechat, plan }) => {
      await wechat.modifySignature(plan.signature!);
      return { state: 'done' };
    },
  },
  {
    name: 'nickName',
    title: 'name',
    wanted: (plan) => plan.nickName !== undefined,
    run: async ({ services, wechat, tenant, plan, kind, nowMs }) => {
      // A trial mini-program keeps WeChat's "…的体验小程序" name until it becomes a formal one.
      if (kind === 'trial') return { state: 'skipped', message: `a trial mini-program keeps the name ${tenant.nickName ?? 'WeChat gave it'} until it becomes a formal one` };
      const materials = plan.nicknameMaterials as BasicInfoRequest['nicknameMaterials'];
      if (!materials) {
        const check = await wechat.checkNickname(plan.nickName!);
        if (check.hit_condition) throw new NeedsMaterials(`"${plan.nickName}" hits a protected keyword (${check.wording || 'WeChat reviews it'}): set it with PUT /api/tenants/${tenant.appid}/basic-info and nicknameMaterials`);
      }
      const audit = await setNickname(wechat, plan.nickName!, materials, nowMs);
      if (!audit) return { state: 'done' };
      await services.tenants.saveNicknameAudit(tenant.appid, audit);
      return { state: 'in_review', message: `WeChat reviews the name "${audit.nickname}" (audit ${audit.auditId}); its result is pushed` };
    },
  },
  {
    name: 'categories',
    title: 'service categories',
    wanted: (plan) => plan.categories !== undefined,
    run: async ({ wechat, plan }) => {
      const categories = plan.categories!;
      await addCategories(wechat, categories);
      const reviewed = categories.filter((c) => (c.qualifications ?? []).length > 0).map((c) => `${c.first}:${c.second}`);
      if (reviewed.length === 0) return { state: 'done' };
      return { state: 'in_review', message: `WeChat reviews ${reviewed.join(', ')} with the documents given; its result is pushed`, awaiting: reviewed };
    },
  },
  {
    name: 'privacy',
    title: 'privacy guide',
    wanted: (plan) => plan.privacy !== undefined,
    run: async ({ wechat, tenant, plan }) => {
      await wechat.setPrivacySetting(privacyGuideFor(plan.privacy!, tenant));
      return { state: 'done' };
    },
  },
];

/** A step that cannot go on without the operator (not WeChat's refusal, but as final). */
export class NeedsMaterials extends Error {}

export const stepsWanted = (plan: OnboardingPlan): StepName[] => ONBOARDING_STEPS.filter((step) => step.wanted(plan)).map((step) => step.name);
