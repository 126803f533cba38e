import { describe, expect, it } from 'vitest';
import type { ChannelWebhook } from '#infra/constructs/channel-webhook.ts';
import { CONNECTORS, type WebhookConnectorId, webhookConnectors } from '#shared/channels/registry.ts';
import { ALL_CHANNELS_CONTEXT, actionsOfRole, buildHub, logicalId, roleIdOf } from './support.ts';

type WebhookChannel = WebhookConnectorId;

// Prepare (once per file): every channel on behind function URLs, the same with the HTTP API, and
// an SES-only hub that has no webhook at all.
const urls = buildHub({ ...ALL_CHANNELS_CONTEXT, ingress: 'function-urls' });
const httpApi = buildHub(ALL_CHANNELS_CONTEXT);
const sesOnly = buildHub({
  channels: 'email-ses',
  sesInboundDomain: 'support.example.com',
  ingress: 'function-urls',
});
const channels = webhookConnectors().map(([id]) => id);
const webhook = (channel: WebhookChannel): ChannelWebhook => {
  const found = urls.stack.webhooks[channel];
  if (!found) throw new Error(`${channel} webhook missing`);
  return found;
};
const functionId = (channel: WebhookChannel) => logicalId(webhook(channel).function);
const urlId = (channel: WebhookChannel) => {
  const functionUrl = webhook(channel).functionUrl;
  if (!functionUrl) throw new Error(`${channel} has no function URL`);
  return logicalId(functionUrl);
};
const resourceTypes = (built: typeof urls) =>
  Object.values((built.template.toJSON() as { Resources: Record<string, { Type: string }> }).Resources).map(
    (resource) => resource.Type,
  );
const alarms = Object.values(urls.template.findResources('AWS::CloudWatch::Alarm'));
const alarmNamed = (constructId: string) => {
  const alarm = urls.stack.monitoring.alarms.find((candidate) => candidate.node.id === constructId);
  return alarm ? urls.template.findResources('AWS::CloudWatch::Alarm')[logicalId(alarm)] : undefined;
};
interface MetricQuery {
  readonly Id: string;
  readonly Expression?: string;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions: Array<{ Name: string; Value: unknown }>;
    };
  };
}
const queriesOf = (alarm: Record<string, unknown> | undefined): MetricQuery[] =>
  (alarm?.Properties as { Metrics?: MetricQuery[] } | undefined)?.Metrics ?? [];
/** The functions a metric of this name is read from in an alarm, as logical ids, sorted. */
const functionsMeasured = (queries: MetricQuery[], metricName: string): string[] =>
  queries
    .filter((query) => query.MetricStat?.Metric.MetricName === metricName)
    .map((query) => {
      const dimension = query.MetricStat?.Metric.Dimensions.find(
        (candidate) => candidate.Name === 'FunctionName',
      );
      return (dimension?.Value as { Ref?: string } | undefined)?.Ref ?? 'no FunctionName';
    })
    .sort();

describe("ingress 'function-urls'", () => {
  it('builds no API Gateway resource at all', () => {
    // Act
    const apiGateway = resourceTypes(urls).filter((type) => type.startsWith('AWS::ApiGateway'));
    // Assess
    expect(apiGateway).toEqual([]);
    expect(urls.stack.api).toBeUndefined();
    expect(resourceTypes(httpApi)).toContain('AWS::ApiGatewayV2::Api');
  });

  it('gives each webhook function exactly one public, buffered function URL without CORS', () => {
    // Act
    const functionUrls = Object.values(urls.template.findResources('AWS::Lambda::Url'));
    // Assess
    expect(functionUrls).toHaveLength(channels.length);
    expect(
      functionUrls.map(
        (url) => (url.Properties.TargetFunctionArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'],
      ),
    ).toEqual(expect.arrayContaining(channels.map((channel) => [functionId(channel), 'Arn'])));
    for (const url of functionUrls) {
      expect(url.Properties).toMatchObject({ AuthType: 'NONE', InvokeMode: 'BUFFERED' });
      expect(url.Properties.Cors).toBeUndefined();
      expect(url.Properties.Qualifier).toBeUndefined();
    }
  });

  it.each(channels)(
    '%s: lets anyone invoke through the URL, with both actions AWS requires since October 2025',
    (channel) => {
      // Act
      const permissions = Object.values(urls.template.findResources('AWS::Lambda::Permission'))
        .map((permission) => permission.Properties)
        .filter((properties) => JSON.stringify(properties.FunctionName).includes(functionId(channel)));
      // Assess
      expect(permissions).toHaveLength(2);
      expect(permissions).toEqual(
        expect.arrayContaining([
          {
            Action: 'lambda:InvokeFunctionUrl',
            FunctionName: { 'Fn::GetAtt': [functionId(channel), 'Arn'] },
            Principal: '*',
            FunctionUrlAuthType: 'NONE',
          },
          {
            Action: 'lambda:InvokeFunction',
            FunctionName: { 'Fn::GetAtt': [functionId(channel), 'Arn'] },
            Principal: '*',
            InvokedViaFunctionUrl: true,
          },
        ]),
      );
    },
  );

  it('opens no other function to the public and grants API Gateway nothing', () => {
    // Act
    const permissions = Object.values(urls.template.findResources('AWS::Lambda::Permission')).map(
      (permission) => permission.Properties,
    );
    // Assess
    expect(permissions.filter((properties) => properties.Principal === '*')).toHaveLength(
      2 * channels.length,
    );
    expect(permissions.some((properties) => properties.Principal === 'apigateway.amazonaws.com')).toBe(false);
  });

  it.each([
    ['MessengerWebhookUrl', 'messenger', 'webhooks/messenger'],
    ['WhatsAppWebhookUrl', 'whatsapp', 'webhooks/whatsapp'],
    ['TwilioSmsWebhookUrl', 'sms', 'webhooks/sms/twilio'],
    ['MailgunWebhookUrl', 'email-mailgun', 'webhooks/email/mailgun/mime'],
  ] as const)('outputs %s as the function URL plus the route path', (outputId, channel, path) => {
    // Act
    const output = urls.template.findOutputs(outputId)[outputId];
    // Assess
    expect(output?.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [urlId(channel), 'FunctionUrl'] }, path]],
    });
  });

  it('has no execute-api endpoint output and tells no function a public base URL', () => {
    // Act
    const outputIds = Object.keys(urls.template.findOutputs('*'));
    const variables = Object.values(urls.template.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.Environment.Variables as Record<string, unknown>,
    );
    // Assess
    expect(outputIds).not.toContain('ApiEndpoint');
    expect(Object.keys(httpApi.template.findOutputs('*'))).toContain('ApiEndpoint');
    for (const environment of variables) expect(environment.SWITCHBOARD_PUBLIC_BASE_URL).toBeUndefined();
  });

  it.each(channels)(
    '%s: the function is told the paths it serves; behind the HTTP API it is not',
    (channel) => {
      // Prepare
      const environmentOf = (built: typeof urls, id: string) =>
        built.template.findResources('AWS::Lambda::Function')[id]?.Properties.Environment.Variables as Record<
          string,
          unknown
        >;
      const behindApi = httpApi.stack.webhooks[channel];
      if (!behindApi) throw new Error(`${channel} has no webhook behind the HTTP API`);
      // Act
      const paths = environmentOf(urls, functionId(channel)).SWITCHBOARD_WEBHOOK_PATHS;
      const pathsBehindApi = environmentOf(httpApi, logicalId(behindApi.function)).SWITCHBOARD_WEBHOOK_PATHS;
      // Assess
      expect(paths).toBe(CONNECTORS[channel].routes.map((route) => route.path).join(','));
      expect(pathsBehindApi).toBeUndefined();
    },
  );

  it.each(channels)(
    '%s: the function keeps the same least-privilege role as behind the HTTP API',
    (channel) => {
      // Prepare
      const behindApi = httpApi.stack.webhooks[channel];
      if (!behindApi) throw new Error(`${channel} webhook missing behind the HTTP API`);
      // Act
      const actions = actionsOfRole(urls.template, roleIdOf(webhook(channel).function));
      // Assess
      expect(actions).toEqual(actionsOfRole(httpApi.template, roleIdOf(behindApi.function)));
      expect(actions).not.toContain('lambda:InvokeFunction');
    },
  );
});

describe("ingress 'function-urls' monitoring", () => {
  it.each([
    ['Webhook4xxRate', 'Url4xxCount', 10],
    ['Webhook5xxRate', 'Url5xxCount', 1],
  ] as const)(
    '%s divides %s by UrlRequestCount, summed over every webhook function',
    (alarmId, metricName, threshold) => {
      // Act
      const alarm = alarmNamed(alarmId);
      const queries = queriesOf(alarm);
      const metricStats = queries.filter((query) => query.MetricStat);
      // Assess
      expect(alarm?.Properties).toMatchObject({ Threshold: threshold });
      expect(functionsMeasured(queries, metricName)).toEqual(channels.map(functionId).sort());
      expect(functionsMeasured(queries, 'UrlRequestCount')).toEqual(channels.map(functionId).sort());
      expect(metricStats.every((query) => query.MetricStat?.Metric.Namespace === 'AWS/Lambda')).toBe(true);
      expect(queries.map((query) => query.Expression).filter(Boolean)).toEqual(
        expect.arrayContaining([
          'IF(requests > 0, 100 * errors / requests, 0)',
          'SUM([requests0, requests1, requests2, requests3])',
        ]),
      );
      // CloudWatch takes at most 10 metrics and 10 expressions in one alarm.
      expect(metricStats.length).toBeLessThanOrEqual(10);
      expect(queries.length - metricStats.length).toBeLessThanOrEqual(10);
    },
  );

  it('reserves concurrency for every webhook function, so throttling (and its alarm) can happen', () => {
    // Act
    const functions = urls.template.findResources('AWS::Lambda::Function');
    const plain = httpApi.template.findResources('AWS::Lambda::Function');
    // Assess
    for (const channel of channels) {
      expect(functions[functionId(channel)]?.Properties.ReservedConcurrentExecutions, channel).toBe(50);
    }
    expect(Object.values(plain).some((fn) => fn.Properties.ReservedConcurrentExecutions !== undefined)).toBe(
      false,
    );
  });

  it('takes the reservation from context', () => {
    // Act
    const custom = buildHub({
      ...ALL_CHANNELS_CONTEXT,
      ingress: 'function-urls',
      webhookReservedConcurrency: '20',
    });
    const functions = custom.template.findResources('AWS::Lambda::Function');
    const fn = custom.stack.webhooks.whatsapp?.function;
    // Assess
    expect(fn && functions[logicalId(fn)]?.Properties.ReservedConcurrentExecutions).toBe(20);
  });

  it('alarms as soon as any webhook function is throttled', () => {
    // Act
    const alarm = alarmNamed('WebhookThrottles');
    // Assess
    expect(alarm?.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(functionsMeasured(queriesOf(alarm), 'Throttles')).toEqual(channels.map(functionId).sort());
  });

  it('reads nothing from API Gateway', () => {
    // Act
    const namespaces = alarms.flatMap((alarm) => [
      alarm.Properties.Namespace,
      ...queriesOf(alarm).map((query) => query.MetricStat?.Metric.Namespace),
    ]);
    // Assess
    expect(namespaces.filter((namespace) => namespace === 'AWS/ApiGateway')).toEqual([]);
  });

  it('builds a hub with no webhook at all without webhook alarms', () => {
    // Act
    const alarmIds = sesOnly.stack.monitoring.alarms.map((alarm) => alarm.node.id);
    // Assess
    sesOnly.template.resourceCountIs('AWS::Lambda::Url', 0);
    expect(alarmIds.filter((id) => id.startsWith('Webhook'))).toEqual([]);
    expect(alarmIds).toContain('RecorderErrors');
  });
});
