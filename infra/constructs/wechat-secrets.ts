import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SECRETS, secretParameterName, type SecretName } from '../../shared/secrets';

/**
 * The platform's secrets live as SecureString parameters created by the operator before the first
 * deploy (CloudFormation cannot create SecureStrings). Each function is granted exactly the ones it needs.
 */
export class WeChatSecrets extends Construct {
  constructor(
    scope: Construct,
    id: string,
    readonly parameterPrefix: string,
  ) {
    super(scope, id);
  }

  parameterArn(name: SecretName): string {
    const stack = Stack.of(this);
    const path = secretParameterName(this.parameterPrefix, name).replace(/^\//, '');
    return stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: path });
  }

  grantRead(fn: lambda.Function, names: readonly SecretName[]): void {
    if (names.length === 0) return;
    fn.addEnvironment('SECRETS_PARAMETER_PREFIX', this.parameterPrefix);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: names.map((name) => this.parameterArn(name)),
      }),
    );
  }

  static names(): SecretName[] {
    return Object.keys(SECRETS) as SecretName[];
  }
}
