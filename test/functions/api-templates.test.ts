import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAFT_SEEDS, TEMPLATE_SEEDS, TEMPLATE_SOURCE } from '../../local/emulator/fixtures';
import { services } from '../../shared/services';
import { startTestStack, type TestStack } from '../support/stack';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
  await t.until(async () => services().tickets.latest());
});
afterAll(() => t?.close());

interface TemplateView {
  templateId: number;
  userVersion: string;
  userDesc: string;
  createdAt: string;
  templateType: 0 | 1;
  sourceMiniprogramAppid?: string;
}

const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string; message: string } }).error;
const templates = async () => ((await (await t.operator('/api/templates')).json()) as { templates: TemplateView[] }).templates;
const addDraft = (body: unknown) => t.operator('/api/templates', { method: 'POST', body: JSON.stringify(body) });
const NEW_DRAFT = DRAFT_SEEDS.find((d) => d.draftId === 3)!;

describe('GET /api/templates', () => {
  it('lists the template library wrapped in {templates}, with ISO dates and types', async () => {
    const response = await t.operator('/api/templates');
    expect(response.status).toBe(200);
    const list = await templates();
    expect(list.map((x) => [x.templateId, x.templateType, x.userVersion, x.userDesc])).toEqual(
      TEMPLATE_SEEDS.map((s) => [s.templateId, s.templateType, s.userVersion, s.userDesc]),
    );
    for (const template of list) {
      expect(new Date(template.createdAt).toISOString()).toBe(template.createdAt);
      expect(Date.parse(template.createdAt)).toBeLessThan(Date.now());
    }
  });

  it('passes a WeChat failure on as a JSON error', async () => {
    await t.admin('/faults', { path: '/wxa/gettemplatelist', errcode: 45009, errmsg: 'reach max api daily quota limit', times: 1 });
    const response = await t.operator('/api/templates');
    expect(response.status).toBe(502);
    expect((await errorOf(response)).code).toBe('wechat_45009');
  });
});

describe('GET /api/templates/drafts', () => {
  it('lists the drafts wrapped in {drafts}', async () => {
    const response = await t.operator('/api/templates/drafts');
    expect(response.status).toBe(200);
    const { drafts } = (await response.json()) as { drafts: Record<string, unknown>[] };
    expect(drafts.map((d) => d.draftId)).toEqual(DRAFT_SEEDS.map((s) => s.draftId));
    expect(drafts[2]).toEqual({
      draftId: 3,
      userVersion: NEW_DRAFT.userVersion,
      userDesc: NEW_DRAFT.userDesc,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sourceMiniprogramAppid: TEMPLATE_SOURCE.appid,
    });
  });
});

describe('POST /api/templates', () => {
  it('adds a draft to the library and answers 201 with the new template', async () => {
    const response = await addDraft({ draftId: 3 });
    expect(response.status).toBe(201);
    const created = (await response.json()) as TemplateView;
    expect(created).toMatchObject({ userVersion: NEW_DRAFT.userVersion, userDesc: NEW_DRAFT.userDesc, templateType: 0 });
    expect(TEMPLATE_SEEDS.map((s) => s.templateId)).not.toContain(created.templateId);
    expect(await templates()).toContainEqual(created);
  });

  it('adds the same draft again as a standard template, a distinct one', async () => {
    const before = await templates();
    const response = await addDraft({ draftId: 3, templateType: 1 });
    expect(response.status).toBe(201);
    const created = (await response.json()) as TemplateView;
    expect(created.templateType).toBe(1);
    expect(before.map((x) => x.templateId)).not.toContain(created.templateId);
  });

  it('404s a draft that does not exist without asking WeChat to add it', async () => {
    await t.admin('/calls', undefined, 'DELETE');
    const response = await addDraft({ draftId: 999 });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toMatchObject({ code: 'draft_not_found', message: expect.stringContaining('999') });
    expect(await t.calls({ path: '/wxa/addtotemplate' })).toEqual([]);
  });

  it('turns WeChat’s “library full” into a 409', async () => {
    const before = await templates();
    await t.admin('/faults', { path: '/wxa/addtotemplate', errcode: 85065, errmsg: 'template list is full', times: 1 });
    const response = await addDraft({ draftId: 3 });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe('template_library_full');
    expect(await templates()).toEqual(before);
  });

  it.each([
    ['malformed JSON', '{'],
    ['no draftId', '{}'],
    ['a draftId as a string', '{"draftId":"3"}'],
    ['a negative draftId', '{"draftId":-1}'],
    ['an unknown template type', '{"draftId":3,"templateType":2}'],
    ['an unknown field', '{"draftId":3,"force":true}'],
  ])('400s %s and adds nothing', async (_name, body) => {
    const before = await templates();
    const response = await t.operator('/api/templates', { method: 'POST', body });
    expect(response.status).toBe(400);
    expect(await templates()).toEqual(before);
  });
});

describe('DELETE /api/templates/{templateId}', () => {
  it('deletes a template with 204, after which it is gone and a second delete is a 404', async () => {
    const created = (await (await addDraft({ draftId: 3 })).json()) as TemplateView;
    const response = await t.operator(`/api/templates/${created.templateId}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
    expect((await templates()).map((x) => x.templateId)).not.toContain(created.templateId);

    const again = await t.operator(`/api/templates/${created.templateId}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await errorOf(again)).code).toBe('template_not_found');
  });

  it('404s an unknown template without asking WeChat to delete it', async () => {
    await t.admin('/calls', undefined, 'DELETE');
    expect((await t.operator('/api/templates/424242', { method: 'DELETE' })).status).toBe(404);
    expect(await t.calls({ path: '/wxa/deletetemplate' })).toEqual([]);
  });

  it('400s a template id that is not a number', async () => {
    for (const id of ['abc', '1.5', '-1']) {
      const response = await t.operator(`/api/templates/${id}`, { method: 'DELETE' });
      expect(response.status, id).toBe(400);
      expect((await errorOf(response)).code).toBe('invalid_template_id');
    }
  });

  it('keeps the template and reports WeChat’s error when WeChat refuses', async () => {
    await t.admin('/faults', { path: '/wxa/deletetemplate', errcode: 85070, errmsg: 'template in use', times: 1 });
    const response = await t.operator(`/api/templates/${TEMPLATE_SEEDS[0]!.templateId}`, { method: 'DELETE' });
    expect(response.status).toBe(502);
    expect((await errorOf(response)).code).toBe('wechat_85070');
    expect((await templates()).map((x) => x.templateId)).toContain(TEMPLATE_SEEDS[0]!.templateId);
  });
});
