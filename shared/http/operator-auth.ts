import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { getSecret } from '../secrets';
import { safeEqual } from '../wechat/crypto';
import { unauthorized } from './errors';
import type { HttpResult } from './responses';

/** Rejects any request without `Authorization: Bearer <OPERATOR_TOKEN>` (constant-time compare). */
export function operatorAuth(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const presented = /^Bearer (.+)$/i.exec(request.event.headers?.authorization ?? '')?.[1]?.trim();
      if (!presented) throw unauthorized();
      const expected = await getSecret('operatorToken');
      if (!safeEqual(presented, expected)) throw unauthorized();
    },
  };
}
