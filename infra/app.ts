import { App } from 'aws-cdk-lib';
import { MpfleetStack, stackPropsFromContext } from './stack';

const app = new App();
const { stage, ...settings } = stackPropsFromContext(app.node);
new MpfleetStack(app, `mpfleet-${stage}`, {
  ...settings,
  description: 'mpfleet: WeChat third-party platform for fleet deploys of mini-programs',
});
