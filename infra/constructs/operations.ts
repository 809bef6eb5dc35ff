import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { METRICS, METRICS_NAMESPACE, METRICS_SERVICE, type BrokenDownMetric, type MetricName } from '../../shared/metrics/definitions';
import { TICKET_STALE_AFTER_MS } from '../../shared/tickets/ticket-freshness';

const FIVE_MINUTES = Duration.minutes(5);
const API_5XX_PERCENT = 5;
const API_5XX_MIN_COUNT = 5;
const TICKET_STALE_AFTER_SECONDS = TICKET_STALE_AFTER_MS / 1000;

export interface OperationsProps {
  alarmEmails: readonly string[];
  api: apigw.IHttpApi;
  /** Every function, by name: each gets an Errors alarm and a line on the dashboard. */
  functions: Record<string, lambda.IFunction>;
  /** Alarms built elsewhere (e.g. the dead-letter queue's) that should page too. */
  extraAlarms: cloudwatch.Alarm[];
}

/**
 * Everything an operator is told about: one SNS topic (email subscribers from context), alarms for
 * the failures that need a human, and one dashboard showing the same metrics.
 */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', { displayName: 'mpfleet alarms', enforceSSL: true });
    for (const email of props.alarmEmails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    const apiMetric = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: props.api.apiId }, statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES });
    const api5xx = apiMetric('5xx');
    // A rate, but only once there are a few errors: at night WeChat's ticket push may be the only
    // request in five minutes, and one failure would read as 50%.
    const api5xxRate = new cloudwatch.MathExpression({
      expression: `IF(errors >= ${API_5XX_MIN_COUNT}, 100 * errors / requests, 0)`,
      usingMetrics: { errors: api5xx, requests: apiMetric('Count') },
      label: '5xx %',
      period: FIVE_MINUTES,
    });
    this.addAlarm('Api5xx', {
      alarmDescription: `Over ${API_5XX_PERCENT}% of HTTP API requests answered 5xx in 5 minutes (at least ${API_5XX_MIN_COUNT} of them): WeChat retries pushes, merchants see errors`,
      metric: api5xxRate,
      threshold: API_5XX_PERCENT,
      evaluationPeriods: 1,
    });

    const functionErrors = Object.entries(props.functions).map(([name, fn]) => {
      const metric = fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
      this.addAlarm(`Errors-${name}`, { alarmDescription: `mpfleet ${name} failed invocations`, metric, threshold: 1, evaluationPeriods: 1 });
      // A label would turn the alarm into a metric-math one; the dashboard wants names, not ids.
      return metric.with({ label: name });
    });

    // The token refresher reports the age every 5 minutes; a 10-minute window always holds a report.
    const ticketAge = appMetric('VerifyTicketAgeSeconds', cloudwatch.Stats.MAXIMUM, Duration.minutes(10));
    this.addAlarm('StaleVerifyTicket', {
      alarmDescription: 'The newest component_verify_ticket is 20+ minutes old (or none was ever stored): no new component token can be issued soon',
      metric: ticketAge,
      threshold: TICKET_STALE_AFTER_SECONDS,
      evaluationPeriods: 1,
      // No report means no ticket at all, or no refresher run: neither is known to be fine.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const refreshFailures = appMetric('TokenRefreshFailed');
    // The refresher works 20 minutes ahead of expiry: one failed run is absorbed by the next.
    this.addAlarm('TokenRefreshFailures', {
      alarmDescription: 'Getting a token from WeChat failed in two 5-minute periods in a row',
      metric: refreshFailures,
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
    });
    const needsReauth = appMetric('TenantNeedsReauth');
    this.addAlarm('TenantNeedsReauth', {
      alarmDescription: 'A tenant entered needs_reauth: the merchant must authorize again',
      metric: needsReauth,
      threshold: 1,
      evaluationPeriods: 1,
    });

    const forwardsDead = appMetric('ForwardDead');
    this.addAlarm('ForwardsGivenUp', {
      alarmDescription:
        "Forwarded messages were given up after their retry window: a template backend's receiver is down or refusing them. Fix it, then POST /api/tenants/{appid}/forwarding/redrive",
      metric: forwardsDead,
      threshold: 1,
      evaluationPeriods: 1,
    });

    const action = new actions.SnsAction(this.topic);
    for (const alarm of props.extraAlarms) {
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: Stack.of(this).stackName,
      defaultInterval: Duration.days(1),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
        [
          new cloudwatch.GraphWidget({ title: 'HTTP API 5xx', left: [api5xx], right: [api5xxRate], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Function errors', left: functionErrors, width: 16 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Pushes received, by kind', left: [byDimension('PushReceived')], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Pushes rejected, by reason', left: [byDimension('PushRejected')], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Verify ticket age (seconds)',
            left: [ticketAge],
            leftAnnotations: [{ value: TICKET_STALE_AFTER_SECONDS, label: 'stale' }],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Token refreshes, by token', left: [byDimension('TokenRefreshed')], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Token refresh failures, by token', left: [byDimension('TokenRefreshFailed')], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Tenants leaving active',
            left: [needsReauth.with({ label: 'needs_reauth' }), appMetric('TenantRevoked').with({ label: 'revoked' })],
            width: 8,
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Deploy targets entering each state', left: [byDimension('DeployTransition')], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'WeChat errcodes', left: [byDimension('WeChatError')], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Dead letters', left: props.extraAlarms.map((a) => a.metric), width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Template backends: logins, by outcome', left: [byDimension('RuntimeLogin')], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Template backends: token reads', left: [appMetric('RuntimeTokenRead')], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Template backends: proxied WeChat calls, by API', left: [byDimension('RuntimeProxyCall')], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Forwards queued, by type', left: [byDimension('ForwardQueued')], width: 8 }),
          new cloudwatch.GraphWidget({
            title: 'Forwards delivered and given up',
            left: [appMetric('ForwardDelivered').with({ label: 'delivered' }), forwardsDead.with({ label: 'given up' })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Forward attempts failed, by outcome', left: [byDimension('ForwardFailed')], width: 8 }),
        ],
      ],
    });
  }

  /** Every alarm notifies the one topic; missing data (no traffic) is not an incident unless said so. */
  private addAlarm(id: string, props: Omit<cloudwatch.AlarmProps, 'comparisonOperator'>): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

/** An mpfleet metric across all of its breakdowns: what alarms watch. */
function appMetric(name: MetricName, statistic: string = cloudwatch.Stats.SUM, period = FIVE_MINUTES): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: METRICS_SERVICE }, statistic, period });
}

/** One line per value of the metric's breakdown dimension (each state, errcode, …), found by SEARCH. */
function byDimension(name: BrokenDownMetric): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,${METRICS[name].by}} MetricName="${name}"', 'Sum', ${FIVE_MINUTES.toSeconds()})`,
    label: '',
    period: FIVE_MINUTES,
  });
}
