/**
 * Outgoing pushes, sealed exactly as WeChat seals them (docs/wechat-protocol.md §1): component pushes go to
 * the authorization-event URL with outer `<AppId>`, mini-program events to the message URL (with
 * `$APPID$` substituted) with outer `<ToUserName>`; both encrypted with the platform's token and
 * key and the component appid. Fire-and-forget with a timeout; an answer other than `success`
 * (or a failure) is retried up to 3 times, like WeChat. Every attempt lands in the call log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageCrypto } from '../../shared/wechat/crypto';
import { sealPush } from '../../shared/wechat/envelope';
import type { SealedPush } from '../../shared/wechat/envelope';
import { buildXml } from '../../shared/wechat/xml';
import type { XmlFields } from '../../shared/wechat/xml';
import type { CallLog } from './calls';
import type { EmulatorSettings } from './settings';

export interface PushTargets {
  ticketUrl?: string;
  callbackUrlTemplate?: string;
}

export interface PushResult {
  delivered: boolean;
  attempts: number;
  status?: number;
  body?: string;
  error?: string;
}

/** One POST and its answer (or failure), as the full-network check needs it. */
export interface Exchange {
  status?: number;
  body: string;
  error?: string;
  elapsedMs: number;
}

/** A push's inner fields; a nested block (fast registration's `<info>`) becomes child elements. */
export type PushFields = Record<string, string | number | XmlFields>;

interface PusherDeps {
  crypto: MessageCrypto;
  componentAppid: string;
  calls: CallLog;
  settings: EmulatorSettings;
  now: () => number;
  log: (line: string) => void;
  /**
   * Awaited before a push's first attempt: with a state file, the state the push announces (a
   * ticket, an authorization code, an audit decision) is on disk before anyone hears of it.
   */
  beforeSend?: () => Promise<void>;
}

const MAX_RECORDED_BODY = 2000;

export class Pusher {
  readonly targets: PushTargets = {};
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly stop = new AbortController();

  constructor(private readonly deps: PusherDeps) {}

  /** A push to the authorization-event URL: component_verify_ticket, (update/un)authorized. */
  componentEvent(infoType: string, fields: PushFields): Promise<PushResult> {
    const sealed = this.sealForComponent({ InfoType: infoType, ...fields });
    return this.track(
      this.deliver(this.targets.ticketUrl, sealed, {
        type: infoType,
        appid: typeof fields.AuthorizerAppid === 'string' ? fields.AuthorizerAppid : undefined,
        accept: (body) => body.trim() === 'success',
      }),
    );
  }

  /** An event to a mini-program's message URL, e.g. weapp_audit_success. */
  miniProgramEvent(mp: { appid: string; userName: string }, fromUserName: string, fields: PushFields): Promise<PushResult> {
    const sealed = this.sealForMiniProgram(mp, fromUserName, fields);
    const type = String(fields.Event ?? fields.MsgType ?? 'message');
    return this.track(
      this.deliver(this.callbackUrlFor(mp.appid), sealed, {
        type,
        appid: mp.appid,
        // `success` or an empty body both stop WeChat's retries for message pushes.
        accept: (body) => body.trim() === 'success' || body.trim() === '',
      }),
    );
  }

  sealForMiniProgram(mp: { userName: string }, fromUserName: string, fields: PushFields): SealedPush {
    const innerXml = buildXml({ ToUserName: mp.userName, FromUserName: fromUserName, CreateTime: this.nowSec(), ...fields });
    const sealed = sealPush(this.deps.crypto, { outer: { ToUserName: mp.userName }, innerXml });
    // Mini-program message pushes also carry the sender's openid in the query.
    return { query: { ...sealed.query, openid: fromUserName }, body: sealed.body };
  }

  sealForComponent(innerFields: PushFields): SealedPush {
    const innerXml = buildXml({ AppId: this.deps.componentAppid, CreateTime: this.nowSec(), ...innerFields });
    return sealPush(this.deps.crypto, { outer: { AppId: this.deps.componentAppid }, innerXml });
  }

  callbackUrlFor(appid: string): string | undefined {
    return this.targets.callbackUrlTemplate?.replaceAll('$APPID$', appid);
  }

  /** One POST to `target`, recorded in the call log; `accept` decides, with a 2xx, whether it was delivered. */
  async recordedExchange(
    target: string,
    sealed: SealedPush,
    meta: { type: string; appid: string | undefined; attempt: number; accept: (body: string) => boolean; timeoutMs?: number },
  ): Promise<{ exchange: Exchange; delivered: boolean }> {
    const exchange = await this.exchange(target, sealed, meta.timeoutMs);
    const delivered = exchange.error === undefined && isSuccessStatus(exchange.status) && meta.accept(exchange.body);
    const { path, cleanTarget } = describeTarget(target);
    this.deps.calls.add({
      kind: 'push',
      method: 'POST',
      path,
      target: cleanTarget,
      type: meta.type,
      ...(meta.appid === undefined ? {} : { appid: meta.appid }),
      attempt: meta.attempt,
      ...(exchange.status === undefined ? {} : { status: exchange.status }),
      responseBody: exchange.body.slice(0, MAX_RECORDED_BODY),
      ...(exchange.error === undefined ? {} : { error: exchange.error }),
      elapsedMs: Math.round(exchange.elapsedMs),
      delivered,
    });
    return { exchange, delivered };
  }

  /** A single POST without retries or logging. */
  private async exchange(target: string, sealed: SealedPush, timeoutMs = this.deps.settings.pushTimeoutMs): Promise<Exchange> {
    const started = performance.now();
    try {
      const url = new URL(target);
      for (const [name, value] of Object.entries(sealed.query)) url.searchParams.set(name, value);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', 'user-agent': 'Mozilla/4.0 (mpfleet WeChat emulator)' },
        body: sealed.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stop.signal]),
      });
      const body = await response.text();
      return { status: response.status, body, elapsedMs: performance.now() - started };
    } catch (error) {
      const name = (error as Error).name;
      const message = name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : describeFetchError(error);
      return { body: '', error: message, elapsedMs: performance.now() - started };
    }
  }

  /** Stops retries and aborts pushes in flight, then waits for them to settle. */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(
    target: string | undefined,
    sealed: SealedPush,
    meta: { type: string; appid: string | undefined; accept: (body: string) => boolean },
  ): Promise<PushResult> {
    const { calls, settings, log, beforeSend } = this.deps;
    if (beforeSend !== undefined) {
      await beforeSend().catch((error: unknown) => log(`push ${meta.type}: state not saved before sending (${String(error)})`));
    }
    const appid = meta.appid === undefined ? {} : { appid: meta.appid };
    if (target === undefined) {
      const error = 'no push target configured';
      calls.add({ kind: 'push', method: 'POST', path: '', target: '', type: meta.type, ...appid, attempt: 0, error, delivered: false });
      log(`push ${meta.type}: skipped, ${error}`);
      return { delivered: false, attempts: 0, error };
    }
    const { cleanTarget } = describeTarget(target);
    let last: Exchange = { body: '', elapsedMs: 0 };
    const maxAttempts = 1 + settings.pushRetries;
    for (let attempt = 1; attempt <= maxAttempts && !this.stop.signal.aborted; attempt++) {
      const { exchange, delivered } = await this.recordedExchange(target, sealed, { ...meta, attempt });
      last = exchange;
      if (delivered) return { delivered, attempts: attempt, status: last.status ?? 200, body: last.body };
      const why = last.error ?? `HTTP ${last.status} ${JSON.stringify(last.body.slice(0, 80))}`;
      log(`push ${meta.type} to ${cleanTarget}: attempt ${attempt}/${maxAttempts} not acknowledged (${why})`);
      if (attempt < maxAttempts) {
        try {
          await sleep(settings.pushRetryDelayMs, undefined, { signal: this.stop.signal });
        } catch {
          break; // emulator closing
        }
      }
    }
    return {
      delivered: false,
      attempts: maxAttempts,
      body: last.body,
      ...(last.status === undefined ? {} : { status: last.status }),
      ...(last.error === undefined ? {} : { error: last.error }),
    };
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  private nowSec(): number {
    return Math.floor(this.deps.now() / 1000);
  }
}

function isSuccessStatus(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

function describeTarget(target: string): { path: string; cleanTarget: string } {
  try {
    const url = new URL(target);
    return { path: url.pathname, cleanTarget: `${url.origin}${url.pathname}` };
  } catch {
    return { path: '', cleanTarget: target };
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
