/**
 * Onboarding merchants who have no mini-program yet (issue #18), from the browser: the answers of
 * /api/registrations and /api/tenants/{appid}/basic-info|categories, and the small conversions the
 * forms need (a picked image file to a data URL, "first:second, …" to category ids).
 *
 * The contract module (shared/contract/operator-api.ts) does not carry these answers yet: they
 * are written out here as shared/registrations/registrations.ts (registrationView) and
 * shared/tenant-profile/*.ts build them.
 */
import type { NicknameAuditView, Readiness } from '../../shared/contract/operator-api';

export type RegistrationKind = 'enterprise' | 'personal' | 'trial';
export type RegistrationStatus = 'awaiting_confirmation' | 'created' | 'failed';
export type RegistrationRequestView =
  | { kind: 'enterprise'; name: string; code: string; code_type: 1 | 2 | 3; legal_persona_wechat: string; legal_persona_name: string; component_phone?: string }
  | { kind: 'personal'; idname: string; wxuser: string; component_phone?: string }
  | { kind: 'trial'; name: string; openid: string };
export type OnboardingState = 'waiting_for_mini_program' | 'running' | 'in_review' | 'done' | 'needs_attention';
export type StepState = 'pending' | 'running' | 'done' | 'in_review' | 'failed' | 'skipped';

export interface OnboardingStepView {
  step: string;
  title: string;
  state: StepState;
  message?: string;
  at?: string;
}

export interface RegistrationView {
  id: string;
  kind: RegistrationKind;
  request: RegistrationRequestView;
  status: RegistrationStatus;
  taskId?: string;
  authorizeUrl?: string;
  appid?: string;
  wechat?: { status: number; msg?: string };
  onboarding?: { state?: OnboardingState; steps: OnboardingStepView[] };
  next: string;
  createdAt: string;
  updatedAt: string;
}

export interface BasicInfoResult {
  applied: Partial<Record<'avatar' | 'signature' | 'nickName', 'set' | 'in_review'>>;
  nicknameAudit?: Omit<NicknameAuditView, 'at'>;
  readiness?: Readiness;
}

export interface TenantCategoryView {
  first: number;
  firstName: string;
  second: number;
  secondName: string;
  state: 'approved' | 'in_review' | 'rejected';
  reason?: string;
}

export interface AvailableCategory {
  first: number;
  firstName: string;
  second: number;
  secondName: string;
  needsReview: boolean;
  qualifications: string[];
}

export interface CategoriesView {
  categories: TenantCategoryView[];
  limit?: number;
  quota?: number;
  available?: AvailableCategory[];
  readiness?: Readiness;
}

/** Who is registered: the company, the person (with their WeChat ID) or the trial's name. */
export function subjectOf(registration: Pick<RegistrationView, 'request'>): string {
  const request = registration.request;
  return request.kind === 'personal' ? `${request.idname} (${request.wxuser})` : request.name;
}

/** The API's limit per image: a larger file is refused here, before it is sent. */
export const MAX_IMAGE_BYTES = 300 * 1024;

/** A picked file as a data URL (the API checks that it is a PNG, JPEG, GIF or BMP). */
export function fileToDataUrl(file: File): Promise<string> {
  if (file.size > MAX_IMAGE_BYTES) return Promise.reject(new RangeError(`${file.name}: ${Math.ceil(file.size / 1024)} KB > ${MAX_IMAGE_BYTES / 1024} KB`));
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/**
 * "220:688, 287:612" (commas of either width, spaces or new lines between; `/` for `:` too) → the
 * pairs; the first entry that is not two ids is answered as the error.
 */
export function parseCategoryList(text: string): { categories: { first: number; second: number }[] } | { error: string } {
  const categories: { first: number; second: number }[] = [];
  for (const item of text.split(/[\s,，、;；]+/).filter(Boolean)) {
    const match = /^(\d{1,7})[:：/](\d{1,7})$/.exec(item);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) return { error: item };
    const pair = { first: Number(match[1]), second: Number(match[2]) };
    if (!categories.some((c) => c.first === pair.first && c.second === pair.second)) categories.push(pair);
  }
  return { categories };
}
