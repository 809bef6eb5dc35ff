// Builds the `mpfleet` bin: cli/bin.ts and everything it imports (commander and cli-progress
// included) bundled into one plain JavaScript file that node runs without tsx or node_modules.
// `npm ci` / `npm install` run it (the `prepare` script), and so does `npm run cli`.
//
//   node cli/build.mjs [--outfile <path>]    (default cli/dist/mpfleet.mjs)
import { chmod } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUTFILE = path.join(ROOT, 'cli', 'dist', 'mpfleet.mjs');

// commander and cli-progress are CommonJS and require() node's built-ins: an ES module has no
// require of its own, so the bundle makes one.
const BANNER = [
  '#!/usr/bin/env node',
  "import { createRequire as __mpfleetCreateRequire } from 'node:module';",
  'const require = __mpfleetCreateRequire(import.meta.url);',
].join('\n');

/** Bundles the CLI into `outfile` and makes it executable; resolves to the bundle's input files. */
export async function buildCli({ outfile = DEFAULT_OUTFILE } = {}) {
  const result = await build({
    entryPoints: [path.join(ROOT, 'cli', 'bin.ts')],
    absWorkingDir: ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    banner: { js: BANNER },
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
  return Object.keys(result.metafile.inputs);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { outfile: { type: 'string' } } });
  await buildCli({ outfile: values.outfile && path.resolve(values.outfile) });
}
