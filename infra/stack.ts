import { CfnOutput, CfnParameter, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { AppFunction } from './constructs/app-function';
import { DataTable } from './constructs/data-table';
import { DeployQueue } from './constructs/deploy-queue';
import { HttpApi } from './constructs/http-api';
import { Schedule } from './constructs/schedules';
import { WeChatSecrets } from './constructs/wechat-secrets';
import { DEPLOY_QUEUE, FUNCTIONS, FUNCTION_NAMES, type FunctionName } from './functions';

export interface MpfleetStackProps extends StackProps {
  /** Where the SecureString parameters live, e.g. `/mpfleet/prod`. */
  secretsParameterPrefix: string;
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
    const deployQueue = new DeployQueue(this, 'DeployQueue');
    const secrets = new WeChatSecrets(this, 'Secrets', props.secretsParameterPrefix);
    const http = new HttpApi(this, 'Http');

    const functions = {} as Record<FunctionName, lambda.IFunction>;
    for (const name of FUNCTION_NAMES) {
      const spec = FUNCTIONS[name];
      const { fn } = new AppFunction(this, `Fn-${name}`, {
        name,
        spec,
        environment: {
          TABLE_NAME: data.table.tableName,
          WECHAT_COMPONENT_APPID: componentAppid.valueAsString,
          PUBLIC_BASE_URL: http.api.apiEndpoint,
          ...(spec.sendsToDeployQueue ? { DEPLOY_QUEUE_URL: deployQueue.queue.queueUrl } : {}),
        },
      });
      data.table.grantReadWriteData(fn);
      secrets.grantRead(fn, spec.secrets);
      if (spec.sendsToDeployQueue) deployQueue.queue.grantSendMessages(fn);
      if (spec.consumesDeployQueue) {
        fn.addEventSource(
          new SqsEventSource(deployQueue.queue, {
            batchSize: DEPLOY_QUEUE.batchSize,
            maxBatchingWindow: Duration.seconds(DEPLOY_QUEUE.maxBatchingWindowSeconds),
            reportBatchItemFailures: true,
            maxConcurrency: DEPLOY_QUEUE.maxConcurrency,
          }),
        );
      }
      if (spec.schedule) new Schedule(this, `Schedule-${name}`, { expression: spec.schedule, target: fn });
      functions[name] = fn;
    }
    http.addRoutes(functions);

    new CfnOutput(this, 'ApiUrl', { value: http.api.apiEndpoint });
    new CfnOutput(this, 'AuthorizationEventUrl', { value: `${http.api.apiEndpoint}/wechat/ticket` });
    new CfnOutput(this, 'MessageEventUrl', { value: `${http.api.apiEndpoint}/wechat/callback/$APPID$` });
  }
}
