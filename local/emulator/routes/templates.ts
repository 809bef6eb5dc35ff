/**
 * The platform's template library (docs/wechat-protocol.md §4), called with the component token as
 * `access_token`: drafts, adding a draft to the library, listing and deleting templates.
 */
import { ApiFailure, okBody } from '../errors';
import type { Draft, Template } from '../state';
import { optionalInteger, queryInteger, requiredInteger } from './params';
import type { ApiRoute } from './types';

/** The page list and what the code calls are the emulator's own bookkeeping, not part of WeChat's answer. */
function publicDraft({ pages: _pages, privacyApis: _apis, requiredPrivateInfos: _infos, ...draft }: Draft) {
  return draft;
}

function publicTemplate({ pages: _pages, privacyApis: _apis, requiredPrivateInfos: _infos, ...template }: Template) {
  return template;
}

export const templateRoutes: ApiRoute[] = [
  {
    path: '/wxa/gettemplatedraftlist',
    method: 'GET',
    auth: 'component',
    readOnly: true,
    handle(_req, ctx) {
      return okBody({ draft_list: ctx.state.drafts.map(publicDraft) });
    },
  },
  {
    path: '/wxa/addtotemplate',
    method: 'POST',
    auth: 'component',
    handle({ body }, ctx) {
      const draftId = requiredInteger(body, 'draft_id', 85064);
      const draft = ctx.state.drafts.find((d) => d.draft_id === draftId);
      if (draft === undefined) throw new ApiFailure(85064, `draft_id ${draftId} not found`);
      const templateType = optionalInteger(body, 'template_type', 40097) ?? 0;
      if (templateType !== 0 && templateType !== 1) throw new ApiFailure(40097, 'template_type must be 0 or 1');
      ctx.state.addTemplateFromDraft(draft, templateType);
      return okBody();
    },
  },
  {
    path: '/wxa/gettemplatelist',
    method: 'GET',
    auth: 'component',
    readOnly: true,
    handle({ query }, ctx) {
      const templateType = queryInteger(query, 'template_type');
      const list = ctx.state.templates.filter((t) => templateType === undefined || t.template_type === templateType);
      return okBody({ template_list: list.map(publicTemplate) });
    },
  },
  {
    path: '/wxa/deletetemplate',
    method: 'POST',
    auth: 'component',
    handle({ body }, ctx) {
      const templateId = requiredInteger(body, 'template_id', 85064);
      const index = ctx.state.templates.findIndex((t) => t.template_id === templateId);
      if (index === -1) throw new ApiFailure(85064, `template_id ${templateId} not found`);
      ctx.state.templates.splice(index, 1);
      return okBody();
    },
  },
];
