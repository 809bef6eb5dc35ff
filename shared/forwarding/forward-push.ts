import { logger } from '../logger';
import { recordMetric } from '../metrics/record';
import type { Services } from '../services';
import type { XmlFields } from '../wechat/xml';
import { effectiveForwarding } from './forwarding-settings';

export interface ForwardablePush {
  appid: string;
  /** X-Mpfleet-Id: the MsgId of a message, the dedupe key of an event. */
  id: string;
  /** MsgType, or `event:<Event>`. */
  type: string;
  /** WeChat's CreateTime in ms (the same on WeChat's retries, so the delivery's key is too). */
  createdAtMs: number;
  fields: XmlFields;
}

/**
 * Queues a push for the tenant's forward URL, if it has one (or the platform has a default): a
 * delivery item, then a queue message naming it. Called again for the same push (WeChat's retry
 * after a failure here), it finds the item and sends the message again only if no attempt was made
 * yet; a copy too many is harmless, as each attempt is claimed once. True when it was queued.
 */
export async function forwardPush(services: Pick<Services, 'db' | 'table' | 'deliveries' | 'forwardQueue'>, push: ForwardablePush): Promise<boolean> {
  if (!(await effectiveForwarding(services, push.appid))) return false;
  const { Encrypt: _envelope, ...fields } = push.fields;
  // WeChat's field names as they are, plus the tenant: a receiver serving many tenants needs it.
  const body = JSON.stringify({ ...fields, appid: push.appid });
  const { created, key } = await services.deliveries.create({ appid: push.appid, id: push.id, type: push.type, body, createdAtMs: push.createdAtMs });
  if (!created) {
    const existing = await services.deliveries.get(push.appid, key);
    if (!existing || existing.status !== 'pending' || existing.attempts > 0) return true;
  }
  await services.forwardQueue.send([{ appid: push.appid, key }]);
  recordMetric('ForwardQueued', { by: push.type });
  logger.info('push queued for forwarding', { appid: push.appid, type: push.type });
  return true;
}
