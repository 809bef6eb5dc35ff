import { InvalidInput } from '../errors';
import { forwardPush } from '../forwarding/forward-push';
import { logger } from '../logger';
import { READINESS_EVENTS } from '../readiness/readiness-pushes';
import { refreshReadinessQuietly } from '../readiness/refresh-readiness';
import { recordMetric } from '../metrics/record';
import { recordNicknameAuditResult, settleReview } from '../tenant-profile/review-results';
import type { Services } from '../services';
import { isAppid } from '../tenants/tenant';
import { openPush, sealReply, type PushQuery } from '../wechat/envelope';
import { requireString, type XmlFields } from '../wechat/xml';
import { answerFullNetworkTest, FULL_NETWORK_TEST_APPIDS } from './full-network-test';
import { PushDedupe } from './push-dedupe';

/** What to answer WeChat: the literal `success`, an empty body, or an encrypted passive reply. */
export type MessageReply = { kind: 'success' } | { kind: 'empty' } | { kind: 'encrypted'; xml: string };

export type AuditEventHandler = (services: Services, appid: string, fields: XmlFields) => Promise<void>;

const AUDIT_EVENTS = new Set(['weapp_audit_success', 'weapp_audit_fail', 'weapp_audit_delay']);

/**
 * Handles one push to the message-and-event URL (`/wechat/callback/{appid}`): verify, decrypt,
 * record, drop duplicates, then answer the full-network release check, hand audit results on, and
 * acknowledge everything else.
 */
export async function receiveMessagePush(
  services: Services,
  appid: string,
  query: PushQuery,
  body: string,
  onAuditEvent?: AuditEventHandler,
): Promise<MessageReply> {
  if (!isAppid(appid)) throw new InvalidInput('invalid_appid', 'path must end in an appid (wx + 16 hex digits)');
  const crypto = await services.messageCrypto();
  const { fields } = openPush(crypto, query, body);
  const from = requireString(fields, 'FromUserName');
  const createTime = requireString(fields, 'CreateTime');
  const msgType = requireString(fields, 'MsgType');
  const event = typeof fields.Event === 'string' ? fields.Event : '';
  const msgId = typeof fields.MsgId === 'string' ? fields.MsgId : '';
  recordMetric('PushReceived', { by: event || msgType });
  // Recorded before it is handled (a retry is not recorded again), whatever it is; the record also
  // says whether this delivery is a retry or replay of one handled already.
  const recorded = await services.pushLog.record({ source: 'message', type: msgType === 'event' ? `event:${event}` : msgType, appid, createdAtMs: epochMs(createTime), fields });

  if (msgType === 'event' && AUDIT_EVENTS.has(event) && !FULL_NETWORK_TEST_APPIDS.has(appid)) {
    // Audit results are applied by conditional transitions, so a repeat moves nothing; and two
    // audits of one tenant can finish within the same second, which a sender+time key would merge.
    logger.info('audit result received', { appid, event });
    await onAuditEvent?.(services, appid, fields);
    return { kind: 'success' };
  }

  return new PushDedupe(services.db, services.table).once<MessageReply>(
    recorded,
    async () => {
      if (FULL_NETWORK_TEST_APPIDS.has(appid)) {
        const reply = await answerFullNetworkTest(services, fields);
        if ('empty' in reply) return { kind: 'empty' };
        return { kind: 'encrypted', xml: sealReply(crypto, reply.xml) };
      }
      if (msgType === 'event' && READINESS_EVENTS.has(event)) {
        if (event === 'wxa_nickname_audit') await recordNicknameAuditResult(services, appid, fields, epochMs(createTime) || Date.now());
        await settleReview(services, appid, event, fields);
        await refreshReadinessQuietly(services, appid);
        return { kind: 'success' };
      }
      // Not mpfleet's to consume: the tenant's backend hears it, if a forward URL is set. A failure to
      // queue it throws, so the push is left marked for WeChat's retry, which queues it.
      // Messages carry MsgId; events are identified by sender and time (docs/wechat-protocol.md §1).
      const type = msgType === 'event' ? `event:${event}` : msgType;
      const forwarded = await forwardPush(services, { appid, id: msgId || `event:${from}:${createTime}:${event || msgType}`, type, createdAtMs: epochMs(createTime), fields });
      logger.info('message acknowledged', { appid, msgType, event, forwarded });
      return { kind: 'success' };
    },
    () => ({ kind: 'success' }),
  );
}

/** CreateTime (epoch seconds) in ms; 0 when it is not such a number (message pushes are not refused for it). */
function epochMs(createTime: string): number {
  const seconds = Number(createTime);
  return Number.isInteger(seconds) && seconds > 0 && seconds < 1e12 ? seconds * 1000 : 0;
}
