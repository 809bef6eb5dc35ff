/**
 * Every Lambda function of mpfleet: its folder under functions/, what it may read and what
 * triggers it besides HTTP routes. Plain data, read by the CDK stack and by the local runtime.
 */
import { AUDIT_RECONCILE_PERIOD_MINUTES } from '../shared/deployments/audit-polling';
import type { SecretName } from '../shared/secrets';

export interface FunctionSpec {
  /** Secrets the function may read (least privilege: nothing else is granted). */
  secrets: readonly SecretName[];
  /** Whether it calls the WeChat API (and so needs the component secret and, on AWS, egress). */
  callsWeChat: boolean;
  /** Whether it may send to the deploy queue. */
  sendsToDeployQueue?: boolean;
  /** Consumes the deploy queue (SQS event source). */
  consumesDeployQueue?: boolean;
  /** EventBridge schedule expression that invokes it. */
  schedule?: string;
  timeoutSeconds?: number;
  memoryMb?: number;
  /** Ships the built console (console/dist) with the function, at CONSOLE_ASSETS_DIR. */
  servesConsole?: boolean;
}

const FUNCTION_SPECS = {
  health: { secrets: [], callsWeChat: false },
  /** Serves the operator console's page and its hashed files (bundled with the function, see AppFunction). */
  console: { secrets: [], callsWeChat: false, servesConsole: true },
  'wechat-ticket': {
    secrets: ['componentSecret', 'messageToken', 'encodingAesKey'],
    callsWeChat: true,
    // An authorization queues its tenant's readiness check.
    sendsToDeployQueue: true,
  },
  'wechat-callback': {
    secrets: ['componentSecret', 'messageToken', 'encodingAesKey'],
    callsWeChat: true,
    sendsToDeployQueue: true,
  },
  authorize: { secrets: ['componentSecret'], callsWeChat: true },
  'auth-callback': { secrets: ['componentSecret'], callsWeChat: true, sendsToDeployQueue: true },
  'api-auth-links': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true },
  'api-tenants': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true, sendsToDeployQueue: true },
  'api-templates': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true },
  'api-deployments': {
    secrets: ['componentSecret', 'operatorToken'],
    callsWeChat: true,
    sendsToDeployQueue: true,
  },
  'api-pushes': { secrets: ['operatorToken'], callsWeChat: false },
  'api-service-keys': { secrets: ['operatorToken'], callsWeChat: false },
  /** The template backend's runtime API: jscode2session with the component token, the tenant's token, the proxy. */
  runtime: { secrets: ['componentSecret'], callsWeChat: true },
  'deploy-worker': {
    secrets: ['componentSecret'],
    callsWeChat: true,
    sendsToDeployQueue: true,
    consumesDeployQueue: true,
    timeoutSeconds: 60,
  },
  'token-refresher': {
    secrets: ['componentSecret'],
    callsWeChat: true,
    sendsToDeployQueue: true,
    schedule: 'rate(5 minutes)',
    timeoutSeconds: 300,
  },
  'readiness-checker': {
    secrets: ['componentSecret'],
    callsWeChat: true,
    schedule: 'rate(30 minutes)',
    timeoutSeconds: 300,
  },
  'audit-reconciler': {
    secrets: ['componentSecret'],
    callsWeChat: true,
    sendsToDeployQueue: true,
    schedule: `rate(${AUDIT_RECONCILE_PERIOD_MINUTES} minutes)`,
    timeoutSeconds: 300,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTION_SPECS;

export const FUNCTIONS: Record<FunctionName, FunctionSpec> = FUNCTION_SPECS;

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

/** The deploy queue's settings, shared by the CDK queue and the local SQS so the two behave alike. */
export const DEPLOY_QUEUE = {
  /** Six times the worker timeout, as AWS recommends for SQS event sources. */
  visibilityTimeoutSeconds: 360,
  maxReceiveCount: 5,
  dlqRetentionDays: 14,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  /** Caps parallel WeChat calls from the fleet deploy (and so the per-platform API rate). */
  maxConcurrency: 10,
} as const;
