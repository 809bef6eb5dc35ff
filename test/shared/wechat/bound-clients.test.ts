import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeasedToken, type RefreshedToken } from '../../../shared/tokens/leased-token';
import type { AuthorizerApi } from '../../../shared/wechat/authorizer-api';
import { bindToken, weChatClients, type TokenHolder } from '../../../shared/wechat/bound-clients';
import type { ComponentApi } from '../../../shared/wechat/component-api';
import { WeChatApiError } from '../../../shared/wechat/errors';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

let dynamo: TestDynamo;

beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.close());

/** An API shaped like WeChat's clients (token first), answering from a script and recording each call. */
class ScriptedApi {
  readonly calls: { token: string; args: unknown[] }[] = [];
  constructor(private readonly failures: Error[] = []) {}

  async commit(token: string, templateId: number, extJson: string): Promise<{ errcode: 0; templateId: number; extJson: string }> {
    this.calls.push({ token, args: [templateId, extJson] });
    const failure = this.failures.shift();
    if (failure) throw failure;
    return { errcode: 0, templateId, extJson };
  }
}

/** A token holder in DynamoDB whose refreshes hand out token-1, token-2, … */
function leasedToken() {
  let refreshes = 0;
  const token = new LeasedToken({
    db: dynamo.db,
    table: dynamo.table,
    key: { pk: `TEST#${randomUUID()}`, sk: 'TOKEN' },
    kind: 'authorizer',
    pollMs: 10,
    refresh: async (): Promise<RefreshedToken> => ({ token: `token-${++refreshes}`, expiresAtMs: Date.now() + 7_200_000 }),
  });
  return { token, refreshes: () => refreshes };
}

const wechatError = (code: number) => new WeChatApiError({ code, errmsg: `errcode ${code}`, path: '/wxa/commit' });

describe('bindToken', () => {
  it("passes the holder's token first and the caller's arguments after it", async () => {
    const api = new ScriptedApi();
    const { token } = leasedToken();
    const bound = bindToken<ScriptedApi, 'commit'>(api, token);

    expect(await bound.commit(7, '{"extAppid":"wx"}')).toEqual({ errcode: 0, templateId: 7, extJson: '{"extAppid":"wx"}' });
    expect(api.calls).toEqual([{ token: 'token-1', args: [7, '{"extAppid":"wx"}'] }]);
  });

  it.each([40001, 42001, 40014])('on %i drops the rejected token and retries exactly once with a fresh one', async (code) => {
    const api = new ScriptedApi([wechatError(code)]);
    const { token, refreshes } = leasedToken();
    const bound = bindToken<ScriptedApi, 'commit'>(api, token);

    expect(await bound.commit(7, '{}')).toMatchObject({ errcode: 0 });
    expect(api.calls.map((c) => c.token)).toEqual(['token-1', 'token-2']);
    expect(refreshes()).toBe(2);
  });

  it('gives up after the one retry when the fresh token is rejected too', async () => {
    const api = new ScriptedApi([wechatError(40001), wechatError(40001)]);
    const { token } = leasedToken();

    await expect(bindToken<ScriptedApi, 'commit'>(api, token).commit(7, '{}')).rejects.toMatchObject({ code: 40001 });
    expect(api.calls).toHaveLength(2);
  });

  it('does not retry other errors, and keeps the token', async () => {
    const api = new ScriptedApi([wechatError(85009)]);
    const { token, refreshes } = leasedToken();
    const bound = bindToken<ScriptedApi, 'commit'>(api, token);

    await expect(bound.commit(7, '{}')).rejects.toMatchObject({ code: 85009 });
    await bound.commit(7, '{}');
    expect(api.calls.map((c) => c.token)).toEqual(['token-1', 'token-1']);
    expect(refreshes()).toBe(1);
  });
});

describe('weChatClients', () => {
  it("binds component APIs to the component token and each tenant's APIs to that tenant's token", async () => {
    const holder = (name: string): TokenHolder => ({ use: (call) => call(name) });
    const seen: string[] = [];
    const component = { createPreAuthCode: async (token: string) => seen.push(`preauth with ${token}`) } as unknown as ComponentApi;
    const authorizer = { getQrcode: async (token: string, path?: string) => seen.push(`qrcode ${path} with ${token}`) } as unknown as AuthorizerApi;
    const clients = weChatClients({ component, authorizer }, { component: holder('component-token'), forTenant: (appid) => holder(`token of ${appid}`) });

    await clients.component.createPreAuthCode();
    await clients.tenant('wx0000000000000001').getQrcode('pages/index/index');

    expect(seen).toEqual(['preauth with component-token', 'qrcode pages/index/index with token of wx0000000000000001']);
  });
});
