import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUNCTION_NAMES } from '../../infra/functions';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BundleResult {
  name: string;
  bytes: number;
  /** The bundle's import, timed inside the process. */
  initMs: number;
  /** A whole fresh process importing it, less a bare Node start (bareNodeMs): what a cold start adds. */
  netProcessMs: number;
  bareNodeMs: number;
}

const median = (samples: number[]) => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const ENV = { PATH: process.env.PATH, TABLE_NAME: 'bench', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT' };

/** A fresh Node process running `script`: what it printed, and its wall time. */
function runNode(script: string): { out: string; ms: number } {
  const started = performance.now();
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: ENV }).toString();
  return { out, ms: performance.now() - started };
}

/**
 * Builds every function as the CDK stack does (ESM, minified, node22, AWS SDK external) and
 * measures its init: importing the bundle in a fresh Node process (median of 3), and what a whole
 * fresh process importing it takes beyond a bare Node start.
 */
export async function benchBundles(outDir: string): Promise<BundleResult[]> {
  const results: BundleResult[] = [];
  const bareNodeMs = median([0, 1, 2, 3, 4].map(() => runNode('').ms));
  for (const name of FUNCTION_NAMES) {
    const dir = path.join(outDir, name);
    mkdirSync(dir, { recursive: true });
    const outfile = path.join(dir, 'index.mjs');
    const result = await build({
      entryPoints: [path.join(ROOT, 'functions', name, 'handler.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      mainFields: ['module', 'main'],
      external: ['@aws-sdk/*'],
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      outfile,
      metafile: true,
      logLevel: 'silent',
    });
    const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
    const script = `const t=performance.now();await import(${JSON.stringify(`file://${outfile}`)});console.log(performance.now()-t)`;
    const samples = [0, 1, 2].map(() => Number(runNode(script).out.trim()));
    const whole = median([0, 1, 2].map(() => runNode(`await import(${JSON.stringify(`file://${outfile}`)})`).ms));
    results.push({ name, bytes, initMs: median(samples), netProcessMs: Math.max(0, whole - bareNodeMs), bareNodeMs });
  }
  return results;
}
