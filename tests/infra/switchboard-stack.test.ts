import { Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { SECRET_SECTIONS } from '#shared/channels/registry.ts';
import { ALL_CHANNELS_CONTEXT, apiOf, buildHub, logicalId } from './support.ts';

// Prepare (once per file): everything on behind a custom domain, a minimal SMS-only hub, and a hub
// with SES intake alone (no webhook) on the default ingress.
const full = buildHub({ ...ALL_CHANNELS_CONTEXT, publicBaseUrl: 'https://hooks.example.com' });
const smsOnly = buildHub({ channels: 'sms', production: 'true', namePrefix: 'acme' });
const sesOnly = buildHub({ channels: 'email-ses', sesInboundDomain: 'support.example.com' });
const everyChannelInProduction = buildHub({ ...ALL_CHANNELS_CONTEXT, production: 'true' });
const outputsOf = (built: ReturnType<typeof buildHub>) => built.template.findOutputs('*');

describe('SwitchboardStack wiring', () => {
  it.each([
    ['every channel, HTTP API', full],
    ['SMS only, production', smsOnly],
  ])('has every FIFO queue in high-throughput mode (%s)', (_name, built) => {
    // Act
    const fifoQueues = Object.values(built.template.findResources('AWS::SQS::Queue')).filter(
      (queue) => queue.Properties?.FifoQueue === true,
    );
    // Assess
    // ingest, helpdesk and outbox with their dead-letter queues, at least
    expect(fifoQueues.length).toBeGreaterThanOrEqual(6);
    for (const queue of fifoQueues) {
      expect(queue.Properties.DeduplicationScope).toBe('messageGroup');
      expect(queue.Properties.FifoThroughputLimit).toBe('perMessageGroupId');
    }
  });

  it("keeps the payload bucket's S3 access logs as long as the function logs (logRetentionDays)", () => {
    // Prepare: the access logs name object keys, conversation ids among them
    const built = buildHub({ channels: 'sms', logRetentionDays: '14' });
    // Act
    const bucket =
      built.template.findResources('AWS::S3::Bucket')[logicalId(built.stack.storage.accessLogBucket)];
    // Assess: until 2026-12-06 always 90 days
    expect(bucket?.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 14 }),
    ]);
  });

  it('alarms on every dead-letter queue it creates', () => {
    // Act
    const queues = full.template.findResources('AWS::SQS::Queue');
    const deadLetterQueues = Object.keys(queues).filter((id) =>
      String(queues[id]?.Properties?.QueueName ?? '').includes('-dlq'),
    );
    const alarmedQueues = Object.values(full.template.findResources('AWS::CloudWatch::Alarm')).flatMap(
      (alarm) =>
        (alarm.Properties.Dimensions ?? [])
          .filter((dimension: { Name: string }) => dimension.Name === 'QueueName')
          .map(
            (dimension: { Value: { 'Fn::GetAtt'?: [string, string] } }) => dimension.Value['Fn::GetAtt']?.[0],
          ),
    );
    // Assess: ingest, helpdesk, outbox and media
    expect(deadLetterQueues).toHaveLength(4);
    for (const id of deadLetterQueues) expect(alarmedQueues).toContain(id);
  });

  it('builds every webhook URL from the public base URL and gives Mailgun its mime URL', () => {
    // Act
    const outputs = outputsOf(full);
    // Assess
    expect(outputs.MessengerWebhookUrl?.Value).toBe('https://hooks.example.com/webhooks/messenger');
    expect(outputs.WhatsAppWebhookUrl?.Value).toBe('https://hooks.example.com/webhooks/whatsapp');
    expect(outputs.TwilioSmsWebhookUrl?.Value).toBe('https://hooks.example.com/webhooks/sms/twilio');
    expect(outputs.MailgunWebhookUrl?.Value).toBe('https://hooks.example.com/webhooks/email/mailgun/mime');
  });

  it('uses the execute-api endpoint when no base URL is configured', () => {
    // Act
    const url = outputsOf(smsOnly).TwilioSmsWebhookUrl?.Value;
    // Assess
    expect(JSON.stringify(url)).toContain(logicalId(apiOf(smsOnly.stack).httpApi));
    expect(JSON.stringify(url)).toContain('/webhooks/sms/twilio');
  });

  it('tells the functions the public base URL (Twilio signs the URL it called)', () => {
    full.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { SWITCHBOARD_PUBLIC_BASE_URL: 'https://hooks.example.com' } },
    });
  });

  it('tells the recorder, the sender and the media fetcher how long message records are kept (messageRetentionDays)', () => {
    // Prepare
    const kept = buildHub({ channels: 'sms', messageRetentionDays: '90' });
    const retentionOf = (built: ReturnType<typeof buildHub>, fn: { function: unknown }) => {
      const resource = built.template.findResources('AWS::Lambda::Function')[logicalId(fn.function as never)];
      return resource?.Properties.Environment.Variables.SWITCHBOARD_MESSAGE_RETENTION_DAYS as unknown;
    };
    // Assess
    expect(retentionOf(kept, kept.stack.recorder)).toBe('90');
    expect(retentionOf(kept, kept.stack.sender)).toBe('90');
    // Attachments' records, through which the helpdesk API finds stored files (before 2026-12-05: 30 days always).
    expect(retentionOf(kept, kept.stack.mediaFetcher)).toBe('90');
    expect(retentionOf(smsOnly, smsOnly.stack.recorder)).toBe('30');
  });

  it('outputs the helpdesk queue, its DLQ, the bucket, the secrets, the table, the queues the operator tools redrive and the consumer policy', () => {
    // Act
    const outputs = outputsOf(full);
    const { storage, helpdeskAccess } = full.stack;
    // Assess
    expect(outputs.HelpdeskQueueUrl?.Value).toEqual({ Ref: logicalId(storage.helpdesk.queue) });
    expect(outputs.HelpdeskQueueArn?.Value).toEqual({
      'Fn::GetAtt': [logicalId(storage.helpdesk.queue), 'Arn'],
    });
    expect(outputs.HelpdeskDeadLetterQueueUrl?.Value).toEqual({
      Ref: logicalId(storage.helpdesk.deadLetterQueue),
    });
    expect(outputs.PayloadBucketName?.Value).toEqual({ Ref: logicalId(storage.payloadBucket) });
    // One secret per provider, where the operator puts its credentials.
    expect(outputs.MetaSecretArn?.Value).toEqual({ Ref: logicalId(storage.channelSecrets.meta) });
    expect(outputs.TwilioSecretArn?.Value).toEqual({ Ref: logicalId(storage.channelSecrets.twilio) });
    expect(outputs.MailgunSecretArn?.Value).toEqual({ Ref: logicalId(storage.channelSecrets.mailgun) });
    expect(outputs.EmailSecretArn?.Value).toEqual({ Ref: logicalId(storage.channelSecrets.email) });
    // For npm run erase and npm run rekey-opt-outs against a deployed hub.
    expect(outputs.PseudonymKeyArn?.Value).toEqual({ Ref: logicalId(storage.pseudonymKey) });
    expect(outputs.TableName?.Value).toEqual({ Ref: logicalId(storage.table) });
    // For npm run redrive -- ingest|media against a deployed hub.
    expect(outputs.IngestQueueUrl?.Value).toEqual({ Ref: logicalId(storage.ingest.queue) });
    expect(outputs.MediaQueueUrl?.Value).toEqual({ Ref: logicalId(storage.media.queue) });
    expect(outputs.HelpdeskConsumerPolicyArn?.Value).toEqual({ Ref: logicalId(helpdeskAccess.policy) });
    // Under the name the README gives (before 2026-12-06 keyed EmailIntakeActivateRuleSetCommand<hash>).
    expect(JSON.stringify(outputs.ActivateRuleSetCommand?.Value)).toContain(
      'aws ses set-active-receipt-rule-set',
    );
  });

  it('outputs each SES failed-event queue and its function for npm run redrive -- ses-intake|ses-events, only where SES is deployed', () => {
    // Act
    const outputs = outputsOf(sesOnly);
    const { emailIntake, emailDeliveryEvents } = sesOnly.stack;
    const smsOutputIds = Object.keys(outputsOf(smsOnly));
    // Assess: Lambda's asynchronous failures wait there; the redrive re-invokes the function with them.
    if (!emailIntake || !emailDeliveryEvents) throw new Error('SES hub without its SES constructs');
    expect(outputs.SesIntakeFailedEventsQueueUrl?.Value).toEqual({
      Ref: logicalId(emailIntake.failedEvents),
    });
    expect(outputs.SesIntakeFunctionName?.Value).toEqual({ Ref: logicalId(emailIntake.function) });
    expect(outputs.SesDeliveryEventsFailedQueueUrl?.Value).toEqual({
      Ref: logicalId(emailDeliveryEvents.failedEvents),
    });
    expect(outputs.SesDeliveryEventsFunctionName?.Value).toEqual({
      Ref: logicalId(emailDeliveryEvents.function),
    });
    // Each names the variable the redrive reads it from.
    expect(outputs.SesIntakeFailedEventsQueueUrl?.Description).toContain(
      'SWITCHBOARD_SES_INTAKE_FAILED_QUEUE_URL',
    );
    expect(outputs.SesIntakeFunctionName?.Description).toContain('SWITCHBOARD_SES_INTAKE_FUNCTION_NAME');
    expect(outputs.SesDeliveryEventsFailedQueueUrl?.Description).toContain(
      'SWITCHBOARD_SES_EVENTS_FAILED_QUEUE_URL',
    );
    expect(outputs.SesDeliveryEventsFunctionName?.Description).toContain(
      'SWITCHBOARD_SES_EVENTS_FUNCTION_NAME',
    );
    expect(smsOutputIds.filter((id) => id.startsWith('Ses'))).toEqual([]);
  });

  it('says in each dead-letter alarm which command redrives the queue, the SES failed-event queues included', () => {
    // Act
    const alarms = sesOnly.template.findResources('AWS::CloudWatch::Alarm');
    const descriptionOf = (id: string) =>
      String(
        Object.entries(alarms).find(([logical]) => logical.includes(id))?.[1]?.Properties.AlarmDescription,
      );
    // Assess
    expect(descriptionOf('SesIntakeFailedEventsNotEmpty')).toContain('npm run redrive -- ses-intake');
    expect(descriptionOf('SesDeliveryEventsFailedNotEmpty')).toContain('npm run redrive -- ses-events');
    expect(descriptionOf('IngestDeadLetterQueueNotEmpty')).toContain('npm run redrive -- ingest');
    expect(descriptionOf('OutboxDeadLetterQueueNotEmpty')).toContain('npm run redrive -- outbox');
  });

  it('builds only the enabled channels', () => {
    // Act
    const routeKeys = Object.values(smsOnly.template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey,
    );
    // Assess
    expect(routeKeys).toEqual(['POST /webhooks/sms/twilio']);
    expect(Object.keys(outputsOf(smsOnly)).filter((key) => key.endsWith('WebhookUrl'))).toEqual([
      'TwilioSmsWebhookUrl',
    ]);
    smsOnly.template.resourceCountIs('AWS::SES::ReceiptRuleSet', 0);
    // the SMS webhook, the recorder, the sender, the attention sweeper, the media fetcher, the
    // deploy's channel secret upgrade and the spill drain
    smsOnly.template.resourceCountIs('AWS::Lambda::Function', 7);
  });

  it('builds no webhook HTTP API, no ApiEndpoint output and no webhook alarm without a webhook channel', () => {
    // Act
    const outputIds = Object.keys(outputsOf(sesOnly));
    const alarmIds = sesOnly.stack.monitoring.alarms.map((alarm) => alarm.node.id);
    // Assess: no HTTP API at all (before 2026-12-05, a public one without routes, and its two alarms).
    expect(sesOnly.stack.api).toBeUndefined();
    sesOnly.template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    expect(outputIds).not.toContain('ApiEndpoint');
    expect(alarmIds.filter((id) => id.startsWith('Webhook'))).toEqual([]);
    // The rest of the hub stands, and a hub with a webhook keeps its API and its endpoint.
    expect(sesOnly.stack.emailIntake).toBeDefined();
    expect(alarmIds).toContain('RecorderErrors');
    expect(Object.keys(outputsOf(smsOnly))).toContain('ApiEndpoint');
    expect(smsOnly.stack.monitoring.alarms.map((alarm) => alarm.node.id)).toContain('Webhook5xxRate');
  });

  it('runs every function on nodejs22.x and arm64', () => {
    for (const built of [full, smsOnly]) {
      for (const fn of Object.values(built.template.findResources('AWS::Lambda::Function'))) {
        expect(fn.Properties.Runtime).toBe('nodejs22.x');
        expect(fn.Properties.Architectures).toEqual(['arm64']);
      }
    }
  });

  it.each([
    ['SMS only', smsOnly],
    ['every channel, SES in and out included', everyChannelInProduction],
  ])('retains every stateful resource and log group in production (%s)', (_name, built) => {
    // Act
    const template = built.template.toJSON() as {
      Resources: Record<string, { Type: string; DeletionPolicy?: string }>;
    };
    const stateful = Object.values(template.Resources).filter((resource) =>
      [
        'AWS::DynamoDB::Table',
        'AWS::SQS::Queue',
        'AWS::S3::Bucket',
        'AWS::SecretsManager::Secret',
        'AWS::Logs::LogGroup',
        'AWS::KMS::Key',
      ].includes(resource.Type),
    );
    // Assess
    expect(stateful.length).toBeGreaterThan(8);
    // The per-provider secrets are kept too, except when the deploy that creates them fails
    // (RetainExceptOnCreate): their names would block the next deploy (tests/infra/hub-storage.test.ts).
    for (const resource of stateful)
      expect(['Retain', 'RetainExceptOnCreate'], resource.Type).toContain(resource.DeletionPolicy);
    expect(stateful.filter((resource) => resource.DeletionPolicy === 'RetainExceptOnCreate')).toHaveLength(
      SECRET_SECTIONS.length,
    );
    built.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
  });

  it('is environment-agnostic (no account or region baked in, so synth needs no AWS access)', () => {
    expect(Token.isUnresolved(full.stack.account)).toBe(true);
    expect(Token.isUnresolved(full.stack.region)).toBe(true);
    expect(JSON.stringify(full.template.toJSON())).not.toMatch(/\b\d{12}\b/);
  });
});
