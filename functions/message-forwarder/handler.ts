import type { SQSRecord } from 'aws-lambda';
import { deliverForward } from '../../shared/forwarding/deliver-forward';
import { ForwardMessageSchema } from '../../shared/forwarding/forward-queue';
import { forwardingPorts } from '../../shared/forwarding/forwarding-ports';
import { forwardRetryPolicy } from '../../shared/forwarding/retry-policy';
import { messageOf, queueConsumer } from '../../shared/queue-consumer';

/**
 * The forwarding queue's consumer: one POST per message to the tenant's forward URL. A delivery to
 * retry is held back for its backoff (its visibility timeout) and reported failed, so SQS keeps it;
 * the others are deleted.
 */
export const handler = queueConsumer(forwardOne);

async function forwardOne(record: SQSRecord): Promise<void> {
  const message = messageOf(ForwardMessageSchema, record, 'forward');
  if (!message) return;
  const ports = forwardingPorts();
  const outcome = await deliverForward(ports, message, forwardRetryPolicy());
  if (outcome.kind === 'retry') {
    await ports.forwardQueue.holdBack(record.receiptHandle, outcome.inSeconds);
    throw new Error(`forward to be retried in ${outcome.inSeconds} s`);
  }
}
