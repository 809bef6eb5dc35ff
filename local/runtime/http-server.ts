import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTES } from '../../infra/routes';
import { fromApiGatewayResult, toApiGatewayEvent, type OutgoingResponse } from './apigw-event';
import { FunctionTimeoutError, type FunctionInvoker } from './functions';
import { createRouter } from './routing';

/** API Gateway's own request payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

const gatewayError = (statusCode: number, message: string): OutgoingResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ message })),
});

/** Reads a request body, refusing (like API Gateway) anything over the payload limit. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface LocalHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The local stand-in for API Gateway: one HTTP server routing by the shared route table. */
export async function startHttpServer(options: {
  port: number;
  host?: string;
  invoke: FunctionInvoker;
  onError?: (error: unknown) => void;
}): Promise<LocalHttpServer> {
  const match = createRouter(ROUTES);

  async function respond(req: http.IncomingMessage): Promise<OutgoingResponse> {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const method = req.method ?? 'GET';
    // A local convenience (API Gateway has its own answer): no 404 for the icon every browser asks for.
    if ((method === 'GET' || method === 'HEAD') && path === '/favicon.ico') {
      return { statusCode: 204, headers: { 'cache-control': 'max-age=86400' }, body: Buffer.alloc(0) };
    }
    const found = match(method, path);
    if (!found) return gatewayError(404, 'Not Found');
    const body = await readBody(req);
    if (!body) return gatewayError(413, 'Request Entity Too Large');
    const event = toApiGatewayEvent(
      { method: req.method ?? 'GET', url, headers: req.headers, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1' },
      found,
    );
    try {
      return fromApiGatewayResult(await options.invoke<APIGatewayProxyResultV2>(found.route.function, event));
    } catch (error) {
      options.onError?.(error);
      if (error instanceof FunctionTimeoutError) return gatewayError(503, 'Service Unavailable');
      return gatewayError(500, 'Internal Server Error');
    }
  }

  const server = http.createServer((req, res) => {
    respond(req)
      .then((out) => {
        res.writeHead(out.statusCode, out.headers);
        res.end(out.body);
      })
      .catch((error) => {
        options.onError?.(error);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error' }));
      });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
