/**
 * Shared test fixtures: an emulator on an ephemeral port, a tiny HTTP server standing in for our
 * service to receive pushes, and shortcuts to obtain tokens over real HTTP.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MessageCrypto } from '../../../shared/wechat/crypto';
import { openPush } from '../../../shared/wechat/envelope';
import type { XmlFields } from '../../../shared/wechat/xml';
import { EMULATOR_PLATFORM } from '../../../local/emulator/fixtures';
import { createEmulator } from '../../../local/emulator/server';
import type { Emulator, EmulatorOptions } from '../../../local/emulator/server';

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
}

export type ReceiverAnswer = string | { status?: number; body?: string; delayMs?: number };
export type ReceiverHandler = (request: ReceivedRequest) => ReceiverAnswer | Promise<ReceiverAnswer>;

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  setHandler(handler: ReceiverHandler): void;
  /** Resolves with the first (already or later) received request matching `predicate`. */
  waitFor(predicate: (request: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** Stands in for our service: records every request and answers `success` unless told otherwise. */
export async function startReceiver(handler: ReceiverHandler = () => 'success'): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  let current = handler;
  const waiters: { predicate: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver.invalid');
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(request);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(request)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(request);
        }
      }
      void Promise.resolve(current(request)).then(async (answer) => {
        const { status = 200, body = '', delayMs = 0 } = typeof answer === 'string' ? { body: answer } : answer;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(next) {
      current = next;
    },
    waitFor(predicate, timeoutMs = 5000) {
      const found = requests.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index !== -1) {
            waiters.splice(index, 1);
            reject(new Error(`no matching request within ${timeoutMs} ms (received ${requests.length})`));
          }
        }, timeoutMs).unref();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const platformCrypto = new MessageCrypto({
  token: EMULATOR_PLATFORM.token,
  encodingAesKey: EMULATOR_PLATFORM.encodingAesKey,
  appid: EMULATOR_PLATFORM.componentAppid,
});

/** Authenticates and decrypts a push the way our service must. */
export function openReceivedPush(request: ReceivedRequest): { outer: XmlFields; fields: XmlFields } {
  return openPush(platformCrypto, request.query, request.body);
}

export function isPushOf(kind: string) {
  return (request: ReceivedRequest): boolean => {
    try {
      const { fields } = openReceivedPush(request);
      return fields.InfoType === kind || fields.Event === kind;
    } catch {
      return false;
    }
  };
}

/** An emulator whose pushes go to `receiver` (/wechat/ticket and /wechat/callback/$APPID$). */
export async function startEmulatorWith(receiver: Receiver | undefined, opts: EmulatorOptions = {}): Promise<Emulator> {
  return createEmulator({
    ticketIntervalMs: 0,
    pushRetryDelayMs: 20,
    ...(receiver === undefined
      ? {}
      : { ticketUrl: `${receiver.url}/wechat/ticket`, callbackUrlTemplate: `${receiver.url}/wechat/callback/$APPID$` }),
    ...opts,
  });
}

export interface CallOptions {
  query?: Record<string, string>;
  body?: unknown;
  /** Sent verbatim instead of JSON.stringify(body). */
  rawBody?: string;
  method?: 'GET' | 'POST';
}

export type WeChatAnswer = Record<string, unknown> & { errcode?: number; errmsg?: string };

export async function callApi(emulator: Emulator, path: string, opts: CallOptions = {}): Promise<WeChatAnswer> {
  const url = new URL(path, emulator.url);
  for (const [name, value] of Object.entries(opts.query ?? {})) url.searchParams.set(name, value);
  const method = opts.method ?? (opts.body !== undefined || opts.rawBody !== undefined ? 'POST' : 'GET');
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const response = await fetch(url, { method, ...(body === undefined ? {} : { body }) });
  return (await response.json()) as WeChatAnswer;
}

export async function admin(emulator: Emulator, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const response = await fetch(new URL(path, emulator.url), {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> & { error?: string } };
}

export async function componentToken(emulator: Emulator): Promise<string> {
  const { ticket } = emulator.pushTicket();
  const answer = await callApi(emulator, '/cgi-bin/component/api_component_token', {
    body: {
      component_appid: emulator.platform.componentAppid,
      component_appsecret: emulator.platform.componentSecret,
      component_verify_ticket: ticket,
    },
  });
  if (typeof answer.component_access_token !== 'string') throw new Error(`no component token: ${JSON.stringify(answer)}`);
  return answer.component_access_token;
}

export interface Authorized {
  appid: string;
  accessToken: string;
  refreshToken: string;
}

/** Authorizes a seeded mini-program (admin shortcut for the consent page) and exchanges the code. */
export async function authorizeMiniProgram(emulator: Emulator, index = 0, token?: string): Promise<Authorized> {
  const mp = emulator.state.seeded[index];
  if (mp === undefined) throw new Error(`no seeded mini-program #${index}`);
  const consent = await admin(emulator, 'POST', '/__admin/authorize', { appid: mp.appid });
  const answer = await callApi(emulator, '/cgi-bin/component/api_query_auth', {
    query: { component_access_token: token ?? (await componentToken(emulator)) },
    body: { component_appid: emulator.platform.componentAppid, authorization_code: consent.json.auth_code },
  });
  const info = answer.authorization_info as { authorizer_access_token: string; authorizer_refresh_token: string };
  return { appid: mp.appid, accessToken: info.authorizer_access_token, refreshToken: info.authorizer_refresh_token };
}

export const RID_ERRMSG = / rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
