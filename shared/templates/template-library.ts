/**
 * The platform's template library (代码模板库, docs/wechat-protocol.md §4): drafts uploaded from
 * WeChat's developer tool become templates that can be committed to tenants. Every call uses the
 * component token. WeChat answers `addtotemplate` without the new template's id, so it is found by comparing
 * the list before and after.
 */
import { Conflict, NotFound } from '../errors';
import type { Draft as DraftView, Template as TemplateView } from '../contract/operator-api';
import type { Services } from '../services';
import { ERRCODE } from '../wechat/errcodes';
import { isWeChatApiError } from '../wechat/errors';
import type { Template, TemplateDraft, TemplateType } from '../wechat/types';

type Library = Pick<Services, 'wechat'>;


const iso = (seconds: number) => new Date(Number(seconds) * 1000).toISOString();

/** 1 for a standard template (ext_json limited to extAppid, ext, window), else 0. */
export const templateTypeOf = (template: Template): 0 | 1 => (template.template_type === 1 ? 1 : 0);

export function templateView(template: Template): TemplateView {
  return {
    templateId: Number(template.template_id),
    userVersion: template.user_version,
    userDesc: template.user_desc,
    createdAt: iso(template.create_time),
    templateType: templateTypeOf(template),
    ...(template.source_miniprogram_appid ? { sourceMiniprogramAppid: template.source_miniprogram_appid } : {}),
  };
}

export function draftView(draft: TemplateDraft): DraftView {
  return {
    draftId: Number(draft.draft_id),
    userVersion: draft.user_version,
    userDesc: draft.user_desc,
    createdAt: iso(draft.create_time),
    ...(draft.source_miniprogram_appid ? { sourceMiniprogramAppid: draft.source_miniprogram_appid } : {}),
  };
}

export async function listTemplates(p: Library): Promise<Template[]> {
  const answer = await p.wechat.component.getTemplateList();
  return answer.template_list ?? [];
}

export async function listDrafts(p: Library): Promise<TemplateDraft[]> {
  const answer = await p.wechat.component.getTemplateDraftList();
  return answer.draft_list ?? [];
}

/** The template with this id, or NotFound. */
export async function findTemplate(p: Library, templateId: number): Promise<Template> {
  const template = (await listTemplates(p)).find((t) => Number(t.template_id) === templateId);
  if (!template) throw new NotFound('template_not_found', `no template ${templateId} in the template library`);
  return template;
}

export type AddDraftResult = { added: Template } | { pending: true };

/**
 * Adds a draft to the library. `pending` when WeChat accepted it but does not list the new
 * template yet (adding again would make a second one, so this is not an error).
 */
export async function addDraftToLibrary(
  p: Library,
  draftId: number,
  templateType: TemplateType,
  options: { listAttempts?: number; retryDelayMs?: number } = {},
): Promise<AddDraftResult> {
  const draft = (await listDrafts(p)).find((d) => Number(d.draft_id) === draftId);
  if (!draft) throw new NotFound('draft_not_found', `no draft ${draftId} among the template drafts`);
  const before = await listTemplates(p);
  try {
    await p.wechat.component.addToTemplate(draftId, templateType);
  } catch (error) {
    // WeChat answers 85064 for both a missing draft and a missing template.
    if (isWeChatApiError(error) && error.code === ERRCODE.TEMPLATE_NOT_FOUND) throw new NotFound('draft_not_found', `WeChat knows no draft ${draftId}`);
    if (isWeChatApiError(error) && error.code === ERRCODE.TEMPLATE_LIBRARY_FULL) {
      throw new Conflict('template_library_full', 'the template library is full: delete a template first');
    }
    throw error;
  }
  const attempts = options.listAttempts ?? 3;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const added = findAddedTemplate(before, await listTemplates(p), draft, templateType);
    if (added) return { added };
    if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 300));
  }
  return { pending: true };
}

/**
 * The template a draft just became: one absent before with the draft's version, description and
 * the requested type (newest first, should another operator add the same draft at the same
 * moment); failing that, the only new template, if there is exactly one.
 */
export function findAddedTemplate(before: Template[], after: Template[], draft: TemplateDraft, templateType: TemplateType): Template | undefined {
  const known = new Set(before.map((t) => Number(t.template_id)));
  const fresh = after.filter((t) => !known.has(Number(t.template_id)));
  const matching = fresh.filter(
    (t) =>
      t.user_version === draft.user_version &&
      t.user_desc === draft.user_desc &&
      (t.template_type === undefined || t.template_type === templateType),
  );
  const newestFirst = (a: Template, b: Template) => Number(b.create_time) - Number(a.create_time) || Number(b.template_id) - Number(a.template_id);
  if (matching.length > 0) return matching.sort(newestFirst)[0];
  return fresh.length === 1 ? fresh[0] : undefined;
}

export async function deleteTemplate(p: Library, templateId: number): Promise<void> {
  await findTemplate(p, templateId);
  try {
    await p.wechat.component.deleteTemplate(templateId);
  } catch (error) {
    if (isWeChatApiError(error) && error.code === ERRCODE.TEMPLATE_NOT_FOUND) throw new NotFound('template_not_found', `WeChat knows no template ${templateId}`);
    throw error;
  }
}
