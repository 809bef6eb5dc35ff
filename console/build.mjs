// Builds the operator console: console/src (Preact, TypeScript) bundled by esbuild into
// console/dist/assets with content-hashed names (cached for good), and console/dist/manifest.json
// naming them for the `console` function, which serves index.html and the assets. Everything the
// page needs is in the bundle: no CDN, no web fonts, icons inline.
//
//   node console/build.mjs        (npm install, npm start and npm test run it)
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_DIST = path.join(ROOT, 'console', 'dist');

/** Bundles the console; resolves to the manifest it wrote (asset paths, and their sizes in bytes). */
export async function buildConsole({ outdir = CONSOLE_DIST } = {}) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(path.join(outdir, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: { main: path.join(ROOT, 'console', 'src', 'main.tsx') },
    absWorkingDir: ROOT,
    outdir: path.join(outdir, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    target: ['chrome110', 'safari16', 'firefox115'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.svg': 'text' },
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(outdir, path.resolve(ROOT, file)));
  const js = outputs.find((file) => file.endsWith('.js'));
  const css = outputs.find((file) => file.endsWith('.css'));
  const sizes = {};
  for (const file of await readdir(path.join(outdir, 'assets'))) sizes[`assets/${file}`] = (await stat(path.join(outdir, 'assets', file))).size;
  const manifest = { js, css, sizes };
  await writeFile(path.join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const manifest = await buildConsole();
  const total = Object.values(manifest.sizes).reduce((sum, n) => sum + n, 0);
  process.stdout.write(`console built: ${Object.keys(manifest.sizes).join(', ')} (${(total / 1024).toFixed(1)} KiB)\n`);
}
