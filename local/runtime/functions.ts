import type { Context } from 'aws-lambda';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FUNCTIONS, type FunctionName } from '../../infra/functions';
import { runInvocation } from './invoke-store';
import { lambdaContext } from './lambda-context';
import { recordInvocation } from './usage-meter';

const FUNCTIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../functions');
const DEFAULT_TIMEOUT_SECONDS = 15;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- events differ per trigger
export type LambdaHandler = (event: any, context: Context) => Promise<any>;

export class FunctionTimeoutError extends Error {
  constructor(readonly functionName: string) {
    super(`${functionName} timed out`);
  }
}

/**
 * Loads functions/<name>/handler.ts on first use (as a Lambda cold start would) and invokes it
 * with a Lambda context, failing after the function's configured timeout like Lambda does.
 * Invocations run side by side in this process, each in its own scope of Lambda's invoke store
 * (./invoke-store), so per-invocation state such as the shared logger's function name and
 * request id stays with the invocation it belongs to.
 */
export function createFunctionInvoker(overrides: Partial<Record<FunctionName, LambdaHandler>> = {}) {
  const loaded = new Map<FunctionName, Promise<LambdaHandler>>();

  function load(name: FunctionName): Promise<LambdaHandler> {
    const override = overrides[name];
    if (override) return Promise.resolve(override);
    let handler = loaded.get(name);
    if (!handler) {
      const file = pathToFileURL(path.join(FUNCTIONS_DIR, name, 'handler.ts')).href;
      handler = import(file).then((mod: { handler: LambdaHandler }) => mod.handler);
      loaded.set(name, handler);
    }
    return handler;
  }

  return async function invoke<T = unknown>(name: FunctionName, event: unknown): Promise<T> {
    const handler = await load(name);
    const timeoutMs = (FUNCTIONS[name].timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(name)), timeoutMs);
    });
    const context = lambdaContext(name, timeoutMs);
    const startedAt = performance.now();
    try {
      return (await Promise.race([runInvocation(context.awsRequestId, () => handler(event, context)), timeout])) as T;
    } finally {
      clearTimeout(timer);
      recordInvocation(name, performance.now() - startedAt);
    }
  };
}

export type FunctionInvoker = ReturnType<typeof createFunctionInvoker>;
