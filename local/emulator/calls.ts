/**
 * The call log: every API call the emulator received and every push it sent, in order. Tests and
 * users read it through /__admin/calls. Token values are never recorded (query strings are dropped).
 */

export interface ApiCallRecord {
  seq: number;
  time: number;
  kind: 'api';
  method: string;
  path: string;
  appid?: string;
  errcode: number;
  /** Id of the fault rule that answered (or slowed) this call. */
  fault?: string;
}

export interface PushRecord {
  seq: number;
  time: number;
  kind: 'push';
  method: 'POST';
  /** The target's path, so `?path=/wechat/ticket` finds pushes too. */
  path: string;
  /** Target URL without its query string. */
  target: string;
  /** InfoType of a component push, Event or MsgType of a message push. */
  type: string;
  appid?: string;
  attempt: number;
  status?: number;
  responseBody?: string;
  error?: string;
  /** How long the receiver took to answer (or until the attempt timed out). */
  elapsedMs?: number;
  /** True when this attempt's answer stopped the retries. */
  delivered: boolean;
}

export type CallRecord = ApiCallRecord | PushRecord;
type NewRecord = Omit<ApiCallRecord, 'seq' | 'time'> | Omit<PushRecord, 'seq' | 'time'>;

export interface CallFilter {
  path?: string;
  appid?: string;
  /** Epoch milliseconds; records at or after this time. */
  since?: number;
  kind?: 'api' | 'push';
}

const MAX_RECORDS = 100_000;

export class CallLog {
  private records: CallRecord[] = [];
  private nextSeq = 1;

  constructor(private readonly now: () => number) {}

  add(record: NewRecord): CallRecord {
    const full = { ...record, seq: this.nextSeq++, time: this.now() } as CallRecord;
    this.records.push(full);
    // Trim in chunks so a benchmark's millions of calls cost amortised O(1) each.
    if (this.records.length > MAX_RECORDS * 1.1) this.records = this.records.slice(-MAX_RECORDS);
    return full;
  }

  list(filter: CallFilter = {}): CallRecord[] {
    const path = filter.path === undefined ? undefined : normalizePath(filter.path);
    return this.records.filter(
      (record) =>
        (path === undefined || record.path === path) &&
        (filter.appid === undefined || record.appid === filter.appid) &&
        (filter.since === undefined || record.time >= filter.since) &&
        (filter.kind === undefined || record.kind === filter.kind),
    );
  }

  recent(count: number): CallRecord[] {
    return this.records.slice(-count);
  }

  clear(): void {
    this.records = [];
  }
}

/** `wxa/commit` and `/wxa/commit` name the same API. */
export function normalizePath(path: string): string {
  const trimmed = path.trim();
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}
