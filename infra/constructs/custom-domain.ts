import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface CustomDomainProps {
  /** e.g. `wx.example.com`: the host WeChat calls and merchants' browsers see. */
  domainName: string;
  /** An existing ACM certificate in the stack's region covering the domain. */
  certificateArn?: string;
  /** The Route 53 zone holding the domain: validates a new certificate and gets an A-alias record. */
  hostedZone?: { id: string; name: string };
  api: apigw.IHttpApi;
}

/**
 * The HTTP API under the operator's own domain. WeChat's authorization domain (授权发起页域名) and
 * event URLs must be stable and on a domain the platform controls, so never the execute-api host.
 */
export class CustomDomain extends Construct {
  readonly domainName: apigw.DomainName;
  /** `https://<domain>`, without a trailing slash. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: CustomDomainProps) {
    super(scope, id);
    const zone = props.hostedZone
      ? route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: props.hostedZone.id, zoneName: props.hostedZone.name })
      : undefined;
    const certificate = props.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)
      : zone
        ? new acm.Certificate(this, 'Certificate', { domainName: props.domainName, validation: acm.CertificateValidation.fromDns(zone) })
        : undefined;
    if (!certificate) throw new Error(`domainName ${props.domainName} needs either certificateArn or hostedZoneId + hostedZoneName`);

    this.domainName = new apigw.DomainName(this, 'DomainName', { domainName: props.domainName, certificate });
    new apigw.ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domainName });
    this.baseUrl = `https://${props.domainName}`;

    if (zone) {
      new route53.ARecord(this, 'Alias', {
        zone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(
          new targets.ApiGatewayv2DomainProperties(this.domainName.regionalDomainName, this.domainName.regionalHostedZoneId),
        ),
      });
    } else {
      // DNS lives elsewhere: the operator points a CNAME here.
      new CfnOutput(Stack.of(this), 'DomainCnameTarget', { value: this.domainName.regionalDomainName });
    }
  }
}
