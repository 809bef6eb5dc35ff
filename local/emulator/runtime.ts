/**
 * What a template's backend does with a mini-program at run time, as the emulator keeps it: its
 * users (openids issued through wx.login codes), the wx.login codes themselves (5 minutes, single
 * use, bound to one appid), and a bounded record of what the runtime APIs did (logins, subscribe
 * messages sent, mini-program codes, URL schemes and links generated), so tests and demos can
 * assert it. Everything here is kept in the state file.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { MiniProgram } from './state';

/** WeChat: a wx.login code is valid for 5 minutes and can be used once. */
export const WX_LOGIN_CODE_TTL_SEC = 300;
/** Each record list keeps its latest entries only, so the state file stays bounded. */
export const MAX_RUNTIME_RECORDS = 200;
/** Users kept per mini-program (the oldest are forgotten past it: their openid then answers 40003). */
export const MAX_USERS = 10_000;

export interface WxLoginCode {
  appid: string;
  openid: string;
  createdAt: number;
  expiresAt: number;
  used: boolean;
}

export interface RuntimeRecords {
  /** Openids issued for this mini-program (one per user), oldest first. */
  users: string[];
  logins: { time: number; openid: string }[];
  subscribeMessages: {
    time: number;
    touser: string;
    template_id: string;
    page?: string;
    data: Record<string, unknown>;
    miniprogram_state: string;
    lang: string;
  }[];
  wxacodes: { time: number; scene: string; page: string; env_version: string; check_path: boolean; width: number }[];
  schemes: { time: number; openlink: string; path: string; query: string; env_version: string; expireTime: number }[];
  urlLinks: { time: number; url_link: string; path: string; query: string; env_version: string; expireTime: number }[];
  /** User messages and events pushed to the mini-program's message URL (admin). */
  userMessages: { time: number; openid: string; msgType: string; msgId?: number; content?: string; event?: string }[];
}

export function emptyRuntime(): RuntimeRecords {
  return { users: [], logins: [], subscribeMessages: [], wxacodes: [], schemes: [], urlLinks: [], userMessages: [] };
}

/** The mini-program's runtime records (a state file from before them has none yet). */
export function runtimeOf(mp: MiniProgram): RuntimeRecords {
  mp.runtime ??= emptyRuntime();
  const runtime = mp.runtime;
  for (const [key, value] of Object.entries(emptyRuntime())) {
    if (!Array.isArray((runtime as unknown as Record<string, unknown>)[key])) (runtime as unknown as Record<string, unknown>)[key] = value;
  }
  return runtime;
}

/** The records without creating them (summaries read every mini-program). */
export function peekRuntime(mp: MiniProgram): RuntimeRecords {
  return mp.runtime === undefined ? emptyRuntime() : runtimeOf(mp);
}

export function record<T>(list: T[], entry: T): void {
  list.push(entry);
  if (list.length > MAX_RUNTIME_RECORDS) list.splice(0, list.length - MAX_RUNTIME_RECORDS);
}

/** Looks like WeChat's: 28 characters starting with `o`. */
export function newOpenid(): string {
  return `o${randomBytes(21).toString('base64url').slice(0, 27)}`;
}

/**
 * Every seeded mini-program's principal is treated as having an open-platform account, so its
 * users get a unionid: deterministic from the openid and the principal (the same user of two
 * mini-programs of one principal, named by the same openid, gets the same unionid).
 */
export function unionidFor(openid: string, principalName: string): string {
  return `o${createHash('sha256').update(`${principalName}\n${openid}`).digest('base64url').slice(0, 27)}`;
}

/** A user of this mini-program: the given openid (registered if new) or a fresh one. */
export function userOf(mp: MiniProgram, openid?: string): string {
  const runtime = runtimeOf(mp);
  const chosen = openid ?? newOpenid();
  if (!runtime.users.includes(chosen)) {
    runtime.users.push(chosen);
    if (runtime.users.length > MAX_USERS) runtime.users.splice(0, runtime.users.length - MAX_USERS);
  }
  return chosen;
}

/** WeChat's session_key: 16 random bytes in base64 (24 characters), new at every login. */
export function newSessionKey(): string {
  return randomBytes(16).toString('base64');
}

/** A wx.login code: 32 characters, like WeChat's. */
export function newWxLoginCode(): string {
  return randomBytes(24).toString('base64url');
}

export function randomToken(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
