import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { advanceTarget } from '../../shared/deployments/advance-target';
import { DeployMessageSchema } from '../../shared/deployments/deploy-messages';
import { fanOutPage } from '../../shared/deployments/fan-out';
import { runBulkAction } from '../../shared/deployments/operator-actions';
import { watchWaves } from '../../shared/deployments/waves';
import { logger } from '../../shared/logger';
import { refreshReadiness } from '../../shared/readiness/refresh-readiness';
import { services } from '../../shared/services';

/**
 * The deploy queue's consumer: fan-out pages, per-target steps, operator actions and readiness checks. Messages of
 * a batch run concurrently; each failure is reported alone, so only it is redelivered, and a batch
 * that failed whole is reported message by message too rather than failing the invocation.
 * A processor per batch: it keeps its batch's state on itself, whichever runtime polls batches
 * side by side.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event, context) =>
    processPartialResponse(event, handleMessage, new BatchProcessor(EventType.SQS), { context, processInParallel: true, throwOnFullBatchFailure: false }),
  );

async function handleMessage(record: SQSRecord): Promise<void> {
  const parsed = DeployMessageSchema.safeParse(safeJson(record.body));
  if (!parsed.success) {
    // Retrying cannot fix a malformed message; log it and let it go.
    logger.error('malformed deploy message dropped', { messageId: record.messageId });
    return;
  }
  const message = parsed.data;
  const p = services();
  try {
    if (message.kind === 'fan-out') await fanOutPage(p, message.deploymentId, message.cursor);
    else if (message.kind === 'advance') await advanceTarget(p, message.deploymentId, message.appid);
    else if (message.kind === 'check-readiness') await refreshReadiness(p, message.appid);
    else if (message.kind === 'watch-waves') await watchWaves(p, message.deploymentId, message.loop);
    else await runBulkAction(p, message);
  } catch (error) {
    // `message` is a reserved key of the logger's: the deploy message goes under its own name.
    logger.error('deploy message failed; SQS will redeliver it', { deployMessage: message, error: error as Error });
    throw error;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
