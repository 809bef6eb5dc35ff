import type { SQSRecord } from 'aws-lambda';
import { advanceTarget } from '../../shared/deployments/advance-target';
import { batchReads, type BatchReads } from '../../shared/deployments/batch-reads';
import { DeployMessageSchema } from '../../shared/deployments/deploy-messages';
import { fanOutPage } from '../../shared/deployments/fan-out';
import { runBulkAction } from '../../shared/deployments/operator-actions';
import { watchWaves } from '../../shared/deployments/waves';
import { logger } from '../../shared/logger';
import { runOnboarding } from '../../shared/onboarding/run-onboarding';
import { messageOf, queueConsumer } from '../../shared/queue-consumer';
import { refreshReadiness } from '../../shared/readiness/refresh-readiness';
import { services } from '../../shared/services';

/** The deploy queue's consumer: fan-out pages, per-target steps, operator actions, wave watchers, readiness checks and onboardings. */
export const handler = queueConsumer(handleMessage, batchReads);

async function handleMessage(record: SQSRecord, batch: BatchReads): Promise<void> {
  // Retrying cannot fix a malformed message: it is logged and let go.
  const message = messageOf(DeployMessageSchema, record, 'deploy');
  if (!message) return;
  const p = services();
  try {
    if (message.kind === 'fan-out') await fanOutPage(p, message.deploymentId, message.cursor, message.pageSize);
    else if (message.kind === 'advance') await advanceTarget(p, message.deploymentId, message.appid, batch);
    else if (message.kind === 'check-readiness') await refreshReadiness(p, message.appid);
    else if (message.kind === 'watch-waves') await watchWaves(p, message.deploymentId, message.loop);
    else if (message.kind === 'onboard') await runOnboarding(p, message.registrationId);
    else await runBulkAction(p, message);
  } catch (error) {
    // `message` is a reserved key of the logger's: the deploy message goes under its own name.
    logger.error('deploy message failed; SQS will redeliver it', { deployMessage: message, error: error as Error });
    throw error;
  }
}
