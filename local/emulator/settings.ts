/**
 * Emulator options and their defaults. Defaults follow WeChat where WeChat documents a value.
 */
import { EMULATOR_PLATFORM, FLEETS, MAX_SEEDED_MINI_PROGRAMS } from './fixtures';
import type { Fleet, PlatformCredentials } from './fixtures';

export type AuditOutcome = 'approve' | 'reject' | 'delay' | 'silent';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['approve', 'reject', 'delay', 'silent'];

export interface EmulatorOptions {
  /** Default 0 (an ephemeral port) on 127.0.0.1. */
  port?: number;
  host?: string;
  platform?: PlatformCredentials;
  /** Seeded mini-programs, default 5, at most 10,000. */
  miniPrograms?: number;
  /**
   * How the seeded mini-programs stand on WeChat's release gates (ICP filing, basic info, privacy
   * guide, categories) and what the seeded templates' code uses: 'ready' (the default) passes
   * every gate with code that uses no privacy API; 'realistic' (`npm start`) is a mix, see
   * fixtures.ts gateSeed. Applies to mini-programs and templates seeded fresh.
   */
  fleet?: Fleet;
  /**
   * How long after a commit get_code_privacy_info (and submit_audit) answers 61039, the code
   * privacy scan still running. Default 0: the scan is done at once. `npm start` uses 2000.
   */
  privacyScanMs?: number;
  /** The service's authorization-event URL (授权事件接收URL), target of component pushes. */
  ticketUrl?: string;
  /** The service's message URL with `$APPID$`, e.g. 'http://127.0.0.1:3000/wechat/callback/$APPID$'. */
  callbackUrlTemplate?: string;
  /** component_verify_ticket push period; default 600,000 (10 min); 0 = only on demand. */
  ticketIntervalMs?: number;
  componentTokenTtlSec?: number;
  authorizerTokenTtlSec?: number;
  /** Default 12 h. */
  ticketTtlSec?: number;
  /** How long a superseded access token keeps working; WeChat: about 5 minutes. Default 300. */
  tokenGraceSec?: number;
  /** pre_auth_code lifetime. WeChat documents 600–1800 s (unconfirmed); default 1800, the lenient end. */
  preAuthCodeTtlSec?: number;
  /** When true, api_authorizer_token hands out a new refresh token and the old one stops working. Default false. */
  rotateRefreshToken?: boolean;
  /** Audits are decided this long after submit_audit; default 3000. */
  auditDelayMs?: number;
  /** Default 'approve'. 'silent' approves but never pushes (a lost push). */
  auditOutcome?: AuditOutcome;
  /** Platform-wide monthly audit submissions (queryquota `limit`); default 1000. */
  auditQuota?: number;
  /** Platform-wide monthly speed-up requests; default 10. */
  speedupQuota?: number;
  /** Base latency added to every API call, for benchmarks. */
  latencyMs?: number;
  /** WeChat waits 5 s for an answer to a push. */
  pushTimeoutMs?: number;
  /** Pause before retrying an undelivered push; default 1000. WeChat retries up to 3 times. */
  pushRetryDelayMs?: number;
  /**
   * The emulator's own folder for its state (`state.json`, see snapshot.ts): read at start, written
   * before each answer that changed something, so a restart continues where it was. Undefined (the
   * default, and what tests use): the state lives in memory only.
   */
  stateDir?: string;
  log?: (line: string) => void;
  /** Clock in epoch milliseconds, for tests of expiry. Timers still run on real time. */
  now?: () => number;
}

export interface EmulatorSettings {
  componentTokenTtlSec: number;
  authorizerTokenTtlSec: number;
  ticketTtlSec: number;
  tokenGraceSec: number;
  preAuthCodeTtlSec: number;
  /** WeChat's redirect says expires_in=600. */
  authCodeTtlSec: number;
  rotateRefreshToken: boolean;
  ticketIntervalMs: number;
  auditDelayMs: number;
  auditOutcome: AuditOutcome;
  auditQuota: number;
  speedupQuota: number;
  latencyMs: number;
  pushTimeoutMs: number;
  pushRetryDelayMs: number;
  pushRetries: number;
  miniPrograms: number;
  fleet: Fleet;
  privacyScanMs: number;
}

export function resolveSettings(opts: EmulatorOptions): EmulatorSettings {
  const miniPrograms = opts.miniPrograms ?? 5;
  if (!Number.isInteger(miniPrograms) || miniPrograms < 0 || miniPrograms > MAX_SEEDED_MINI_PROGRAMS) {
    throw new RangeError(`miniPrograms must be an integer from 0 to ${MAX_SEEDED_MINI_PROGRAMS}`);
  }
  const outcome = opts.auditOutcome ?? 'approve';
  if (!AUDIT_OUTCOMES.includes(outcome)) throw new RangeError(`auditOutcome must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  const fleet = opts.fleet ?? 'ready';
  if (!FLEETS.includes(fleet)) throw new RangeError(`fleet must be one of ${FLEETS.join(', ')}`);
  return {
    componentTokenTtlSec: positive(opts.componentTokenTtlSec, 7200, 'componentTokenTtlSec'),
    authorizerTokenTtlSec: positive(opts.authorizerTokenTtlSec, 7200, 'authorizerTokenTtlSec'),
    ticketTtlSec: positive(opts.ticketTtlSec, 12 * 3600, 'ticketTtlSec'),
    tokenGraceSec: nonNegative(opts.tokenGraceSec, 300, 'tokenGraceSec'),
    preAuthCodeTtlSec: positive(opts.preAuthCodeTtlSec, 1800, 'preAuthCodeTtlSec'),
    authCodeTtlSec: 600,
    rotateRefreshToken: opts.rotateRefreshToken ?? false,
    ticketIntervalMs: nonNegative(opts.ticketIntervalMs, 600_000, 'ticketIntervalMs'),
    auditDelayMs: nonNegative(opts.auditDelayMs, 3000, 'auditDelayMs'),
    auditOutcome: outcome,
    auditQuota: nonNegative(opts.auditQuota, 1000, 'auditQuota'),
    speedupQuota: nonNegative(opts.speedupQuota, 10, 'speedupQuota'),
    latencyMs: nonNegative(opts.latencyMs, 0, 'latencyMs'),
    pushTimeoutMs: positive(opts.pushTimeoutMs, 5000, 'pushTimeoutMs'),
    pushRetryDelayMs: nonNegative(opts.pushRetryDelayMs, 1000, 'pushRetryDelayMs'),
    pushRetries: 3,
    miniPrograms,
    fleet,
    privacyScanMs: nonNegative(opts.privacyScanMs, 0, 'privacyScanMs'),
  };
}

export function resolvePlatform(opts: EmulatorOptions): PlatformCredentials {
  return { ...(opts.platform ?? EMULATOR_PLATFORM) };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!(typeof resolved === 'number' && Number.isFinite(resolved) && resolved > 0)) throw new RangeError(`${name} must be > 0`);
  return resolved;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!(typeof resolved === 'number' && Number.isFinite(resolved) && resolved >= 0)) throw new RangeError(`${name} must be >= 0`);
  return resolved;
}
