import { App } from 'aws-cdk-lib';
import { MpfleetStack } from './stack';

const app = new App();
const stage = app.node.tryGetContext('stage') ?? 'prod';
new MpfleetStack(app, `mpfleet-${stage}`, {
  secretsParameterPrefix: app.node.tryGetContext('secretsParameterPrefix') ?? `/mpfleet/${stage}`,
  description: 'mpfleet: WeChat third-party platform for fleet deploys of mini-programs',
});
