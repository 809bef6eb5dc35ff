import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface EgressNetworkProps {
  /**
   * Two (or more) AZ names. When absent the stack's own AZs are used, which for an
   * environment-agnostic stack are `Fn::GetAZs` tokens: synth never needs a lookup.
   */
  availabilityZones?: string[];
}

/**
 * WeChat rejects API calls from IPs not on the platform's whitelist (61004), so functions that call
 * WeChat run in private subnets whose only way out is NAT gateways with Elastic IPs we own: the
 * addresses survive every redeploy and are printed as `EgressIps` to paste into the whitelist.
 * AWS services are reached through VPC endpoints so no data path depends on NAT.
 */
export class EgressNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** Egress-only group for the functions: nothing can connect to them. */
  readonly securityGroup: ec2.SecurityGroup;
  readonly subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  readonly elasticIps: ec2.CfnEIP[];

  constructor(scope: Construct, id: string, props: EgressNetworkProps = {}) {
    super(scope, id);
    const azs = props.availabilityZones ?? Stack.of(this).availabilityZones.slice(0, 2);
    // One NAT gateway per AZ: losing an AZ must not cut every WeChat call.
    if (azs.length < 2) throw new Error(`egressIps needs at least two availabilityZones, got ${azs.length}: one NAT gateway per AZ`);
    this.elasticIps = azs.map(
      (_, i) => new ec2.CfnEIP(this, `EgressIp${i + 1}`, { domain: 'vpc', tags: [{ key: 'Name', value: `mpfleet-egress-${i + 1}` }] }),
    );
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      availabilityZones: azs,
      natGateways: azs.length,
      natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: this.elasticIps.map((eip) => eip.attrAllocationId) }),
      subnetConfiguration: [
        { name: 'Nat', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', {
      vpc: this.vpc,
      description: 'mpfleet functions: HTTPS out only (WeChat API and AWS endpoints), nothing in',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to WeChat and AWS');

    // Free, and keeps the table traffic off the NAT gateways.
    this.vpc.addGatewayEndpoint('DynamoDb', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [this.subnets] });
    // Secrets (SSM) and the deploy queue (SQS); KMS and Logs are called by those services and by
    // Lambda itself, never from inside the VPC, so they need no endpoint.
    this.vpc.addInterfaceEndpoint('Sqs', { service: ec2.InterfaceVpcEndpointAwsService.SQS, subnets: this.subnets, privateDnsEnabled: true });
    this.vpc.addInterfaceEndpoint('Ssm', { service: ec2.InterfaceVpcEndpointAwsService.SSM, subnets: this.subnets, privateDnsEnabled: true });

    new CfnOutput(Stack.of(this), 'EgressIps', {
      description: 'Paste into the third-party platform IP whitelist (白名单IP地址列表) on the WeChat Open Platform',
      value: Fn.join(',', this.elasticIps.map((eip) => eip.ref)),
    });
  }
}
