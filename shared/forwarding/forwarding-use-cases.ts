import type { DeliveryView, ForwardingSettings, ForwardingStatus, RedriveResult } from '../contract/operator-api';
import { InvalidInput, NotFound } from '../errors';
import type { ForwardingPorts } from './forwarding-ports';
import { DELIVERY_STATUSES, type Delivery, type DeliveryStatus } from './delivery-store';
import { deleteForwarding, effectiveForwarding, putForwarding, type ForwardingSetting } from './forwarding-settings';
import { forwardRetryPolicy } from './retry-policy';

type Ports = ForwardingPorts;

/** At most this many deliveries are queued again per redrive call (the answer says when more wait). */
const REDRIVE_BATCH = 1000;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function settingsView(setting: ForwardingSetting): ForwardingSettings {
  return { url: setting.url, signingSecret: setting.signingSecret, ...(setting.appid ? { appid: setting.appid } : {}), updatedAt: iso(setting.updatedAtMs)! };
}

async function knownTenant(p: Ports, appid: string): Promise<void> {
  if (!(await p.tenants.get(appid))) throw new NotFound('tenant_not_found', `no tenant ${appid}`);
}

export async function setTenantForwarding(p: Ports, appid: string, body: unknown): Promise<ForwardingSettings> {
  await knownTenant(p, appid);
  return settingsView(await putForwarding(p, appid, body));
}

export async function stopTenantForwarding(p: Ports, appid: string): Promise<void> {
  await knownTenant(p, appid);
  await deleteForwarding(p, appid);
}

export function deliveryView(delivery: Delivery): DeliveryView {
  const waiting = delivery.status === 'pending' || delivery.status === 'retrying';
  return {
    id: delivery.id,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts,
    createdAt: iso(delivery.createdAtMs)!,
    ...(delivery.lastAttemptAtMs !== undefined ? { lastAttemptAt: iso(delivery.lastAttemptAtMs) } : {}),
    ...(waiting && delivery.nextAttemptAtMs !== undefined ? { nextAttemptAt: iso(delivery.nextAttemptAtMs) } : {}),
    ...(delivery.deliveredAtMs !== undefined ? { deliveredAt: iso(delivery.deliveredAtMs) } : {}),
    ...(delivery.lastError ? { lastError: delivery.lastError } : {}),
  };
}

export async function forwardingStatus(p: Ports, appid: string, query: { status?: DeliveryStatus; limit?: number; nextToken?: string }): Promise<ForwardingStatus> {
  await knownTenant(p, appid);
  const stalledBefore = Date.now() - forwardRetryPolicy().stalledAfterSeconds * 1000;
  const [forwarding, page, stalled, ...counts] = await Promise.all([
    effectiveForwarding(p, appid),
    p.deliveries.list(appid, query),
    p.deliveries.countStalled(appid, stalledBefore),
    ...DELIVERY_STATUSES.map((status) => p.deliveries.count(appid, status)),
  ]);
  return {
    appid,
    forwarding: forwarding ? { url: forwarding.url, source: forwarding.source, updatedAt: iso(forwarding.updatedAtMs)! } : null,
    counts: Object.fromEntries(DELIVERY_STATUSES.map((status, i) => [status, counts[i]!])) as ForwardingStatus['counts'],
    stalled,
    deliveries: page.deliveries.map(deliveryView),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

/**
 * Queues again the tenant's dead deliveries, and those pending or retrying long past their due
 * time (their queue message was lost: dead-lettered by SQS after repeated crashes), each with a new
 * retry window. A delivery that moved meanwhile is left alone.
 */
export async function redriveDeliveries(p: Ports, appid: string, nowMs = Date.now()): Promise<RedriveResult> {
  await knownTenant(p, appid);
  if (!(await effectiveForwarding(p, appid))) throw new InvalidInput('forwarding_not_set', `${appid} has no forward URL (nor the platform a default): set one before redriving`);
  const stalledBefore = nowMs - forwardRetryPolicy().stalledAfterSeconds * 1000;
  let redriven = 0;
  let more = false;
  const messages: { appid: string; key: string }[] = [];
  scan: for (const status of ['dead', 'retrying', 'pending'] as const) {
    for await (const delivery of p.deliveries.inStatus(appid, status)) {
      if (status !== 'dead' && (delivery.nextAttemptAtMs ?? 0) > stalledBefore) continue;
      if (redriven >= REDRIVE_BATCH) {
        more = true;
        break scan;
      }
      if (!(await p.deliveries.requeue(delivery, nowMs))) continue;
      messages.push({ appid, key: delivery.key });
      redriven += 1;
    }
  }
  await p.forwardQueue.send(messages);
  return { redriven, ...(more ? { more } : {}) };
}

export { putForwarding, deleteForwarding };
