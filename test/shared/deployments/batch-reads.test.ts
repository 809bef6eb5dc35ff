import { describe, expect, it } from 'vitest';
import { batchReads } from '../../../shared/deployments/batch-reads';
import type { Deployment, Target, TargetState } from '../../../shared/deployments/deployment';
import { appidOf, deploymentOf, targetOf } from '../../support/memory-deploy-engine';

const ID = 'd-1-00000001';

/** A deployments store that counts its reads; `cancel()` records the operator's cancel. */
function countingStore() {
  let current: Deployment = deploymentOf({ id: ID });
  let reads = 0;
  return {
    engine: { deployments: { get: async (id: string) => (reads++, id === ID ? { ...current } : undefined) } },
    cancel: () => void (current = { ...current, cancelRequested: true }),
    reads: () => reads,
  };
}

describe('the reads a deploy-worker batch shares', () => {
  it('reads the deployment once for all the records of the batch', async () => {
    const store = countingStore();
    const batch = batchReads();

    const read = await Promise.all([batch.deployment(store.engine, ID), batch.deployment(store.engine, ID), batch.deployment(store.engine, ID)]);

    expect(read.map((d) => d?.id)).toEqual([ID, ID, ID]);
    expect(store.reads()).toBe(1);
  });

  it('gives the checks asked for at about the same moment one read, taken after all of them', async () => {
    const store = countingStore();
    const batch = batchReads();
    const first = batch.deploymentFromNow(store.engine, ID);
    store.cancel(); // recorded after the first record asked, before the second did
    const second = batch.deploymentFromNow(store.engine, ID);

    const [a, b] = await Promise.all([first, second]);

    expect(store.reads()).toBe(1);
    expect([a?.cancelRequested, b?.cancelRequested]).toEqual([true, true]);
  });

  it('never answers a check with a read that started before it was asked for', async () => {
    const store = countingStore();
    const batch = batchReads();
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const engine = { deployments: { get: async (id: string) => { const read = store.engine.deployments.get(id); await slow; return read; } } };
    const first = batch.deploymentFromNow(engine, ID);
    // The first read is under way (its window has passed) when the cancel lands and the next check is asked for.
    while (store.reads() === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    store.cancel();
    const second = batch.deploymentFromNow(engine, ID);
    release();

    expect((await first)?.cancelRequested).toBeUndefined();
    expect((await second)?.cancelRequested).toBe(true);
    expect(store.reads()).toBe(2);
  });

  describe('the targets its records start from', () => {
    /** Targets of ID that the test moves, read through a store that records each request's appids. */
    function targetStore() {
      const stored = new Map<string, Target>();
      const requests: string[][] = [];
      return {
        engine: {
          deployments: {
            getTargets: async (id: string, appids: readonly string[]) => {
              requests.push([...appids]);
              return new Map(appids.filter((appid) => id === ID && stored.has(appid)).map((appid) => [appid, { ...stored.get(appid)! }]));
            },
          },
        },
        put: (appid: string, state: TargetState) => void stored.set(appid, targetOf(ID, appid, state)),
        requests,
      };
    }
    const [A, B, C] = [appidOf(1), appidOf(2), appidOf(3)];

    it('are read in one request for the records that start together', async () => {
      const store = targetStore();
      for (const appid of [A, B]) store.put(appid, 'queued');
      const batch = batchReads();

      const read = await Promise.all([A, B, C].map((appid) => batch.target(store.engine, ID, appid)));

      expect(store.requests).toEqual([[A, B, C]]);
      expect(read.map((target) => target?.state)).toEqual(['queued', 'queued', undefined]);
    });

    it('each as it is when its record asks: a record that starts later gets a read of its own', async () => {
      const store = targetStore();
      store.put(A, 'queued');
      const batch = batchReads();
      const first = await batch.target(store.engine, ID, A);
      store.put(A, 'committing'); // moved by another delivery after the first read

      const again = await batch.target(store.engine, ID, A);

      expect([first?.state, again?.state]).toEqual(['queued', 'committing']);
      expect(store.requests).toHaveLength(2);
    });
  });
});
