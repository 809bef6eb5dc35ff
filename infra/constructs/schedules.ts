import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** An EventBridge rule invoking a function on a schedule (the local runtime runs a timer instead). */
export class Schedule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: { expression: string; target: lambda.IFunction }) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: `mpfleet ${id}`,
      schedule: events.Schedule.expression(props.expression),
      targets: [new targets.LambdaFunction(props.target, { retryAttempts: 2 })],
    });
  }
}
