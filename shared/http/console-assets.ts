/**
 * The operator console's files, as the `console` function serves them: index.html (rendered per
 * request with the hashed asset names from the build's manifest, never cached, under a strict
 * Content-Security-Policy) and the hashed assets (cached for a year: a new build has new names).
 * The files come from CONSOLE_ASSETS_DIR: console/dist locally, the copy bundled with the function on AWS.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFound } from '../errors';
import type { HttpResult } from './responses';

interface Manifest {
  js: string;
  css?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

function assetsDir(): string {
  const dir = process.env.CONSOLE_ASSETS_DIR;
  if (!dir) throw new NotFound('console_not_built', 'the console is not built here (CONSOLE_ASSETS_DIR is unset): run node console/build.mjs');
  return dir;
}

/** Read per page (a few hundred bytes), so a rebuild of a running stack serves its new files at once. */
async function readManifest(): Promise<Manifest> {
  try {
    return JSON.parse(await readFile(path.join(assetsDir(), 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw new NotFound('console_not_built', 'the console is not built: run npm run console');
  }
}

/**
 * Where images may come from: the console's own origin, data and blob URLs (the QR codes it fetches
 * with the token), and the mini-programs' avatars (WeChat's https URLs; locally the emulator's).
 */
function imageSources(): string {
  const sources = ["'self'", 'data:', 'blob:', 'https:'];
  const emulator = process.env.WECHAT_API_BASE;
  if (emulator && URL.canParse(emulator) && new URL(emulator).protocol === 'http:') sources.push(new URL(emulator).origin);
  return sources.join(' ');
}

export function contentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${imageSources()}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const escapeAttribute = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page for every console route (the app routes in the browser): the same document, no-store. */
export async function consolePage(): Promise<HttpResult> {
  const { js, css } = await readManifest();
  const dashboard = emulatorDashboard();
  const body = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mpfleet</title>
${dashboard ? `<meta name="mpfleet-emulator-dashboard" content="${escapeAttribute(dashboard)}">\n` : ''}${css ? `<link rel="stylesheet" href="/console/${css}">\n` : ''}<script type="module" src="/console/${js}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': contentSecurityPolicy(),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body,
  };
}

/** The built-in emulator's dashboard, when WeChat is the local emulator: the console links it. */
function emulatorDashboard(): string | undefined {
  const base = process.env.WECHAT_API_BASE;
  if (!base || !URL.canParse(base)) return undefined;
  const url = new URL(base);
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) ? `${url.origin}/__admin` : undefined;
}

/** One hashed asset (`assets/main-3F2A….js`); anything else under /console/assets is 404. */
export async function consoleAsset(relative: string): Promise<HttpResult> {
  if (!/^assets\/[A-Za-z0-9_-]+\.(js|css|svg|png|woff2)$/.test(relative)) throw new NotFound('not_found', 'no such console file');
  let body: Buffer;
  try {
    body = await readFile(path.join(assetsDir(), relative));
  } catch {
    throw new NotFound('not_found', 'no such console file');
  }
  return {
    statusCode: 200,
    headers: {
      'content-type': CONTENT_TYPES[path.extname(relative)] ?? 'application/octet-stream',
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}
