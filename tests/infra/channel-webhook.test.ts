import { describe, expect, it } from 'vitest';
import { CONNECTORS, type WebhookConnectorId, webhookConnectors } from '#shared/channels/registry.ts';
import { sectionSecretVariable } from '#shared/config/secrets.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

const CLAIM_CHECK_PREFIX = PAYLOAD_BUCKET.claimCheckPrefix;
const EMAIL_PAYLOAD_PREFIXES = CONNECTORS['email-mailgun'].payloadWritePrefixes;

import type { ChannelWebhook } from '#infra/constructs/channel-webhook.ts';
import {
  ALL_CHANNELS_CONTEXT,
  actionsOfRole,
  buildHub,
  logicalId,
  resourcesFor,
  roleIdOf,
  statementsOfRole,
} from './support.ts';

// Prepare (once per file)
const { stack, template } = buildHub(ALL_CHANNELS_CONTEXT);
const webhook = (channel: WebhookConnectorId): ChannelWebhook => {
  const found = stack.webhooks[channel];
  if (!found) throw new Error(`${channel} webhook missing`);
  return found;
};
const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
const functionOfRoute = (routeKey: string): string | undefined => {
  const route = routes.find((candidate) => candidate.Properties.RouteKey === routeKey);
  if (!route) return undefined;
  const integrationId = (route.Properties.Target['Fn::Join'][1][1] as { Ref: string }).Ref;
  return integrations[integrationId]?.Properties.IntegrationUri['Fn::GetAtt'][0];
};
const bucketObjects = (prefix: string) =>
  JSON.stringify({
    'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] }, `/${prefix}*`]],
  });

describe('ChannelWebhook routes', () => {
  it.each([
    ['GET /webhooks/messenger', 'messenger'],
    ['POST /webhooks/messenger', 'messenger'],
    ['GET /webhooks/whatsapp', 'whatsapp'],
    ['POST /webhooks/whatsapp', 'whatsapp'],
    ['POST /webhooks/sms/twilio', 'sms'],
    ['POST /webhooks/email/mailgun', 'email-mailgun'],
    ['POST /webhooks/email/mailgun/mime', 'email-mailgun'],
  ] as const)('%s is served by the %s function', (routeKey, channel) => {
    // Act
    const functionId = functionOfRoute(routeKey);
    // Assess
    expect(functionId).toBe(logicalId(webhook(channel).function));
  });

  it('has no other routes', () => {
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([
      'GET /webhooks/messenger',
      'GET /webhooks/whatsapp',
      'POST /webhooks/email/mailgun',
      'POST /webhooks/email/mailgun/events',
      'POST /webhooks/email/mailgun/mime',
      'POST /webhooks/messenger',
      'POST /webhooks/sms/twilio',
      'POST /webhooks/whatsapp',
    ]);
  });

  it('integrates with Lambda proxy payload format 2.0', () => {
    for (const integration of Object.values(integrations)) {
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
      });
    }
  });

  it('lets API Gateway invoke each function only from its own routes', () => {
    // Act
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) => permission.Properties.Principal === 'apigateway.amazonaws.com',
    );
    // Assess
    expect(permissions).toHaveLength(routes.length);
    for (const permission of permissions) {
      expect(JSON.stringify(permission.Properties.SourceArn)).toMatch(/\/webhooks\//);
    }
  });
});

describe('ChannelWebhook least privilege', () => {
  it.each(['messenger', 'whatsapp', 'sms'] as const)(
    '%s may queue events, read the secret and claim-check large events (SMS: spill), nothing more',
    (channel) => {
      // Act
      const roleId = roleIdOf(webhook(channel).function);
      // Assess
      expect(actionsOfRole(template, roleId)).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:PutObject',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
      ]);
      expect(resourcesFor(template, roleId, 'sqs:SendMessage')).toEqual([
        JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.ingest.queue), 'Arn'] }),
      ]);
      // Its own provider's secret only: Messenger and WhatsApp Meta's, SMS Twilio's.
      const section = channel === 'sms' ? 'twilio' : 'meta';
      expect(resourcesFor(template, roleId, 'secretsmanager:GetSecretValue')).toEqual([
        JSON.stringify({ Ref: logicalId(stack.storage.channelSecrets[section]) }),
      ]);
      // SMS also keeps the events SQS refused in the spill (Twilio does not send a request again).
      expect(resourcesFor(template, roleId, 's3:PutObject').sort()).toEqual(
        [
          bucketObjects(CLAIM_CHECK_PREFIX),
          ...(channel === 'sms' ? [bucketObjects(PAYLOAD_BUCKET.prefixes.spill)] : []),
        ].sort(),
      );
    },
  );

  it('mailgun also writes e-mail payloads and claims replay-guard items', () => {
    // Act
    const roleId = roleIdOf(webhook('email-mailgun').function);
    // Assess
    expect(actionsOfRole(template, roleId)).toEqual([
      'dynamodb:PutItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    expect(resourcesFor(template, roleId, 's3:PutObject').sort()).toEqual(
      [...EMAIL_PAYLOAD_PREFIXES, PAYLOAD_BUCKET.prefixes.spill].map(bucketObjects).sort(),
    );
    expect(resourcesFor(template, roleId, 'dynamodb:PutItem')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] }),
    ]);
    const putItem = statementsOfRole(template, roleId).find((statement) =>
      [statement.Action].flat().includes('dynamodb:PutItem'),
    );
    expect(putItem?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REPLAY#*'] },
    });
  });

  it("passes its connector's secrets by ARN only, never a credential in the environment", () => {
    for (const [channel, connector] of webhookConnectors()) {
      // Act
      const variables = template.findResources('AWS::Lambda::Function')[logicalId(webhook(channel).function)]
        ?.Properties.Environment.Variables as Record<string, unknown>;
      // Assess
      const sectionVariables = connector.secretSections.map(sectionSecretVariable);
      for (const section of connector.secretSections) {
        expect(variables[sectionSecretVariable(section)]).toEqual({
          Ref: logicalId(stack.storage.channelSecrets[section]),
        });
      }
      expect(Object.keys(variables).sort()).toEqual(
        [
          'SWITCHBOARD_HELPDESK_QUEUE_URL',
          'SWITCHBOARD_INGEST_QUEUE_URL',
          'SWITCHBOARD_LOG_LEVEL',
          'SWITCHBOARD_PAYLOAD_BUCKET',
          'SWITCHBOARD_TABLE_NAME',
          ...sectionVariables,
        ].sort(),
      );
    }
  });

  it('keeps the Mailgun function inside the HTTP API integration timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description:
        'Switchboard webhook: /webhooks/email/mailgun, /webhooks/email/mailgun/mime, /webhooks/email/mailgun/events',
      Timeout: 28,
      MemorySize: 512,
    });
  });
});
