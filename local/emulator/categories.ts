/**
 * A mini-program's categories as addcategory / deletecategory / getcategory keep them. The approved
 * ones are `mp.categories` (what get_category lists, submit_audit's item_list must match and the
 * readiness checks read); those added and not approved are `mp.categoryRequests`: a sensitive
 * category (one needing qualifications) waits under review (1) until the admin API decides it,
 * then is approved (into `categories`) or rejected (2, kept with its reason until deleted or added
 * again). Non-sensitive categories are approved at once.
 */
import { catalogueNode, catalogueSecond, requiredQualifications } from './category-catalogue';
import { ApiFailure } from './errors';
import type { AuditCategory } from './fixtures';
import { usableMedia } from './media';
import type { EmulatorState, MiniProgram } from './state';
import { monthKey } from './state';

/** getcategory's category_limit: at most 5 categories, approved or under review. */
export const CATEGORY_LIMIT = 5;
/** getcategory's limit: categories added a month (WeChat does not publish it; the emulator takes 5). */
export const CATEGORY_ADDS_PER_MONTH = 5;

export const CATEGORY_IN_REVIEW = 1;
export const CATEGORY_REJECTED = 2;
export const CATEGORY_APPROVED = 3;

export interface CategoryRequest {
  first: number;
  second: number;
  status: typeof CATEGORY_IN_REVIEW | typeof CATEGORY_REJECTED;
  reason?: string;
  certicates: { key: string; value: string }[];
  /** Epoch seconds. */
  createTime: number;
  auditTime?: number;
}

/** How a category reads in get_category: names from the catalogue. */
export function approvedCategory(first: number, second: number): AuditCategory {
  return { first_class: catalogueNode(first)?.name ?? '', second_class: catalogueNode(second)?.name ?? '', first_id: first, second_id: second };
}

const sameCategory = (c: AuditCategory, first: number, second: number) => c.first_id === first && c.second_id === second;

export function categoryRequest(mp: MiniProgram, first: number, second: number): CategoryRequest | undefined {
  return mp.categoryRequests?.find((r) => r.first === first && r.second === second);
}

export const categoriesInReview = (mp: MiniProgram) => (mp.categoryRequests ?? []).filter((r) => r.status === CATEGORY_IN_REVIEW);

/** Added this month (CST); the period resets like every WeChat quota. */
export function categoryAddsUsed(mp: MiniProgram, nowMs: number): number {
  const count = mp.modifyCounts?.categoryAdds;
  return count !== undefined && count.period === monthKey(nowMs) ? count.used : 0;
}

/** getcategory's `categories`: the approved (3) first, then those under review (1) and rejected (2). */
export function listedCategories(mp: MiniProgram) {
  const seen = new Set<string>();
  const approved = mp.categories.filter((c) => {
    const key = `${c.first_id}/${c.second_id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return [
    ...approved.map((c) => ({ first: c.first_id, first_name: c.first_class, second: c.second_id, second_name: c.second_class, audit_status: CATEGORY_APPROVED, audit_reason: '' })),
    ...(mp.categoryRequests ?? []).map((r) => ({
      first: r.first,
      first_name: catalogueNode(r.first)?.name ?? '',
      second: r.second,
      second_name: catalogueNode(r.second)?.name ?? '',
      audit_status: r.status,
      audit_reason: r.reason ?? '',
    })),
  ];
}

function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return Number(value);
  return undefined;
}

/** deletecategory's and addcategory's first/second: integers (numeric strings too), else 53303. */
export function categoryIds(entry: Record<string, unknown>, where: string): { first: number; second: number } {
  const first = integerOf(entry.first);
  const second = integerOf(entry.second);
  if (first === undefined || second === undefined) throw new ApiFailure(53303, `${where}: first and second must be category ids`);
  return { first, second };
}

interface Addition {
  first: number;
  second: number;
  sensitive: boolean;
  certicates: { key: string; value: string }[];
}

/**
 * addcategory's checks, in this order: the shape and the catalogue (53303: unknown ids, second
 * not under first), duplicates (53304: already set or under review, or twice in the request), the
 * month's adds (53300), the total (53301), then each sensitive category's qualifications: every
 * qualification it needs named by `key` (53303 — WeChat documents no dedicated errcode for missing
 * materials), each `value` one of this mini-program's live media ids (40007).
 */
export function checkAdditions(state: EmulatorState, mp: MiniProgram, body: Record<string, unknown>): Addition[] {
  const list = body.categories;
  if (!Array.isArray(list) || list.length === 0) throw new ApiFailure(53303, 'categories must be a non-empty array of {first, second, certicates}');
  const additions = list.map((item: unknown, index): Addition => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ApiFailure(53303, `categories[${index}] must be an object`);
    const entry = item as Record<string, unknown>;
    const { first, second } = categoryIds(entry, `categories[${index}]`);
    const node = catalogueSecond(first, second);
    if (node === undefined) throw new ApiFailure(53303, `categories[${index}]: ${first}/${second} is not a category of getallcategories (second under first)`);
    const certicates = entry.certicates ?? [];
    if (!Array.isArray(certicates)) throw new ApiFailure(53303, `categories[${index}].certicates must be an array of {key, value}`);
    return {
      first,
      second,
      sensitive: node.sensitive_type === 1,
      certicates: certicates.map((c: unknown, i) => {
        const cert = c as Record<string, unknown> | null;
        if (typeof cert?.key !== 'string' || typeof cert.value !== 'string') throw new ApiFailure(53303, `categories[${index}].certicates[${i}] needs key and value (strings)`);
        return { key: cert.key, value: cert.value };
      }),
    };
  });
  additions.forEach((a, index) => {
    const twice = additions.findIndex((b) => b.first === a.first && b.second === a.second) !== index;
    const held = mp.categories.some((c) => sameCategory(c, a.first, a.second)) || categoryRequest(mp, a.first, a.second)?.status === CATEGORY_IN_REVIEW;
    if (twice || held) throw new ApiFailure(53304, `${a.first}/${a.second} is already ${twice ? 'in this request' : 'one of the mini-program\'s categories'}`);
  });
  const used = categoryAddsUsed(mp, state.now());
  if (used + additions.length > CATEGORY_ADDS_PER_MONTH) throw new ApiFailure(53300, `${CATEGORY_ADDS_PER_MONTH} categories a month; ${used} added this month`);
  const held = new Set([...mp.categories.map((c) => `${c.first_id}/${c.second_id}`), ...categoriesInReview(mp).map((r) => `${r.first}/${r.second}`)]);
  if (held.size + additions.length > CATEGORY_LIMIT) throw new ApiFailure(53301, `at most ${CATEGORY_LIMIT} categories; ${held.size} set or under review`);
  for (const a of additions) {
    if (!a.sensitive) continue;
    const node = catalogueNode(a.second)!;
    const keys = new Set(a.certicates.map((c) => c.key));
    const missing = requiredQualifications(node).filter((group) => !group.some((name) => keys.has(name)));
    if (missing.length > 0) throw new ApiFailure(53303, `${node.name} needs ${missing.map((group) => group.join(' or ')).join(', ')} in certicates`);
    const known = new Set(requiredQualifications(node).flat());
    for (const cert of a.certicates) {
      if (!known.has(cert.key)) throw new ApiFailure(53303, `${cert.key} is not a qualification of ${node.name}`);
      usableMedia(state, mp.appid, cert.value, `certicates ${cert.key}`);
    }
  }
  return additions;
}

/** Non-sensitive: approved at once; sensitive: under review. Returns those under review. */
export function addCategories(state: EmulatorState, mp: MiniProgram, additions: Addition[]): CategoryRequest[] {
  const now = state.now();
  const pending: CategoryRequest[] = [];
  for (const a of additions) {
    // Adding a rejected category again replaces its rejection.
    mp.categoryRequests = (mp.categoryRequests ?? []).filter((r) => !(r.first === a.first && r.second === a.second));
    if (a.sensitive) {
      const request: CategoryRequest = { first: a.first, second: a.second, status: CATEGORY_IN_REVIEW, certicates: a.certicates, createTime: state.nowSec() };
      mp.categoryRequests.push(request);
      pending.push(request);
    } else {
      mp.categories.push(approvedCategory(a.first, a.second));
    }
  }
  mp.modifyCounts = { ...mp.modifyCounts, categoryAdds: { period: monthKey(now), used: categoryAddsUsed(mp, now) + additions.length } };
  return pending;
}

/** deletecategory: under review 53308; neither set nor rejected 53303 (WeChat's answer to an unknown pair). */
export function deleteCategory(mp: MiniProgram, first: number, second: number): void {
  const request = categoryRequest(mp, first, second);
  if (request?.status === CATEGORY_IN_REVIEW) throw new ApiFailure(53308, `${first}/${second} is under review`);
  const approved = mp.categories.some((c) => sameCategory(c, first, second));
  if (!approved && request === undefined) throw new ApiFailure(53303, `${first}/${second} is not one of the mini-program's categories`);
  mp.categories = mp.categories.filter((c) => !sameCategory(c, first, second));
  mp.categoryRequests = (mp.categoryRequests ?? []).filter((r) => r !== request);
}
