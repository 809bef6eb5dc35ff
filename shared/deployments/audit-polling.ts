/** How often the audit-reconciler runs (its EventBridge schedule in infra/functions.ts). */
export const AUDIT_RECONCILE_PERIOD_MINUTES = 5;

const MINUTE = 60_000;
/** Ages (since submission) at which an audit is polled first, then every hour. */
export const FIRST_AUDIT_POLL_MS = 10 * MINUTE;
const EARLY_POLLS_MS = [FIRST_AUDIT_POLL_MS, 20 * MINUTE, 40 * MINUTE];
const POLL_EVERY_MS = 60 * MINUTE;

/**
 * Whether the run that sees an audit at `ageMs` should poll it: the first run after each poll
 * age. An audit takes hours to days and its result is normally pushed, so polling a thousand
 * tenants every five minutes would only spend WeChat's call quota; this needs no stored state.
 */
export function auditPollDue(ageMs: number, periodMs = AUDIT_RECONCILE_PERIOD_MINUTES * MINUTE): boolean {
  const crossed = (pollAgeMs: number) => ageMs >= pollAgeMs && ageMs - periodMs < pollAgeMs;
  if (EARLY_POLLS_MS.some(crossed)) return true;
  return ageMs >= POLL_EVERY_MS && ageMs % POLL_EVERY_MS < periodMs;
}
