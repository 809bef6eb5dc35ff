/**
 * createEmulator: WeChat's API host, authorization pages and pushes on one local HTTP server,
 * plus the /__admin control surface. See `docs/wechat-protocol.md` for the contract.
 */
import { createServer, type RequestListener } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MessageCrypto } from '../../shared/wechat/crypto';
import { handleAdmin } from './admin';
import { handleApiCall } from './api';
import { AVATAR_PATH, HEAD_IMAGE_PATH, avatarPng } from './avatar';
import { AuditDesk } from './audits';
import type { AuditDeskSnapshot } from './audits';
import type { EmulatorContext } from './context';
import { errorBody } from './errors';
import type { PlatformCredentials } from './fixtures';
import { BodyTooLargeError, readBodyBytes, redirect, sendJson, sendBinary } from './http-io';
import { handleAuthPage, matchAuthPage } from './pages';
import { pushNewTicket } from './platform-events';
import { expireRegistrations } from './registrations';
import { Pusher } from './pushes';
import type { PushResult, PushTargets } from './pushes';
import { routeTable } from './routes/index';
import { StateFile } from './persistence';
import { resolvePlatform, resolveSettings } from './settings';
import { SnapshotError, parseSnapshot, restoreSnapshot, takeSnapshot } from './snapshot';
import type { EmulatorOptions } from './settings';
import { EmulatorState } from './state';

export type { EmulatorOptions } from './settings';
export type { PushTargets } from './pushes';

export interface Emulator {
  /** http://host:port — use as WECHAT_API_BASE and as the base of the authorization pages. */
  url: string;
  platform: PlatformCredentials;
  /** The in-memory model, for tests. */
  state: EmulatorState;
  /** The state file (`<stateDir>/state.json`) when the emulator keeps its state; closed by close(). */
  stateFile?: string;
  close(): Promise<void>;
  /** Changes where pushes go; a new ticketUrl gets a fresh ticket shortly after. */
  setPushTargets(targets: PushTargets): void;
  /** Issues and pushes a new component_verify_ticket now. */
  pushTicket(): { ticket: string; delivery: Promise<PushResult> };
  /** What answers the emulator's HTTP requests: the local stack hands it its own calls, without a socket. */
  requestListener: RequestListener;
}

/** Delay of the first ticket push once a ticketUrl is known, so the caller can finish starting up. */
const INITIAL_TICKET_DELAY_MS = 100;
/** How often fast registrations pending for 24 h are failed with WeChat's timeout push. */
const REGISTRATION_SWEEP_MS = 60_000;

export async function createEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const settings = resolveSettings(opts);
  const platform = resolvePlatform(opts);
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => undefined);
  const state = new EmulatorState(platform, settings, now);
  const stateFile = opts.stateDir === undefined ? undefined : StateFile.open(opts.stateDir, log);
  let resumeAudits: AuditDeskSnapshot | undefined;
  try {
    const stored = stateFile?.read();
    if (stored !== undefined) resumeAudits = restoreSnapshot(state, parseSnapshot(stored, platform.componentAppid), opts);
  } catch (error) {
    await stateFile?.close();
    if (!(error instanceof SnapshotError)) throw error;
    throw new SnapshotError(`${stateFile?.file} cannot be read: ${error.message}. Move it away, or start clean with --reset.`);
  }
  const durable = stateFile === undefined ? undefined : () => stateFile.flush();
  const written = stateFile === undefined ? undefined : () => stateFile.written();
  const crypto = new MessageCrypto({ token: platform.token, encodingAesKey: platform.encodingAesKey, appid: platform.componentAppid });
  const pushes = new Pusher({
    crypto,
    componentAppid: platform.componentAppid,
    calls: state.calls,
    settings,
    now,
    log,
    ...(durable === undefined ? {} : { beforeSend: durable }),
  });
  const audits = new AuditDesk({ state, pushes, delayMs: () => settings.auditDelayMs, now, changed: () => stateFile?.changed(), log });
  stateFile?.attach(() => JSON.stringify(takeSnapshot(state, audits.snapshot())));
  const ctx: EmulatorContext = { state, settings, platform, crypto, pushes, audits, now, log, selfUrl: () => url, ...(durable === undefined || written === undefined ? {} : { durable, written }) };
  const routes = routeTable();

  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const scheduleTicketPush = () => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) pushNewTicket(ctx);
    }, INITIAL_TICKET_DELAY_MS);
    timers.add(timer);
  };

  const setPushTargets = (targets: PushTargets) => {
    const previousTicketUrl = pushes.targets.ticketUrl;
    if ('ticketUrl' in targets) pushes.targets.ticketUrl = targets.ticketUrl;
    if ('callbackUrlTemplate' in targets) pushes.targets.callbackUrlTemplate = targets.callbackUrlTemplate;
    if (pushes.targets.ticketUrl !== undefined && pushes.targets.ticketUrl !== previousTicketUrl) scheduleTicketPush();
  };

  let url = '';
  const hooks = { setPushTargets, url: () => url };
  const requestListener: RequestListener = (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      log(`emulator: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendJson(res, 500, errorBody(-1));
      else res.destroy();
    });
  };
  const server = createServer(requestListener);

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const requestUrl = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = requestUrl.pathname;
    const route = routes.get(path);
    let rawBytes: Buffer = Buffer.alloc(0);
    if (method !== 'GET' && method !== 'HEAD') {
      try {
        rawBytes = await readBodyBytes(req, route?.maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) return sendJson(res, 413, errorBody(47001, { hint: error.message }));
        throw error;
      }
    }
    // Uploads keep their bytes; everything else is JSON or a form, read as text.
    const rawBody = route?.body === 'raw' ? '' : rawBytes.toString('utf8');
    if (route !== undefined) {
      return handleApiCall(ctx, route, { method, url: requestUrl, rawBody, rawBytes, contentType: req.headers['content-type'] ?? '' }, res);
    }
    if (path === '/__admin' || path.startsWith('/__admin/')) return handleAdmin(ctx, hooks, method, requestUrl, rawBody, res);
    const page = matchAuthPage(path);
    if (page !== undefined) return handleAuthPage(ctx, page, method, requestUrl, rawBody, res);
    if (path === '/') return redirect(res, '/__admin');
    // Browsers ask for it on every page: not an API call, so no 40066 in the call log.
    if (path === '/favicon.ico') {
      res.writeHead(204, { 'cache-control': 'max-age=86400' });
      return void res.end();
    }
    const avatar = AVATAR_PATH.exec(path);
    if (avatar !== null && (method === 'GET' || method === 'HEAD')) return sendBinary(res, 'image/png', avatarPng(avatar[1]!));
    const head = HEAD_IMAGE_PATH.exec(path);
    const headImage = head === null ? undefined : state.get(head[1]!)?.headImage;
    if (headImage !== undefined && (method === 'GET' || method === 'HEAD')) return sendBinary(res, headImage.contentType, Buffer.from(headImage.data, 'base64'));
    state.calls.add({ kind: 'api', method, path, errcode: 40066 });
    sendJson(res, 404, errorBody(40066, { hint: `the emulator has no API ${path}` }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await stateFile?.close();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = `http://${host}:${address.port}`;

  if (settings.ticketIntervalMs > 0) {
    const interval = setInterval(() => {
      if (pushes.targets.ticketUrl !== undefined) pushNewTicket(ctx);
    }, settings.ticketIntervalMs);
    interval.unref();
    timers.add(interval);
  }
  setPushTargets({
    ...(opts.ticketUrl === undefined ? {} : { ticketUrl: opts.ticketUrl }),
    ...(opts.callbackUrlTemplate === undefined ? {} : { callbackUrlTemplate: opts.callbackUrlTemplate }),
  });
  // Decisions due while the emulator was down are made, and unacknowledged pushes sent again, once
  // the caller has had the moment it needs to set push targets (as for the first ticket).
  if (resumeAudits !== undefined) audits.resume(resumeAudits, INITIAL_TICKET_DELAY_MS);
  // Registrations that timed out while the emulator was down, then every minute.
  const sweepRegistrations = () => {
    if (!closed && expireRegistrations(ctx) > 0) stateFile?.changed();
  };
  const firstSweep = setTimeout(sweepRegistrations, INITIAL_TICKET_DELAY_MS);
  const sweep = setInterval(sweepRegistrations, REGISTRATION_SWEEP_MS);
  sweep.unref();
  timers.add(firstSweep);
  timers.add(sweep);
  log(`WeChat emulator listening on ${url}${stateFile === undefined ? '' : ` (state in ${stateFile.file})`}`);

  return {
    url,
    platform,
    state,
    ...(stateFile === undefined ? {} : { stateFile: stateFile.file }),
    setPushTargets,
    requestListener,
    pushTicket() {
      const { ticket, delivery } = pushNewTicket(ctx);
      return { ticket: ticket.value, delivery };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      audits.close();
      await pushes.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Last: the decisions still pending and the pushes cut short are kept for the next start.
      await stateFile?.close();
    },
  };
}
