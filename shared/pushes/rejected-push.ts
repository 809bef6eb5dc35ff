import type { HttpError } from '../http/errors';
import { recordMetric } from '../metrics/record';

/** A push refused with a 4xx, counted by why: a forged or garbled push shows up on the dashboard. */
export function countRejectedPush(error: HttpError): void {
  recordMetric('PushRejected', { by: error.code });
}
