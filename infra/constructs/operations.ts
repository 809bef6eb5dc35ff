import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

/** Custom metrics counted from the functions' JSON logs (Powertools puts extra keys at the top level). */
export const LOG_METRICS = {
  namespace: 'mpfleet',
  staleTicket: {
    metricName: 'StaleVerifyTicket',
    // Logged by the token refresher when no ticket arrived for 20 minutes.
    pattern: logs.FilterPattern.stringValue('$.message', '=', 'component_verify_ticket is stale; asking WeChat to push one'),
  },
  needsReauth: {
    metricName: 'TenantNeedsReauth',
    pattern: logs.FilterPattern.stringValue('$.reason', '=', 'needs_reauth'),
  },
} as const;

const FIVE_MINUTES = Duration.minutes(5);

export interface OperationsProps {
  alarmEmails: readonly string[];
  api: apigw.IHttpApi;
  /** Every function, by name: each gets an Errors alarm and a line on the dashboard. */
  functions: Record<string, lambda.IFunction>;
  /** The token refresher's logs, where a stale component_verify_ticket is reported. */
  tokenRefresherLogs: logs.ILogGroup;
  /** Logs of the functions that find tenants needing re-authorization. */
  reauthLogs: logs.ILogGroup[];
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

    const api5xx = new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName: '5xx',
      dimensionsMap: { ApiId: props.api.apiId },
      statistic: cloudwatch.Stats.SUM,
      period: FIVE_MINUTES,
    });
    this.addAlarm('Api5xx', {
      alarmDescription: 'The HTTP API answered 5xx at least 5 times in 5 minutes (WeChat retries pushes, merchants see errors)',
      metric: api5xx,
      threshold: 5,
      evaluationPeriods: 1,
    });

    const functionErrors = Object.entries(props.functions).map(([name, fn]) => {
      const metric = fn.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
      this.addAlarm(`Errors-${name}`, { alarmDescription: `mpfleet ${name} failed invocations`, metric, threshold: 1, evaluationPeriods: 1 });
      // A label would turn the alarm into a metric-math one; the dashboard wants names, not ids.
      return metric.with({ label: name });
    });

    const staleTicket = this.logMetric(LOG_METRICS.staleTicket, [props.tokenRefresherLogs]);
    // Two runs in a row: the push requested by the first run did not arrive.
    this.addAlarm('StaleVerifyTicket', {
      alarmDescription: 'No component_verify_ticket for 20+ minutes: no new component token can be issued soon',
      metric: staleTicket,
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
    });
    const needsReauth = this.logMetric(LOG_METRICS.needsReauth, props.reauthLogs);
    this.addAlarm('TenantNeedsReauth', {
      alarmDescription: 'A tenant entered needs_reauth: the merchant must authorize again',
      metric: needsReauth,
      threshold: 1,
      evaluationPeriods: 1,
    });

    const action = new actions.SnsAction(this.topic);
    for (const alarm of props.extraAlarms) {
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 })],
        [
          new cloudwatch.GraphWidget({ title: 'HTTP API 5xx', left: [api5xx], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Function errors', left: functionErrors, width: 16 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Stale verify ticket', left: [staleTicket], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Tenants entering needs_reauth', left: [needsReauth], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Dead letters', left: props.extraAlarms.map((a) => a.metric), width: 8 }),
        ],
      ],
    });
  }

  /** Every alarm notifies the one topic; missing data (no traffic, no logs) is never an incident. */
  private addAlarm(id: string, props: Omit<cloudwatch.AlarmProps, 'comparisonOperator' | 'treatMissingData'>): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }

  /** One metric filter per log group, all feeding the same dimensionless metric. */
  private logMetric(spec: { metricName: string; pattern: logs.IFilterPattern }, logGroups: logs.ILogGroup[]): cloudwatch.Metric {
    logGroups.forEach(
      (logGroup, i) =>
        new logs.MetricFilter(this, `${spec.metricName}Filter${i + 1}`, {
          logGroup,
          filterPattern: spec.pattern,
          metricNamespace: LOG_METRICS.namespace,
          metricName: spec.metricName,
          metricValue: '1',
        }),
    );
    return new cloudwatch.Metric({ namespace: LOG_METRICS.namespace, metricName: spec.metricName, statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES });
  }
}
