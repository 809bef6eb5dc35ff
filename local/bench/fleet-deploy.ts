/**
 * Rehearses a fleet deploy end to end on this machine: N emulator mini-programs authorize
 * mpfleet, then one deployment commits, submits and releases to all of them. Prints wall time
 * and WeChat calls per tenant.
 *
 *   npx tsx local/bench/fleet-deploy.ts --tenants 1000 [--latency 0] [--audit-delay 500] [--no-audit]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { forEachConcurrently } from '../../shared/concurrency';
import { services } from '../../shared/services';
import { startLocalStack } from '../stack';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    latency: { type: 'string', default: '0' },
    'audit-delay': { type: 'string', default: '500' },
    'no-audit': { type: 'boolean', default: false },
  },
});
const tenants = Number(values.tenants);
const submitAudit = !values['no-audit'];

const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-bench-'));
const stack = await startLocalStack({
  port: 0,
  dataDir,
  schedules: false,
  env: { OPERATOR_TOKEN: 'bench' },
  emulator: { miniPrograms: tenants, latencyMs: Number(values.latency), auditDelayMs: Number(values['audit-delay']), ticketIntervalMs: 0 },
});
const emulator = stack.emulator!;
const admin = async (p: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
  const response = await fetch(`${emulator.url}/__admin${p}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return response.json() as Promise<Record<string, unknown>>;
};
const operator = async (p: string, init?: RequestInit) =>
  (await fetch(`${stack.url}${p}`, { ...init, headers: { authorization: `Bearer ${stack.operatorToken}`, 'content-type': 'application/json' } })).json() as Promise<Record<string, unknown>>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  while (!(await services().tickets.latest())) await sleep(50);
  const appids = ((await admin('/state')).miniPrograms as { appid: string }[]).map((m) => m.appid).slice(0, tenants);
  let t0 = Date.now();
  // Like merchants consenting one after another: each slot waits until its tenant is active.
  await forEachConcurrently(appids, 16, async (appid) => {
    await admin('/authorize', { appid });
    const deadline = Date.now() + 60_000;
    while ((await services().tenants.get(appid))?.status !== 'active' && Date.now() < deadline) await sleep(50);
  });
  let active = 0;
  for await (const _ of services().tenants.all('active')) active += 1;
  console.log(`authorized ${active} of ${tenants} tenants in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const undelivered = ((await admin('/calls')).calls as { kind: string; delivered?: boolean; status?: number; responseBody?: string; error?: string }[]).filter(
    (c) => c.kind === 'push' && c.delivered === false,
  );
  if (undelivered.length) console.log(`undelivered push attempts: ${undelivered.length}, e.g. ${JSON.stringify(undelivered[0])}`);

  await admin('/calls', undefined, 'DELETE');
  t0 = Date.now();
  const { id } = await operator('/api/deployments', {
    method: 'POST',
    body: JSON.stringify({ templateId: 1, userVersion: '9.9.9', userDesc: 'rehearsal', submitAudit }),
  });
  const acceptedMs = Date.now() - t0;
  const finalState = submitAudit ? 'released' : 'committed';
  let view: Record<string, unknown> = {};
  for (;;) {
    view = await operator(`/api/deployments/${id}?limit=1`);
    const counts = view.counts as Record<string, number>;
    process.stdout.write(`\r${view.status} ${JSON.stringify(counts)}      `);
    if (view.status === 'completed' || view.status === 'paused') break;
    await sleep(500);
  }
  const wallMs = Date.now() - t0;
  const calls = ((await admin('/calls')).calls as { kind: string; path: string }[]).filter((c) => c.kind === 'api');
  const byPath = new Map<string, number>();
  for (const call of calls) byPath.set(call.path, (byPath.get(call.path) ?? 0) + 1);
  console.log('\n');
  console.log(`deployment ${id}: ${JSON.stringify(view.counts)} (${finalState} expected for all ${tenants})`);
  console.log(`POST /api/deployments answered 202 in ${acceptedMs} ms`);
  console.log(`wall time to completed: ${(wallMs / 1000).toFixed(1)} s`);
  console.log(`WeChat API calls: ${calls.length} total, ${(calls.length / tenants).toFixed(2)} per tenant`);
  for (const [p, n] of [...byPath].sort()) console.log(`  ${p.padEnd(44)} ${String(n).padStart(6)}  (${(n / tenants).toFixed(2)}/tenant)`);
} finally {
  await stack.close();
  rmSync(dataDir, { recursive: true, force: true });
}
