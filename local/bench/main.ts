/**
 * `npm run bench`: the measurements behind mpfleet's claims, as ratios from one run.
 *   --tenants 1000  --latency 50  --webhook-requests 2000  --scale-tenants 10000
 *   --skip fanout,cost,webhooks,scale,crypto,bundles
 * Prints a table and writes local/bench/results/bench-<time>.json.
 */
import './environment';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../stack';
import { benchBundles } from './bundles';
import { benchCrypto } from './crypto';
import { benchFanOut } from './fan-out';
import { benchWebhooks } from './webhooks';
import { authorizeAll } from './authorize';
import { emulatorAdmin, seededAppids } from './clients';
import { costLines, costOfDeploy, costOfPushes, PRICES } from './cost';
import { describeMemory, type FleetDeployResult } from './fleet-deploy';

const COST_TENANTS = 200;
const COST_PUSHES = 200;

/** The scale rehearsal runs in a child process (with the bench's own Node flags), so its peak RSS is the deploy's alone. */
async function benchScale(tenants: number, latencyMs: number): Promise<FleetDeployResult> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fleet-deploy.ts');
  const child = spawn(process.execPath, [...process.execArgv, script, '--tenants', String(tenants), '--latency', String(latencyMs), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the scale rehearsal exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as FleetDeployResult;
}

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    latency: { type: 'string', default: '50' },
    'webhook-requests': { type: 'string', default: '2000' },
    'scale-tenants': { type: 'string', default: '10000' },
    skip: { type: 'string', default: '' },
  },
});
const skip = new Set(values.skip.split(',').filter(Boolean));
const resultsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDir, { recursive: true });
const report: Record<string, unknown> = { at: new Date().toISOString(), node: process.version };
const lines: string[] = [];
const fmt = (n: number, digits = 1) => n.toFixed(digits);

if (!skip.has('fanout') || !skip.has('cost') || !skip.has('webhooks')) {
  const tenants = Number(values.tenants);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'mpfleet-bench-'));
  const stack = await startLocalStack({
    port: 0,
    dataDir,
    schedules: false,
    env: { OPERATOR_TOKEN: 'bench' },
    // The cost deploy gets tenants of its own (after the fan-out's), untouched by the runs before it.
    emulator: { miniPrograms: Math.max(tenants, 1) + COST_TENANTS, auditDelayMs: 1, ticketIntervalMs: 0, auditQuota: Math.max(1000, tenants * 4) + COST_TENANTS },
  });
  try {
    if (!skip.has('fanout')) {
      console.error(`fan-out: ${tenants} tenants, ${values.latency} ms per WeChat call…`);
      const fan = await benchFanOut(stack, tenants, Number(values.latency));
      report.fanOut = fan;
      lines.push(
        `fan-out (commit+submit, ${fan.tenants} tenants, ${fan.latencyMs} ms/call) | mpfleet ${fmt(fan.mpfleetSeconds)} s vs naive loop ${fmt(fan.naiveSeconds)} s | ${fmt(fan.speedup)}x faster`,
        `  floor (calls x latency / concurrency) | ${fmt(fan.floorSeconds, 2)} s | mpfleet at ${fmt(fan.distanceFromFloor)}x the floor; 202 in ${fan.acceptedMs} ms`,
        `WeChat calls per tenant (mpfleet) | ${fmt(fan.mpfleetCallsPerTenant, 2)} | token fetches: mpfleet ${fan.mpfleetTokenFetches}, naive ${fan.naiveTokenFetches}`,
      );
    }
    if (!skip.has('cost')) {
      console.error(`cost: a deploy to ${COST_TENANTS} tenants (commit, submit, audit push, release) and ${COST_PUSHES} pushes of each kind, metered…`);
      const appids = (await seededAppids(stack)).slice(-COST_TENANTS);
      await authorizeAll(stack, appids);
      await emulatorAdmin(stack)('/faults', { latencyMs: Number(values.latency) });
      const costs = [await costOfDeploy(stack, appids, '8.2.0'), ...(await costOfPushes(stack, appids[0]!, COST_PUSHES))];
      report.cost = { prices: PRICES, costs };
      lines.push(...costLines(costs));
    }
    if (!skip.has('webhooks')) {
      console.error('webhooks: 200 concurrent senders…');
      const [appid] = await seededAppids(stack);
      const hooks = await benchWebhooks(stack, appid!, { requests: Number(values['webhook-requests']) });
      report.webhooks = hooks;
      for (const h of hooks) lines.push(`webhook ${h.route} (${h.requests} pushes, ${h.concurrency} concurrent) | p50 ${fmt(h.p50Ms)} ms, p99 ${fmt(h.p99Ms)} ms | ${h.errors} errors`);
    }
  } finally {
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (!skip.has('scale')) {
  const tenants = Number(values['scale-tenants']);
  console.error(`scale: a deploy to ${tenants} tenants (commit, submit, audit push, release), in a process of its own…`);
  const scale = await benchScale(tenants, Number(values.latency));
  report.scale = scale;
  const steps = ['/wxa/commit', '/wxa/submit_audit', '/wxa/release'];
  const perStep = steps.map((p) => `${p.slice(5)} ${fmt((scale.callsByPath[p] ?? 0) / scale.tenants, 2)}`).join(', ');
  const otherCalls = Object.entries(scale.callsByPath).filter(([p]) => !steps.includes(p));
  lines.push(
    `scale: ${scale.tenants.toLocaleString('en')} tenants, ${scale.latencyMs} ms/call, to released | ${fmt(scale.wallSeconds)} s (${JSON.stringify(scale.counts)}); 202 in ${scale.acceptedMs} ms | authorizing them took ${fmt(scale.authorizeSeconds)} s`,
    `  WeChat calls per tenant | ${fmt(scale.callsPerTenant, 2)} (${perStep}) | token fetches ${scale.tokenFetches}; besides the steps: ${otherCalls.map(([p, n]) => `${p} ${n}`).join(', ') || 'none'}`,
    `  peak RSS (one process: API, queue, workers, emulator; dynalite a thread of it) | ${fmt(scale.peakRssMiB, 0)} MiB | ${fmt(scale.peakRssDuringDeployMiB, 0)} MiB during the deploy itself, ${fmt(scale.rssAtStartMiB, 0)} MiB once started`,
    `    made of | ${describeMemory(scale.atPeak)} |`,
    `  audit result pushes answered in more than WeChat's 5 s (a push is retried then) | ${scale.auditPushes.slowerThanWeChatWaits} of ${scale.auditPushes.sent} | the answers queue behind 100 deploy steps on one event loop`,
  );
}

if (!skip.has('crypto')) {
  console.error('crypto: decrypt + verify…');
  const c = benchCrypto();
  report.crypto = c;
  lines.push(`crypto decrypt+verify | ours ${c.oursOpsPerSec.toLocaleString('en')} ops/s vs wechat-crypto ${c.theirsOpsPerSec.toLocaleString('en')} ops/s | ${fmt(c.ratio, 2)}x`);
}

if (!skip.has('bundles')) {
  console.error('bundles: building and cold-loading every function…');
  const bundles = await benchBundles(path.join(resultsDir, 'bundles'));
  report.bundles = bundles;
  for (const b of bundles) lines.push(`bundle ${b.name} | ${fmt(b.bytes / 1024)} KiB minified | init ${fmt(b.initMs)} ms; a cold process +${fmt(b.netProcessMs)} ms over a bare Node start (${fmt(b.bareNodeMs)} ms)`);
}

const file = path.join(resultsDir, `bench-${report.at as string}.json`.replace(/:/g, '-'));
writeFileSync(file, JSON.stringify(report, null, 2));
const rows = lines.map((line) => line.split(' | '));
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
console.log('\n' + rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n'));
console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
