import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Lambda's per-invocation store, as the Lambda runtime sets it up when one execution environment
 * runs several invocations at once (`AWS_LAMBDA_MAX_CONCURRENCY` set): `globalThis.awslambda.InvokeStore`,
 * backed by an AsyncLocalStorage, with one scope per invocation. Powertools keeps its per-invocation
 * state there in that mode — the logger's Lambda context (function name, request id), its
 * temporary keys and log level, the batch processor's records — and on an instance otherwise.
 *
 * The local runtime is such an environment: every function runs in this one process, API requests,
 * deploy-worker batches and schedules side by side. Without a scope per invocation, the one shared
 * logger of shared/logger.ts would label each line with whichever function last set its context.
 * On Lambda nothing here runs: its runtime provides the store, and without concurrency Powertools
 * keeps using its instance state.
 *
 * The shape is the `@aws/lambda-invoke-store` contract Powertools and the AWS SDK read
 * (`hasContext`, `get`, `set`, `getRequestId`, `getXRayTraceId`, …), written out here rather than
 * taken from that package, which is only a dependency of our dependencies: its own ALS-backed class
 * is not exported, and its factory hands back whichever store the first caller (e.g. the AWS SDK,
 * before any function ran) created.
 */
type InvocationContext = Record<string | symbol, unknown>;

const PROTECTED_KEYS = {
  REQUEST_ID: Symbol.for('_AWS_LAMBDA_REQUEST_ID'),
  X_RAY_TRACE_ID: Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID'),
  TENANT_ID: Symbol.for('_AWS_LAMBDA_TENANT_ID'),
  TRACEPARENT: Symbol.for('_AWS_LAMBDA_TRACEPARENT'),
  TRACESTATE: Symbol.for('_AWS_LAMBDA_TRACESTATE'),
  BAGGAGE: Symbol.for('_AWS_LAMBDA_BAGGAGE'),
} as const;
const PROTECTED = new Set<string | symbol>(Object.values(PROTECTED_KEYS));

class LocalInvokeStore {
  static readonly PROTECTED_KEYS = PROTECTED_KEYS;
  readonly #als = new AsyncLocalStorage<InvocationContext>();

  getContext(): InvocationContext | undefined {
    return this.#als.getStore();
  }
  hasContext(): boolean {
    return this.#als.getStore() !== undefined;
  }
  get<T = unknown>(key: string | symbol): T | undefined {
    return this.#als.getStore()?.[key] as T | undefined;
  }
  set<T = unknown>(key: string | symbol, value: T): void {
    if (PROTECTED.has(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const store = this.#als.getStore();
    if (!store) throw new Error('No context available');
    store[key] = value;
  }
  run<T>(context: InvocationContext, fn: () => T): T {
    return this.#als.run(context, fn);
  }
  getRequestId(): string {
    return this.get<string>(PROTECTED_KEYS.REQUEST_ID) ?? '-';
  }
  getXRayTraceId(): string | undefined {
    return this.get(PROTECTED_KEYS.X_RAY_TRACE_ID);
  }
  getTenantId(): string | undefined {
    return this.get(PROTECTED_KEYS.TENANT_ID);
  }
  getTraceparent(): string | undefined {
    return this.get(PROTECTED_KEYS.TRACEPARENT);
  }
  getTracestate(): string | undefined {
    return this.get(PROTECTED_KEYS.TRACESTATE);
  }
  getBaggage(): string | undefined {
    return this.get(PROTECTED_KEYS.BAGGAGE);
  }
}

const lambdaGlobal = globalThis as unknown as { awslambda?: { InvokeStore?: unknown } };

/**
 * Makes this process a concurrent Lambda environment: installs the ALS-backed store (replacing a
 * single-invocation one something created earlier), then — only once the store is there, since
 * Powertools refuses to run without it in this mode — sets `AWS_LAMBDA_MAX_CONCURRENCY`.
 * Idempotent, and repeated on every invocation: the local stack puts the environment back when it
 * closes.
 */
function ensureConcurrentEnvironment(): LocalInvokeStore {
  const awslambda = (lambdaGlobal.awslambda ??= {});
  if (!(awslambda.InvokeStore instanceof LocalInvokeStore)) awslambda.InvokeStore = new LocalInvokeStore();
  // Only its presence matters to Powertools; the local runtime sets no limit of its own.
  process.env.AWS_LAMBDA_MAX_CONCURRENCY ||= '1000';
  return awslambda.InvokeStore as LocalInvokeStore;
}

/** Runs `fn` as the invocation `requestId`: in its own scope of Lambda's invoke store. */
export function runInvocation<T>(requestId: string, fn: () => T): T {
  return ensureConcurrentEnvironment().run({ [PROTECTED_KEYS.REQUEST_ID]: requestId }, fn);
}
