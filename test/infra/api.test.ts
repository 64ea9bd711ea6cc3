import { describe, expect, it } from 'vitest';
import {
  CERTIFICATE,
  DOMAIN,
  deployed,
  ofType,
  options,
  output,
  type Template,
  template,
} from '../support/stack-template';

describe('the packaged stack', () => {
  it('routes POST /zego/callback to ingest and outputs the callback URL', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes).toEqual(['POST /zego/callback']);
    expect(JSON.stringify(template.Outputs.CallbackUrl?.Value)).toContain('/zego/callback');
  });

  it('outputs what the smoke test reads (cli/commands/smoke.ts)', () => {
    for (const output of [
      'CallbackUrl',
      'CallbackSecretParameter',
      'TasksTableName',
      'IdempotencyTableName',
      'SignaturesTableName',
    ]) {
      expect(template.Outputs[output], output).toBeDefined();
    }
    expect(template.Outputs.ServedAppIds?.Value).toBe('appids:');
  });

  it('throttles the route with apiThrottleRate and apiThrottleBurst', () => {
    const settings = (stack: Template) => stack.Resources.HttpApiStage?.Properties.DefaultRouteSettings;
    expect(settings(template)).toEqual({
      DetailedMetricsEnabled: false,
      ThrottlingRateLimit: 250,
      ThrottlingBurstLimit: 500,
    });
    expect(settings(options)).toMatchObject({ ThrottlingRateLimit: '50', ThrottlingBurstLimit: '80' });
    expect(options.Resources.HttpApiStage?.Properties.ApiId).toEqual({ Ref: 'HttpApi' });
  });

  it('serves the callback on a custom domain only when one is given', () => {
    expect(deployed(template, 'CallbackDomain')).toBeUndefined();
    expect(deployed(template, 'CallbackDomainMapping')).toBeUndefined();
    expect(output(template, 'CallbackDomainTarget')).toBeUndefined();
    expect(output(template, 'CallbackDomainHostedZoneId')).toBeUndefined();
    expect(output(template, 'CallbackUrl')).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub expression
      'Fn::Sub': 'https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/zego/callback',
    });

    expect(deployed(options, 'CallbackDomain')?.Properties).toEqual({
      DomainName: DOMAIN,
      DomainNameConfigurations: [
        { CertificateArn: CERTIFICATE, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' },
      ],
    });
    expect(deployed(options, 'CallbackDomainMapping')?.Properties).toEqual({
      DomainName: { Ref: 'CallbackDomain' },
      ApiId: { Ref: 'HttpApi' },
      Stage: { Ref: 'HttpApiStage' },
    });
    expect(options.Resources.HttpApiStage?.Type).toBe('AWS::ApiGatewayV2::Stage');
    expect(output(options, 'CallbackUrl')).toBe(`https://${DOMAIN}/zego/callback`);
    expect(output(options, 'CallbackDomainTarget')).toEqual({
      'Fn::GetAtt': ['CallbackDomain', 'RegionalDomainName'],
    });
    expect(output(options, 'CallbackDomainHostedZoneId')).toEqual({
      'Fn::GetAtt': ['CallbackDomain', 'RegionalHostedZoneId'],
    });
  });
});
