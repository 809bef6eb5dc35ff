import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidPageTokenError } from '../../../shared/db/page-token';
import type { Tenant } from '../../../shared/tenants/tenant';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';

const appid = (n: number) => `wx${n.toString(16).padStart(16, '0')}`;
const A = appid(0xa);

// A fresh table per test: the list spans every tenant in the table.
let dynamo: TestDynamo;
let store: TenantStore;

beforeEach(async () => {
  dynamo = await startTestDynamo(`mpfleet-${randomUUID()}`);
  store = new TenantStore(dynamo.db, dynamo.table);
});
afterEach(() => dynamo.close());

/** Follows nextToken to the end, passing each one back exactly as the API handed it out. */
async function listAll(options: Parameters<TenantStore['list']>[0] = {}): Promise<{ pages: Tenant[][] }> {
  const pages: Tenant[][] = [];
  let nextToken: string | undefined;
  do {
    const page = await store.list({ ...options, nextToken });
    pages.push(page.tenants);
    nextToken = page.nextToken;
  } while (nextToken);
  return { pages };
}

describe('TenantStore', () => {
  it('saves an authorization and reads it back as an active tenant without storage keys', async () => {
    await store.saveAuthorization(A, [17, 18, 25], 1_000);

    expect(await store.get(A)).toEqual({ appid: A, status: 'active', permissions: [17, 18, 25], authorizedAtMs: 1_000, updatedAtMs: 1_000 });
    expect(await store.get(appid(0xb))).toBeUndefined();
  });

  it('ignores an older authorization that arrives after a newer one', async () => {
    await store.saveAuthorization(A, [17, 18], 2_000);
    await store.saveAuthorization(A, [17], 1_000);

    expect(await store.get(A)).toMatchObject({ permissions: [17, 18], authorizedAtMs: 2_000 });
  });

  it('saves profile fields onto an existing tenant, leaving omitted fields as they were', async () => {
    await store.saveAuthorization(A, [17], 1_000);
    await store.saveProfile(A, { nickName: 'Tea House', principalName: 'Tea Co.', userName: 'gh_0123456789ab', categories: [{ first: 'Food', second: 'Tea' }] }, 2_000);
    await store.saveProfile(A, { nickName: 'Tea House 2', signature: undefined }, 3_000);

    expect(await store.get(A)).toEqual({
      appid: A,
      status: 'active',
      permissions: [17],
      authorizedAtMs: 1_000,
      updatedAtMs: 3_000,
      nickName: 'Tea House 2',
      principalName: 'Tea Co.',
      userName: 'gh_0123456789ab',
      categories: [{ first: 'Food', second: 'Tea' }],
    });
  });

  it('refuses a profile for a tenant that never authorized instead of creating a half tenant', async () => {
    await expect(store.saveProfile(A, { nickName: 'Ghost' })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await store.get(A)).toBeUndefined();
  });

  it('lists tenants by appid, page by page, with a nextToken that round-trips', async () => {
    const appids = [5, 1, 4, 2, 3].map(appid);
    for (const id of appids) await store.saveAuthorization(id, [17], 1_000);

    const { pages } = await listAll({ limit: 2 });

    expect(pages.map((page) => page.map((t) => t.appid))).toEqual([
      [appid(1), appid(2)],
      [appid(3), appid(4)],
      [appid(5)],
    ]);
  });

  it('returns everything in one page without a nextToken when it fits', async () => {
    for (const n of [1, 2, 3]) await store.saveAuthorization(appid(n), [17], 1_000);

    const page = await store.list({ limit: 10 });

    expect(page.tenants).toHaveLength(3);
    expect(page).not.toHaveProperty('nextToken');
  });

  it.each([
    ['not base64 JSON', 'definitely-not-a-token'],
    ['JSON but not an object', Buffer.from('[1,2]').toString('base64url')],
    ['an object without a key', Buffer.from('{"offset":2}').toString('base64url')],
  ])('rejects a nextToken that is %s', async (_label, nextToken) => {
    await store.saveAuthorization(A, [17], 1_000);

    await expect(store.list({ nextToken })).rejects.toBeInstanceOf(InvalidPageTokenError);
  });

  it('rejects a tampered nextToken that decodes to a key the list never issued', async () => {
    await store.saveAuthorization(A, [17], 1_000);
    const tampered = Buffer.from(JSON.stringify({ pk: `TENANT#${A}`, sk: 'PROFILE', gsi1pk: 'SOMETHING-ELSE', gsi1sk: A })).toString('base64url');

    await expect(store.list({ nextToken: tampered })).rejects.toBeInstanceOf(InvalidPageTokenError);
  });

  it('filters by status across pages', async () => {
    for (let n = 1; n <= 7; n++) await store.saveAuthorization(appid(n), [17], 1_000);
    await store.markUnusable(appid(2), 'revoked', 'unauthorized event', 2_000);
    await store.markUnusable(appid(5), 'revoked', 'unauthorized event', 2_000);
    await store.markUnusable(appid(6), 'needs_reauth', 'refresh token rejected', 2_000);

    const { pages } = await listAll({ status: 'revoked', limit: 2 });
    const revoked = pages.flat();
    expect(revoked.map((t) => t.appid)).toEqual([appid(2), appid(5)]);
    expect(revoked.every((t) => t.status === 'revoked')).toBe(true);

    const active: string[] = [];
    for await (const tenant of store.all('active')) active.push(tenant.appid);
    expect(active).toEqual([1, 3, 4, 7].map(appid));
  });

  it('markUnusable applies an event after the authorization and reports whether it did', async () => {
    await store.saveAuthorization(A, [17], 1_000);

    expect(await store.markUnusable(A, 'revoked', 'unauthorized event', 2_000)).toBe(true);
    expect(await store.get(A)).toMatchObject({ status: 'revoked', statusReason: 'unauthorized event', authorizedAtMs: 1_000 });

    expect(await store.markUnusable(appid(0xb), 'revoked', 'unknown tenant', 2_000)).toBe(false);
    expect(await store.get(appid(0xb))).toBeUndefined();
  });

  it('markUnusable ignores an event from before the current authorization', async () => {
    await store.saveAuthorization(A, [17], 2_000);

    expect(await store.markUnusable(A, 'needs_reauth', 'stale failure', 1_000)).toBe(false);
    const tenant = await store.get(A);
    expect(tenant).toMatchObject({ status: 'active' });
    expect(tenant).not.toHaveProperty('statusReason');
  });

  it('a later authorization re-activates a revoked tenant and clears the reason', async () => {
    await store.saveAuthorization(A, [17], 1_000);
    await store.markUnusable(A, 'revoked', 'unauthorized event', 2_000);

    await store.saveAuthorization(A, [17, 18], 3_000);

    const tenant = await store.get(A);
    expect(tenant).toMatchObject({ status: 'active', permissions: [17, 18], authorizedAtMs: 3_000 });
    expect(tenant).not.toHaveProperty('statusReason');
  });

  it('a revocation and an authorization at the same moment: the authorization wins, whichever is written first or again', async () => {
    await store.saveAuthorization(A, [17], 1_000);
    await store.markUnusable(A, 'revoked', 'unauthorized event', 2_000);
    await store.saveAuthorization(A, [17], 2_000);
    expect(await store.get(A)).toMatchObject({ status: 'active' });
    // The same revocation again (a retried push) does not undo it.
    expect(await store.markUnusable(A, 'revoked', 'unauthorized event', 2_000)).toBe(false);
    expect(await store.get(A)).toMatchObject({ status: 'active' });
  });

  it('an authorization older than a later revocation, processed late, does not re-activate the tenant', async () => {
    await store.saveAuthorization(A, [17], 1_000);
    await store.markUnusable(A, 'revoked', 'unauthorized event', 3_000);

    await store.saveAuthorization(A, [17, 18], 2_000);

    expect(await store.get(A)).toMatchObject({ status: 'revoked' });
  });

  it('points audit results at the newest submitted deployment and keeps the one it replaced, once', async () => {
    await store.saveAuthorization(A, [18], 1_000);
    await store.pointAuditAt(A, 'd-1');
    expect(await store.get(A)).toMatchObject({ auditingDeployment: 'd-1' });
    expect((await store.get(A))!.previousAuditingDeployment).toBeUndefined();
    await store.pointAuditAt(A, 'd-2');
    expect(await store.get(A)).toMatchObject({ auditingDeployment: 'd-2', previousAuditingDeployment: 'd-1' });
    // A retried submit of d-2 must not make d-2 its own predecessor and lose d-1.
    await store.pointAuditAt(A, 'd-2');
    expect(await store.get(A)).toMatchObject({ auditingDeployment: 'd-2', previousAuditingDeployment: 'd-1' });
    // No tenant, no half tenant.
    await store.pointAuditAt(appid(0xb), 'd-3');
    expect(await store.get(appid(0xb))).toBeUndefined();
  });

  it('keeps the released version of the newest deployment when an older one finishes late', async () => {
    await store.saveAuthorization(A, [17], 1_000);
    await store.recordRelease(A, '2.0.0', 20_000);
    await store.recordRelease(A, '1.0.0', 10_000);
    expect(await store.get(A)).toMatchObject({ releasedVersion: '2.0.0' });
    await store.recordRelease(A, '3.0.0', 30_000);
    expect(await store.get(A)).toMatchObject({ releasedVersion: '3.0.0' });
  });
});
