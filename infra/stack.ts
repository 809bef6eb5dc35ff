import { CfnOutput, CfnParameter, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct, Node } from 'constructs';
import { AppFunction } from './constructs/app-function';
import { CustomDomain } from './constructs/custom-domain';
import { DataTable } from './constructs/data-table';
import { EgressNetwork } from './constructs/egress-network';
import { HttpApi } from './constructs/http-api';
import { Operations } from './constructs/operations';
import { Schedule } from './constructs/schedules';
import { WeChatSecrets } from './constructs/wechat-secrets';
import { WorkQueue } from './constructs/work-queue';
import { FUNCTIONS, FUNCTION_NAMES, QUEUES, QUEUE_NAMES, type FunctionName, type QueueName } from './functions';

export interface DomainSettings {
  domainName: string;
  certificateArn?: string;
  hostedZone?: { id: string; name: string };
}

export interface MpfleetStackProps extends StackProps {
  /** Where the SecureString parameters live, e.g. `/mpfleet/prod`. */
  secretsParameterPrefix: string;
  /** Run the WeChat-calling functions behind NAT gateways with fixed Elastic IPs (WeChat's IP whitelist). */
  egressIps?: boolean;
  /** AZs of the egress VPC; the stack's first two when absent. */
  availabilityZones?: string[];
  /** Serve the API on the operator's domain (and so register that domain with WeChat). */
  domain?: DomainSettings;
  /** Who is emailed when an alarm fires. */
  alarmEmails?: string[];
}

export class MpfleetStack extends Stack {
  constructor(scope: Construct, id: string, props: MpfleetStackProps) {
    super(scope, id, props);

    // Public, but per platform: given at deploy time so synth needs nothing.
    const componentAppid = new CfnParameter(this, 'ComponentAppid', {
      type: 'String',
      description: 'The third-party platform appid (component_appid) from the WeChat Open Platform',
      allowedPattern: '^wx[0-9a-f]{16}$',
    });

    const data = new DataTable(this, 'Data');
    // Construct ids keep the deploy queue's logical ids from before there were two queues.
    const queues = Object.fromEntries(
      QUEUE_NAMES.map((name) => [name, new WorkQueue(this, `${name[0]!.toUpperCase()}${name.slice(1)}Queue`, QUEUES[name])]),
    ) as Record<QueueName, WorkQueue>;
    const secrets = new WeChatSecrets(this, 'Secrets', props.secretsParameterPrefix);
    const http = new HttpApi(this, 'Http');
    const egress = props.egressIps ? new EgressNetwork(this, 'Egress', { availabilityZones: props.availabilityZones }) : undefined;
    const domain = props.domain ? new CustomDomain(this, 'Domain', { ...props.domain, api: http.api }) : undefined;
    const baseUrl = domain?.baseUrl ?? http.api.apiEndpoint;

    const functions = {} as Record<FunctionName, lambda.Function>;
    for (const name of FUNCTION_NAMES) {
      const spec = FUNCTIONS[name];
      const { fn } = new AppFunction(this, `Fn-${name}`, {
        name,
        spec,
        environment: {
          TABLE_NAME: data.table.tableName,
          WECHAT_COMPONENT_APPID: componentAppid.valueAsString,
          PUBLIC_BASE_URL: baseUrl,
          ...Object.fromEntries(queuesOf(spec).map((q) => [QUEUES[q].urlVariable, queues[q].queue.queueUrl])),
        },
        // Only WeChat callers need the whitelisted IPs; the rest skip the VPC and its cold-start cost.
        network: egress && spec.callsWeChat ? { vpc: egress.vpc, subnets: egress.subnets, securityGroups: [egress.securityGroup] } : undefined,
      });
      data.table.grantReadWriteData(fn);
      secrets.grantRead(fn, spec.secrets);
      for (const q of spec.sendsTo ?? []) queues[q].queue.grantSendMessages(fn);
      if (spec.consumes) {
        const settings = QUEUES[spec.consumes];
        // The event source grants receive, delete and ChangeMessageVisibility (the forwarder's backoff).
        fn.addEventSource(
          new SqsEventSource(queues[spec.consumes].queue, {
            batchSize: settings.batchSize,
            maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
            reportBatchItemFailures: true,
            maxConcurrency: settings.maxConcurrency,
          }),
        );
      }
      if (spec.schedule) new Schedule(this, `Schedule-${name}`, { expression: spec.schedule, target: fn });
      functions[name] = fn;
    }
    http.addRoutes(functions);

    new Operations(this, 'Operations', {
      alarmEmails: props.alarmEmails ?? [],
      api: http.api,
      functions,
      extraAlarms: QUEUE_NAMES.map((q) => queues[q].deadLetterAlarm),
    });

    // Exactly what to register on the WeChat Open Platform (第三方平台 → 开发资料).
    const host = domain ? props.domain!.domainName : `${http.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`;
    new CfnOutput(this, 'ApiUrl', { value: http.api.apiEndpoint });
    new CfnOutput(this, 'AuthorizationEventUrl', { value: `${baseUrl}/wechat/ticket` });
    new CfnOutput(this, 'MessageEventUrl', { value: `${baseUrl}/wechat/callback/$APPID$` });
    new CfnOutput(this, 'AuthorizationDomain', { value: host });
  }
}

/** The queues whose URL a function gets: those it sends to and the one it consumes. */
function queuesOf(spec: (typeof FUNCTIONS)[FunctionName]): QueueName[] {
  return [...new Set([...(spec.sendsTo ?? []), ...(spec.consumes ? [spec.consumes] : [])])];
}

/** The stack's settings from CDK context (`-c key=value` arrives as a string, cdk.json may hold JSON). */
export function stackPropsFromContext(node: Node): Omit<MpfleetStackProps, keyof StackProps> & { stage: string } {
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    return value === undefined || value === null || String(value).trim() === '' ? undefined : String(value).trim();
  };
  const list = (key: string): string[] | undefined => {
    const value: unknown = node.tryGetContext(key);
    const items = (Array.isArray(value) ? value.map(String) : (text(key)?.split(',') ?? [])).map((s) => s.trim()).filter(Boolean);
    return items.length ? items : undefined;
  };
  const stage = text('stage') ?? 'prod';
  const egressIps = text('egressIps');
  if (egressIps !== undefined && egressIps !== 'true' && egressIps !== 'false') throw new Error(`egressIps must be true or false, got ${egressIps}`);

  const domainName = text('domainName');
  const hostedZoneId = text('hostedZoneId');
  const hostedZoneName = text('hostedZoneName');
  if (Boolean(hostedZoneId) !== Boolean(hostedZoneName)) throw new Error('hostedZoneId and hostedZoneName go together');
  const certificateArn = text('certificateArn');
  if (domainName && !certificateArn && !hostedZoneId) throw new Error('domainName needs certificateArn or hostedZoneId + hostedZoneName');

  return {
    stage,
    secretsParameterPrefix: text('secretsParameterPrefix') ?? `/mpfleet/${stage}`,
    // Production must call WeChat from whitelisted IPs; other stages usually run against the emulator.
    egressIps: egressIps === undefined ? stage === 'prod' : egressIps === 'true',
    availabilityZones: list('availabilityZones'),
    domain: domainName
      ? { domainName, certificateArn, hostedZone: hostedZoneId && hostedZoneName ? { id: hostedZoneId, name: hostedZoneName } : undefined }
      : undefined,
    alarmEmails: list('alarmEmails') ?? [],
  };
}
