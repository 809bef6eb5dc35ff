/**
 * fetch() to a server of this process (the built-in WeChat emulator) answered without a socket:
 * the same listener answers as over HTTP, timeouts still cut a slow answer short, and a fetch a
 * test put in place (the wire recorder) keeps working across restarts.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveFetchDirectly } from '../../../local/runtime/direct-transport';

/** Echoes what it was asked, as JSON; `/slow` answers after 2 s; `/` redirects; `/drop` is dropped. */
const echo: RequestListener = async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.url === '/slow') await new Promise((resolve) => setTimeout(resolve, 2_000));
  if (req.url === '/drop') return void res.destroy();
  if (req.url === '/') {
    res.writeHead(302, { location: '/home' });
    return void res.end();
  }
  const text = JSON.stringify({ method: req.method, url: req.url, type: req.headers['content-type'] ?? null, body: Buffer.concat(chunks).toString() });
  res.writeHead(201, { 'content-type': 'application/json', 'x-served': 'yes' });
  res.end(text);
};

// Nothing listens here: only the in-process listener can answer.
const ORIGIN = 'http://127.0.0.1:9';
const stops: (() => void)[] = [];
const serve = (origin = ORIGIN, listener = echo) => stops.push(serveFetchDirectly(origin, listener));
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe('fetch to a server of this process', () => {
  it('is answered by its listener: method, path and query, headers and body in; status, headers and body out', async () => {
    serve();
    const response = await fetch(`${ORIGIN}/cgi-bin/x?access_token=T`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-served')).toBe('yes');
    expect(await response.json()).toEqual({ method: 'POST', url: '/cgi-bin/x?access_token=T', type: 'application/json', body: '{"a":1}' });
  });

  it('rejects as fetch does when the caller times out, and when the server drops the request', async () => {
    serve();
    await expect(fetch(`${ORIGIN}/slow`, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(fetch(`${ORIGIN}/drop`)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('leaves other origins, form bodies and redirects to HTTP', async () => {
    const server = createServer(echo);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const http = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      serve();
      const form = new FormData();
      form.set('media', new Blob(['png']), 'a.png');
      // The origin served here has no socket: a request sent over HTTP cannot reach it.
      await expect(fetch(`${ORIGIN}/upload`, { method: 'POST', body: form })).rejects.toThrow('fetch failed');
      await expect(fetch(`${ORIGIN}/`)).rejects.toThrow('fetch failed');
      expect((await fetch(`${http}/over-http`)).headers.get('x-served')).toBe('yes');
    } finally {
      server.close();
    }
  });

  it('keeps a fetch someone wrapped around it working, and goes back to HTTP once nothing is served', async () => {
    const pristine = globalThis.fetch;
    serve();
    const ours = globalThis.fetch;
    expect(ours).not.toBe(pristine);
    const seen: string[] = [];
    globalThis.fetch = (input, init) => (seen.push(String(input)), ours(input, init)); // a test's recorder
    try {
      for (const stop of stops.splice(0)) stop(); // a stack closes…
      serve(); // …and the next one starts
      expect((await fetch(`${ORIGIN}/again`)).status).toBe(201);
      expect(seen).toEqual([`${ORIGIN}/again`]);
    } finally {
      globalThis.fetch = ours;
    }
    for (const stop of stops.splice(0)) stop();
    expect(globalThis.fetch).toBe(pristine);
    await expect(fetch(`${ORIGIN}/gone`)).rejects.toThrow('fetch failed');
  });
});
