import { describe, expect, it } from 'vitest';
import { ALL_CHANNELS_CONTEXT, apiOf, buildHub, logicalId } from './support.ts';

// Prepare (once per file)
const { stack, template } = buildHub({ ...ALL_CHANNELS_CONTEXT, logRetentionDays: '14' });

describe('HubApi', () => {
  it('is an HTTP API whose $default stage auto-deploys and is throttled', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      Name: 'switchboard-webhooks',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 5_000, ThrottlingBurstLimit: 5_000 },
    });
  });

  it('writes JSON access logs without query strings to a log group with retention', () => {
    // Act
    const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
    const settings = stage?.Properties.AccessLogSettings;
    const format = JSON.parse(settings.Format) as Record<string, string>;
    // Assess
    expect(settings.DestinationArn).toEqual({
      'Fn::GetAtt': [logicalId(apiOf(stack).accessLogGroup), 'Arn'],
    });
    expect(format.requestId).toBe('$context.requestId');
    // The Lambda's request id too: its log line carries this line's `requestId` as `apiRequestId`.
    expect(format.integrationRequestId).toBe('$context.integration.requestId');
    expect(format.status).toBe('$context.status');
    expect(Object.values(format).join(' ')).not.toMatch(/querystring|rawQueryString|path|header/i);
    expect(
      template.findResources('AWS::Logs::LogGroup')[logicalId(apiOf(stack).accessLogGroup)]?.Properties,
    ).toEqual({
      RetentionInDays: 14,
    });
  });

  it('gives every log group in the stack a retention', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(14);
    }
  });
});
