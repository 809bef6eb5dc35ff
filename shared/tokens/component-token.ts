import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { VerifyTicketStore } from '../tickets/verify-ticket-store';
import type { ComponentApi } from '../wechat/component-api';
import { TICKET_REFUSED } from '../wechat/errcodes';
import { isWeChatApiError } from '../wechat/errors';
import { NoVerifyTicketError } from './errors';
import { LeasedToken } from './leased-token';

export interface ComponentTokenDeps {
  db: DynamoDBDocumentClient;
  table: string;
  api: ComponentApi;
  tickets: VerifyTicketStore;
  componentSecret: () => Promise<string>;
  now?: () => number;
}

/** The platform's component_access_token, obtained with the newest verify ticket. */
export function componentToken(deps: ComponentTokenDeps): LeasedToken {
  const now = deps.now ?? Date.now;
  return new LeasedToken({
    db: deps.db,
    table: deps.table,
    key: { pk: 'PLATFORM', sk: 'COMPONENT_TOKEN' },
    kind: 'component',
    now,
    refresh: async () => {
      const ticket = await deps.tickets.latest();
      if (!ticket) throw new NoVerifyTicketError();
      const secret = await deps.componentSecret();
      try {
        const answer = await deps.api.componentToken(secret, ticket.ticket);
        return { token: answer.component_access_token, expiresAtMs: now() + answer.expires_in * 1000 };
      } catch (error) {
        // Keep the last good ticket and ask WeChat to push a new one; the next call will use it.
        if (isWeChatApiError(error) && TICKET_REFUSED.has(error.code)) await deps.api.startPushTicket(secret).catch(() => undefined);
        throw error;
      }
    },
  });
}
