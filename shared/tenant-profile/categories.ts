/**
 * A mini-program's service categories (服务类目) at WeChat: what it has (approved, under review or
 * rejected, with WeChat's reason), what WeChat's catalogue offers it, and adding or deleting one. A
 * sensitive category needs its qualification documents (uploaded as temporary media) and WeChat's
 * review, whose result arrives as `wxa_category_audit` and refreshes readiness; the others are
 * approved at once. Requests are checked against the catalogue before anything changes.
 */
import * as z from 'zod';
import { InvalidInput, NotFound } from '../errors';
import type { AvailableCategory, CategoriesView } from '../contract/operator-api';
import { refreshReadiness } from '../readiness/refresh-readiness';
import type { Services } from '../services';
import { parseInput } from '../validation';
import type { TenantClient } from '../wechat/bound-clients';
import type { CatalogueCategory } from '../wechat/types';
import { activeTenant } from '../tenants/active-tenant';
import { refusedBy } from './basic-info';
import { checkedImage, ImageDataUrl } from './images';

const CategoryId = z.number().int().min(1).max(1_000_000);
export const CategoryRequest = z
  .object({
    first: CategoryId,
    second: CategoryId,
    /** The documents a sensitive category needs, by the names the catalogue gives (`qualifications`). */
    qualifications: z.array(z.object({ name: z.string().trim().min(1).max(100), image: ImageDataUrl }).strict()).max(5).optional(),
  })
  .strict();
export type CategoryRequest = z.infer<typeof CategoryRequest>;
export const AddCategoriesRequest = z.object({ categories: z.array(CategoryRequest).min(1).max(5) }).strict();

const STATES = { 1: 'in_review', 2: 'rejected', 3: 'approved' } as const;

/** What WeChat's category refusals mean (errcode → explanation). */
export const CATEGORY_REFUSALS: Readonly<Record<number, string>> = {
  53300: 'categories were changed too often this month',
  53301: 'the mini-program has as many categories as it may have: delete one first',
  53302: "the principal's type may not have this category",
  53303: 'WeChat found the request invalid (a category id that is not in its catalogue?)',
  53304: 'the mini-program already has this category',
  53305: 'a category did not pass the ICP check',
  53308: 'a category under review cannot be deleted: wait for WeChat to decide',
  53309: 'this category cannot be deleted',
  53310: 'over the category limit',
  53311: 'the category needs its qualification documents',
  40007: 'WeChat no longer has an uploaded document (temporary media last 3 days): send it again',
};

type Ports = Pick<Services, 'tenants' | 'wechat'>;

const refused = (what: string, error: unknown) => refusedBy(what, error, CATEGORY_REFUSALS);

export async function listCategories(p: Ports, appid: string, withCatalogue = false): Promise<CategoriesView> {
  await activeTenant(p, appid);
  const wechat = p.wechat.tenant(appid);
  const [set, catalogue] = await Promise.all([wechat.getSettingCategories(), withCatalogue ? catalogueOf(wechat) : undefined]);
  return {
    categories: set.categories.map((c) => ({
      first: c.first,
      firstName: c.first_name,
      second: c.second,
      secondName: c.second_name,
      state: STATES[c.audit_status] ?? 'in_review',
      ...(c.audit_status === 2 && c.audit_reason ? { reason: c.audit_reason } : {}),
    })),
    ...(set.limit !== undefined ? { limit: set.limit } : {}),
    ...(set.quota !== undefined ? { quota: set.quota } : {}),
    ...(catalogue ? { available: [...catalogue.values()] } : {}),
  };
}

/** WeChat's catalogue as first/second pairs, by `first:second`. */
export async function catalogueOf(wechat: Pick<TenantClient, 'getAllCategories'>): Promise<Map<string, AvailableCategory>> {
  const nodes = new Map<number, CatalogueCategory>();
  for (const node of (await wechat.getAllCategories()).categories_list?.categories ?? []) nodes.set(node.id, node);
  const pairs = new Map<string, AvailableCategory>();
  for (const firstId of nodes.get(0)?.children ?? []) {
    const first = nodes.get(firstId);
    for (const secondId of first?.children ?? []) {
      const second = nodes.get(secondId);
      if (!first || !second) continue;
      const qualifications = (second.qualify?.exter_list ?? []).flatMap((group) => (group.inner_list ?? []).map((item) => item.name));
      pairs.set(`${firstId}:${secondId}`, {
        first: firstId,
        firstName: first.name ?? String(firstId),
        second: secondId,
        secondName: second.name ?? String(secondId),
        needsReview: second.sensitive_type === 1,
        qualifications,
      });
    }
  }
  return pairs;
}

/**
 * Checks the categories against WeChat's catalogue (known pair, every document a sensitive one
 * needs, no document it does not), uploads their documents and adds them. Bad input is a 400 before
 * any change.
 */
export async function addCategories(wechat: Pick<TenantClient, 'getAllCategories' | 'uploadImage' | 'addCategory'>, requested: CategoryRequest[]): Promise<void> {
  const catalogue = await catalogueOf(wechat);
  requested.forEach((category, index) => {
    const known = catalogue.get(`${category.first}:${category.second}`);
    if (!known) throw new InvalidInput('unknown_category', `categories[${index}]: ${category.first}/${category.second} is not in WeChat's catalogue for this mini-program (GET …/categories?catalogue=true lists it)`);
    const given = (category.qualifications ?? []).map((q) => q.name);
    const missing = known.qualifications.filter((name) => !given.includes(name));
    if (known.needsReview && missing.length) throw new InvalidInput('qualifications_missing', `categories[${index}] (${known.firstName} > ${known.secondName}) needs: ${missing.join(', ')}`);
    const unknown = given.filter((name) => !known.qualifications.includes(name));
    if (unknown.length) throw new InvalidInput('unknown_qualification', `categories[${index}] (${known.firstName} > ${known.secondName}) takes ${known.qualifications.length ? known.qualifications.join(', ') : 'no documents'}, not ${unknown.join(', ')}`);
  });
  const categories = [];
  for (const category of requested) {
    const certicates = [];
    for (const [i, q] of (category.qualifications ?? []).entries()) {
      const { media_id } = await wechat.uploadImage(checkedImage(q.image, `qualification-${category.first}-${category.second}-${i + 1}`));
      certicates.push({ key: q.name, value: media_id });
    }
    categories.push({ first: category.first, second: category.second, certicates });
  }
  await wechat.addCategory({ categories });
}

export async function addTenantCategories(p: Ports, appid: string, body: unknown): Promise<CategoriesView> {
  const { categories } = parseInput(AddCategoriesRequest, body);
  await activeTenant(p, appid);
  await addCategories(p.wechat.tenant(appid), categories).catch((error: unknown) => Promise.reject(refused('the categories', error)));
  return withReadiness(p, appid);
}

export const DeleteCategoryQuery = z.object({
  first: z.string().regex(/^\d{1,7}$/, 'must be a category id').transform(Number),
  second: z.string().regex(/^\d{1,7}$/, 'must be a category id').transform(Number),
});

export async function deleteTenantCategory(p: Ports, appid: string, first: number, second: number): Promise<CategoriesView> {
  await activeTenant(p, appid);
  const wechat = p.wechat.tenant(appid);
  const { categories } = await wechat.getSettingCategories();
  if (!categories.some((c) => c.first === first && c.second === second)) throw new NotFound('category_not_set', `the mini-program has no category ${first}/${second}`);
  await wechat.deleteCategory(first, second).catch((error: unknown) => Promise.reject(refused('the deletion', error)));
  return withReadiness(p, appid);
}

/** The categories after a change, with the release gates read again (a category is one of them). */
async function withReadiness(p: Ports, appid: string): Promise<CategoriesView> {
  const readiness = await refreshReadiness(p, appid).catch(() => undefined);
  return { ...(await listCategories(p, appid)), ...(readiness ? { readiness } : {}) };
}
