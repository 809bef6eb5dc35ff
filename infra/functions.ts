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
  /** The queues it sends to (it gets their URLs in QUEUES[q].urlVariable and may send). */
  sendsTo?: readonly QueueName[];
  /** The queue that invokes it (an SQS event source; it gets the queue's URL too). */
  consumes?: QueueName;
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
    sendsTo: ['deploy'],
  },
  'wechat-callback': {
    secrets: ['componentSecret', 'messageToken', 'encodingAesKey'],
    callsWeChat: true,
    // Readiness checks, and the messages it forwards to the tenants' backends.
    sendsTo: ['deploy', 'forward'],
  },
  authorize: { secrets: ['componentSecret'], callsWeChat: true },
  'auth-callback': { secrets: ['componentSecret'], callsWeChat: true, sendsTo: ['deploy'] },
  'api-auth-links': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true },
  'api-tenants': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true, sendsTo: ['deploy'] },
  /** A mini-program's name, avatar, introduction and categories at WeChat (uploads images as temporary media). */
  'api-tenant-profile': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true },
  'api-templates': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true },
  'api-deployments': {
    secrets: ['componentSecret', 'operatorToken'],
    callsWeChat: true,
    sendsTo: ['deploy'],
  },
  'api-pushes': { secrets: ['operatorToken'], callsWeChat: false },
  'api-service-keys': { secrets: ['operatorToken'], callsWeChat: false },
  /** Fast registrations: creates mini-programs for merchants who have none (component token); retries their onboarding. */
  'api-registrations': { secrets: ['componentSecret', 'operatorToken'], callsWeChat: true, sendsTo: ['deploy'] },
  /** Forward URLs and their deliveries; a redrive queues dead deliveries again. */
  'api-forwarding': { secrets: ['operatorToken'], callsWeChat: false, sendsTo: ['forward'] },
  /** POSTs forwarded messages to the tenants' backends (not WeChat: it needs no whitelisted IP). */
  'message-forwarder': { secrets: [], callsWeChat: false, consumes: 'forward', timeoutSeconds: 30 },
  /** The template backend's runtime API: jscode2session with the component token, the tenant's token, the proxy. */
  runtime: { secrets: ['componentSecret'], callsWeChat: true },
  'deploy-worker': {
    secrets: ['componentSecret'],
    callsWeChat: true,
    sendsTo: ['deploy'],
    consumes: 'deploy',
    timeoutSeconds: 60,
  },
  'token-refresher': {
    secrets: ['componentSecret'],
    callsWeChat: true,
    sendsTo: ['deploy'],
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
    sendsTo: ['deploy'],
    schedule: `rate(${AUDIT_RECONCILE_PERIOD_MINUTES} minutes)`,
    timeoutSeconds: 300,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTION_SPECS;

export const FUNCTIONS: Record<FunctionName, FunctionSpec> = FUNCTION_SPECS;

export const FUNCTION_NAMES = Object.keys(FUNCTIONS) as FunctionName[];

export interface QueueSettings {
  /** The environment variable that carries the queue's URL to its senders and consumer. */
  urlVariable: string;
  /** What a message in its dead-letter queue means (the alarm's description). */
  deadLetterMeaning: string;
  /** Six times the consumer's timeout, as AWS recommends for SQS event sources. */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  dlqRetentionDays: number;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  maxConcurrency: number;
}

/** The queues' settings, shared by the CDK queues and the local SQS so the two behave alike. */
export const QUEUES = {
  /** Fan-out pages, per-tenant deploy steps, operator actions, readiness checks. */
  deploy: {
    urlVariable: 'DEPLOY_QUEUE_URL',
    deadLetterMeaning: 'Deploy steps reached the dead-letter queue',
    visibilityTimeoutSeconds: 360,
    maxReceiveCount: 5,
    dlqRetentionDays: 14,
    batchSize: 10,
    maxBatchingWindowSeconds: 1,
    /** Caps parallel WeChat calls from the fleet deploy (and so the per-platform API rate). */
    maxConcurrency: 10,
  },
  /** Messages and events on their way to the tenants' forward URLs. */
  forward: {
    urlVariable: 'FORWARD_QUEUE_URL',
    deadLetterMeaning: 'Forward messages reached the dead-letter queue: the forwarder failed on them repeatedly (not a receiver being down, which retries and then marks the delivery dead for a redrive)',
    visibilityTimeoutSeconds: 180,
    // A receiver that is down is retried by the forwarder itself (backoff in the visibility timeout,
    // about 100 receives in its 24-hour window); only a forwarder failing over and over exceeds this.
    maxReceiveCount: 150,
    dlqRetentionDays: 14,
    batchSize: 10,
    maxBatchingWindowSeconds: 1,
    maxConcurrency: 5,
  },
} as const satisfies Record<string, QueueSettings>;

export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

export const DEPLOY_QUEUE = QUEUES.deploy;
