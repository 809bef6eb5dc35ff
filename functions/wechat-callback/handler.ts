import { applyAuditPush } from '../../shared/deployments/audit-results';
import { httpHandler } from '../../shared/http/handler';
import { bodyText, queryParams } from '../../shared/http/request';
import { text } from '../../shared/http/responses';
import { services } from '../../shared/services';
import { receiveMessagePush } from '../../shared/pushes/message-push';
import { countRejectedPush } from '../../shared/pushes/rejected-push';
import { MAX_XML_BYTES } from '../../shared/wechat/xml';

/** 消息与事件接收URL (`…/wechat/callback/$APPID$`): messages and events of one authorized account. */
export const handler = httpHandler(
  async (event) => {
    const reply = await receiveMessagePush(
      services(),
      event.pathParameters?.appid ?? '',
      queryParams(event),
      bodyText(event, MAX_XML_BYTES),
      applyAuditPush,
    );
    if (reply.kind === 'encrypted') return text(200, reply.xml, 'application/xml; charset=utf-8');
    return text(200, reply.kind === 'success' ? 'success' : '');
  },
  { onRejected: countRejectedPush },
);
