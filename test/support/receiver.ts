import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  id: string | undefined;
  signature: string | undefined;
  raw: string;
  body: Record<string, unknown>;
}

/**
 * A template backend's forward receiver for tests: records every POST and answers `status()` (200
 * unless changed). `down()` stops listening (connections are refused), `up()` listens again on the
 * same port.
 */
export async function startReceiver() {
  const received: Received[] = [];
  let answer = 200;
  const handle = (server: Server) =>
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (answer >= 200 && answer < 300) {
          received.push({ id: req.headers['x-mpfleet-id'] as string | undefined, signature: req.headers['x-mpfleet-signature'] as string | undefined, raw, body: JSON.parse(raw) as Record<string, unknown> });
        }
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'receiver is failing on purpose');
      });
    });
  let server = handle(createServer());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/wechat-messages`,
    received,
    answerWith(status: number) {
      answer = status;
    },
    async down() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async up() {
      server = handle(createServer());
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      if (server.listening) await this.down();
    },
  };
}
