/**
 * X-Mpfleet-Signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
 * forwarding's signingSecret. The timestamp is inside the MAC, so a receiver that also bounds its
 * age refuses a captured request replayed later. Importable by a template's backend as it is: no
 * dependency beyond node:crypto.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-mpfleet-signature';
export const ID_HEADER = 'x-mpfleet-id';
/** How old a signature a receiver should accept by default: retries are signed afresh, so 5 minutes is plenty. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const mac = (secret: string, t: number, body: string) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

export function signBody(secret: string, body: string, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${mac(secret, t, body)}`;
}

/**
 * True when `header` signs `body` with `secret` and its timestamp is within `toleranceSeconds` of
 * now. Compares in constant time; any malformed header is simply false.
 */
export function verifySignature(secret: string, body: string, header: string | undefined, options: { toleranceSeconds?: number; nowMs?: number } = {}): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given)) return false;
  const age = Math.abs((options.nowMs ?? Date.now()) / 1000 - t);
  if (age > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  return timingSafeEqual(Buffer.from(mac(secret, t, body), 'hex'), Buffer.from(given, 'hex'));
}
