import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string | undefined;
  body: string;
}

export interface CannedReply {
  status?: number;
  contentType?: string;
  body: string | Buffer;
}

export interface FakeWeChat {
  baseUrl: string;
  requests: RecordedRequest[];
  /** What the next requests are answered; 'hang' never answers (for timeouts). */
  answer(reply: CannedReply | 'hang'): void;
  close(): Promise<void>;
}

export const jsonReply = (value: object): CannedReply => ({ contentType: 'application/json', body: JSON.stringify(value) });

/** A stand-in for api.weixin.qq.com on 127.0.0.1 that records requests and answers canned replies. */
export async function startFakeWeChat(initial: CannedReply | 'hang' = jsonReply({})): Promise<FakeWeChat> {
  const requests: RecordedRequest[] = [];
  let reply = initial;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (reply === 'hang') return;
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json; encoding=utf-8' });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answer: (next) => {
      reply = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
