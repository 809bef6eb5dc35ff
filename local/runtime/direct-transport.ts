/**
 * In-process delivery of AWS SDK requests to the local services. The SDK still builds, serializes
 * and deserializes every request exactly as it does on AWS; only the last hop changes: a request
 * to an endpoint served in this process (dynalite's thread) is handed to that service directly
 * instead of being signed (the local services check only that a signature is there) and written
 * to a socket. During a fleet deploy on a 2-core machine the sockets and the signing were a third
 * of the main thread's work.
 *
 * Requests to any other endpoint, and clients never given to {@link sendDirectly}, go over HTTP.
 */

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
  body: string;
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
