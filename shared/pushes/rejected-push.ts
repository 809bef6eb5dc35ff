import { recordMetric } from '../metrics/record';

/** A push refused with a 4xx, counted by its error code: a forged or garbled push shows up on the dashboard. */
export function countRejectedPush(code: string): void {
  recordMetric('PushRejected', { by: code });
}
