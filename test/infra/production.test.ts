import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, FUNCTION_NAMES } from '../../infra/functions';
import { MpfleetStack, stackPropsFromContext, type MpfleetStackProps } from '../../infra/stack';
import { METRICS, METRICS_NAMESPACE, METRICS_SERVICE, type MetricName } from '../../shared/metrics/definitions';
import { TICKET_STALE_AFTER_MS } from '../../shared/tickets/ticket-freshness';

type Resource = { Properties: Record<string, unknown> };
type Settings = Omit<MpfleetStackProps, 'secretsParameterPrefix'>;

const cache = new Map<string, Template>();
/** Synthesises (without bundling) once per distinct setting: each takes a few seconds. */
function synth(settings: Settings = {}): Template {
  const key = JSON.stringify(settings);
  let template = cache.get(key);
  if (!template) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    template = Template.fromStack(new MpfleetStack(app, 'test', { secretsParameterPrefix: '/mpfleet/test', ...settings }));
    cache.set(key, template);
  }
  return template;
}

const EGRESS_ON: Settings = { egressIps: true };
const WITH_ZONE: Settings = { domain: { domainName: 'wx.example.com', hostedZone: { id: 'Z123EXAMPLE', name: 'example.com' } } };
const WITH_CERT: Settings = { domain: { domainName: 'wx.example.com', certificateArn: 'arn:aws:acm:ap-east-1:111111111111:certificate/abc' } };
const EMAILS: Settings = { alarmEmails: ['ops@example.com', 'oncall@example.com'] };

const functionsByName = (template: Template) => {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
  return new Map(fns.map((fn) => [String(fn.Properties.Description).replace(/^mpfleet /, ''), fn.Properties]));
};

describe('static egress IPs', () => {
  it('when on, gives a two-AZ VPC whose NAT gateways use Elastic IPs the stack owns and lists them as EgressIps', () => {
    const template = synth(EGRESS_ON);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::EIP', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    const eipIds = Object.keys(template.findResources('AWS::EC2::EIP'));
    for (const nat of Object.values(template.findResources('AWS::EC2::NatGateway')) as Resource[]) {
      const allocation = nat.Properties.AllocationId as { 'Fn::GetAtt': [string, string] };
      expect(eipIds).toContain(allocation['Fn::GetAtt'][0]);
    }
    template.hasOutput('EgressIps', { Value: { 'Fn::Join': [',', eipIds.map((id) => ({ Ref: id }))] } });
  });

  it('when on, puts every function that calls WeChat in the private subnets and leaves the others outside the VPC', () => {
    const template = synth(EGRESS_ON);
    const fns = functionsByName(template);
    const [securityGroupId] = Object.entries(template.findResources('AWS::EC2::SecurityGroup')).find(([, sg]) =>
      String((sg as Resource).Properties.GroupDescription).startsWith('mpfleet functions'),
    )!;
    expect(FUNCTION_NAMES.some((name) => !FUNCTIONS[name].callsWeChat)).toBe(true);
    for (const name of FUNCTION_NAMES) {
      const vpcConfig = fns.get(name)!.VpcConfig as { SecurityGroupIds: unknown[]; SubnetIds: { Ref: string }[] } | undefined;
      if (!FUNCTIONS[name].callsWeChat) {
        expect(vpcConfig, name).toBeUndefined();
        continue;
      }
      expect(vpcConfig, name).toBeDefined();
      expect(vpcConfig!.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [securityGroupId, 'GroupId'] }]);
      expect(vpcConfig!.SubnetIds).toHaveLength(2);
      for (const subnet of vpcConfig!.SubnetIds) expect(subnet.Ref).toMatch(/Functions/);
    }
  });

  it('refuses a single availability zone: one NAT gateway would be a single point of failure for every WeChat call', () => {
    expect(() => synth({ ...EGRESS_ON, availabilityZones: ['ap-east-1a'] })).toThrow(/at least two availabilityZones/);
  });

  it('lets the functions only out, on HTTPS', () => {
    synth(EGRESS_ON).hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^mpfleet functions'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
      SecurityGroupIngress: Match.absent(),
    });
  });

  it('reaches DynamoDB through a gateway endpoint and SQS and SSM through interface endpoints, not NAT', () => {
    const template = synth(EGRESS_ON);
    const service = (name: string) => ({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`\\.${name}$`)])] });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: service('dynamodb') });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', ServiceName: service('sqs'), PrivateDnsEnabled: true });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', ServiceName: service('ssm'), PrivateDnsEnabled: true });
  });

  it('when off, creates no network at all and no function runs in a VPC', () => {
    const template = synth();
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::EIP', 'AWS::EC2::NatGateway', 'AWS::EC2::VPCEndpoint']) template.resourceCountIs(type, 0);
    expect(Object.keys(template.findOutputs('EgressIps'))).toHaveLength(0);
    for (const [name, fn] of functionsByName(template)) expect(fn.VpcConfig, name).toBeUndefined();
  });
});

describe('custom domain', () => {
  it('with a hosted zone, maps the API to the domain with a DNS-validated certificate and an alias record', () => {
    const template = synth(WITH_ZONE);
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'wx.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'wx.example.com', HostedZoneId: 'Z123EXAMPLE' }],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'wx.example.com' });
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiId: { Ref: Match.stringLikeRegexp('^HttpApi') } });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'wx.example.com.', Type: 'A', HostedZoneId: 'Z123EXAMPLE' });
  });

  it('with a certificate ARN, uses it and tells where to point the CNAME', () => {
    const template = synth(WITH_CERT);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'wx.example.com',
      DomainNameConfigurations: [Match.objectLike({ CertificateArn: 'arn:aws:acm:ap-east-1:111111111111:certificate/abc' })],
    });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(Object.keys(template.findOutputs('DomainCnameTarget'))).toHaveLength(1);
  });

  it('outputs the exact URLs and host to register on the WeChat Open Platform', () => {
    const template = synth(WITH_ZONE);
    template.hasOutput('AuthorizationEventUrl', { Value: 'https://wx.example.com/wechat/ticket' });
    template.hasOutput('MessageEventUrl', { Value: 'https://wx.example.com/wechat/callback/$APPID$' });
    template.hasOutput('AuthorizationDomain', { Value: 'wx.example.com' });
  });

  it('gives every function PUBLIC_BASE_URL on the domain', () => {
    for (const [name, fn] of functionsByName(synth(WITH_ZONE))) {
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables.PUBLIC_BASE_URL, name).toBe('https://wx.example.com');
    }
  });

  it('without a domain, uses the execute-api endpoint everywhere and creates no domain resources', () => {
    const template = synth();
    template.resourceCountIs('AWS::ApiGatewayV2::DomainName', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 0);
    const endpoint = { 'Fn::GetAtt': [Match.stringLikeRegexp('^HttpApi'), 'ApiEndpoint'] };
    template.hasOutput('AuthorizationEventUrl', { Value: { 'Fn::Join': ['', [endpoint, '/wechat/ticket']] } });
    for (const [name, fn] of functionsByName(template)) {
      expect(JSON.stringify((fn.Environment as { Variables: Record<string, unknown> }).Variables.PUBLIC_BASE_URL), name).toContain('ApiEndpoint');
    }
  });
});

describe('operations', () => {
  const topicRef = (template: Template) => ({ Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0]! });

  it('emails every address from alarmEmails, and nobody when there is none', () => {
    const template = synth(EMAILS);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    for (const email of EMAILS.alarmEmails!) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email, TopicArn: topicRef(template) });
    }
    synth().resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('sends every alarm to the topic', () => {
    const template = synth();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions, String(alarm.Properties.AlarmDescription)).toEqual([topicRef(template)]);
  });

  it('alarms on dead letters, the API 5xx rate and every function errors', () => {
    const template = synth();
    const alarmOn = (props: Record<string, unknown>) => template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...props, AlarmActions: [topicRef(template)] });
    alarmOn({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
    // The 5xx rate: 5xx over all requests of this API, once there are at least 5 errors.
    const apiStat = (id: string, metricName: string) => ({
      Id: id,
      MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: metricName, Dimensions: [{ Name: 'ApiId', Value: { Ref: Match.stringLikeRegexp('^HttpApi') } }] }, Period: 300, Stat: 'Sum' },
      ReturnData: false,
    });
    alarmOn({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(errors >= 5, 100 * errors / requests, 0)', ReturnData: true }),
        apiStat('errors', '5xx'),
        apiStat('requests', 'Count'),
      ]),
    });
    const fnIds = [...Object.keys(template.findResources('AWS::Lambda::Function'))];
    expect(fnIds).toHaveLength(FUNCTION_NAMES.length);
    for (const id of fnIds) alarmOn({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: id } }] });
  });

  const appMetric = (metricName: MetricName) => ({ Namespace: METRICS_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: 'service', Value: METRICS_SERVICE }] });

  for (const [mode, settings] of [['default', {}], ['VPC + domain', { ...EGRESS_ON, ...WITH_ZONE }]] as const) {
    it(`alarms on the metrics the functions emit (${mode})`, () => {
      const template = synth(settings);
      const alarmOn = (props: Record<string, unknown>) => template.hasResourceProperties('AWS::CloudWatch::Alarm', { ...props, AlarmActions: [topicRef(template)] });
      // A ticket older than 20 minutes, or no age reported at all (no ticket yet, refresher not running).
      alarmOn({
        ...appMetric('VerifyTicketAgeSeconds'),
        Statistic: 'Maximum',
        Threshold: TICKET_STALE_AFTER_MS / 1000,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'breaching',
      });
      alarmOn({ ...appMetric('TokenRefreshFailed'), Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching' });
      alarmOn({ ...appMetric('TenantNeedsReauth'), Statistic: 'Sum', Threshold: 1, TreatMissingData: 'notBreaching' });
      // Metrics come from the code (EMF), not from parsing log lines.
      template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    });
  }

  it('has one dashboard showing the alarmed metrics and every metric the functions emit, split by its breakdown', () => {
    const template = synth();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'test' });
    const graphs = dashboardGraphs(template);
    const plotted = graphs.flatMap((g) => g.metrics);
    for (const metric of ['5xx', 'Errors', 'ApproximateNumberOfMessagesVisible', 'VerifyTicketAgeSeconds', 'TenantNeedsReauth', 'TenantRevoked']) {
      expect(plotted.some((m) => m.includes(metric)), metric).toBe(true);
    }
    for (const [name, spec] of Object.entries(METRICS)) {
      if ('by' in spec) expect(plotted, name).toContain(`SEARCH('{${METRICS_NAMESPACE},service,${spec.by}} MetricName="${name}"', 'Sum', 300)`);
    }
  });
});

/** The dashboard's graphs, each with its metrics as text: a metric's name parts, or a math expression. */
function dashboardGraphs(template: Template): { title: string; metrics: string[] }[] {
  const body = (Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as Resource).Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  // References to other resources become a placeholder; the rest is the dashboard's JSON.
  const json = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  const widgets = (JSON.parse(json) as { widgets: { type: string; properties: { title: string; metrics?: unknown[][] } }[] }).widgets;
  return widgets
    .filter((w) => w.type === 'metric')
    .map((w) => ({
      title: w.properties.title,
      metrics: (w.properties.metrics ?? []).map((line) =>
        line.map((part) => (typeof part === 'object' && part !== null && 'expression' in part ? String(part.expression) : typeof part === 'string' ? part : '')).join(' '),
      ),
    }));
}

describe('context', () => {
  const read = (context: Record<string, unknown>) => stackPropsFromContext(new App({ context }).node);

  it('turns egress IPs on by default for prod only, and obeys an explicit true/false from -c or cdk.json', () => {
    expect(read({}).egressIps).toBe(true);
    expect(read({ stage: 'dev' }).egressIps).toBe(false);
    expect(read({ egressIps: 'false' }).egressIps).toBe(false);
    expect(read({ stage: 'dev', egressIps: true }).egressIps).toBe(true);
    expect(() => read({ egressIps: 'yes' })).toThrow(/egressIps/);
  });

  it('reads the domain, hosted zone, AZs and comma-separated alarm emails', () => {
    const settings = read({
      domainName: 'wx.example.com',
      hostedZoneId: 'Z1',
      hostedZoneName: 'example.com',
      availabilityZones: 'ap-east-1a, ap-east-1b',
      alarmEmails: 'a@example.com, b@example.com',
    });
    expect(settings.domain).toEqual({ domainName: 'wx.example.com', certificateArn: undefined, hostedZone: { id: 'Z1', name: 'example.com' } });
    expect(settings.availabilityZones).toEqual(['ap-east-1a', 'ap-east-1b']);
    expect(settings.alarmEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(read({}).alarmEmails).toEqual([]);
    expect(read({}).secretsParameterPrefix).toBe('/mpfleet/prod');
  });

  it('refuses a domain it could not get a certificate for', () => {
    expect(() => read({ domainName: 'wx.example.com' })).toThrow(/certificateArn/);
    expect(() => read({ domainName: 'wx.example.com', hostedZoneId: 'Z1' })).toThrow(/hostedZoneName/);
  });
});
