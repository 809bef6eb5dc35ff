import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_QUEUE, FUNCTIONS, FUNCTION_NAMES } from '../../infra/functions';
import { ROUTES } from '../../infra/routes';
import { MpfleetStack } from '../../infra/stack';

let template: Template;

beforeAll(() => {
  // Skip esbuild bundling: these tests are about the template, not the code assets.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new MpfleetStack(app, 'test', { secretsParameterPrefix: '/mpfleet/test' });
  template = Template.fromStack(stack);
});

type Resource = { Properties: Record<string, unknown> };
const functionsByDescription = () => {
  const fns = template.findResources('AWS::Lambda::Function') as Record<string, Resource>;
  return new Map(Object.entries(fns).map(([logicalId, fn]) => [String(fn.Properties.Description), { logicalId, ...fn }]));
};

describe('HTTP API', () => {
  it('has exactly one route per entry of the shared route table', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const keys = Object.values(routes).map((r) => (r as Resource).Properties.RouteKey).sort();
    expect(keys).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });
});

describe('functions', () => {
  it('builds one Node 22 arm64 function with JSON logs per entry of functions/', () => {
    template.resourceCountIs('AWS::Lambda::Function', FUNCTION_NAMES.length);
    for (const name of FUNCTION_NAMES) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: `mpfleet ${name}`,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
        Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'mpfleet', TABLE_NAME: Match.anyValue() }) },
      });
    }
  });

  it('grants each function exactly the secrets it lists, and none to the others', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const fns = functionsByDescription();
    for (const name of FUNCTION_NAMES) {
      const fn = fns.get(`mpfleet ${name}`)!;
      const roleRef = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      const ssmResources = policies
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef!))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement)
        .filter((s) => [s.Action].flat().some((a) => a.startsWith('ssm:')))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => JSON.stringify(r));
      const expected = FUNCTIONS[name].secrets.length;
      expect(ssmResources, name).toHaveLength(expected);
      for (const resource of ssmResources) expect(resource).toContain('parameter/mpfleet/test/');
    }
  });
});

describe('data table', () => {
  it('is on-demand, encrypted with its own KMS key, recoverable and protected from deletion', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() }),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ EnableKeyRotation: true }) });
  });
});

describe('deploy queue', () => {
  it('dead-letters after maxReceiveCount, keeps dead letters 14 days and alarms on them', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: DEPLOY_QUEUE.visibilityTimeoutSeconds,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: DEPLOY_QUEUE.maxReceiveCount }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('feeds the worker with partial batch failures and bounded concurrency', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: DEPLOY_QUEUE.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: DEPLOY_QUEUE.maxConcurrency },
    });
  });
});

describe('schedules', () => {
  it('has one EventBridge rule per scheduled function', () => {
    const scheduled = FUNCTION_NAMES.filter((name) => FUNCTIONS[name].schedule);
    expect(scheduled.length).toBeGreaterThan(0);
    template.resourceCountIs('AWS::Events::Rule', scheduled.length);
    for (const name of scheduled) {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: FUNCTIONS[name].schedule,
        State: 'ENABLED',
      });
    }
  });
});
