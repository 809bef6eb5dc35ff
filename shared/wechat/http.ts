/**
 * The one place in the codebase that makes HTTP calls to WeChat. It turns every failure into a
 * WeChatApiError (network trouble included) and makes sure no token or secret ends up in an
 * error message: tokens travel in the query string, which is never put into errors.
 */
import { recordMetric } from '../metrics/record';
import { classifyErrcode, SYSTEM_BUSY, WeChatApiError, type WeChatApiErrorInit } from './errors';

export interface WeChatHttpOptions {
  /** scheme://host[:port][/prefix] of api.weixin.qq.com or the emulator. */
  apiBase: string;
  /** Per-request budget including reading the body; default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WeChatBinaryResponse {
  contentType: string;
  body: Buffer;
}

type Query = Record<string, string>;

export interface UploadFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Parameter names whose values must never appear in an error message. */
const SECRET_PARAM = /token|secret|ticket|authorization_code/i;

export class WeChatHttp {
  private readonly apiBase: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: WeChatHttpOptions) {
    this.apiBase = opts.apiBase.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  async postJson<T>(path: string, query: Query, body: unknown): Promise<T> {
    const response = await this.send(path, query, body, 'POST');
    return parseJsonAnswer<T>(response, secretsOf(query, body));
  }

  async getJson<T>(path: string, query: Query): Promise<T> {
    const response = await this.send(path, query, undefined, 'GET');
    return parseJsonAnswer<T>(response, secretsOf(query, undefined));
  }

  /** A file upload (media/upload): multipart/form-data with the file in `field`. */
  async postFile<T>(path: string, query: Query, file: UploadFile): Promise<T> {
    const form = new FormData();
    form.append(file.field, new Blob([new Uint8Array(file.bytes)], { type: file.contentType }), file.filename);
    const response = await this.send(path, query, form, 'POST');
    return parseJsonAnswer<T>(response, secretsOf(query, undefined));
  }

  /** For endpoints such as wxa/get_qrcode that answer bytes on success and JSON on error. */
  async getBinary(path: string, query: Query): Promise<WeChatBinaryResponse> {
    const response = await this.send(path, query, undefined, 'GET');
    const { contentType, bytes } = response;
    if (looksLikeJson(contentType, bytes) || !response.ok) {
      // Throws for an errcode or a bad status; a JSON body without one is handed back as is.
      parseJsonAnswer<unknown>(response, secretsOf(query, undefined));
    }
    return { contentType, body: bytes };
  }

  /**
   * For the runtime proxy: WeChat's answer as it is (JSON, errcode included, or bytes), except a
   * refused access token, which throws so the caller's lease refreshes the token and asks once more.
   */
  async postPassThrough(path: string, query: Query, body: unknown): Promise<WeChatBinaryResponse & { status: number }> {
    const response = await this.send(path, query, body, 'POST');
    const { contentType, bytes, status } = response;
    if (looksLikeJson(contentType, bytes)) {
      const errcode = toErrcode(tryParseObject(bytes.toString('utf8'))?.errcode);
      if (errcode !== undefined && classifyErrcode(errcode) === 'token_invalid') parseJsonAnswer<unknown>(response, secretsOf(query, body));
    }
    return { contentType, body: bytes, status };
  }

  private async send(path: string, query: Query, body: unknown, method: 'GET' | 'POST'): Promise<RawAnswer> {
    const apiPath = path.startsWith('/') ? path : `/${path}`;
    const url = `${this.apiBase}${apiPath}${queryString(query)}`;
    try {
      const response = await this.fetchImpl(url, {
        method,
        // A form sets its own multipart content type (with the boundary).
        headers: method === 'POST' && !(body instanceof FormData) ? { 'content-type': 'application/json; charset=utf-8' } : undefined,
        body: method !== 'POST' ? undefined : body instanceof FormData ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'error',
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      return {
        path: apiPath,
        ok: response.ok,
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        bytes,
      };
    } catch (err) {
      throw failed({ code: SYSTEM_BUSY, errmsg: describeNetworkFailure(err, this.timeoutMs), path: apiPath, network: true });
    }
  }
}

interface RawAnswer {
  path: string;
  ok: boolean;
  status: number;
  contentType: string;
  bytes: Buffer;
}

function queryString(query: Query): string {
  const params = new URLSearchParams(query).toString();
  return params ? `?${params}` : '';
}

/**
 * WeChat answers 200 with `{errcode, errmsg}` on failure; success may omit errcode. WeChat often
 * labels JSON as text/plain, so the content type is not consulted.
 */
function parseJsonAnswer<T>(answer: RawAnswer, secrets: string[]): T {
  const parsed = tryParseObject(answer.bytes.toString('utf8'));
  const errcode = parsed ? toErrcode(parsed.errcode) : undefined;
  if (parsed && errcode !== undefined && errcode !== 0) {
    // Even on a non-2xx status WeChat's own errcode says more than the status does.
    const errmsg = typeof parsed.errmsg === 'string' ? parsed.errmsg : '';
    throw failed({ code: errcode, errmsg: redact(errmsg, secrets), path: answer.path });
  }
  if (!answer.ok || !parsed) {
    const what = answer.ok ? 'answer is not a JSON object' : 'answer is not 2xx';
    throw failed({ code: SYSTEM_BUSY, errmsg: `HTTP ${answer.status}, ${what}`, path: answer.path, network: true });
  }
  return parsed as T;
}

/** Every failed WeChat call is counted by errcode (unreachable or garbled answers as `network`). */
function failed(details: WeChatApiErrorInit): WeChatApiError {
  recordMetric('WeChatError', { by: details.network ? 'network' : String(details.code), metadata: { api: details.path } });
  return new WeChatApiError(details);
}

function tryParseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Be liberal: accept a numeric string as errcode too. */
function toErrcode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Images never start with `{`, so a brace means WeChat sent an error document instead. */
function looksLikeJson(contentType: string, bytes: Buffer): boolean {
  if (/json/i.test(contentType)) return true;
  const first = bytes.toString('latin1', 0, Math.min(bytes.length, 64)).trimStart();
  return first.startsWith('{');
}

/** Only the error's kind is described: fetch error messages may embed the URL with its token. */
function describeNetworkFailure(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    if (err.name === 'AbortError') return 'request aborted';
    const code = errorCode(err) ?? errorCode(err.cause);
    return code ? `request failed (${code})` : `request failed (${err.name})`;
  }
  return 'request failed';
}

function errorCode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('code' in value)) return undefined;
  const code = (value as { code: unknown }).code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : undefined;
}

/** Values of token/secret-like parameters, raw and URL-encoded, for scrubbing. */
function secretsOf(query: Query, body: unknown): string[] {
  const entries: [string, unknown][] = Object.entries(query);
  if (typeof body === 'object' && body !== null) entries.push(...Object.entries(body));
  const secrets = new Set<string>();
  for (const [key, value] of entries) {
    if (!SECRET_PARAM.test(key) || typeof value !== 'string' || value === '') continue;
    secrets.add(value);
    secrets.add(encodeURIComponent(value));
  }
  return [...secrets];
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce((acc, secret) => acc.split(secret).join('***'), text);
}
