/**
 * In-process delivery of AWS SDK requests to the local services. The SDK still builds, serializes
 * and deserializes every request exactly as it does on AWS; only the last hop changes: a request
 * to an endpoint served in this process (dynalite's thread) is handed to that service directly
 * instead of being signed (the local services check only that a signature is there) and written
 * to a socket. During a fleet deploy on a 2-core machine the sockets and the signing were a third
 * of the main thread's work.
 *
 * Requests to any other endpoint, and clients never given to {@link sendDirectly}, go over HTTP.
 * The same holds for fetch() and the servers of this process given to {@link serveFetchDirectly}.
 */
import type { RequestListener } from 'node:http';
import { answerInProcess } from './in-process-http';

export interface DirectRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The serialized request (a string, or the bytes of one, whole and unshared). */
  body: string | Uint8Array;
}

export interface DirectResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export type DirectHandler = (request: DirectRequest) => Promise<DirectResponse>;

interface SdkRequest {
  hostname: string;
  port?: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}
interface RequestHandler {
  handle(request: SdkRequest, options?: unknown): Promise<{ response: unknown }>;
}
interface Signer {
  sign(request: SdkRequest, ...rest: unknown[]): Promise<SdkRequest>;
}
interface SdkConfig {
  requestHandler: RequestHandler;
  httpAuthSchemes?: { schemeId: string; signer: Signer }[];
}

const served = new Map<string, DirectHandler>();
const direct = new WeakSet<object>();
const servedHandler = (request: SdkRequest) => served.get(`${request.hostname}:${request.port ?? ''}`);

/** Serves `endpoint` (e.g. http://127.0.0.1:4567) in this process from now on; the returned function stops. */
export function serveDirectly(endpoint: string, handler: DirectHandler): () => void {
  const url = new URL(endpoint);
  const key = `${url.hostname}:${url.port}`;
  served.set(key, handler);
  return () => {
    if (served.get(key) === handler) served.delete(key);
  };
}

/** Serves `endpoint` with the request listener of a node:http server of this process (see answerInProcess). */
export function serveListenerDirectly(endpoint: string, listener: RequestListener): () => void {
  return serveDirectly(endpoint, (request) => answerInProcess(listener, request));
}

/**
 * The client's requests to an endpoint served in this process skip signing and the socket (once
 * per client; a document client shares its config with the client it wraps). Both are read from
 * the client's config at each request, so swapping them is all it takes.
 */
export function sendDirectly(client: { config: unknown }): void {
  const config = client.config as SdkConfig;
  if (direct.has(config)) return;
  direct.add(config);
  const http = config.requestHandler;
  config.requestHandler = Object.assign(Object.create(http) as RequestHandler, {
    handle: async (request: SdkRequest, options?: unknown) => {
      const handler = servedHandler(request);
      const body = request.body === undefined || typeof request.body === 'string' ? (request.body ?? '') : request.body instanceof Uint8Array ? new Uint8Array(request.body) : undefined;
      if (!handler || body === undefined) return http.handle(request, options); // a stream: only HTTP takes those
      const response = await handler({ method: request.method, path: request.path, headers: request.headers, body });
      return { response: { statusCode: response.statusCode, headers: response.headers, body: Buffer.from(response.body) } };
    },
  });
  for (const scheme of config.httpAuthSchemes ?? []) {
    const signer = scheme.signer;
    scheme.signer = { sign: (request, ...rest) => (servedHandler(request) ? Promise.resolve(request) : signer.sign(request, ...rest)) };
  }
}

const fetchServed = new Map<string, RequestListener>();
/** fetch as Node made it: what answers every other origin. */
const fetchOverHttp = globalThis.fetch;

/**
 * From now on, fetch() to `origin` (e.g. the built-in emulator's http://127.0.0.1:4568) is
 * answered by `listener` in this process, without a socket; the returned function stops. Bodies
 * other than text (forms, streams) still go over HTTP, and so does everything after a redirect.
 * A fetch someone else put in place (a test's recorder) is left alone: it goes on calling the one
 * it wrapped, in-process or not, and what it does not reach goes over HTTP, as correct if slower.
 */
export function serveFetchDirectly(origin: string, listener: RequestListener): () => void {
  const key = new URL(origin).origin;
  fetchServed.set(key, listener);
  if (globalThis.fetch === fetchOverHttp) globalThis.fetch = fetchInProcess;
  return () => {
    if (fetchServed.get(key) !== listener) return;
    fetchServed.delete(key);
    if (fetchServed.size === 0 && globalThis.fetch === fetchInProcess) globalThis.fetch = fetchOverHttp;
  };
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

async function fetchInProcess(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
  const origin = url === undefined ? undefined : originOf(url);
  const listener = origin === undefined ? undefined : fetchServed.get(origin);
  const body = init?.body ?? undefined;
  if (listener === undefined || !(body === undefined || typeof body === 'string')) return fetchOverHttp(input, init);
  const signal = init?.signal ?? undefined;
  signal?.throwIfAborted();
  const method = (init?.method ?? 'GET').toUpperCase();
  const answered = answerInProcess(listener, { method, path: url!.slice(origin!.length) || '/', headers: headerRecord(init?.headers), body: body ?? '' });
  const answer = signal ? await untilAborted(answered, signal) : await answered;
  // fetch's redirect rules are its own: the emulator redirects only GET / (to its dashboard).
  if (answer.statusCode >= 300 && answer.statusCode < 400) return fetchOverHttp(input, init);
  const empty = NULL_BODY_STATUS.has(answer.statusCode) || method === 'HEAD';
  return new Response(empty ? null : answer.body, { status: answer.statusCode, headers: answer.headers });
}

function originOf(url: string): string | undefined {
  const hostStart = url.indexOf('//');
  if (hostStart < 0) return undefined;
  const pathStart = url.slice(hostStart + 2).search(/[/?#]/);
  return (pathStart < 0 ? url : url.slice(0, hostStart + 2 + pathStart)).toLowerCase();
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (headers === undefined) return {};
  if (headers instanceof Headers || Array.isArray(headers)) return Object.fromEntries(new Headers(headers));
  return headers as Record<string, string>;
}

/** The answer, unless the caller's signal aborts first (a timeout: fetch rejects with its reason). */
function untilAborted<T>(answer: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
