import { SQSClient } from '@aws-sdk/client-sqs';

let shared: { client: SQSClient; endpoint: string | undefined } | undefined;

/**
 * One SQS client per container for every queue it sends to, created on first use so it picks up
 * the environment the runtime set (locally AWS_ENDPOINT_URL_SQS points it at the embedded queue,
 * whose port changes when the local stack restarts in-process).
 */
export function sqs(): SQSClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS;
  if (!shared || shared.endpoint !== endpoint) shared = { client: new SQSClient({}), endpoint };
  return shared.client;
}
