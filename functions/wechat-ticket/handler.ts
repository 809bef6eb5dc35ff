import { httpHandler } from '../../shared/http/handler';
import { bodyText, queryParams } from '../../shared/http/request';
import { text } from '../../shared/http/responses';
import { services } from '../../shared/services';
import { MAX_COMPONENT_PUSH_BYTES, receiveComponentPush } from '../../shared/pushes/component-push';
import { countRejectedPush } from '../../shared/pushes/rejected-push';

/** 授权事件接收URL: component_verify_ticket and (un)authorization pushes. */
export const handler = httpHandler(
  async (event) => {
    await receiveComponentPush(services(), queryParams(event), bodyText(event, MAX_COMPONENT_PUSH_BYTES));
    return text(200, 'success');
  },
  { onRejected: countRejectedPush },
);
