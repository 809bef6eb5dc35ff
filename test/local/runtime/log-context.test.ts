/**
 * In the local runtime every function runs in one process, sharing the one logger of
 * shared/logger.ts. Each log line must still name the invocation that wrote it: an API request
 * served while deploy-worker batches are in flight (and the other way round) keeps its own
 * function name and request id, and its own temporary keys.
 *
 * The real deploy-worker and api-deployments handlers run through the local runtime's invoker
 * (the API through its HTTP server); only the domain steps below them are stand-ins that log
 * through the shared logger and wait where the test says.
 */
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFunctionInvoker } from '../../../local/runtime/functions';
import type * as LambdaContextModule from '../../../local/runtime/lambda-context';
import { startHttpServer, type LocalHttpServer } from '../../../local/runtime/http-server';
import { toSqsEvent } from '../../../local/runtime/sqs-poller';

/** A point where a stand-in waits: `reached` once it is there, `open()` lets it go on. */
function gate() {
  let arrive!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  const pass = () => {
    arrive();
    return opened;
  };
  return { reached, open, pass };
}

// Tests log at ERROR (vitest.config.ts); the lines checked here are warnings. Set before the
// logger is created, as each invocation's logger state starts from it.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
});

const stand = vi.hoisted(() => ({
  gates: new Map<string, { pass: () => Promise<void> }>(),
  contexts: [] as Context[],
}));

// The worker reads a batch's deployment once for its messages (the stand-in below ignores it).
vi.mock('../../../shared/services', () => ({ services: () => ({ deployments: { get: async () => undefined } }) }));
vi.mock('../../../shared/deployments/advance-target', async () => {
  const { logger } = await import('../../../shared/logger');
  return {
    advanceTarget: async (_services: unknown, _deploymentId: string, appid: string) => {
      logger.warn('advancing target', { appid });
      await stand.gates.get(appid)!.pass();
      throw new Error(`WeChat unreachable for ${appid}`); // the worker logs the failure
    },
  };
});
vi.mock('../../../shared/deployments/create-deployment', async (importOriginal) => {
  const { logger } = await import('../../../shared/logger');
  return {
    ...(await importOriginal<object>()),
    createDeployment: async () => {
      logger.appendKeys({ operatorRequest: 'create-deployment' });
      logger.warn('creating deployment');
      await stand.gates.get('api')!.pass();
      logger.warn('deployment created');
      return { id: 'd-1' };
    },
  };
});
// Records the Lambda context each invocation is given, to know its request id.
vi.mock('../../../local/runtime/lambda-context', async (importOriginal) => {
  const original = await importOriginal<typeof LambdaContextModule>();
  return {
    lambdaContext: (name: string, timeoutMs: number) => {
      const context = original.lambdaContext(name, timeoutMs);
      stand.contexts.push(context);
      return context;
    },
  };
});

interface LogLine {
  message: string;
  function_name?: string;
  function_request_id?: string;
  appid?: string;
  operatorRequest?: string;
}

const OPERATOR_TOKEN = 'log-context-test-token';
let server: LocalHttpServer;
let lines: LogLine[];

beforeAll(async () => {
  vi.stubEnv('OPERATOR_TOKEN', OPERATOR_TOKEN);
  server = await startHttpServer({ port: 0, invoke: createFunctionInvoker() });
});
afterAll(async () => {
  await server.close();
  vi.unstubAllEnvs();
});

/** Captures the logger's JSON lines (Powertools writes them to stdout and, for errors, stderr). */
function captureLogs() {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => {
      const text = chunk.toString();
      if (!text.startsWith('{"')) return write(chunk, ...rest);
      for (const line of text.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
      return true;
    }) as typeof stream.write);
  }
}
afterEach(() => vi.restoreAllMocks());

const batchOf = (...appids: string[]) =>
  toSqsEvent(
    appids.map((appid, i) => ({
      MessageId: `${appid}-${i}`,
      ReceiptHandle: `r-${appid}`,
      Body: JSON.stringify({ kind: 'advance', deploymentId: 'd-1', appid }),
    })),
    'arn:aws:sqs:local:000000000000:deploy',
    'local',
  );

const requestIdOf = (functionName: string, nth = 0) =>
  stand.contexts.filter((c) => c.functionName === functionName)[nth]!.awsRequestId;

describe('local runtime logs', () => {
  it('label every line with the function and request of the invocation that wrote it', async () => {
    captureLogs();
    const first = gate();
    const second = gate();
    const api = gate();
    stand.gates.set('wx-first', first).set('wx-second', second).set('api', api);

    // Interleave: a worker batch starts, an API request arrives, a second batch starts, then
    // the API request finishes, then both batches do.
    const batch1 = createFunctionInvoker()('deploy-worker', batchOf('wx-first'));
    await first.reached;
    const response = fetch(`${server.url}/api/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: '{}',
    });
    await api.reached;
    const batch2 = createFunctionInvoker()('deploy-worker', batchOf('wx-second'));
    await second.reached;
    api.open();
    expect((await response).status).toBe(202);
    first.open();
    second.open();
    await Promise.all([batch1, batch2]);

    const worker1 = requestIdOf('deploy-worker', 0);
    const worker2 = requestIdOf('deploy-worker', 1);
    const apiRequest = requestIdOf('api-deployments');
    expect(new Set([worker1, worker2, apiRequest]).size).toBe(3);

    const label = (line: LogLine) => ({
      message: line.message,
      function_name: line.function_name,
      function_request_id: line.function_request_id,
      operatorRequest: line.operatorRequest,
    });
    const worker = (requestId: string, message: string) => ({
      message,
      function_name: 'deploy-worker',
      function_request_id: requestId,
      operatorRequest: undefined,
    });
    const fromApi = (message: string) => ({
      message,
      function_name: 'api-deployments',
      function_request_id: apiRequest,
      operatorRequest: 'create-deployment',
    });
    const failed = 'deploy message failed; SQS will redeliver it';
    const ours = new Set(['advancing target', 'creating deployment', 'deployment created', failed]);
    expect(lines.filter((line) => ours.has(line.message)).map(label)).toEqual([
      worker(worker1, 'advancing target'),
      fromApi('creating deployment'),
      worker(worker2, 'advancing target'),
      fromApi('deployment created'),
      worker(worker1, failed),
      worker(worker2, failed),
    ]);
    // Every other line too (e.g. Powertools' own warnings) names one of the three invocations.
    const functionOf = { [worker1]: 'deploy-worker', [worker2]: 'deploy-worker', [apiRequest]: 'api-deployments' };
    for (const line of lines) {
      expect(line.function_request_id, line.message).toBeOneOf([worker1, worker2, apiRequest]);
      expect(line.function_name, line.message).toBe(functionOf[line.function_request_id!]);
    }
  });
});
