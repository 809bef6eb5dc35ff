import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator/server';
import { authorizeMiniProgram, callApi, componentToken, startEmulatorWith } from './helpers';

interface TemplateItem {
  template_id: number;
  user_version: string;
  template_type: number;
}

describe('template library', () => {
  let emulator: Emulator;
  let token: string;

  beforeEach(async () => {
    emulator = await startEmulatorWith(undefined);
    token = await componentToken(emulator);
  });
  afterEach(() => emulator.close());

  const call = (path: string, body?: unknown, query: Record<string, string> = {}) =>
    callApi(emulator, path, { query: { access_token: token, ...query }, ...(body === undefined ? {} : { body }) });
  const templates = async (query: Record<string, string> = {}) =>
    (await call('/wxa/gettemplatelist', undefined, query)).template_list as TemplateItem[];

  it('comes seeded with drafts and a template a deploy can use out of the box', async () => {
    const drafts = await call('/wxa/gettemplatedraftlist');
    expect(drafts.errcode).toBe(0);
    expect((drafts.draft_list as { draft_id: number }[]).map((d) => d.draft_id)).toEqual([1, 2, 3]);
    expect((await templates()).map((t) => t.template_id)).toEqual([1, 2]);
    expect((await templates({ template_type: '1' })).map((t) => t.template_id)).toEqual([2]);
  });

  it('adds a draft to the library and deletes templates', async () => {
    expect(await call('/wxa/addtotemplate', { draft_id: 3, template_type: 0 })).toEqual({ errcode: 0, errmsg: 'ok' });
    const added = (await templates()).find((t) => t.user_version === '1.1.0');
    expect(added).toMatchObject({ template_id: 3, template_type: 0 });

    // The new template's extra page can be committed.
    const mp = await authorizeMiniProgram(emulator, 0, token);
    const commit = await callApi(emulator, '/wxa/commit', {
      query: { access_token: mp.accessToken },
      body: { template_id: 3, ext_json: JSON.stringify({ pages: ['pages/settings/settings'] }), user_version: '1.1.0', user_desc: '' },
    });
    expect(commit.errcode).toBe(0);

    expect((await call('/wxa/deletetemplate', { template_id: 3 })).errcode).toBe(0);
    expect((await call('/wxa/deletetemplate', { template_id: 3 })).errcode).toBe(85064);
    expect((await call('/wxa/addtotemplate', { draft_id: 99 })).errcode).toBe(85064);
  });

  it('takes the component token, not an authorizer token', async () => {
    const mp = await authorizeMiniProgram(emulator, 0, token);
    expect((await callApi(emulator, '/wxa/gettemplatelist', { query: { access_token: mp.accessToken } })).errcode).toBe(40001);
  });
});
