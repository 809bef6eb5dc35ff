import { z } from 'zod';
import { byRouteKey } from '../../shared/http/dispatch';
import { notFound } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { platform } from '../../shared/platform';
import type { Template, TemplateDraft } from '../../shared/wechat/types';

const AddTemplate = z.object({ draftId: z.number().int().nonnegative(), templateType: z.union([z.literal(0), z.literal(1)]).optional() }).strict();
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

const templateView = (t: Template) => ({
  templateId: t.template_id,
  userVersion: t.user_version,
  userDesc: t.user_desc,
  createdAt: iso(t.create_time),
  templateType: t.template_type ?? 0,
  ...(t.source_miniprogram_appid ? { sourceMiniprogramAppid: t.source_miniprogram_appid } : {}),
});

const draftView = (d: TemplateDraft) => ({
  draftId: d.draft_id,
  userVersion: d.user_version,
  userDesc: d.user_desc,
  createdAt: iso(d.create_time),
  ...(d.source_miniprogram_appid ? { sourceMiniprogramAppid: d.source_miniprogram_appid } : {}),
});

/** The platform's template library (代码模板库): drafts uploaded from the developer tool become templates. */
export const handler = httpHandler(
  byRouteKey({
    'GET /api/templates': async () => {
      const p = platform();
      const list = await p.componentToken.use((token) => p.componentApi.getTemplateList(token));
      return json(200, { templates: list.template_list.map(templateView) });
    },
    'GET /api/templates/drafts': async () => {
      const p = platform();
      const list = await p.componentToken.use((token) => p.componentApi.getTemplateDraftList(token));
      return json(200, { drafts: list.draft_list.map(draftView) });
    },
    'POST /api/templates': async (event) => {
      const { draftId, templateType } = parseOr400(AddTemplate, bodyJson(event));
      const p = platform();
      const before = new Set((await p.componentToken.use((token) => p.componentApi.getTemplateList(token))).template_list.map((t) => t.template_id));
      await p.componentToken.use((token) => p.componentApi.addToTemplate(token, draftId, templateType ?? 0));
      const after = (await p.componentToken.use((token) => p.componentApi.getTemplateList(token))).template_list;
      const added = after.filter((t) => !before.has(t.template_id)).sort((a, b) => b.template_id - a.template_id)[0];
      return json(201, added ? templateView(added) : { draftId });
    },
    'DELETE /api/templates/{templateId}': async (event) => {
      const templateId = Number(event.pathParameters?.templateId);
      if (!Number.isSafeInteger(templateId) || templateId < 0) throw notFound('template_not_found', 'no such template');
      const p = platform();
      const exists = (await p.componentToken.use((token) => p.componentApi.getTemplateList(token))).template_list.some((t) => t.template_id === templateId);
      if (!exists) throw notFound('template_not_found', `no template ${templateId}`);
      await p.componentToken.use((token) => p.componentApi.deleteTemplate(token, templateId));
      return { statusCode: 204, body: '' };
    },
  }),
  { operatorOnly: true },
);
