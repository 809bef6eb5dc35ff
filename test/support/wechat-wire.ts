/**
 * What mpfleet sends to WeChat (the emulator), as it goes over the wire: every request with its
 * query (tokens left out), JSON body and the moments it started and ended. The emulator's call log
 * says which APIs were called and how they answered, but not with what arguments (revertcoderelease's
 * `action` and `app_version`, submit_audit's `feedback_info`, commit's `user_version`): this does.
 *
 * Everything runs in one process, so wrapping `fetch` sees every call the platform's functions make.
 * It can also make a worker "die" mid-step: a matching call reaches WeChat and is answered, and the
 * caller never hears back (`dieAfter`), as when a Lambda dies after WeChat accepted its call.
 */
import type { TestStack } from './stack';

export interface WireCall {
  method: string;
  /** The API path, e.g. /wxa/revertcoderelease. */
  path: string;
  /** Query parameters without the access token. */
  query: Record<string, string>;
  body?: Record<string, unknown>;
  /** The mini-program the call's authorizer token belongs to. */
  appid?: string;
  startedAt: number;
  endedAt?: number;
  errcode?: number;
  /** The caller never heard the answer (dieAfter). */
  lost?: boolean;
}

export interface Wire {
  calls(filter?: { path?: string; appid?: string; action?: string | null; since?: number }): WireCall[];
  /** Successful calls (errcode 0) of `path`, optionally of one mini-program and one `action` (null: without one). */
  successes(path: string, appid?: string, action?: string | null): WireCall[];
  /**
   * The next `times` calls matching `match` reach WeChat and are answered there, but the caller
   * never hears back: its promise stays pending until `revive()`, which fails it like a dropped
   * connection. WeChat did the work; the worker that asked is as good as dead.
   */
  dieAfter(match: (call: WireCall) => boolean, times?: number): void;
  /** Fails every call still left hanging by dieAfter (so the suite can shut down). */
  revive(): void;
  restore(): void;
}

export function recordWire(t: TestStack): Wire {
  const emulator = t.stack.emulator!;
  const base = emulator.url;
  const log: WireCall[] = [];
  const hung: ((error: Error) => void)[] = [];
  let dying: { match: (call: WireCall) => boolean; left: number }[] = [];
  const original = globalThis.fetch;

  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (!url.href.startsWith(base) || url.pathname.startsWith('/__admin')) return original(input, init);
    const token = url.searchParams.get('access_token') ?? url.searchParams.get('component_access_token');
    const query = Object.fromEntries([...url.searchParams].filter(([name]) => !/token/i.test(name)));
    const body = typeof init?.body === 'string' ? tryJson(init.body) : undefined;
    const call: WireCall = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query,
      ...(body ? { body } : {}),
      ...(token ? { appid: emulator.state.tokens.peek(token)?.appid } : {}),
      startedAt: Date.now(),
    };
    log.push(call);
    // A dying caller's request is sent without its abort signal: nothing cuts it short.
    const rule = dying.find((d) => d.left > 0 && d.match(call));
    const response = await original(input, rule ? { ...init, signal: null } : init);
    call.endedAt = Date.now();
    const answer = response.headers.get('content-type')?.includes('json') ? tryJson(await response.clone().text()) : undefined;
    call.errcode = typeof answer?.errcode === 'number' ? answer.errcode : 0;
    if (rule) {
      rule.left--;
      dying = dying.filter((d) => d.left > 0);
      call.lost = true;
      return new Promise<Response>((_, reject) => hung.push(reject));
    }
    return response;
  };
  globalThis.fetch = wrapped;

  const calls: Wire['calls'] = (filter = {}) =>
    log.filter(
      (c) =>
        (filter.path === undefined || c.path === filter.path) &&
        (filter.appid === undefined || c.appid === filter.appid) &&
        (filter.action === undefined || (c.query.action ?? null) === filter.action) &&
        (filter.since === undefined || c.startedAt >= filter.since),
    );
  return {
    calls,
    successes: (path, appid, action) => calls({ path, ...(appid ? { appid } : {}), ...(action !== undefined ? { action } : {}) }).filter((c) => c.errcode === 0),
    dieAfter: (match, times = 1) => {
      dying.push({ match, left: times });
    },
    revive: () => {
      for (const reject of hung.splice(0)) reject(new TypeError('fetch failed: the worker that made this call is gone'));
    },
    restore: () => {
      for (const reject of hung.splice(0)) reject(new TypeError('fetch failed'));
      if (globalThis.fetch === wrapped) globalThis.fetch = original;
    },
  };
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
