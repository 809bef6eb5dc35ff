import { logger } from '../logger';
import { recordMetric } from '../metrics/record';
import type { ForwardingPorts } from './forwarding-ports';
import type { Delivery, DeliveryFailure } from './delivery-store';
import type { ForwardMessage } from './forward-queue';
import { effectiveForwarding, type EffectiveForwarding } from './forwarding-settings';
import { backoffSeconds, type ForwardRetryPolicy } from './retry-policy';
import { ID_HEADER, SIGNATURE_HEADER, signBody } from './signature';

/** What the queue consumer does with the message: delete it, or let it come back after `inSeconds`. */
export type DeliveryOutcome = { kind: 'done' } | { kind: 'retry'; inSeconds: number };

const DONE: DeliveryOutcome = { kind: 'done' };

/**
 * One attempt at a delivery: POST the stored body, signed, to the URL in effect now. A 2xx
 * delivers it; anything else is retried with backoff until the retry window closes, then the
 * delivery is dead (kept, redrivable). Copies of a queue message, and messages for a delivery that
 * is settled or not yet due, change nothing.
 */
export async function deliverForward(services: Pick<ForwardingPorts, 'db' | 'table' | 'deliveries'>, message: ForwardMessage, policy: ForwardRetryPolicy, nowMs = Date.now()): Promise<DeliveryOutcome> {
  const delivery = await services.deliveries.get(message.appid, message.key);
  if (!delivery || delivery.status === 'delivered' || delivery.status === 'dead') return DONE;
  // An early copy of a message that is waiting out its backoff: it waits too.
  const dueInMs = (delivery.nextAttemptAtMs ?? 0) - nowMs;
  if (dueInMs > 1000) return { kind: 'retry', inSeconds: Math.ceil(dueInMs / 1000) };

  const forwarding = await effectiveForwarding(services, message.appid);
  if (!forwarding) {
    await services.deliveries.markDead(delivery, { message: 'forwarding was turned off for this tenant: set a URL again and redrive' });
    recordMetric('ForwardDead');
    return DONE;
  }
  const claimed = await services.deliveries.claimAttempt(delivery, nowMs);
  if (!claimed) return DONE; // another copy of the message took this attempt

  const failure = await post(forwarding, claimed, policy);
  if (!failure) {
    await services.deliveries.markDelivered(claimed);
    recordMetric('ForwardDelivered');
    return DONE;
  }
  recordMetric('ForwardFailed', { by: failure.httpStatus ? String(failure.httpStatus) : failure.message.startsWith('no answer') ? 'timeout' : 'unreachable' });
  const wait = backoffSeconds(policy, claimed.attempts);
  if ((Date.now() - claimed.windowStartMs) / 1000 + wait > policy.giveUpSeconds) {
    await services.deliveries.markDead(claimed, failure);
    recordMetric('ForwardDead');
    logger.warn('forward given up: redrive it once the receiver works', { appid: claimed.appid, id: claimed.id, attempts: claimed.attempts, failure });
    return DONE;
  }
  await services.deliveries.markRetrying(claimed, Date.now() + wait * 1000, failure);
  return { kind: 'retry', inSeconds: wait };
}

/** Undefined when the receiver answered 2xx; otherwise what went wrong, in words an operator can act on. */
async function post(forwarding: EffectiveForwarding, delivery: Delivery, policy: ForwardRetryPolicy): Promise<DeliveryFailure | undefined> {
  try {
    const response = await fetch(forwarding.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'mpfleet-forwarder',
        [ID_HEADER]: delivery.id,
        [SIGNATURE_HEADER]: signBody(forwarding.signingSecret, delivery.body),
      },
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(policy.requestTimeoutMs),
    });
    const answer = (await response.text().catch(() => '')).slice(0, 200);
    if (response.status >= 200 && response.status < 300) return undefined;
    const why = response.status >= 300 && response.status < 400 ? 'redirects are not followed: set the final URL' : answer.trim() || response.statusText;
    return { httpStatus: response.status, message: `the receiver answered ${response.status}${why ? `: ${why}` : ''}` };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { message: `no answer within ${policy.requestTimeoutMs / 1000} s` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { message: `could not reach the receiver: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}
