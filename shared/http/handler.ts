import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { logger } from '../logger';
import { toHttpError } from './error-mapping';
import { HttpError } from './errors';
import { operatorAuth } from './operator-auth';
import { errorBody, json, type HttpResult } from './responses';

export type HttpFunction = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>;

/**
 * Wraps an HTTP API handler: structured logging with the Lambda context, and errors mapped to
 * `{error:{code,message}}` — HttpErrors with their status, anything else as a 500 that reveals nothing.
 */
export interface HttpHandlerOptions {
  /** Requires the operator's bearer token. */
  operatorOnly?: boolean;
  /** Told the error code of every request answered with a 4xx (e.g. to count refused WeChat pushes). */
  onRejected?: (code: string) => void;
}

export function httpHandler(fn: HttpFunction, options: HttpHandlerOptions = {}) {
  const handler = middy<APIGatewayProxyEventV2, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        const error = toHttpError(request.error) ?? request.error;
        if (error instanceof HttpError) {
          logger.info('request rejected', { code: error.code, status: error.statusCode, route: request.event.routeKey });
          if (error.statusCode < 500) options.onRejected?.(error.code);
          request.response = json(error.statusCode, errorBody(error.code, error.message));
        } else {
          logger.error('unhandled error', { error: error as Error, route: request.event.routeKey });
          request.response = json(500, errorBody('internal', 'internal error'));
        }
      },
    });
  if (options.operatorOnly) handler.use(operatorAuth());
  return handler.handler(fn);
}
