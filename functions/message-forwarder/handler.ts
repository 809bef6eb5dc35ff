import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deliverForward } from '../../shared/forwarding/deliver-forward';
import { ForwardMessageSchema } from '../../shared/forwarding/forward-queue';
import { forwardingPorts } from '../../shared/forwarding/forwarding-ports';
import { forwardRetryPolicy } from '../../shared/forwarding/retry-policy';
import { logger } from '../../shared/logger';

/**
 * The forwarding queue's consumer: one POST per message to the tenant's forward URL. A delivery to
 * retry is held back for its backoff (its visibility timeout) and reported failed, so SQS keeps it;
 * the others are deleted.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event, context) =>
    processPartialResponse(event, forwardOne, new BatchProcessor(EventType.SQS), { context, processInParallel: true, throwOnFullBatchFailure: false }),
  );

async function forwardOne(record: SQSRecord): Promise<void> {
  const parsed = ForwardMessageSchema.safeParse(safeJson(record.body));
  if (!parsed.success) {
    logger.error('malformed forward message dropped', { messageId: record.messageId });
    return;
  }
  const ports = forwardingPorts();
  const outcome = await deliverForward(ports, parsed.data, forwardRetryPolicy());
  if (outcome.kind === 'retry') {
    await ports.forwardQueue.holdBack(record.receiptHandle, outcome.inSeconds);
    throw new Error(`forward to be retried in ${outcome.inSeconds} s`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
