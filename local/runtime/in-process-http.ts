import { EventEmitter } from 'node:events';
import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { DirectRequest, DirectResponse } from './direct-transport';

/** What the listener answered; its body as bytes. */
export type InProcessAnswer = DirectResponse & { body: Buffer };

/** The answer's `destroy()`: the server gave up on the request without answering. */
export class InProcessRequestDropped extends Error {
  override readonly name = 'InProcessRequestDropped';
  readonly code = 'ECONNRESET';
}

/**
 * Answers a request with a node:http request listener of this process, without a socket: the
 * request is a readable stream of its body with method, url and headers; the response takes
 * writeHead/setHeader/write/end (and emits 'close' once ended, as a socket's would). That is all
 * the local servers use, so they run the same code for these requests as for their HTTP ones.
 */
export function answerInProcess(listener: RequestListener, request: DirectRequest): Promise<InProcessAnswer> {
  return new Promise((resolve, reject) => {
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    const req = Object.assign(Readable.from(body.length ? [body] : []), { method: request.method, url: request.path, headers });

    const answerHeaders: Record<string, string> = {};
    const chunks: Buffer[] = [];
    const setHeaders = (more: OutgoingHttpHeaders | undefined) => {
      for (const [name, value] of Object.entries(more ?? {})) if (value !== undefined) answerHeaders[name.toLowerCase()] = String(value);
    };
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200,
      headersSent: false,
      writableEnded: false,
      setHeader(name: string, value: unknown) {
        answerHeaders[name.toLowerCase()] = String(value);
        return res;
      },
      getHeader: (name: string) => answerHeaders[name.toLowerCase()],
      writeHead(status: number, reasonOrHeaders?: string | OutgoingHttpHeaders, headers?: OutgoingHttpHeaders) {
        res.statusCode = status;
        setHeaders(typeof reasonOrHeaders === 'object' ? reasonOrHeaders : headers);
        res.headersSent = true;
        return res;
      },
      write(chunk: string | Uint8Array) {
        res.headersSent = true;
        chunks.push(Buffer.from(chunk));
        return true;
      },
      end(chunk?: string | Uint8Array) {
        if (res.writableEnded) return res;
        if (chunk !== undefined) chunks.push(Buffer.from(chunk));
        res.headersSent = true;
        res.writableEnded = true;
        resolve({ statusCode: res.statusCode, headers: answerHeaders, body: Buffer.concat(chunks) });
        queueMicrotask(() => res.emit('close'));
        return res;
      },
      destroy() {
        if (res.writableEnded) return res;
        res.writableEnded = true;
        reject(new InProcessRequestDropped('the server dropped the request'));
        queueMicrotask(() => res.emit('close'));
        return res;
      },
    });
    listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
}
