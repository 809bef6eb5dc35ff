/**
 * Onboarding merchants who have no mini-program yet (issue #18), from the browser: the answers of
 * /api/registrations and /api/tenants/{appid}/basic-info|categories, and the small conversions the
 * forms need (a picked image file to a data URL, "first:second, …" to category ids). The answers
 * are the contract's types (shared/contract/operator-api.ts), re-exported for the pages.
 */
import type { RegistrationView } from '../../shared/contract/operator-api';

export type {
  AvailableCategory,
  BasicInfoResult,
  CategoriesView,
  OnboardingState,
  OnboardingStepState as StepState,
  OnboardingStepView,
  RegistrationKind,
  RegistrationView,
  TenantCategoryView,
} from '../../shared/contract/operator-api';

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
