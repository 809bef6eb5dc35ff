/**
 * Onboarding merchants who have no mini-program yet (issue #18), as the operator reads it: the
 * API's registration, basic-info and category answers, and their text.
 */
import type { BasicInfoResult, CategoriesView, OnboardingStepView, RegistrationStatus, RegistrationView } from '../shared/contract/operator-api';
import { table } from './format';

export type { AvailableCategory, BasicInfoResult, CategoriesView, OnboardingStepView, RegistrationView, TenantCategoryView } from '../shared/contract/operator-api';

/** POST /api/registrations/{id}/search: the registration with what WeChat says of it now. */
export type SearchedRegistration = RegistrationView & { atWeChat: string };

export const REGISTRATION_STATUS_NAMES = ['awaiting_confirmation', 'created', 'failed'] as const satisfies readonly RegistrationStatus[];
export const REGISTRATION_ID = /^r-[0-9a-z]{1,12}-[0-9a-f]{8}$/;

/** Who is registered: the company, the person (with their WeChat ID) or the trial's name. */
export function subjectOf(registration: Pick<RegistrationView, 'request'>): string {
  const request = registration.request;
  if (request.kind === 'personal') return `${request.idname} (${request.wxuser})`;
  return request.name;
}

const STEP_MARKS: Record<OnboardingStepView['state'], string> = { done: '✓', skipped: '-', in_review: '…', running: '…', pending: '·', failed: '✗' };

/** The ONBOARDING column: the whole's state, or `-` for a registration without a plan. */
export const onboardingCell = (registration: RegistrationView) => registration.onboarding?.state;

export function registrationsTable(registrations: RegistrationView[]): string {
  return table(
    ['ID', 'KIND', 'SUBJECT', 'STATUS', 'APPID', 'ONBOARDING', 'CREATED'],
    registrations.map((r) => [r.id, r.kind, subjectOf(r), r.status, r.appid, onboardingCell(r), r.createdAt]),
  );
}

/** One registration: where it stands, at WeChat, each onboarding step with its message, and what comes next. */
export function registrationReport(registration: RegistrationView): string {
  const facts: [string, string | undefined][] = [
    ['status', registration.status],
    ['WeChat', registration.wechat ? `status ${registration.wechat.status}${registration.wechat.msg ? `: ${registration.wechat.msg}` : ''}` : undefined],
    ['appid', registration.appid],
    ['confirm at', registration.status === 'awaiting_confirmation' ? registration.authorizeUrl : undefined],
    ['task', registration.taskId],
    ['created', registration.createdAt],
    ['updated', registration.updatedAt],
  ];
  const shown = facts.filter((fact): fact is [string, string] => fact[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  const lines = [`registration ${registration.id} (${registration.kind}: ${subjectOf(registration)})`, ...shown.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)];
  const onboarding = registration.onboarding;
  if (onboarding) {
    lines.push('', `onboarding: ${onboarding.state ?? 'not started'}`);
    const steps = table(
      ['STEP', 'STATE', 'AT', 'MESSAGE'],
      onboarding.steps.map((s) => [s.title, `${STEP_MARKS[s.state] ?? '?'} ${s.state}`, s.at, s.message]),
    );
    lines.push(...steps.split('\n').map((line) => `  ${line}`));
  } else {
    lines.push('', 'onboarding: none (the registration carries no plan)');
  }
  lines.push('', `next: ${registration.next}`);
  return lines.join('\n');
}

/** `287:612` → both ids; anything else is refused with what was expected. */
export function parseCategoryPair(value: string): { first: number; second: number } | undefined {
  const match = /^\s*(\d{1,7})\s*[:/]\s*(\d{1,7})\s*$/.exec(value);
  if (!match) return undefined;
  const [first, second] = [Number(match[1]), Number(match[2])];
  return first >= 1 && second >= 1 ? { first, second } : undefined;
}

export const pairOf = (c: { first: number; second: number }) => `${c.first}:${c.second}`;

/** A tenant's categories: names, ids, state and WeChat's reason for a rejection. */
export function categoriesReport(appid: string, view: CategoriesView): string {
  const limits = [view.limit !== undefined ? `limit ${view.limit}` : undefined, view.quota !== undefined ? `${view.quota} adds left this month` : undefined].filter(Boolean);
  const head = `${appid}: ${view.categories.length} categor${view.categories.length === 1 ? 'y' : 'ies'}${limits.length ? ` (${limits.join(', ')})` : ''}`;
  if (view.categories.length === 0) return `${head}\nno categories: \`mpfleet categories ${appid} --available\` lists what WeChat offers, \`--add <first>:<second>\` adds one`;
  const lines = [head, table(['CATEGORY', 'IDS', 'STATE', 'REASON'], view.categories.map((c) => [`${c.firstName} > ${c.secondName}`, pairOf(c), c.state, c.reason]))];
  if (view.categories.some((c) => c.state === 'in_review')) lines.push('categories in review: WeChat pushes its decision (this list shows it then)');
  if (view.categories.some((c) => c.state === 'rejected')) lines.push(`a rejected category can be added again with other documents: mpfleet categories ${appid} --add <first>:<second> --doc "<name>=<file>"`);
  return lines.join('\n');
}

/** WeChat's catalogue for the tenant: which pairs need a review, with which documents, and which the tenant already has. */
export function catalogueReport(view: CategoriesView): string {
  const available = view.available ?? [];
  if (available.length === 0) return 'WeChat offers no category to add';
  const set = new Map(view.categories.map((c) => [pairOf(c), c.state]));
  return [
    table(
      ['IDS', 'CATEGORY', 'REVIEW', 'DOCUMENTS', 'SET'],
      available.map((c) => [pairOf(c), `${c.firstName} > ${c.secondName}`, c.needsReview ? 'needs review' : 'no', c.qualifications.join(', '), set.get(pairOf(c))]),
    ),
    'a category that needs review takes its documents: --add <first>:<second> --doc "<document name>=<image file>" (one --doc per document)',
  ].join('\n');
}

const PART_TITLES: Record<keyof BasicInfoResult['applied'], string> = { avatar: 'avatar', signature: 'introduction', nickName: 'name' };

/** What basic-info changed at WeChat: each part set, or the name under review. */
export function basicInfoReport(appid: string, result: BasicInfoResult): string {
  const parts = (Object.keys(PART_TITLES) as (keyof BasicInfoResult['applied'])[]).filter((part) => result.applied[part] !== undefined);
  const width = Math.max(...parts.map((part) => PART_TITLES[part].length));
  const lines = [`${appid}: basic info applied at WeChat`];
  for (const part of parts) {
    const state = result.applied[part]!;
    const note =
      state === 'in_review'
        ? `in review: "${result.nicknameAudit?.nickname ?? ''}"${result.nicknameAudit?.auditId !== undefined ? ` (audit ${result.nicknameAudit.auditId})` : ''}; WeChat pushes its decision, \`mpfleet basic-info ${appid}\` shows it`
        : 'set';
    lines.push(`  ${PART_TITLES[part].padEnd(width)}  ${note}`);
  }
  if (result.readiness) {
    const r = result.readiness;
    lines.push(r.ready ? 'readiness: ready' : `readiness: blocked by ${r.blockers.map((b) => b.code).join(', ')} (\`mpfleet readiness ${appid}\` shows the fixes)`);
  }
  return lines.join('\n');
}
