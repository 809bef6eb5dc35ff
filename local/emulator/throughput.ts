/**
 * How many API calls a second the emulator sustains:
 *
 *   npx tsx local/emulator/throughput.ts [--clients 64] [--duration 5] [--path /wxa/get_category]
 *                                        [--mini-programs 100] [--in-process] [--url http://127.0.0.1:3100]
 *
 * Starts an emulator in a worker thread (or on this thread with --in-process, or uses a running
 * one with --url), obtains an authorizer token over HTTP exactly as a service would (ticket →
 * component token → consent → api_query_auth), then hammers one cheap authenticated API with N
 * concurrent fetch clients for a fixed time and prints requests per second and latencies.
 */
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createEmulator } from './server';

interface WorkerInput {
  miniPrograms: number;
}

if (!isMainThread) {
  const { miniPrograms } = workerData as WorkerInput;
  const emulator = await createEmulator({ miniPrograms, ticketIntervalMs: 0 });
  parentPort?.postMessage({ url: emulator.url });
  parentPort?.on('message', (message) => {
    if (message === 'close') void emulator.close().then(() => process.exit(0));
  });
} else {
  await main();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '64' },
      duration: { type: 'string', default: '5' },
      path: { type: 'string', default: '/wxa/get_category' },
      'mini-programs': { type: 'string', default: '100' },
      'in-process': { type: 'boolean', default: false },
      url: { type: 'string' },
    },
  });
  const clients = Number(values.clients);
  const durationMs = Number(values.duration) * 1000;
  const miniPrograms = Number(values['mini-programs']);

  const target = await startTarget(values.url, values['in-process'], miniPrograms);
  try {
    const token = await authorizerToken(target.url);
    const url = `${target.url}${values.path}?access_token=${encodeURIComponent(token)}`;
    console.log(`hammering ${values.path} on ${target.description} with ${clients} clients for ${durationMs / 1000} s…`);

    // Warm up connections and the JIT before measuring.
    await runLoad(url, clients, Math.min(1000, durationMs / 5));
    const result = await runLoad(url, clients, durationMs);
    const seconds = result.elapsedMs / 1000;
    const sorted = result.latencies.sort((a, b) => a - b);
    const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    console.log(
      [
        `requests:   ${result.requests} in ${seconds.toFixed(2)} s`,
        `throughput: ${Math.round(result.requests / seconds)} requests/s`,
        `errors:     ${result.errors}`,
        `latency:    p50 ${percentile(50).toFixed(2)} ms, p99 ${percentile(99).toFixed(2)} ms, max ${percentile(100).toFixed(2)} ms`,
      ].join('\n'),
    );
  } finally {
    await target.close();
  }
}

interface Target {
  url: string;
  description: string;
  close: () => Promise<void>;
}

async function startTarget(url: string | undefined, inProcess: boolean, miniPrograms: number): Promise<Target> {
  if (url !== undefined) return { url: url.replace(/\/+$/, ''), description: url, close: async () => undefined };
  if (inProcess) {
    const emulator = await createEmulator({ miniPrograms, ticketIntervalMs: 0 });
    return { url: emulator.url, description: `an in-process emulator (${emulator.url})`, close: () => emulator.close() };
  }
  const worker = new Worker(new URL(import.meta.url), { workerData: { miniPrograms } satisfies WorkerInput });
  const started = await new Promise<{ url: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    url: started.url,
    description: `an emulator in a worker thread (${started.url})`,
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

/** The same HTTP steps our service takes to get an authorizer token. */
async function authorizerToken(base: string): Promise<string> {
  const state = await (await fetch(`${base}/__admin/state`)).json() as {
    platform: { componentAppid: string; componentSecret: string };
    miniPrograms: { appid: string; testAccount: boolean }[];
  };
  const { componentAppid, componentSecret } = state.platform;
  const appid = state.miniPrograms.find((mp) => !mp.testAccount)?.appid;
  if (appid === undefined) throw new Error('the emulator has no seeded mini-program');
  const { ticket } = await post(`${base}/__admin/push-ticket`, {});
  const component = await post(`${base}/cgi-bin/component/api_component_token`, {
    component_appid: componentAppid,
    component_appsecret: componentSecret,
    component_verify_ticket: ticket,
  });
  const consent = await post(`${base}/__admin/authorize`, { appid });
  const auth = await post(`${base}/cgi-bin/component/api_query_auth?component_access_token=${encodeURIComponent(String(component.component_access_token))}`, {
    component_appid: componentAppid,
    authorization_code: consent.auth_code,
  });
  const info = auth.authorization_info as { authorizer_access_token?: string } | undefined;
  if (info?.authorizer_access_token === undefined) throw new Error(`could not obtain a token: ${JSON.stringify(auth)}`);
  return info.authorizer_access_token;
}

async function runLoad(url: string, clients: number, durationMs: number) {
  const started = performance.now();
  const deadline = started + durationMs;
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const response = await fetch(url);
        const body = (await response.json()) as { errcode?: number };
        if (!response.ok || (body.errcode ?? 0) !== 0) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - sent);
      requests++;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { requests, errors, latencies, elapsedMs: performance.now() - started };
}
