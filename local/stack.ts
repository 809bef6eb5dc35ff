import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Level } from 'level';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { FUNCTION_NAMES, FUNCTIONS, QUEUE_NAMES, QUEUES, type FunctionName, type QueueName } from '../infra/functions';
import { StateDirInUseError, stateDirOwner } from './emulator/persistence';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator/server';
import { DataDirInUseError, startDynamo } from './runtime/dynamodb';
import { sendDirectly, serveFetchDirectly } from './runtime/direct-transport';
import { dynamo as functionsDynamo } from '../shared/db/client';
import { sqs as functionsSqs } from '../shared/queue-client';
import { createFunctionInvoker, type LambdaHandler } from './runtime/functions';
import { startHttpServer } from './runtime/http-server';
import { localScheduleMs, startSchedule } from './runtime/scheduler';
import { startQueues } from './runtime/sqs';
import { startQueuePoller } from './runtime/sqs-poller';

export interface LocalStackOptions {
  /** Defaults to PORT or 3000; 0 picks a free port. */
  port?: number;
  /** Where DynamoDB and the deploy queue (and, with persistEmulator, the emulator) persist; defaults to DATA_DIR or .local/. */
  dataDir?: string;
  /** Environment to read configuration from (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * The emulator's port: defaults to EMULATOR_PORT, else PORT + 1 (so a bookmarked dashboard keeps
   * working across restarts), else 0 (a free port) when the API's port is 0.
   */
  emulatorPort?: number;
  /** Options for the built-in WeChat emulator, started unless WECHAT_API_BASE is set. */
  emulator?: EmulatorOptions;
  /**
   * Keep the emulator's state in <dataDir>/emulator/ across restarts (`npm start`). Default false:
   * a fresh emulator on each start, as tests want.
   */
  persistEmulator?: boolean;
  /** Delete everything under dataDir before starting (`npm start -- --reset`); see resetDataDir. */
  reset?: boolean;
  /** Shorter redelivery of the deploy queue for tests; defaults to its real visibility timeout. */
  queueVisibilityTimeoutSeconds?: number;
  /** Replace functions with test doubles (e.g. a worker that fails on purpose). */
  functionOverrides?: Partial<Record<FunctionName, LambdaHandler>>;
  /** Run the EventBridge stand-in timers (default true). */
  schedules?: boolean;
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  /** Absolute path of the data dir. */
  dataDir: string;
  operatorToken: string;
  /** Where the operator token came from: OPERATOR_TOKEN, or <dataDir>/operator-token (created now, or kept from before). */
  operatorTokenSource: 'env' | 'file-created' | 'file';
  /** <dataDir>/operator-token, unless OPERATOR_TOKEN set the token. */
  operatorTokenFile?: string;
  emulator?: Emulator;
  /** The deploy queue's. */
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Every queue's (infra/functions.ts QUEUES). */
  queues: Record<QueueName, { queueUrl: string; deadLetterQueueUrl: string }>;
  invoke: ReturnType<typeof createFunctionInvoker>;
  /** Runs a scheduled function now, as its EventBridge rule would. */
  runSchedule(name: FunctionName): Promise<void>;
  /** The DynamoDB thread's JavaScript heap and buffers, in bytes (the bench's memory breakdown). */
  dynamoMemory(): Promise<{ heapBytes: number; buffersBytes: number }>;
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const TABLE_NAME = 'mpfleet';

/**
 * Starts the whole platform in this process: API Gateway, Lambda, DynamoDB, SQS and EventBridge
 * stand-ins wired from the same route table and function catalogue as the CDK stack, plus the
 * WeChat emulator. Handlers see the same environment variables they would on AWS.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const port = options.port ?? Number(env.PORT ?? 3000);
  const dataDir = path.resolve(options.dataDir ?? env.DATA_DIR ?? '.local');
  const savedEnv = { ...process.env };
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch((error) => log(`close failed: ${String(error)}`));
    process.env = savedEnv;
  };

  try {
    if (options.reset) await resetDataDir(dataDir);
    const dynamo = await startDynamo({ dataDir: path.join(dataDir, 'dynamodb'), tableName: TABLE_NAME, region: REGION, onError: (error) => log(`dynamodb: ${String(error)}`) });
    closers.push(dynamo.close);
    const sqs = await startQueues({
      dataDir: path.join(dataDir, 'queue'),
      region: REGION,
      queues: QUEUE_NAMES.map((name) => ({
        name: `mpfleet-${name}`,
        visibilityTimeoutSeconds: (name === 'deploy' ? options.queueVisibilityTimeoutSeconds : undefined) ?? QUEUES[name].visibilityTimeoutSeconds,
        maxReceiveCount: QUEUES[name].maxReceiveCount,
        deadLetterRetentionSeconds: QUEUES[name].dlqRetentionDays * 86_400,
      })),
    });
    closers.push(sqs.close);
    const queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, sqs.queues[`mpfleet-${name}`]!])) as LocalStack['queues'];

    const invoke = createFunctionInvoker(options.functionOverrides);
    const http = await startHttpServer({ port, invoke, onError: (error) => log(`handler error: ${String(error)}`) });
    closers.push(http.close);
    const publicBaseUrl = env.PUBLIC_BASE_URL ?? http.url;

    let emulator: Emulator | undefined;
    if (!env.WECHAT_API_BASE) {
      // Push targets are set once the handlers' environment is ready (below): the emulator pushes
      // its first ticket as soon as it knows where to.
      const emulatorPort = options.emulator?.port ?? options.emulatorPort ?? (env.EMULATOR_PORT ? Number(env.EMULATOR_PORT) : port === 0 ? 0 : port + 1);
      emulator = await createEmulator({
        ...options.emulator,
        port: emulatorPort,
        ...(options.persistEmulator ? { stateDir: path.join(dataDir, 'emulator') } : {}),
      });
      closers.push(emulator.close);
      // Calls to the built-in WeChat reach it without a socket (and a client outside still can).
      const stopServing = serveFetchDirectly(emulator.url, emulator.requestListener);
      closers.push(async () => stopServing());
    }

    const token = env.OPERATOR_TOKEN ? undefined : operatorTokenFromFile(dataDir);
    const operatorToken = token ? token.token : env.OPERATOR_TOKEN!;
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      TABLE_NAME,
      ...Object.fromEntries(QUEUE_NAMES.map((name) => [QUEUES[name].urlVariable, queues[name].queueUrl])),
      PUBLIC_BASE_URL: publicBaseUrl,
      OPERATOR_TOKEN: operatorToken,
      // Only where it is kept, for the 401's hint; never the token itself.
      ...(token ? { OPERATOR_TOKEN_FILE: token.file } : {}),
      POWERTOOLS_LOG_LEVEL: env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // The console's built files (npm start and npm test build them; on AWS they ship with the function).
      CONSOLE_ASSETS_DIR: env.CONSOLE_ASSETS_DIR ?? path.resolve(import.meta.dirname, '..', 'console', 'dist'),
      // The emulator's code privacy scan takes seconds (privacyScanMs), not WeChat's minute.
      DEPLOY_PRIVACY_SCAN_WAIT_SECONDS: process.env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS ?? env.DEPLOY_PRIVACY_SCAN_WAIT_SECONDS ?? '3',
      // Metrics are EMF lines for CloudWatch; locally they are noise unless asked for.
      POWERTOOLS_METRICS_DISABLED: env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      ...(emulator
        ? {
            WECHAT_API_BASE: emulator.url,
            WECHAT_MP_BASE: env.WECHAT_MP_BASE ?? emulator.url,
            WECHAT_OPEN_BASE: env.WECHAT_OPEN_BASE ?? emulator.url,
            WECHAT_COMPONENT_APPID: env.WECHAT_COMPONENT_APPID ?? emulator.platform.componentAppid,
            WECHAT_COMPONENT_SECRET: env.WECHAT_COMPONENT_SECRET ?? emulator.platform.componentSecret,
            WECHAT_TOKEN: env.WECHAT_TOKEN ?? emulator.platform.token,
            WECHAT_ENCODING_AES_KEY: env.WECHAT_ENCODING_AES_KEY ?? emulator.platform.encodingAesKey,
          }
        : {}),
    });

    // The functions' DynamoDB and SQS clients (one each per endpoint) reach dynalite's thread and the queue without a socket.
    sendDirectly(functionsDynamo());
    sendDirectly(functionsSqs());

    emulator?.setPushTargets({ ticketUrl: `${http.url}/wechat/ticket`, callbackUrlTemplate: `${http.url}/wechat/callback/$APPID$` });

    for (const name of FUNCTION_NAMES) {
      const consumed = FUNCTIONS[name].consumes;
      if (!consumed) continue;
      const { queueUrl } = queues[consumed];
      const queueArn = (await sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
      const poller = startQueuePoller({
        client: sqs.client,
        queueUrl,
        queueArn,
        batchSize: QUEUES[consumed].batchSize,
        maxConcurrency: QUEUES[consumed].maxConcurrency,
        handler: (event: SQSEvent) => invoke<SQSBatchResponse | void>(name, event),
        onError: (error) => log(`${name} batch failed: ${String(error)}`),
      });
      closers.push(poller.stop);
    }

    const schedules = new Map<FunctionName, ReturnType<typeof startSchedule>>();
    for (const name of FUNCTION_NAMES) {
      const expression = FUNCTIONS[name].schedule;
      if (!expression) continue;
      const schedule = startSchedule({
        name,
        everyMs: options.schedules === false ? 2 ** 31 - 1 : localScheduleMs(expression, env),
        run: (event) => invoke(name, event),
        onError: (error) => log(`${name} run failed: ${String(error)}`),
      });
      schedules.set(name, schedule);
      closers.push(schedule.stop);
    }

    return {
      url: http.url,
      dataDir,
      operatorToken,
      operatorTokenSource: token ? (token.created ? 'file-created' : 'file') : 'env',
      ...(token ? { operatorTokenFile: token.file } : {}),
      emulator,
      queueUrl: queues.deploy.queueUrl,
      deadLetterQueueUrl: queues.deploy.deadLetterQueueUrl,
      queues,
      invoke,
      dynamoMemory: dynamo.memory,
      runSchedule: async (name) => {
        const schedule = schedules.get(name);
        if (!schedule) throw new Error(`${name} has no schedule`);
        await schedule.trigger();
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

export const OPERATOR_TOKEN_FILE = 'operator-token';

/**
 * The local operator token: generated once and kept in <dataDir>/operator-token (mode 0600), so an
 * exported MPFLEET_TOKEN keeps working across restarts; `--reset` deletes it with the rest.
 */
export function operatorTokenFromFile(dataDir: string): { token: string; file: string; created: boolean } {
  const file = path.join(dataDir, OPERATOR_TOKEN_FILE);
  const existing = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (existing) return { token: existing, file, created: false };
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file, created: true };
}

export class ResetRefusedError extends Error {
  override readonly name = 'ResetRefusedError';
}

/**
 * `--reset`: deletes everything under `dataDir` — DynamoDB, the deploy queue, the emulator's state —
 * without asking (the flag is the question), and returns the names it deleted. Refuses a folder
 * that does not look like a data dir (the filesystem root, the home folder, a project with
 * package.json or .git) and one a running mpfleet or emulator is using.
 */
export async function resetDataDir(dataDir: string): Promise<string[]> {
  const dir = path.resolve(dataDir);
  if (!existsSync(dir)) return [];
  if (dir === path.parse(dir).root || dir === path.resolve(homedir()) || ['package.json', '.git'].some((name) => existsSync(path.join(dir, name)))) {
    throw new ResetRefusedError(`refusing to reset ${dir}: it does not look like a DATA_DIR`);
  }
  const emulatorOwner = stateDirOwner(path.join(dir, 'emulator'));
  if (emulatorOwner !== undefined) throw new StateDirInUseError(path.join(dir, 'emulator'), emulatorOwner);
  // A running mpfleet holds the LevelDB locks of its DynamoDB and queue stores.
  for (const store of ['dynamodb', 'queue'].map((name) => path.join(dir, name)).filter((store) => existsSync(store))) {
    const probe = new Level(store);
    try {
      await probe.open();
    } catch {
      throw new DataDirInUseError(dir);
    }
    await probe.close();
  }
  const names = readdirSync(dir);
  for (const name of names) rmSync(path.join(dir, name), { recursive: true, force: true });
  return names;
}
