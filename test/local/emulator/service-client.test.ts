/**
 * The emulator is the oracle of the service's tests: the service's own typed WeChat client must
 * be able to run a whole deploy against it (ticket → tokens → commit → audit → release).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AuthorizerApi } from '../../../shared/wechat/authorizer-api';
import { ComponentApi } from '../../../shared/wechat/component-api';
import { WeChatApiError } from '../../../shared/wechat/errors';
import { WeChatHttp } from '../../../shared/wechat/http';
import type { Emulator } from '../../../local/emulator/server';
import { admin, startEmulatorWith } from './helpers';

describe("the service's WeChat client against the emulator", () => {
  let emulator: Emulator;
  afterEach(() => emulator.close());

  it('runs a deploy from ticket to release', async () => {
    emulator = await startEmulatorWith(undefined, { auditDelayMs: 10 });
    const http = new WeChatHttp({ apiBase: emulator.url });
    const component = new ComponentApi(http, emulator.platform.componentAppid);
    const authorizer = new AuthorizerApi(http);

    const { ticket } = emulator.pushTicket();
    const { component_access_token: componentToken } = await component.componentToken(emulator.platform.componentSecret, ticket);
    const { pre_auth_code: preAuthCode } = await component.createPreAuthCode(componentToken);
    expect(preAuthCode).toMatch(/^preauthcode@@@/);

    const appid = emulator.state.seeded[0]!.appid;
    const { json } = await admin(emulator, 'POST', '/__admin/authorize', { appid });
    const auth = await component.queryAuth(componentToken, json.auth_code as string);
    const token = auth.authorization_info.authorizer_access_token;
    const info = await component.getAuthorizerInfo(componentToken, appid);
    expect(info.authorizer_info.user_name).toMatch(/^gh_/);

    const templates = await component.getTemplateList(componentToken);
    const templateId = templates.template_list[0]!.template_id;
    await authorizer.commit(token, {
      template_id: templateId,
      ext_json: JSON.stringify({ extAppid: appid, ext: { title: 'hello' } }),
      user_version: '1.0.0',
      user_desc: 'first deploy',
    });
    const { auditid } = await authorizer.submitAudit(token, { item_list: [] });
    await expect.poll(async () => (await authorizer.getAuditStatus(token, auditid)).status, { timeout: 2000 }).toBe(0);
    await authorizer.release(token);
    expect((await authorizer.getVersionInfo(token)).release_info).toMatchObject({ release_version: '1.0.0', release_desc: 'first deploy' });
    // The only version ever online is nothing to roll back to.
    expect((await authorizer.getHistoryVersion(token)).version_list).toEqual([]);

    const qrcode = await authorizer.getQrcode(token);
    expect(qrcode.contentType).toBe('image/jpeg');

    const refused = await authorizer.release(token).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WeChatApiError);
    expect((refused as WeChatApiError).code).toBe(85052);
  });
});
