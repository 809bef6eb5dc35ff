import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { advanceTarget } from '../../shared/deployments/advance-target';
import { DeployMessageSchema } from '../../shared/deployments/deploy-messages';
import { fanOutPage } from '../../shared/deployments/fan-out';
import { runBulkAction } from '../../shared/deployments/operator-actions';
import { logger } from '../../shared/logger';
import { services } from '../../shared/services';

/**
 * The deploy queue's consumer: fan-out pages, per-target steps and operator actions. Messages of
 * a batch run concurrently; each failure is reported alone, so only it is redelivered.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const p = services();
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        const parsed = DeployMessageSchema.safeParse(safeJson(record.body));
        if (!parsed.success) {
          // Retrying cannot fix a malformed message; log it and let it go.
          logger.error('malformed deploy message dropped', { messageId: record.messageId });
          return;
        }
        const message = parsed.data;
        try {
          if (message.kind === 'fan-out') await fanOutPage(p, message.deploymentId, message.cursor);
          else if (message.kind === 'advance') await advanceTarget(p, message.deploymentId, message.appid);
          else await runBulkAction(p, message.deploymentId, message.action);
        } catch (error) {
          logger.error('deploy message failed; SQS will redeliver it', { message, error: error as Error });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
