/**
 * Rehearses a fleet deploy end to end on this machine: N emulator mini-programs authorize
 * mpfleet, then one deployment commits, submits and (audits approved by WeChat's push) releases to
 * all of them. Reports wall time, WeChat calls per tenant by API, token fetches and the process's
 * peak RSS. `npm run bench` runs it in a process of its own (the `scale` section) so the peak is
 * this deploy's alone.
 *
 *   npx tsx local/bench/fleet-deploy.ts --tenants 10000 [--latency 50] [--audit-delay 1000] [--no-audit] [--json]
 */
import './environment';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../stack';
import { authorizeAll } from './authorize';
import { emulatorAdmin, lastTargetChangeMs, operatorApi, seededAppids, sleep, type Json } from './clients';

export interface FleetDeployResult {
  tenants: number;
  latencyMs: number;
  authorizeSeconds: number;
  acceptedMs: number;
  wallSeconds: number;
  counts: Record<string, number>;
  callsPerTenant: number;
  callsByPath: Record<string, number>;
  tokenFetches: number;
  /** Audit result pushes the emulator sent, and those answered later than WeChat's 5 s (then sent again). */
  auditPushes: { sent: number; slowerThanWeChatWaits: number };
  /** The whole process (API, queue, workers, emulator, this driver; dynalite is a thread of it). */
  peakRssMiB: number;
  /** The same, sampled during the deploy only (after the authorizations). */
  peakRssDuringDeployMiB: number;
  /** What that peak was made of, read at the same moment. */
  atPeak: MemoryAtPeak;
  /** The process once the stack had started, before the first tenant was authorized. */
  rssAtStartMiB: number;
}

export interface MemoryAtPeak {
  /** The main thread's JavaScript heap (API, workers, SDK clients, emulator state, queue index), and its buffers. */
  mainHeapMiB: number;
  mainBuffersMiB: number;
  /** dynalite's thread's JavaScript heap, and its buffers. */
  dynamoHeapMiB: number;
  dynamoBuffersMiB: number;
  /** The rest of the RSS: LevelDB (its table files are read through memory maps, which RSS counts), code, thread stacks, allocator overhead. */
  restMiB: number;
}

const TOKEN_PATHS = new Set(['/cgi-bin/component/api_component_token', '/cgi-bin/component/api_authorizer_token']);
const MiB = 1024 * 1024;

export async function rehearseFleetDeploy(options: {
  tenants: number;
  latencyMs: number;
  auditDelayMs: number;
  submitAudit?: boolean;
  onProgress?: (line: string) => void;
}): Promise<FleetDeployResult> {
  const { tenants, latencyMs, auditDelayMs, submitAudit = true } = options;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-fleet-'));
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    schedules: false,
    env: { OPERATOR_TOKEN: 'bench' },
    // WeChat waits 5 s for an answer to a push and gives up after 3 retries. Here the audit pushes'
    // answers queue behind 100 deploy steps on one event loop (on AWS each is a Lambda of its own),
    // so the rehearsal waits longer and counts the answers slower than WeChat's 5 s; lost pushes
    // would otherwise wait for the audit reconciler's first poll (10 minutes).
    emulator: { miniPrograms: tenants, auditDelayMs, ticketIntervalMs: 0, auditQuota: tenants * 2, pushTimeoutMs: 60_000 },
  });
  // What the process takes before any tenant exists: code, the stack's servers, dynalite's thread.
  const rssAtStartMiB = process.memoryUsage.rss() / MiB;
  const admin = emulatorAdmin(stack);
  const operator = operatorApi(stack);
  // Watching is a GET: on a machine this busy a keep-alive socket may be closed under it; ask again.
  const watch = async (p: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operator(p);
      } catch (error) {
        if (attempt >= 5) throw error;
        await sleep(1000);
      }
    }
  };
  // A deployment's view counts its targets (a query of all of them): a big fleet is looked at less often.
  const watchEveryMs = Math.max(1000, Math.min(10_000, tenants));

  let peakDuringDeploy = 0;
  let atPeak: MemoryAtPeak = { mainHeapMiB: 0, mainBuffersMiB: 0, dynamoHeapMiB: 0, dynamoBuffersMiB: 0, restMiB: 0 };
  const sample = async () => {
    const memory = process.memoryUsage();
    if (memory.rss <= peakDuringDeploy) return;
    peakDuringDeploy = memory.rss;
    const dynamo = await stack.dynamoMemory().catch(() => ({ heapBytes: 0, buffersBytes: 0 }));
    const known = memory.heapTotal + memory.external + dynamo.heapBytes + dynamo.buffersBytes;
    atPeak = {
      mainHeapMiB: memory.heapTotal / MiB,
      mainBuffersMiB: memory.external / MiB,
      dynamoHeapMiB: dynamo.heapBytes / MiB,
      dynamoBuffersMiB: dynamo.buffersBytes / MiB,
      restMiB: (memory.rss - known) / MiB,
    };
  };
  try {
    const appids = (await seededAppids(stack)).slice(0, tenants);
    let t0 = Date.now();
    await authorizeAll(stack, appids);
    const authorizeSeconds = (Date.now() - t0) / 1000;
    options.onProgress?.(`authorized ${tenants} tenants in ${authorizeSeconds.toFixed(1)} s`);

    await admin('/faults', { latencyMs });
    await admin('/calls', undefined, 'DELETE');
    const sampler = setInterval(() => void sample(), 250);
    t0 = Date.now();
    const { id } = await operator('/api/deployments', { method: 'POST', body: JSON.stringify({ templateId: 1, userVersion: '9.9.9', userDesc: 'rehearsal', submitAudit }) });
    const acceptedMs = Date.now() - t0;
    let view: Json;
    for (;;) {
      view = await watch(`/api/deployments/${id}?limit=1`);
      options.onProgress?.(`${view.status as string} ${JSON.stringify(view.counts)}`);
      if (view.status === 'completed' || view.status === 'paused') break;
      await sleep(watchEveryMs);
    }
    clearInterval(sampler);
    // The watch saw it up to an interval after the fact: the end is when mpfleet recorded the last target's change.
    const wallSeconds = ((await lastTargetChangeMs(watch, id as string)) - t0) / 1000;
    await admin('/faults', {}, 'DELETE');

    const log = (await admin('/calls')).calls as { kind: string; path: string; type?: string; elapsedMs?: number }[];
    const calls = log.filter((c) => c.kind === 'api');
    const auditPushes = log.filter((c) => c.kind === 'push' && c.type?.startsWith('weapp_audit'));
    const callsByPath: Record<string, number> = {};
    for (const call of calls) callsByPath[call.path] = (callsByPath[call.path] ?? 0) + 1;
    return {
      tenants,
      latencyMs,
      authorizeSeconds,
      acceptedMs,
      wallSeconds,
      counts: view.counts as Record<string, number>,
      callsPerTenant: calls.length / tenants,
      callsByPath,
      tokenFetches: calls.filter((c) => TOKEN_PATHS.has(c.path)).length,
      auditPushes: { sent: auditPushes.length, slowerThanWeChatWaits: auditPushes.filter((c) => (c.elapsedMs ?? 0) > 5000).length },
      peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB,
      peakRssDuringDeployMiB: peakDuringDeploy / MiB,
      atPeak,
      rssAtStartMiB,
    };
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function describeMemory(m: MemoryAtPeak): string {
  const mib = (n: number) => `${n.toFixed(0)} MiB`;
  return `main thread: JS heap ${mib(m.mainHeapMiB)}, buffers ${mib(m.mainBuffersMiB)}; dynalite's thread: JS heap ${mib(m.dynamoHeapMiB)}, buffers ${mib(m.dynamoBuffersMiB)}; the rest (LevelDB, code, stacks, allocator) ${mib(m.restMiB)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      tenants: { type: 'string', default: '1000' },
      latency: { type: 'string', default: '50' },
      'audit-delay': { type: 'string', default: '1000' },
      'no-audit': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const result = await rehearseFleetDeploy({
    tenants: Number(values.tenants),
    latencyMs: Number(values.latency),
    auditDelayMs: Number(values['audit-delay']),
    submitAudit: !values['no-audit'],
    onProgress: (line) => (values.json ? console.error(line) : process.stdout.write(`\r${line}      `)),
  });
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`\n${JSON.stringify(result.counts)} (${values['no-audit'] ? 'committed' : 'released'} expected for all ${result.tenants})`);
    console.log(`POST /api/deployments answered 202 in ${result.acceptedMs} ms; wall time to completed: ${result.wallSeconds.toFixed(1)} s`);
    console.log(`WeChat API calls: ${result.callsPerTenant.toFixed(2)} per tenant, ${result.tokenFetches} token fetches`);
    for (const [p, n] of Object.entries(result.callsByPath).sort()) console.log(`  ${p.padEnd(44)} ${String(n).padStart(6)}  (${(n / result.tenants).toFixed(2)}/tenant)`);
    console.log(`audit result pushes: ${result.auditPushes.sent}, ${result.auditPushes.slowerThanWeChatWaits} answered after more than 5 s`);
    console.log(`peak RSS: ${result.peakRssMiB.toFixed(0)} MiB (${result.rssAtStartMiB.toFixed(0)} MiB once started; during the deploy: ${result.peakRssDuringDeployMiB.toFixed(0)} MiB: ${describeMemory(result.atPeak)})`);
  }
}
