/** The one place the CLI talks HTTP: mpfleet's operator API under /api, bearer token, JSON. */

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Any failure to get a successful answer: the API's own `{error:{code,message}}`, or a network problem. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | undefined>;

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs?: number;
}

export class ApiClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  /** Resolves to undefined on the API's `204 No Content`. */
  delete<T = void>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /**
   * Follows `nextToken` until the last page and returns every item of the list under `key`;
   * a `nextToken` in `query` starts from that page.
   */
  async all<T>(path: string, key: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    let nextToken = query.nextToken === undefined ? undefined : String(query.nextToken);
    do {
      const page = await this.get<Record<string, unknown> & { nextToken?: string }>(path, { ...query, nextToken });
      items.push(...((page[key] as T[] | undefined) ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return items;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw networkError(error, this.baseUrl, timeoutMs);
    }
    const parsed = parseJson(text);
    if (!response.ok) throw httpError(response, parsed, text);
    if (text === '') return undefined as T;
    if (parsed === undefined) throw new ApiError('bad_response', `${method} ${path} answered ${response.status} with something that is not JSON`, response.status);
    return parsed as T;
  }
}

function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function httpError(response: Response, parsed: unknown, text: string): ApiError {
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string') return new ApiError(error.code, String(error.message ?? response.statusText), response.status);
  // Not the API's error shape: a proxy, a wrong URL, or a gateway in front of it.
  const detail = text.trim().replace(/\s+/g, ' ').slice(0, 200) || response.statusText;
  return new ApiError(`http_${response.status}`, detail, response.status);
}

function networkError(error: unknown, baseUrl: string, timeoutMs: number): ApiError {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return new ApiError('timeout', `no answer from ${baseUrl} within ${timeoutMs / 1000}s`);
  // fetch wraps the socket error (ECONNREFUSED, ENOTFOUND…) as its cause.
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new ApiError('network_error', `cannot reach ${baseUrl}: ${reason}`);
}
