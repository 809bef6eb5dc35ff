import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployEngine } from '../../../shared/deployments/engine-ports';
import { TenantStore } from '../../../shared/tenants/tenant-store';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo';
import { MemoryTenants } from '../../support/memory-deploy-engine';

/**
 * The deploy engine's tenant bookkeeping (whose turn it is, what is online), run against the
 * in-memory tenants the engine's tests use and TenantStore on dynalite: both must answer alike.
 */

type TenantPort = DeployEngine['tenants'];

interface Subject {
  tenants: TenantPort;
  /** Adds an active tenant. */
  add(appid: string): Promise<void>;
  close(): Promise<void>;
}

const subjects: [string, () => Promise<Subject>][] = [
  [
    'MemoryTenants',
    async () => {
      const tenants = new MemoryTenants();
      return { tenants, add: async (appid) => void tenants.add(appid), close: async () => undefined };
    },
  ],
  [
    'TenantStore',
    async () => {
      const dynamo: TestDynamo = await startTestDynamo(`mpfleet-${randomUUID()}`);
      const tenants = new TenantStore(dynamo.db, dynamo.table);
      return { tenants, add: async (appid) => void (await tenants.saveAuthorization(appid, [18], 1_000)), close: () => dynamo.close() };
    },
  ],
];

const D1 = 'd-1-00000001';
const D2 = 'd-2-00000002';
const D3 = 'd-3-00000003';

describe.each(subjects)('%s', (_, open) => {
  let subject: Subject;
  let tenants: TenantPort;
  beforeAll(async () => {
    subject = await open();
    tenants = subject.tenants;
  });
  afterAll(() => subject.close());

  /** A fresh tenant per test (the table is shared by the suite). */
  async function tenant(): Promise<string> {
    const appid = `wx${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await subject.add(appid);
    return appid;
  }

  it('holds a tenant for one deployment at a time, naming the holder to the others', async () => {
    const appid = await tenant();

    expect(await tenants.hold(appid, D1)).toEqual({ held: true, continuing: false, tenant: expect.objectContaining({ appid, status: "active" }) }); // the tenant as the hold found it
    expect(await tenants.hold(appid, D1)).toMatchObject({ held: true, continuing: true }); // a redelivery
    expect(await tenants.hold(appid, D2)).toEqual({ held: false, holder: D1, heldSinceMs: expect.any(Number) });
    expect((await tenants.get(appid))?.heldBy).toBe(D1);
  });

  it('lets go only for the holder, answering the deployments that waited (not itself)', async () => {
    const appid = await tenant();
    await tenants.hold(appid, D1);
    await tenants.waitFor(appid, D2);
    await tenants.waitFor(appid, D3);
    await tenants.waitFor(appid, D2);
    await tenants.waitFor(appid, D1);

    expect(await tenants.letGo(appid, D2)).toEqual([]);
    expect((await tenants.letGo(appid, D1)).sort()).toEqual([D2, D3]);
    expect((await tenants.get(appid))?.heldBy).toBeUndefined();
    expect(await tenants.letGo(appid, D1)).toEqual([]); // a repeat wakes nobody twice
  });

  it('says whether another deployment held the tenant since this one last did', async () => {
    const appid = await tenant();
    await tenants.hold(appid, D1);
    await tenants.letGo(appid, D1);
    expect(await tenants.hold(appid, D1)).toMatchObject({ held: true, continuing: true });
    await tenants.letGo(appid, D1);

    await tenants.hold(appid, D2);
    await tenants.letGo(appid, D2);
    expect(await tenants.hold(appid, D1)).toMatchObject({ held: true, continuing: false });
  });

  describe('a hold that points the audit results at the deployment (one that will submit)', () => {
    const audits = async (appid: string) => {
      const t = await tenants.get(appid);
      return { auditing: t?.auditingDeployment, previous: t?.previousAuditingDeployment, heldBy: t?.heldBy };
    };

    it('sends the results to it from now on, keeping the deployment they went to as the previous one', async () => {
      const appid = await tenant();
      await tenants.pointAuditAt(appid, D1);

      const turn = await tenants.hold(appid, D2, Date.now(), { pointAudit: true });

      expect(await audits(appid)).toEqual({ auditing: D2, previous: D1, heldBy: D2 });
      // The tenant it answers is pointed too, so the submit that follows writes nothing more.
      expect(turn).toMatchObject({ held: true, pointedAudit: true, tenant: { auditingDeployment: D2, previousAuditingDeployment: D1 } });
    });

    it('names no previous deployment on a tenant that never submitted', async () => {
      const appid = await tenant();

      const turn = await tenants.hold(appid, D1, Date.now(), { pointAudit: true });

      expect(await audits(appid)).toEqual({ auditing: D1, previous: undefined, heldBy: D1 });
      expect(turn).toMatchObject({ held: true, pointedAudit: true, tenant: { auditingDeployment: D1 } });
      expect(turn.held && turn.tenant?.previousAuditingDeployment).toBeUndefined();
      // Pointed at another later, this one is the previous.
      await tenants.letGo(appid, D1);
      await tenants.hold(appid, D2, Date.now(), { pointAudit: true });
      expect(await audits(appid)).toEqual({ auditing: D2, previous: D1, heldBy: D2 });
    });

    it('keeps the previous deployment when the results already come to it (a redelivery, a retry)', async () => {
      const appid = await tenant();
      await tenants.pointAuditAt(appid, D1);
      await tenants.hold(appid, D2, Date.now(), { pointAudit: true });

      const again = await tenants.hold(appid, D2, Date.now(), { pointAudit: true });

      expect(again).toMatchObject({ held: true, continuing: true });
      expect(again).not.toHaveProperty('pointedAudit');
      expect(await audits(appid)).toEqual({ auditing: D2, previous: D1, heldBy: D2 });
    });

    it('changes nothing while another deployment holds the tenant', async () => {
      const appid = await tenant();
      await tenants.hold(appid, D1, Date.now(), { pointAudit: true });

      expect(await tenants.hold(appid, D2, Date.now(), { pointAudit: true })).toEqual({ held: false, holder: D1, heldSinceMs: expect.any(Number) });
      expect(await audits(appid)).toEqual({ auditing: D1, previous: undefined, heldBy: D1 });
    });
  });

  it('hands the tenant over only from its holder', async () => {
    const appid = await tenant();
    await tenants.hold(appid, D1);

    expect(await tenants.handOver(appid, D2, D3)).toBe(false);
    expect(await tenants.handOver(appid, D1, D2)).toBe(true);
    expect((await tenants.get(appid))?.heldBy).toBe(D2);
    expect(await tenants.hold(appid, D1)).toEqual({ held: false, holder: D2, heldSinceMs: expect.any(Number) });
    // What the superseded deployment left at WeChat is not the new holder's.
    expect(await tenants.hold(appid, D2)).toMatchObject({ held: true, continuing: false });
  });

  it('lets a deployment go ahead on a tenant that does not exist: its commit fails on its own terms', async () => {
    expect(await tenants.hold(`wx${'f'.repeat(16)}`, D1)).toMatchObject({ held: true, continuing: false });
  });

  it('records the release that landed last, whichever deployment recorded it first', async () => {
    const appid = await tenant();
    await tenants.recordRelease(appid, '2.0.0', 20_000);
    await tenants.recordRelease(appid, '1.0.0', 10_000);
    expect((await tenants.get(appid))?.releasedVersion).toBe('2.0.0');
    await tenants.recordRelease(appid, '3.0.0', 30_000);
    expect((await tenants.get(appid))?.releasedVersion).toBe('3.0.0');
  });

  it('records a release and lets go of the tenant in one step while the deployment holds it, answering who waited', async () => {
    const appid = await tenant();
    await tenants.hold(appid, D1);
    await tenants.hold(appid, D2);
    await tenants.waitFor(appid, D2);

    expect(await tenants.recordReleaseAndLetGo(appid, D1, '2.0.0', 20_000)).toEqual([D2]);
    expect(await tenants.get(appid)).toMatchObject({ releasedVersion: '2.0.0' });
    expect((await tenants.get(appid))?.heldBy).toBeUndefined();
    expect(await tenants.hold(appid, D2)).toMatchObject({ held: true });
  });

  it('changes nothing for a deployment that no longer holds the tenant, or a release older than the recorded one', async () => {
    const appid = await tenant();
    await tenants.hold(appid, D1);
    expect(await tenants.recordReleaseAndLetGo(appid, D2, '9.0.0', 90_000)).toBeUndefined();
    await tenants.recordRelease(appid, '3.0.0', 30_000);
    expect(await tenants.recordReleaseAndLetGo(appid, D1, '2.0.0', 20_000)).toBeUndefined();
    const after = await tenants.get(appid);
    expect(after).toMatchObject({ releasedVersion: '3.0.0', heldBy: D1 });
  });

  it('records a rollback only while the version rolled back is the one recorded', async () => {
    const appid = await tenant();
    await tenants.recordRelease(appid, '2.0.0', 20_000);

    await tenants.recordRollback(appid, '1.5.0', '1.0.0', 30_000);
    expect((await tenants.get(appid))?.releasedVersion).toBe('2.0.0');
    await tenants.recordRollback(appid, '2.0.0', '1.0.0', 30_000);
    expect((await tenants.get(appid))?.releasedVersion).toBe('1.0.0');
    // A release that landed before the rollback does not undo it.
    await tenants.recordRelease(appid, '2.0.0', 25_000);
    expect((await tenants.get(appid))?.releasedVersion).toBe('1.0.0');
  });
});
