/**
 * Run by sqs-durability.test.ts as its own Node process: `node --import tsx queue-crash-child.ts
 * <dataDir> <count> <crash|hold>`. Starts the local queue on dataDir, then either
 * - crash: sends <count> deploy messages through the platform's own DeployQueue (SendMessageBatch)
 *   plus one delayed message, receives the first batch without deleting it, and SIGKILLs itself
 *   the moment that receive resolved — no close, no flush;
 * - hold: keeps the queue open until killed.
 * One JSON line on stdout says what it did.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startQueue } from '../../../local/runtime/sqs';
import { DeployQueue, type DeployMessage } from '../../../shared/deployments/deploy-queue';

const [dataDir, count, mode] = process.argv.slice(2);
const queue = await startQueue({ dataDir: dataDir!, name: 'crash-test', region: 'us-east-1', visibilityTimeoutSeconds: 300, maxReceiveCount: 5, deadLetterRetentionSeconds: 3600 });

if (mode === 'hold') {
  console.log(JSON.stringify({ ready: true }));
  setInterval(() => undefined, 60_000);
} else {
  Object.assign(process.env, { AWS_ENDPOINT_URL_SQS: queue.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  const deployQueue = new DeployQueue(queue.queueUrl);
  const messages: DeployMessage[] = Array.from({ length: Number(count) }, (_, i) => ({ kind: 'advance', deploymentId: 'crash', appid: `wx${i}` }));
  await deployQueue.send(messages);
  await deployQueue.send([{ kind: 'advance', deploymentId: 'crash', appid: 'delayed' }], 900);
  const { Messages = [] } = await queue.client.send(new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10 }));
  console.log(JSON.stringify({ inFlight: Messages.map((m) => m.Body) }));
  process.kill(process.pid, 'SIGKILL');
}
