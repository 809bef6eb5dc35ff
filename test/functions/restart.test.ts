/**
 * Issue #13's restart acceptance test, with real processes: `npm start` (local/start.ts on the
 * project's Node) on a temp DATA_DIR, 50 tenants, a 50-tenant deploy with auto release, `kill -9`
 * of the whole process group while commits are in progress and again while submits are, a restart
 * after each, and no operator action after that. Within 3 minutes of the last restart the
 * deployment completes with every target released, and WeChat (the emulator's persisted state)
 * saw exactly one audit and one release per tenant; nobody is revoked.
 *
 *   npx vitest run test/functions/restart.test.ts
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortPair } from '../support/free-port';
import { NpmStartProcess, stackClients } from '../support/npm-start';

const TENANTS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Target {
  appid: string;
  state: string;
  error?: { code: string; message: string };
  auditId?: number;
}
interface DeploymentView {
  id: string;
  status: string;
  counts: Record<string, number>;
  targets: Target[];
  lastSweptAt?: string;
}
interface StoredMiniProgram {
  appid: string;
  audits: { auditid: number; status: number }[];
  releaseHistory: unknown[];
  revokedAt?: number;
}

const stack = new NpmStartProcess('mpfleet-restart');
const { dataDir } = stack;

afterAll(() => stack.close());

describe('npm start survives kill -9 of its process group during a fleet deploy (#13)', () => {
  it('completes a 50-tenant deploy after two kills, with one audit and one release per tenant', { timeout: 360_000 }, async () => {
    const port = await freePortPair();
    const emulatorUrl = `http://127.0.0.1:${port + 1}`;
    const env = stack.env({
      PORT: String(port),
      DEPLOY_STALE_STEP_SECONDS: '5',
      DEPLOY_SWEEP_AFTER_SECONDS: '5',
      LOCAL_SCHEDULE_SECONDS: '3',
      EMULATOR_MINI_PROGRAMS: String(TENANTS),
      // Every WeChat call takes a moment, so commits and submits are caught in flight.
      EMULATOR_LATENCY_MS: '600',
      EMULATOR_AUDIT_DELAY_MS: '2000',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      MPFLEET_LOG_FORMAT: 'pretty',
    });

    const start = () => stack.start(env);
    const killGroup = () => stack.killGroup();

    // The emulator's call log lives in memory and dies with each process: collect it as we go
    // (what a process logged in its last half second before a kill is missed, so these are lower bounds).
    const seen = new Set<string>();
    const apiCalls: { path: string; appid?: string; errcode: number }[] = [];
    let collecting = true;
    const collectCalls = async () => {
      const from = stack.generation;
      try {
        const response = await fetch(`${emulatorUrl}/__admin/calls?kind=api`, { signal: AbortSignal.timeout(5000) });
        const { calls } = (await response.json()) as { calls: { seq: number; path: string; appid?: string; errcode: number }[] };
        // An answer from a process that was killed meanwhile would claim the next one's sequence numbers.
        if (stack.generation !== from) return;
        for (const call of calls) {
          const key = `${from}:${call.seq}`;
          if (seen.has(key)) continue;
          seen.add(key);
          apiCalls.push(call);
        }
      } catch {
        /* the process is down or busy */
      }
    };
    const collector = (async () => {
      while (collecting) {
        await collectCalls();
        await sleep(500);
      }
    })();

    const { operator, admin, until } = stackClients(stack, port);
    const activeTenants = async () => {
      const { body } = await operator<{ tenants: { appid: string; status: string }[] }>('/api/tenants?limit=100');
      return body.tenants;
    };
    const deployment = async (id: string) => (await operator<DeploymentView>(`/api/deployments/${id}?limit=100`)).body;

    // 1. Start, wait for the first ticket (auth links need it), authorize 50 tenants.
    await start();
    await until('the first component_verify_ticket', async () => (await operator('/api/auth-links', { method: 'POST', body: '{}' })).status === 200, 60_000);
    const { miniPrograms } = await admin<{ miniPrograms: { appid: string }[] }>('/state');
    const appids = miniPrograms.map((m) => m.appid).slice(0, TENANTS);
    expect(appids).toHaveLength(TENANTS);
    for (let i = 0; i < appids.length; i += 10) await Promise.all(appids.slice(i, i + 10).map((appid) => admin('/authorize', { appid })));
    await until('50 active tenants', async () => (await activeTenants()).filter((t) => t.status === 'active').length === TENANTS, 120_000);

    // 2. A template from a draft, then a 50-tenant deploy with auto release.
    const { body: draftList } = await operator<{ drafts: { draftId: number }[] }>('/api/templates/drafts');
    const added = await operator<{ templateId: number }>('/api/templates', { method: 'POST', body: JSON.stringify({ draftId: draftList.drafts.at(-1)!.draftId }) });
    expect(added.status).toBe(201);
    const created = await operator<{ id: string }>('/api/deployments', {
      method: 'POST',
      body: JSON.stringify({ templateId: added.body.templateId, userVersion: '2.0.0', userDesc: 'restart rehearsal', release: 'auto' }),
    });
    expect(created.status).toBe(202);
    const id = created.body.id;

    // 3. kill -9 during commits, start again; kill -9 during submits, start again.
    const atCommits = await until(
      'commits in progress',
      async () => {
        const view = await deployment(id);
        return (view.counts.committing ?? 0) + (view.counts.committed ?? 0) > 0 && view;
      },
      120_000,
      250,
    );
    await collectCalls();
    await killGroup();
    console.log(`kill -9 #1 (commits): ${JSON.stringify(atCommits.counts)}`);
    await start();

    // Several submits in flight if the timing allows it, any one after 30 s.
    const submitsFrom = Date.now();
    const atSubmits = await until(
      'submits in progress',
      async () => {
        const view = await deployment(id);
        const submitting = view.counts.submitting ?? 0;
        return (submitting >= 3 || (submitting > 0 && Date.now() - submitsFrom > 30_000)) && view;
      },
      150_000,
      250,
    );
    await collectCalls();
    await killGroup();
    console.log(`kill -9 #2 (submits): ${JSON.stringify(atSubmits.counts)}`);
    await start();
    const lastStart = Date.now();

    // 4. No operator action: within 3 minutes the deployment completes, every target released.
    let last: DeploymentView | undefined;
    try {
      await until(
        'the deployment to complete',
        async () => {
          last = await deployment(id);
          return last.status === 'completed';
        },
        180_000,
      );
    } catch (error) {
      const stuck = last?.targets.filter((t) => t.state !== 'released') ?? [];
      console.log(`stuck: status ${last?.status}, counts ${JSON.stringify(last?.counts)}, lastSweptAt ${last?.lastSweptAt}`);
      console.log(JSON.stringify(stuck.slice(0, 20), null, 1));
      console.log(stack.logTail(6000));
      throw error;
    }
    const completeSeconds = (Date.now() - lastStart) / 1000;
    collecting = false;
    await collector;
    await collectCalls();

    const final = last!;
    expect(final.targets).toHaveLength(TENANTS);
    expect(final.targets.filter((t) => t.state !== 'released')).toEqual([]);

    // The emulator's persisted state: every audit ever submitted and every version put online.
    const stored = JSON.parse(readFileSync(path.join(dataDir, 'emulator', 'state.json'), 'utf8')) as { miniPrograms: StoredMiniProgram[] };
    const byAppid = new Map(stored.miniPrograms.map((mp) => [mp.appid, mp]));
    const audits = appids.map((appid) => byAppid.get(appid)!.audits.length);
    const releases = appids.map((appid) => byAppid.get(appid)!.releaseHistory.length);
    const count = (suffix: string, ok: boolean) => {
      const per = new Map<string, number>();
      for (const call of apiCalls) if (call.path.endsWith(suffix) && (call.errcode === 0) === ok && call.appid) per.set(call.appid, (per.get(call.appid) ?? 0) + 1);
      return per;
    };
    const commits = count('/wxa/commit', true);
    const commitsPerTenant = appids.map((appid) => commits.get(appid) ?? 0);
    const submits = count('/wxa/submit_audit', true);
    const submitsPerTenant = appids.map((appid) => submits.get(appid) ?? 0);
    const releaseCalls = count('/wxa/release', true);
    const releaseCallsPerTenant = appids.map((appid) => releaseCalls.get(appid) ?? 0);
    const failedSubmits = [...count('/wxa/submit_audit', false).values()].reduce((a, b) => a + b, 0);
    const histogram = (values: number[]) => JSON.stringify(Object.fromEntries([...new Set(values)].sort().map((v) => [v, values.filter((x) => x === v).length])));
    const tenantsAfter = await activeTenants();

    console.log(
      [
        `restart test: ${TENANTS} tenants, 2 x kill -9 of the process group (at commits, at submits)`,
        `  completed ${completeSeconds.toFixed(1)} s after the last restart (counts ${JSON.stringify(final.counts)})`,
        `  audits per tenant (emulator state)        ${histogram(audits)}  {audits: tenants}`,
        `  releases per tenant (emulator state)      ${histogram(releases)}`,
        `  successful commits per tenant (call logs) ${histogram(commitsPerTenant)}  (lower bound: calls in a killed process's last 0.5 s are missed)`,
        `  successful submits per tenant (call logs) ${histogram(submitsPerTenant)}, releases ${histogram(releaseCallsPerTenant)} (lower bounds too)`,
        `  submit_audit calls WeChat refused          ${failedSubmits}`,
        `  tenants: ${tenantsAfter.filter((t) => t.status === 'active').length} active, ${tenantsAfter.filter((t) => t.status !== 'active').length} not`,
      ].join('\n'),
    );

    expect(completeSeconds).toBeLessThan(180);
    expect(audits.every((n) => n === 1)).toBe(true);
    expect(releases.every((n) => n === 1)).toBe(true);
    expect(commitsPerTenant.every((n) => n <= 2)).toBe(true);
    expect(submitsPerTenant.every((n) => n <= 1)).toBe(true);
    expect(releaseCallsPerTenant.every((n) => n <= 1)).toBe(true);
    expect(appids.filter((appid) => byAppid.get(appid)!.revokedAt !== undefined)).toEqual([]);
    expect(tenantsAfter.filter((t) => t.status !== 'active')).toEqual([]);
    expect(tenantsAfter).toHaveLength(TENANTS);
  });
});
