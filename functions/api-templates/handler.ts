import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import type { AddTemplatePending, AddTemplateRequest, DraftList, TemplateList } from '../../shared/contract/operator-api';
import { byRouteKey } from '../../shared/http/dispatch';
import { badRequest } from '../../shared/http/errors';
import { httpHandler } from '../../shared/http/handler';
import { bodyJson } from '../../shared/http/request';
import { json } from '../../shared/http/responses';
import { parseOr400 } from '../../shared/http/validation';
import { services } from '../../shared/services';
import { getTemplateProfile, putTemplateProfile } from '../../shared/templates/release-profile-use-cases';
import { addDraftToLibrary, deleteTemplate, draftView, listDrafts, listTemplates, templateView } from '../../shared/templates/template-library';

const AddTemplate = z
  .object({
    draftId: z.number().int().nonnegative(),
    templateType: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 (normal) or 1 (standard)' }).optional(),
  })
  .strict() satisfies z.ZodType<AddTemplateRequest>;

function templateIdParam(event: APIGatewayProxyEventV2): number {
  const raw = event.pathParameters?.templateId ?? '';
  if (!/^\d{1,10}$/.test(raw)) throw badRequest('invalid_template_id', 'templateId must be a whole number');
  return Number(raw);
}

/** The platform's template library (代码模板库): drafts uploaded from the developer tool become templates. */
export const handler = httpHandler(
  byRouteKey({
    'GET /api/templates': async () => json(200, { templates: (await listTemplates(services())).map(templateView) } satisfies TemplateList),
    'GET /api/templates/drafts': async () => json(200, { drafts: (await listDrafts(services())).map(draftView) } satisfies DraftList),
    'POST /api/templates': async (event) => {
      const { draftId, templateType = 0 } = parseOr400(AddTemplate, bodyJson(event, 4096));
      const result = await addDraftToLibrary(services(), draftId, templateType);
      if ('added' in result) return json(201, templateView(result.added));
      return json(202, { draftId, templateType, message: 'WeChat accepted the draft but does not list the new template yet; see GET /api/templates' } satisfies AddTemplatePending);
    },
    'GET /api/templates/{templateId}/profile': async (event) => json(200, await getTemplateProfile(services(), templateIdParam(event))),
    'PUT /api/templates/{templateId}/profile': async (event) => json(200, await putTemplateProfile(services(), templateIdParam(event), bodyJson(event, 64 * 1024))),
    'DELETE /api/templates/{templateId}': async (event) => {
      await deleteTemplate(services(), templateIdParam(event));
      return { statusCode: 204, body: '' };
    },
  }),
  { operatorOnly: true },
);
