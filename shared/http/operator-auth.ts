import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { getSecret, secretParameterName } from '../secrets';
import { safeEqual } from '../wechat/crypto';
import { unauthorized } from './errors';
import type { HttpResult } from './responses';

/**
 * Where the right token is, for the 401 (never the token itself): the SSM parameter on AWS, the file
 * `npm start` keeps it in locally, or the OPERATOR_TOKEN the server was started with.
 */
export function operatorTokenHint(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SECRETS_PARAMETER_PREFIX) {
    return `the operator token is the SSM parameter ${secretParameterName(env.SECRETS_PARAMETER_PREFIX, 'operatorToken')}`;
  }
  if (env.OPERATOR_TOKEN_FILE) return `the operator token is printed by \`npm start\` and kept in ${env.OPERATOR_TOKEN_FILE}`;
  return 'the operator token is the OPERATOR_TOKEN the server was started with';
}

const unauthorizedWithHint = (what: string) => unauthorized(`${what}: send Authorization: Bearer <token>; ${operatorTokenHint()} (MPFLEET_TOKEN for the CLI)`);

/** Rejects any request without `Authorization: Bearer <OPERATOR_TOKEN>` (constant-time compare). */
export function operatorAuth(): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    before: async (request) => {
      const presented = /^Bearer (.+)$/i.exec(request.event.headers?.authorization ?? '')?.[1]?.trim();
      if (!presented) throw unauthorizedWithHint('missing bearer token');
      const expected = await getSecret('operatorToken');
      if (!safeEqual(presented, expected)) throw unauthorizedWithHint('invalid bearer token');
    },
  };
}
