/**
 * The deploy worker's batch contract, with the deploy steps stubbed: messages of one batch run
 * concurrently, a failing message is reported alone, a malformed one is dropped (never
 * redelivered), and a batch that fails whole is reported message by message.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { toSqsEvent } from '../../local/runtime/sqs-poller';
import { lambdaContext } from '../../local/runtime/lambda-context';
import type { BatchReads } from '../../shared/deployments/batch-reads';

const steps = vi.hoisted(() => ({ advance: async (_appid: string): Promise<void> => undefined, deploymentReads: 0 }));
vi.mock('../../shared/services', () => ({
  services: () => ({ deployments: { get: async (id: string) => ((steps.deploymentReads += 1), { id }) } }),
}));
vi.mock('../../shared/deployments/advance-target', () => ({
  // As the real one, each step starts from the batch's read of its deployment.
  advanceTarget: async (services: never, deploymentId: string, appid: string, reads: BatchReads) => {
    await reads.deployment(services, deploymentId);
    await steps.advance(appid);
  },
}));

const { handler } = await import('../../functions/deploy-worker/handler');

const advance = (appid: string) => JSON.stringify({ kind: 'advance', deploymentId: 'd-1', appid });
const batch = (...bodies: string[]): SQSEvent =>
  toSqsEvent(
    bodies.map((Body, i) => ({ MessageId: `m-${i}`, ReceiptHandle: `r-${i}`, Body })),
    'arn:aws:sqs:local:000000000000:deploy',
    'local',
  );
const run = (event: SQSEvent) => handler(event, lambdaContext('deploy-worker', 30_000)) as Promise<SQSBatchResponse>;

beforeEach(() => {
  steps.advance = async () => undefined;
  steps.deploymentReads = 0;
});

describe('deploy worker', () => {
  it('runs the messages of a batch concurrently', async () => {
    const started: string[] = [];
    let releaseAll!: () => void;
    const allStarted = new Promise<void>((resolve) => (releaseAll = resolve));
    steps.advance = async (appid) => {
      started.push(appid);
      if (started.length === 3) releaseAll();
      await allStarted; // a sequential worker would wait here forever
    };

    expect(await run(batch(advance('a'), advance('b'), advance('c')))).toEqual({ batchItemFailures: [] });
    expect(started.sort()).toEqual(['a', 'b', 'c']);
    // The batch's steps share one read of their deployment; the next batch reads it afresh.
    expect(steps.deploymentReads).toBe(1);
    await run(batch(advance('d')));
    expect(steps.deploymentReads).toBe(2);
  });

  it('reports a failing message alone and drops a malformed one', async () => {
    steps.advance = async (appid) => {
      if (appid === 'bad') throw new Error('WeChat unreachable');
    };

    const response = await run(batch(advance('good'), advance('bad'), 'not json', JSON.stringify({ kind: 'unknown' })));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  });

  it('reports a batch that failed whole message by message, without failing the invocation', async () => {
    steps.advance = async () => {
      throw new Error('table unavailable');
    };

    expect(await run(batch(advance('a'), advance('b')))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }] });
  });
});
