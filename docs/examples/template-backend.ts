/**
 * A template backend's two touch points with mpfleet, in plain Node (no mpfleet code, no framework):
 *
 * - `POST /wechat-messages`: the forward URL. mpfleet POSTs every message and event of the tenants
 *   (JSON, WeChat's field names plus `appid`) signed with the forwarding's signingSecret. Verify the
 *   signature on the raw body, refuse it if old, and handle each X-Mpfleet-Id once: a retry after a
 *   lost 2xx repeats it. Answer 2xx quickly; anything else is retried with backoff.
 * - `POST /login {appid, code}`: the mini-program's `wx.login` code becomes an openid through
 *   mpfleet's runtime API (the backend never holds the component token).
 *
 * Run it: MPFLEET_URL=http://127.0.0.1:3000 MPFLEET_SERVICE_KEY=mpk_… MPFLEET_SIGNING_SECRET=mpfwd_… \
 *   npx tsx docs/examples/template-backend.ts
 * then `mpfleet tenants forward --default http://127.0.0.1:8080/wechat-messages`.
 * Tested by test/docs/template-backend.test.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface TemplateBackendOptions {
  mpfleetUrl: string;
  /** A service key with the `login` scope for the tenants this backend serves. */
  serviceKey: string;
  /** The forwarding's signingSecret (PUT /api/forwarding answers it). */
  signingSecret: string;
  /** Your handling of one forwarded message or event. */
  onMessage: (message: Record<string, unknown> & { appid: string }) => Promise<void> | void;
  /** Signatures older than this are refused (a replayed capture). */
  toleranceSeconds?: number;
}

/** True when `header` (`t=<unix s>,v1=<hex>`) signs `rawBody` with `secret` and is recent. */
export function verifyMpfleetSignature(secret: string, rawBody: string, header: string | undefined, toleranceSeconds = 300): boolean {
  const fields = Object.fromEntries((header ?? '').split(',').map((part) => part.trim().split('=', 2)));
  const t = Number(fields.t);
  const given = String(fields.v1 ?? '');
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function createTemplateBackend(options: TemplateBackendOptions): Server {
  // Use your database here: a Set forgets on restart, which is enough for a sample.
  const handled = new Set<string>();

  return createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    try {
      const raw = await readBody(req);
      if (req.method === 'POST' && req.url === '/wechat-messages') {
        if (!verifyMpfleetSignature(options.signingSecret, raw, req.headers['x-mpfleet-signature'] as string | undefined, options.toleranceSeconds)) {
          return reply(401, { error: 'bad signature' });
        }
        const id = String(req.headers['x-mpfleet-id'] ?? '');
        const message = JSON.parse(raw) as Record<string, unknown> & { appid: string };
        const key = `${message.appid}:${id}`;
        if (!handled.has(key)) {
          await options.onMessage(message);
          handled.add(key);
        }
        return reply(200, { ok: true });
      }
      if (req.method === 'POST' && req.url === '/login') {
        const { appid, code } = JSON.parse(raw) as { appid: string; code: string };
        const answer = await fetch(`${options.mpfleetUrl}/runtime/${encodeURIComponent(appid)}/login`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.serviceKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ code }),
        });
        const body = (await answer.json()) as { openid?: string; unionid?: string; sessionKey?: string; error?: { code: string; message: string } };
        // Keep sessionKey on the server (it decrypts the user's data); the mini-program gets your own session.
        if (!answer.ok) return reply(answer.status, { error: body.error });
        return reply(200, { openid: body.openid, ...(body.unionid ? { unionid: body.unionid } : {}) });
      }
      reply(404, { error: 'not found' });
    } catch (error) {
      reply(500, { error: (error as Error).message });
    }
  });
}

// Started directly: configuration from the environment.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const env = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
  const server = createTemplateBackend({
    mpfleetUrl: env('MPFLEET_URL'),
    serviceKey: env('MPFLEET_SERVICE_KEY'),
    signingSecret: env('MPFLEET_SIGNING_SECRET'),
    onMessage: (message) => console.log('message', message.appid, message.MsgType, message.Content ?? message.Event ?? ''),
  });
  server.listen(Number(process.env.PORT ?? 8080), () => console.log(`template backend on :${process.env.PORT ?? 8080}`));
}
