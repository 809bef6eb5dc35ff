import type { MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** CloudWatch namespace of every mpfleet metric; the CDK alarms and dashboard read the same one. */
export const METRICS_NAMESPACE = 'mpfleet';
/** One `service` value for every function, so an alarm needs no copy per function. */
export const METRICS_SERVICE = 'mpfleet';

/**
 * Every metric the functions emit, with its unit and the dimension it can be broken down by.
 * Each data point is published both with `service` alone (what alarms watch) and with `service`
 * plus that dimension (what the dashboard splits by). Plain data, read by the CDK stack too.
 */
export const METRICS = {
  /** An authenticated push was handled; by InfoType (authorization events) or Event/MsgType (messages). */
  PushReceived: { unit: 'Count', by: 'kind' },
  /** A push was refused with a 4xx; by error code (invalid_signature, xml_malformed, …). */
  PushRejected: { unit: 'Count', by: 'reason' },
  /** Age of the newest component_verify_ticket, reported by every token-refresher run. */
  VerifyTicketAgeSeconds: { unit: 'Seconds' },
  /** A token was obtained from WeChat; by token (component / authorizer). */
  TokenRefreshed: { unit: 'Count', by: 'token' },
  /** Getting a token from WeChat failed (a tenant whose authorization is gone is not a failure). */
  TokenRefreshFailed: { unit: 'Count', by: 'token' },
  /** A tenant moved into needs_reauth: its merchant must authorize again. */
  TenantNeedsReauth: { unit: 'Count' },
  /** A tenant's admin revoked the authorization. */
  TenantRevoked: { unit: 'Count' },
  /** A deploy target entered a state; by the state entered. */
  DeployTransition: { unit: 'Count', by: 'state' },
  /** WeChat answered an errcode (or could not be reached: `network`); by errcode. */
  WeChatError: { unit: 'Count', by: 'errcode' },
  /** A template backend logged a user in through the runtime API; by outcome (`ok` or WeChat's errcode). */
  RuntimeLogin: { unit: 'Count', by: 'outcome' },
  /** A template backend read a tenant's access token. */
  RuntimeTokenRead: { unit: 'Count' },
  /** A template backend called WeChat through the runtime proxy; by API path. */
  RuntimeProxyCall: { unit: 'Count', by: 'api' },
  /** A message or event was queued for the tenant's forward URL; by MsgType or `event:<Event>`. */
  ForwardQueued: { unit: 'Count', by: 'type' },
  /** A receiver answered 2xx. */
  ForwardDelivered: { unit: 'Count' },
  /** One POST to a receiver failed; by outcome (the HTTP status, `timeout` or `unreachable`). */
  ForwardFailed: { unit: 'Count', by: 'outcome' },
  /** A delivery was given up after its retry window (it waits, dead, for a redrive). */
  ForwardDead: { unit: 'Count' },
} as const satisfies Record<string, { unit: Unit; by?: string }>;

export type MetricName = keyof typeof METRICS;
/** The metrics that have a breakdown dimension. */
export type BrokenDownMetric = { [K in MetricName]: (typeof METRICS)[K] extends { by: string } ? K : never }[MetricName];
