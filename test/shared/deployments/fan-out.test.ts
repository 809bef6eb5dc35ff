import { beforeEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../../../shared/deployments/deployment';
import { FAN_OUT_PAGE, FIRST_FAN_OUT_PAGE, fanOutPage } from '../../../shared/deployments/fan-out';
import { appidOf, deploymentOf, memoryDeployEngine, type MemoryDeployEngine } from '../../support/memory-deploy-engine';

const ID = 'd-1-00000001';

let engine: MemoryDeployEngine;
beforeEach(() => {
  engine = memoryDeployEngine();
});

async function given(over: Partial<Deployment> = {}): Promise<void> {
  await engine.deployments.create(deploymentOf({ id: ID, fanOutDone: false, ...over }));
}

const appids = (from: number, count: number) => Array.from({ length: count }, (_, i) => appidOf(from + i));
const addTenants = (list: string[]) => list.forEach((appid) => engine.tenants.add(appid));
const advanced = () => engine.deployQueue.take('advance').map(({ message }) => message.appid);

/** Runs the fan-out as the worker would: every fan-out message sent, until none is left. Answers each page's size. */
async function fanOutAll(from?: { cursor?: string; pageSize?: number }): Promise<number[]> {
  const sizes: number[] = [];
  for (let message = from, more = true; more; ) {
    const before = (await engine.deployments.counts(ID)) as Record<string, number>;
    await fanOutPage(engine, ID, message?.cursor, message?.pageSize);
    const after = (await engine.deployments.counts(ID)) as Record<string, number>;
    sizes.push(Object.values(after).reduce((a, b) => a + b, 0) - Object.values(before).reduce((a, b) => a + b, 0));
    message = engine.deployQueue.take('fan-out')[0]?.message;
    more = message !== undefined;
  }
  return sizes;
}

describe('fanOutPage', () => {
  it(`records an explicit tenant list in pages growing from ${FIRST_FAN_OUT_PAGE} to ${FAN_OUT_PAGE}, the next page sent before this page’s steps`, async () => {
    const tenants = appids(1, 4 * FAN_OUT_PAGE);
    addTenants(tenants);
    await given({ tenants });

    await fanOutPage(engine, ID);

    // The first steps start once the first few targets are recorded, not a whole page.
    expect(engine.deployQueue.sent[0]).toEqual({
      message: { kind: 'fan-out', deploymentId: ID, cursor: String(FIRST_FAN_OUT_PAGE), pageSize: 2 * FIRST_FAN_OUT_PAGE },
      delaySeconds: 0,
    });
    expect(engine.deployQueue.sent).toHaveLength(1 + FIRST_FAN_OUT_PAGE);
    expect(await engine.deployments.get(ID)).toMatchObject({ fanOutDone: false, fanOutCursor: String(FIRST_FAN_OUT_PAGE) });
    expect(await engine.deployments.counts(ID)).toEqual({ queued: FIRST_FAN_OUT_PAGE });

    const [next] = engine.deployQueue.take('fan-out');
    engine.deployQueue.take();
    // Each page twice the one before, up to the most a page records; the last one what is left.
    expect(await fanOutAll(next!.message)).toEqual([100, 200, 400, 500, 500, 250]);
    expect(advanced()).toHaveLength(tenants.length - FIRST_FAN_OUT_PAGE);
    const done = await engine.deployments.get(ID);
    expect(done).toMatchObject({ fanOutDone: true });
    expect(done).not.toHaveProperty('fanOutCursor');
    expect(await engine.deployments.counts(ID)).toEqual({ queued: tenants.length });
  });

  it('resumes from its stored cursor with a first page again, and records nothing twice', async () => {
    const tenants = appids(1, 400);
    addTenants(tenants);
    await given({ tenants });
    await fanOutPage(engine, ID);
    engine.deployQueue.take();

    // The next page's message was lost; a resume sends the fan-out on from the stored cursor.
    await fanOutPage(engine, ID, (await engine.deployments.get(ID))!.fanOutCursor);
    const resumed = engine.deployQueue.take('fan-out')[0]!.message;
    expect(await fanOutAll(resumed)).toEqual([100, 200]);
    expect(await engine.deployments.counts(ID)).toEqual({ queued: tenants.length });
  });

  it('enqueues each queued target’s first step once, writing nothing to its tenant (the hold at its commit names the deployment)', async () => {
    const tenants = appids(1, 3);
    addTenants(tenants);
    await given({ tenants });

    await fanOutAll();

    expect(advanced().sort()).toEqual(tenants);
    for (const appid of tenants) expect((await engine.tenants.get(appid))?.lastDeployment).toBeUndefined();
  });

  it('skips missing and unusable tenants, saying why, and sends them nowhere', async () => {
    const [active, missing, revoked, reauth] = appids(1, 4) as [string, string, string, string];
    engine.tenants.add(active).add(revoked, { status: 'revoked', statusReason: 'unauthorized on 2025-04-01' }).add(reauth, { status: 'needs_reauth' });
    await given({ tenants: [active, missing, revoked, reauth] });

    await fanOutAll();

    expect(await engine.deployments.getTarget(ID, active)).toMatchObject({ state: 'queued' });
    expect(await engine.deployments.getTarget(ID, missing)).toMatchObject({ state: 'skipped', error: { code: 'tenant_not_found', message: 'no such tenant' } });
    expect(await engine.deployments.getTarget(ID, revoked)).toMatchObject({ state: 'skipped', error: { code: 'tenant_revoked', message: 'unauthorized on 2025-04-01' } });
    expect(await engine.deployments.getTarget(ID, reauth)).toMatchObject({ state: 'skipped', error: { code: 'tenant_needs_reauth', message: 'tenant is needs_reauth' } });
    expect(advanced()).toEqual([active]);
    expect((await engine.tenants.get(revoked))?.lastDeployment).toBeUndefined();
  });

  it('deploys to every tenant, page by page, when no list is given', async () => {
    const tenants = appids(1, FAN_OUT_PAGE + 2);
    addTenants(tenants);
    engine.tenants.add(appidOf(0x900), { status: 'revoked' });
    await given();

    expect(await fanOutAll()).toEqual([50, 100, 200, 153]);

    expect(await engine.deployments.counts(ID)).toEqual({ queued: tenants.length, skipped: 1 });
    expect(advanced()).toHaveLength(tenants.length);
  });

  it('adds nothing twice when a page is delivered again, and re-sends only the steps still queued', async () => {
    const tenants = appids(1, 3);
    addTenants(tenants);
    await given({ tenants });
    await fanOutAll();
    engine.deployQueue.take();
    // Meanwhile the first target's commit started.
    await engine.deployments.claimStep(ID, tenants[0]!, 'commit', Date.now());

    await fanOutPage(engine, ID); // the redelivered (last, and only) page

    expect(await engine.deployments.counts(ID)).toEqual({ committing: 1, queued: 2 });
    expect(engine.deployQueue.take('fan-out')).toEqual([]);
    expect(advanced().sort()).toEqual(tenants.slice(1));
    expect(await engine.deployments.get(ID)).toMatchObject({ fanOutDone: true });
  });

  it('does nothing for a deployment that does not exist', async () => {
    await fanOutPage(engine, 'd-404');
    expect(engine.deployQueue.sent).toEqual([]);
  });
});
