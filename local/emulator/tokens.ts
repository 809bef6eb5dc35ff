/**
 * Access tokens as WeChat hands them out: each (kind, appid) has one current token; issuing a
 * new one supersedes the previous, which keeps working for a grace period (WeChat: ~5 min), and
 * every token expires after its lifetime. An admin invalidation kills them at once.
 */
import { randomBytes } from 'node:crypto';

export type TokenKind = 'component' | 'authorizer';

export interface TokenRecord {
  value: string;
  kind: TokenKind;
  /** The authorizer appid; undefined for the component token. */
  appid: string | undefined;
  issuedAt: number;
  expiresAt: number;
  supersededAt?: number;
  invalidated: boolean;
}

/** The store as plain data, for the emulator's state file. */
export interface TokenSnapshot {
  records: TokenRecord[];
  /** The value of the current token of each (kind, appid). */
  current: string[];
}

export type TokenCheck =
  | { ok: true; record: TokenRecord }
  | { ok: false; errcode: 40001 | 42001; record?: TokenRecord };

/** Looks like WeChat's `85_xxxx…` tokens; the number has no meaning. */
export function newTokenValue(): string {
  return `85_${randomBytes(60).toString('base64url')}`;
}

export function newSecretCode(prefix: string): string {
  return `${prefix}@@@${randomBytes(32).toString('base64url')}`;
}

export class TokenStore {
  private readonly byValue = new Map<string, TokenRecord>();
  private readonly currentByKey = new Map<string, TokenRecord>();
  private issuedSinceSweep = 0;

  constructor(
    private readonly now: () => number,
    private readonly graceMs: () => number,
  ) {}

  issue(kind: TokenKind, appid: string | undefined, ttlSec: number): TokenRecord {
    const now = this.now();
    const key = keyOf(kind, appid);
    const previous = this.currentByKey.get(key);
    if (previous !== undefined && previous.supersededAt === undefined) previous.supersededAt = now;
    const record: TokenRecord = {
      value: newTokenValue(),
      kind,
      appid,
      issuedAt: now,
      expiresAt: now + ttlSec * 1000,
      invalidated: false,
    };
    this.byValue.set(record.value, record);
    this.currentByKey.set(key, record);
    if (++this.issuedSinceSweep >= 1000) this.sweep();
    return record;
  }

  /** Any record for this value, valid or not (used to attribute a call to an appid). */
  peek(value: string): TokenRecord | undefined {
    return this.byValue.get(value);
  }

  check(value: string, kind: TokenKind): TokenCheck {
    const record = this.byValue.get(value);
    if (record === undefined || record.kind !== kind) return { ok: false, errcode: 40001 };
    const now = this.now();
    if (record.invalidated) return { ok: false, errcode: 40001, record };
    if (record.supersededAt !== undefined && now >= record.supersededAt + this.graceMs()) {
      return { ok: false, errcode: 40001, record };
    }
    if (now >= record.expiresAt) return { ok: false, errcode: 42001, record };
    return { ok: true, record };
  }

  current(kind: TokenKind, appid: string | undefined): TokenRecord | undefined {
    return this.currentByKey.get(keyOf(kind, appid));
  }

  /** Invalidates every token of (kind, appid), current and superseded alike. Returns how many. */
  invalidate(kind: TokenKind, appid: string | undefined): number {
    let count = 0;
    for (const record of this.byValue.values()) {
      if (record.kind === kind && record.appid === appid && !record.invalidated) {
        record.invalidated = true;
        count++;
      }
    }
    return count;
  }

  snapshot(): TokenSnapshot {
    return { records: [...this.byValue.values()], current: [...this.currentByKey.values()].map((record) => record.value) };
  }

  /** Replaces every record with those of a snapshot. */
  restore(snapshot: TokenSnapshot): void {
    this.byValue.clear();
    this.currentByKey.clear();
    for (const stored of snapshot.records) {
      const record: TokenRecord = { ...stored, appid: stored.appid ?? undefined };
      this.byValue.set(record.value, record);
    }
    for (const value of snapshot.current) {
      const record = this.byValue.get(value);
      if (record !== undefined) this.currentByKey.set(keyOf(record.kind, record.appid), record);
    }
  }

  /** Drops records that can never validate again, so a long benchmark does not grow memory. */
  private sweep(): void {
    this.issuedSinceSweep = 0;
    const now = this.now();
    const grace = this.graceMs();
    // Keep dead tokens for an hour so a caller still gets the precise 42001/40001 for them.
    const keepDeadMs = 3600_000;
    for (const [value, record] of this.byValue) {
      const deadSince = Math.min(
        record.expiresAt,
        record.supersededAt === undefined ? Infinity : record.supersededAt + grace,
      );
      if (now - deadSince > keepDeadMs && this.currentByKey.get(keyOf(record.kind, record.appid)) !== record) {
        this.byValue.delete(value);
      }
    }
  }
}

function keyOf(kind: TokenKind, appid: string | undefined): string {
  return kind === 'component' ? 'component' : `authorizer:${appid ?? ''}`;
}
