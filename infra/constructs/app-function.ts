import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionName, FunctionSpec } from '../functions';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface AppFunctionProps {
  name: FunctionName;
  spec: FunctionSpec;
  environment: Record<string, string>;
  /** Where the function runs when it needs the static egress IPs; outside any VPC when absent. */
  network?: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroups: ec2.ISecurityGroup[] };
}

/** A Lambda built from functions/<name>/handler.ts: Node 22 on arm64, ESM, minified, JSON logs. */
export class AppFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `mpfleet ${props.name}`,
      entry: path.join(PROJECT_ROOT, 'functions', props.name, 'handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.spec.memoryMb ?? 512,
      timeout: Duration.seconds(props.spec.timeoutSeconds ?? 15),
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      ...(props.network
        ? { vpc: props.network.vpc, vpcSubnets: props.network.subnets, securityGroups: props.network.securityGroups }
        : {}),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'mpfleet',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...(props.spec.servesConsole ? { CONSOLE_ASSETS_DIR: '/var/task/console' } : {}),
        ...props.environment,
      },
      bundling: {
        // Always the project's own esbuild: synth works offline and never needs Docker.
        forceDockerBundling: false,
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // The Node 22 runtime ships AWS SDK v3; bundling it again only slows cold starts.
        externalModules: ['@aws-sdk/*'],
        // Some CommonJS dependencies call require(); give the ESM bundle one.
        banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        // The console's built files ship inside the function that serves them (built first: npm run console).
        ...(props.spec.servesConsole
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_input: string, output: string) => [`node "${path.join(PROJECT_ROOT, 'console', 'build.mjs')}"`, `cp -R "${path.join(PROJECT_ROOT, 'console', 'dist')}" "${path.join(output, 'console')}"`],
              },
            }
          : {}),
      },
    });
  }
}
