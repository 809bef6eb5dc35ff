import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../shared/errors';
import { toHttpError } from '../../../shared/http/error-mapping';
import type { HttpError } from '../../../shared/http/errors';
import type { Services } from '../../../shared/services';
import { addDraftToLibrary, findAddedTemplate } from '../../../shared/templates/template-library';
import { WeChatApiError } from '../../../shared/wechat/errors';
import type { Template, TemplateDraft } from '../../../shared/wechat/types';

const draft: TemplateDraft = { draft_id: 7, user_version: '2.0.0', user_desc: 'spring', create_time: 1_700_000_000 };
const template = (id: number, fields: Partial<Template> = {}): Template => ({
  template_id: id,
  user_version: '1.0.0',
  user_desc: 'old',
  create_time: 1_600_000_000 + id,
  template_type: 0,
  ...fields,
});

describe('findAddedTemplate', () => {
  const before = [template(1), template(2, { user_version: '2.0.0', user_desc: 'spring' })];

  it('finds the new template made from the draft, not an older one with the same version', () => {
    const added = template(5, { user_version: '2.0.0', user_desc: 'spring' });
    expect(findAddedTemplate(before, [...before, added], draft, 0)).toBe(added);
  });

  it('prefers the one matching the draft over another operator’s concurrent addition', () => {
    const theirs = template(6, { user_version: '9.9.9', user_desc: 'other', create_time: 1_800_000_000 });
    const ours = template(5, { user_version: '2.0.0', user_desc: 'spring' });
    expect(findAddedTemplate(before, [...before, theirs, ours], draft, 0)).toBe(ours);
  });

  it('takes the newest when the same draft was added twice at once', () => {
    const first = template(5, { user_version: '2.0.0', user_desc: 'spring', create_time: 1_700_000_100 });
    const second = template(6, { user_version: '2.0.0', user_desc: 'spring', create_time: 1_700_000_200 });
    expect(findAddedTemplate(before, [...before, first, second], draft, 0)).toBe(second);
  });

  it('requires the requested type when WeChat reports one', () => {
    const normal = template(5, { user_version: '2.0.0', user_desc: 'spring', template_type: 0 });
    const standard = template(6, { user_version: '2.0.0', user_desc: 'spring', template_type: 1, create_time: 1 });
    expect(findAddedTemplate(before, [...before, normal, standard], draft, 1)).toBe(standard);
  });

  it('falls back to the only new template, and gives up when there is none or several unrelated', () => {
    const renamed = template(5, { user_desc: 'spring (edited by WeChat)' });
    expect(findAddedTemplate(before, [...before, renamed], draft, 0)).toBe(renamed);
    expect(findAddedTemplate(before, before, draft, 0)).toBeUndefined();
    expect(findAddedTemplate(before, [...before, template(8), template(9)], draft, 0)).toBeUndefined();
  });
});

/** A template library answering from arrays, as the component API would. */
function fakeLibrary(options: { drafts: TemplateDraft[]; lists: Template[][]; addError?: WeChatApiError }) {
  const added: number[] = [];
  let listCalls = 0;
  const component: Partial<Services['wechat']['component']> = {
    getTemplateDraftList: async () => ({ errcode: 0, errmsg: 'ok', draft_list: options.drafts }),
    getTemplateList: async () => ({ errcode: 0, errmsg: 'ok', template_list: options.lists[Math.min(listCalls++, options.lists.length - 1)]! }),
    addToTemplate: async (draftId: number) => {
      if (options.addError) throw options.addError;
      added.push(draftId);
    },
  };
  const p = { wechat: { component } } as unknown as Pick<Services, 'wechat'>;
  return { p, added, listCalls: () => listCalls };
}

/** What the operator API answers for the domain error `promise` rejects with. */
async function httpError(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a domain error, got ${String(error)}`);
  return toHttpError(error)!;
}

describe('addDraftToLibrary', () => {
  it('refuses an unknown draft with 404 without asking WeChat to add it', async () => {
    const { p, added } = fakeLibrary({ drafts: [draft], lists: [[]] });
    const error = await httpError(addDraftToLibrary(p, 99, 0));
    expect([error.statusCode, error.code]).toEqual([404, 'draft_not_found']);
    expect(added).toEqual([]);
  });

  it('maps WeChat’s “no such draft” and “library full” to 404 and 409', async () => {
    const gone = fakeLibrary({ drafts: [draft], lists: [[]], addError: new WeChatApiError({ code: 85064, errmsg: 'draft not found', path: '/wxa/addtotemplate' }) });
    expect((await httpError(addDraftToLibrary(gone.p, 7, 0))).statusCode).toBe(404);
    const full = fakeLibrary({ drafts: [draft], lists: [[]], addError: new WeChatApiError({ code: 85065, errmsg: 'full', path: '/wxa/addtotemplate' }) });
    expect((await httpError(addDraftToLibrary(full.p, 7, 0))).code).toBe('template_library_full');
  });

  it('lets other WeChat errors through for the general mapping', async () => {
    const busy = fakeLibrary({ drafts: [draft], lists: [[]], addError: new WeChatApiError({ code: -1, errmsg: 'busy', path: '/wxa/addtotemplate' }) });
    await expect(addDraftToLibrary(busy.p, 7, 0)).rejects.toBeInstanceOf(WeChatApiError);
  });

  it('looks again when WeChat is slow to list the new template, then reports it pending', async () => {
    const fresh = template(3, { user_version: '2.0.0', user_desc: 'spring' });
    const slow = fakeLibrary({ drafts: [draft], lists: [[], [], [fresh]] });
    expect(await addDraftToLibrary(slow.p, 7, 0, { retryDelayMs: 0 })).toEqual({ added: fresh });
    const never = fakeLibrary({ drafts: [draft], lists: [[]] });
    expect(await addDraftToLibrary(never.p, 7, 0, { retryDelayMs: 0, listAttempts: 3 })).toEqual({ pending: true });
    expect(never.listCalls()).toBe(4); // once before, three times after
    expect(never.added).toEqual([7]); // added once, never again
  });
});
