/**
 * The operator API from the browser: the same endpoints the CLI calls, with the session's token.
 * Errors keep the API's `{error: {code, message}}`; a 401 signs the operator out with the reason.
 */
import { signOut, token } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token() ?? ''}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch (error) {
    throw new ApiError(0, 'unreachable', `the API could not be reached: ${(error as Error).message}`);
  }
  if (response.ok) return response;
  const text = await response.text();
  let code = `http_${response.status}`;
  let message = text || response.statusText;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string }; message?: string };
    code = body.error?.code ?? code;
    message = body.error?.message ?? body.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (response.status === 401) signOut(message);
  throw new ApiError(response.status, code, message);
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

export async function sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const response = await request(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** An image the API serves behind the token (the experience QR code), as an object URL for <img>. */
export async function getImageUrl(path: string): Promise<string> {
  return URL.createObjectURL(await (await request(path)).blob());
}

/** Checks a token before keeping it: the operator API answers 401 to a wrong one. */
export async function checkToken(candidate: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const response = await fetch('/api/tenants?limit=1', { headers: { authorization: `Bearer ${candidate.trim()}` } });
  if (response.ok) return { ok: true };
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  return { ok: false, message: body.error?.message ?? `HTTP ${response.status}` };
}
