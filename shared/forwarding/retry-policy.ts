/**
 * When a forward is tried again and when it is given up: exponential backoff from
 * FORWARD_RETRY_BASE_SECONDS, doubling, capped at FORWARD_RETRY_MAX_SECONDS (SQS's 15-minute
 * message delay is the natural ceiling), given up FORWARD_GIVE_UP_SECONDS after it was first queued
 * (or last redriven). A day covers a receiver's overnight outage; a dead delivery is kept for
 * FORWARD_RETENTION_DAYS and can be redriven.
 */
export interface ForwardRetryPolicy {
  baseSeconds: number;
  maxSeconds: number;
  giveUpSeconds: number;
  /** A receiver gets this long to answer. */
  requestTimeoutMs: number;
  retentionDays: number;
  /** A pending or retrying delivery this far past its due time lost its queue message: a redrive takes it too. */
  stalledAfterSeconds: number;
}

export const DEFAULT_FORWARD_RETRY: ForwardRetryPolicy = {
  baseSeconds: 5,
  maxSeconds: 900,
  giveUpSeconds: 24 * 3600,
  requestTimeoutMs: 10_000,
  retentionDays: 14,
  stalledAfterSeconds: 3600,
};

function positive(raw: string | undefined, fallback: number): number {
  const value = Number(raw?.trim());
  return raw?.trim() && Number.isFinite(value) && value > 0 ? value : fallback;
}

export function forwardRetryPolicy(env: NodeJS.ProcessEnv = process.env): ForwardRetryPolicy {
  const d = DEFAULT_FORWARD_RETRY;
  return {
    baseSeconds: positive(env.FORWARD_RETRY_BASE_SECONDS, d.baseSeconds),
    maxSeconds: Math.min(900, positive(env.FORWARD_RETRY_MAX_SECONDS, d.maxSeconds)),
    giveUpSeconds: positive(env.FORWARD_GIVE_UP_SECONDS, d.giveUpSeconds),
    requestTimeoutMs: positive(env.FORWARD_REQUEST_TIMEOUT_MS, d.requestTimeoutMs),
    retentionDays: positive(env.FORWARD_RETENTION_DAYS, d.retentionDays),
    stalledAfterSeconds: positive(env.FORWARD_STALLED_AFTER_SECONDS, d.stalledAfterSeconds),
  };
}

/** Seconds before the attempt after `attempts` failed ones: base·2^(attempts−1), capped. */
export function backoffSeconds(policy: ForwardRetryPolicy, attempts: number): number {
  return Math.min(policy.maxSeconds, Math.ceil(policy.baseSeconds * 2 ** Math.max(0, attempts - 1)));
}
