import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthorizerTokens } from '../../../shared/tokens/authorizer-token';
import { TenantUnusableError } from '../../../shared/tokens/errors';
import { LeasedToken } from '../../../shared/tokens/leased-token';
import type { ComponentApi } from '../../../shared/wechat/component-api';
import { WeChatApiError } from '../../../shared/wechat/errors';
import type { AuthorizerListItem, AuthorizerListResponse, AuthorizerTokenResponse } from '../../../shared/wechat/types';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

const APPID = 'wx00000000000000aa';
const HOUR = 3_600_000;

/**
 * WeChat's side of authorizer tokens: it knows each authorizer's current refresh token, rotates it
 * on every exchange, rejects any other with 61023, and lists authorizers page by page.
 */
class FakeWeChat {
  readonly refreshTokens = new Map<string, string>();
  readonly exchanges: { appid: string; refreshToken: string; componentToken: string }[] = [];
  readonly listCalls: { offset: number; count: number }[] = [];
  /** Authorizers listed before the real ones (sorted first), to push an appid past a page boundary. */
  otherAuthorizers = 0;
  /** Lets a test hold an exchange inside "WeChat" (after WeChat decided, before it answers). */
  beforeAnswer?: (refreshToken: string) => Promise<void>;
  private issued = 0;

  async authorizerToken(componentToken: string, appid: string, refreshToken: string): Promise<AuthorizerTokenResponse> {
    this.exchanges.push({ appid, refreshToken, componentToken });
    const valid = this.refreshTokens.get(appid) === refreshToken;
    const n = ++this.issued;
    if (valid) this.refreshTokens.set(appid, `rt-${n}`);
    await this.beforeAnswer?.(refreshToken);
    if (!valid) throw new WeChatApiError({ code: 61023, errmsg: 'invalid refresh_token', path: '/cgi-bin/component/api_authorizer_token' });
    return { authorizer_access_token: `at-${n}`, expires_in: 7200, authorizer_refresh_token: `rt-${n}` };
  }

  async getAuthorizerList(_componentToken: string, offset: number, count: number): Promise<AuthorizerListResponse> {
    this.listCalls.push({ offset, count });
    const all: AuthorizerListItem[] = [
      ...Array.from({ length: this.otherAuthorizers }, (_, i) => ({
        authorizer_appid: `wx0000${String(i).padStart(12, '0')}`,
        refresh_token: `rt-other-${i}`,
        auth_time: 1_700_000_000,
      })),
      ...[...this.refreshTokens].map(([appid, rt]) => ({ authorizer_appid: appid, refresh_token: rt, auth_time: 1_700_000_000 })),
    ];
    return { errcode: 0, errmsg: 'ok', total_count: all.length, list: all.slice(offset, offset + Math.min(count, 500)) };
  }
}

let dynamo: TestDynamo;
let wechat: FakeWeChat;
let clock: number;
let reauth: { appid: string; reason: string }[];

beforeEach(async () => {
  dynamo = await startTestDynamo(`mpfleet-${randomUUID()}`);
  wechat = new FakeWeChat();
  clock = 1_700_000_000_000;
  reauth = [];
});
afterEach(() => dynamo.close());

/** One "Lambda instance": its own component token and per-tenant caches over the shared table. */
function instance() {
  const now = () => clock;
  const componentToken = new LeasedToken({
    db: dynamo.db,
    table: dynamo.table,
    key: { pk: 'PLATFORM', sk: 'COMPONENT_TOKEN' },
    kind: 'component',
    now,
    refresh: async () => ({ token: 'component-token', expiresAtMs: clock + 2 * HOUR }),
  });
  return new AuthorizerTokens({
    db: dynamo.db,
    table: dynamo.table,
    api: wechat as unknown as ComponentApi,
    componentToken,
    now,
    onNeedsReauth: async (appid, reason) => {
      reauth.push({ appid, reason });
    },
  });
}

/** What api_query_auth returned at authorization; `expiresInSeconds: 0` makes the first get() refresh. */
async function authorize(tokens: AuthorizerTokens, refreshToken: string, authorizedAtMs: number, expiresInSeconds = 0) {
  wechat.refreshTokens.set(APPID, refreshToken);
  await tokens.storeAuthorization(APPID, { accessToken: 'at-authorized', expiresInSeconds, refreshToken }, authorizedAtMs);
}

async function item() {
  const { Item } = await dynamo.db.send(
    new GetCommand({ TableName: dynamo.table, Key: { pk: `TENANT#${APPID}`, sk: 'AUTHORIZER_TOKEN' }, ConsistentRead: true }),
  );
  return Item;
}

describe('authorizer access tokens', () => {
  it('refreshes with the stored refresh token and persists the rotated one WeChat returns', async () => {
    const tokens = instance();
    await authorize(tokens, 'rt-authorized', clock);

    expect(await tokens.forTenant(APPID).get()).toBe('at-1');
    expect(wechat.exchanges).toEqual([{ appid: APPID, refreshToken: 'rt-authorized', componentToken: 'component-token' }]);
    expect(await item()).toMatchObject({ token: 'at-1', refreshToken: 'rt-1', expiresAtMs: clock + 7200 * 1000 });

    // The next refresh (another instance) must use the rotated token, or WeChat would answer 61023.
    expect(await instance().forTenant(APPID).refreshNow()).toBe('at-2');
    expect(wechat.exchanges.map((e) => e.refreshToken)).toEqual(['rt-authorized', 'rt-1']);
    expect(await item()).toMatchObject({ token: 'at-2', refreshToken: 'rt-2' });
    expect(reauth).toEqual([]);
  });

  it('uses the token stored at authorization without calling WeChat while it is valid', async () => {
    const tokens = instance();
    await authorize(tokens, 'rt-authorized', clock, 7200);

    expect(await instance().forTenant(APPID).get()).toBe('at-authorized');
    expect(wechat.exchanges).toEqual([]);
  });

  it('never lets a refresh that lost its lease replace a newer rotated refresh token', async () => {
    await authorize(instance(), 'rt-authorized', clock);
    // Instance A exchanges rt-authorized (WeChat rotates it to rt-1) but hangs before answering.
    let answerA!: () => void;
    const aHeld = new Promise<void>((resolve) => (answerA = resolve));
    wechat.beforeAnswer = () => (wechat.exchanges.length === 1 ? aHeld : Promise.resolve());
    const a = instance().forTenant(APPID).get();
    while (wechat.exchanges.length === 0) await new Promise((r) => setTimeout(r, 5));

    // A's lease runs out; instance B's 'rt-authorized' is refused (61023), the list refills rt-1,
    // and B rotates it to rt-2.
    clock += 21_000;
    expect(await instance().forTenant(APPID).get()).toBe('at-3');
    expect(await item()).toMatchObject({ token: 'at-3', refreshToken: 'rt-3' });

    answerA();
    expect(await a).toBe('at-1');
    expect(await item()).toMatchObject({ token: 'at-3', refreshToken: 'rt-3' });
    expect(wechat.refreshTokens.get(APPID)).toBe('rt-3');
  });

  it('keeps the rotated refresh token of a refresh whose lease expired when nobody rotated since', async () => {
    await authorize(instance(), 'rt-authorized', clock);
    let answerA!: () => void;
    const aHeld = new Promise<void>((resolve) => (answerA = resolve));
    wechat.beforeAnswer = () => aHeld;
    const a = instance().forTenant(APPID).get();
    while (wechat.exchanges.length === 0) await new Promise((r) => setTimeout(r, 5));

    // A's lease runs out and another instance takes it over, but has not written anything yet.
    clock += 21_000;
    await dynamo.db.send(
      new UpdateCommand({
        TableName: dynamo.table,
        Key: { pk: `TENANT#${APPID}`, sk: 'AUTHORIZER_TOKEN' },
        UpdateExpression: 'SET leaseOwner = :other, leaseUntilMs = :until',
        ExpressionAttributeValues: { ':other': 'another-instance', ':until': clock + 20_000 },
      }),
    );

    answerA();
    expect(await a).toBe('at-1');
    // rt-1 is WeChat's only valid refresh token now: losing it would lose the tenant.
    expect(await item()).toMatchObject({ refreshToken: 'rt-1', token: 'at-authorized', leaseOwner: 'another-instance' });
  });

  it('after 61023 refills the refresh token from api_get_authorizer_list across a page boundary', async () => {
    const tokens = instance();
    await authorize(tokens, 'rt-authorized', clock);
    // WeChat's refresh token moved on (e.g. rotated by an answer we never received).
    wechat.refreshTokens.set(APPID, 'rt-current');
    wechat.otherAuthorizers = 500; // our appid is entry 501: the second page

    expect(await tokens.forTenant(APPID).get()).toBe('at-2');

    expect(wechat.listCalls).toEqual([
      { offset: 0, count: 500 },
      { offset: 500, count: 500 },
    ]);
    expect(wechat.exchanges.map((e) => e.refreshToken)).toEqual(['rt-authorized', 'rt-current']);
    expect(await item()).toMatchObject({ token: 'at-2', refreshToken: 'rt-2' });
    expect(reauth).toEqual([]);
  });

  it('after 61023 with no refill calls onNeedsReauth and throws needs_reauth (stops at the last page)', async () => {
    const tokens = instance();
    await authorize(tokens, 'rt-authorized', clock);
    wechat.refreshTokens.delete(APPID); // not listed at all
    wechat.otherAuthorizers = 500; // exactly one full page

    const error = await tokens.forTenant(APPID).get().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TenantUnusableError);
    expect(error).toMatchObject({ appid: APPID, reason: 'needs_reauth' });
    expect(wechat.listCalls).toEqual([{ offset: 0, count: 500 }]);
    expect(reauth).toHaveLength(1);
    expect(reauth[0]?.appid).toBe(APPID);
    expect((await item())?.refreshToken).toBe('rt-authorized');
  });

  it('after 61023 does not retry when the list still shows the rejected refresh token', async () => {
    const tokens = instance();
    await authorize(tokens, 'rt-authorized', clock);
    wechat.refreshTokens.set(APPID, 'rt-authorized');
    wechat.beforeAnswer = async () => {
      wechat.refreshTokens.set(APPID, 'rt-authorized'); // WeChat refuses it but still lists it
      throw new WeChatApiError({ code: 61023, errmsg: 'invalid refresh_token', path: '/cgi-bin/component/api_authorizer_token' });
    };

    await expect(tokens.forTenant(APPID).get()).rejects.toMatchObject({ name: 'TenantUnusableError', reason: 'needs_reauth' });
    expect(wechat.exchanges).toHaveLength(1);
    expect(reauth).toHaveLength(1);
  });

  it('refills even when a concurrent refresh already stored the listed refresh token', async () => {
    await authorize(instance(), 'rt-authorized', clock);
    // A exchanges rt-authorized (WeChat rotates to rt-1) and hangs; its lease expires.
    let answerA!: () => void;
    const aHeld = new Promise<void>((resolve) => (answerA = resolve));
    let answerB!: () => void;
    const bHeld = new Promise<void>((resolve) => (answerB = resolve));
    let heldB = false;
    wechat.beforeAnswer = (rt) => {
      if (rt !== 'rt-authorized') return Promise.resolve();
      if (wechat.exchanges.length === 1) return aHeld;
      heldB = true;
      return bHeld;
    };
    const a = instance().forTenant(APPID).get();
    while (wechat.exchanges.length === 0) await new Promise((r) => setTimeout(r, 5));
    clock += 21_000;
    // B read rt-authorized under its lease and is about to get 61023 for it...
    const b = instance().forTenant(APPID).get();
    while (!heldB) await new Promise((r) => setTimeout(r, 5));
    // ...while A's late answer keeps its rotated rt-1 (A's lease was lost).
    answerA();
    expect(await a).toBe('at-1');
    expect((await item())?.refreshToken).toBe('rt-1');

    // B now finds rt-1 in the list, which is also what is stored: it must simply use it.
    answerB();
    expect(await b).toBe('at-3');
    expect(await item()).toMatchObject({ token: 'at-3', refreshToken: 'rt-3' });
  });

  it('throws not_authorized for a tenant that never authorized', async () => {
    await expect(instance().forTenant(APPID).get()).rejects.toMatchObject({ name: 'TenantUnusableError', reason: 'not_authorized' });
    expect(wechat.exchanges).toEqual([]);
  });

  it('markRevoked stops the tenant; a later authorization re-enables it; an older revocation changes nothing', async () => {
    const tokens = instance();
    const authorizedAt = clock - 60_000;
    await authorize(tokens, 'rt-authorized', authorizedAt, 7200);
    expect(await tokens.forTenant(APPID).get()).toBe('at-authorized');

    await tokens.markRevoked(APPID, authorizedAt + 1_000);
    for (const reader of [tokens, instance()]) {
      await expect(reader.forTenant(APPID).get()).rejects.toMatchObject({ name: 'TenantUnusableError', reason: 'revoked' });
    }
    expect(wechat.exchanges).toEqual([]);

    const reauthorizedAt = authorizedAt + 2_000;
    await tokens.storeAuthorization(APPID, { accessToken: 'at-again', expiresInSeconds: 7200, refreshToken: 'rt-again' }, reauthorizedAt);
    expect(await tokens.forTenant(APPID).get()).toBe('at-again');

    // A delayed revocation from before the re-authorization.
    await tokens.markRevoked(APPID, reauthorizedAt - 500);
    expect(await tokens.forTenant(APPID).get()).toBe('at-again');
    expect(await instance().forTenant(APPID).get()).toBe('at-again');
    const stored = await item();
    expect(stored).not.toHaveProperty('revoked');
    expect(stored).toMatchObject({ token: 'at-again', refreshToken: 'rt-again', authorizedAtMs: reauthorizedAt });
  });

  it('an older authorization arriving late replaces neither a newer authorization nor its refresh token', async () => {
    const tokens = instance();
    await tokens.storeAuthorization(APPID, { accessToken: 'at-new', expiresInSeconds: 7200, refreshToken: 'rt-new' }, clock);
    await tokens.storeAuthorization(APPID, { accessToken: 'at-old', expiresInSeconds: 7200, refreshToken: 'rt-old' }, clock - 1_000);

    expect(await item()).toMatchObject({ token: 'at-new', refreshToken: 'rt-new', authorizedAtMs: clock });
    expect(await instance().forTenant(APPID).get()).toBe('at-new');
  });

  it('an authorization older than a later revocation does not re-enable the tenant', async () => {
    const tokens = instance();
    await tokens.storeAuthorization(APPID, { accessToken: 'at-1', expiresInSeconds: 7200, refreshToken: 'rt-1' }, 1_000);
    await tokens.markRevoked(APPID, 3_000);
    // The authorization of t=2000 is processed only now (queues do not keep order).
    await tokens.storeAuthorization(APPID, { accessToken: 'at-2', expiresInSeconds: 7200, refreshToken: 'rt-2' }, 2_000);

    await expect(instance().forTenant(APPID).get()).rejects.toMatchObject({ name: 'TenantUnusableError', reason: 'revoked' });
  });
});
