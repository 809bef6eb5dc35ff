import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, FUNCTION_NAMES, QUEUES, QUEUE_NAMES } from '../../infra/functions';
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

describe('work queues', () => {
  it('dead-letters each queue after its maxReceiveCount, keeps dead letters 14 days and alarms on them', () => {
    for (const name of QUEUE_NAMES) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: QUEUES[name].visibilityTimeoutSeconds,
        RedrivePolicy: Match.objectLike({ maxReceiveCount: QUEUES[name].maxReceiveCount }),
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: QUEUES[name].deadLetterMeaning,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    template.resourceCountIs('AWS::SQS::Queue', QUEUE_NAMES.length * 2);
    template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('feeds each consumer with partial batch failures and bounded concurrency', () => {
    const consumers = FUNCTION_NAMES.filter((name) => FUNCTIONS[name].consumes);
    expect(consumers.sort()).toEqual(['deploy-worker', 'message-forwarder']);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', consumers.length);
    for (const name of consumers) {
      const settings = QUEUES[FUNCTIONS[name].consumes!];
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: settings.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: settings.maxConcurrency },
      });
    }
  });

  it('gives each function the URL of exactly the queues it sends to or consumes', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const name of FUNCTION_NAMES) {
      const spec = FUNCTIONS[name];
      const wanted = new Set([...(spec.sendsTo ?? []), ...(spec.consumes ? [spec.consumes] : [])].map((q) => QUEUES[q].urlVariable));
      const fn = Object.values(functions).find((r) => (r as { Properties: { Description?: string } }).Properties.Description === `mpfleet ${name}`) as
        | { Properties: { Environment: { Variables: Record<string, unknown> } } }
        | undefined;
      expect(fn, name).toBeDefined();
      const present = Object.keys(fn!.Properties.Environment.Variables).filter((v) => v.endsWith('_QUEUE_URL'));
      expect(new Set(present), name).toEqual(wanted);
    }
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
