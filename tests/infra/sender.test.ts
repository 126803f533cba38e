import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SECRET_SECTIONS } from '#shared/channels/registry.ts';
import { OUTBOX_QUEUE, SENDER } from '#shared/resources/definitions.ts';
import {
  ALL_CHANNELS_CONTEXT,
  actionsOfRole,
  buildHub,
  logicalId,
  resourcesFor,
  roleIdOf,
  statementsOfRole,
  unlistedReadPrefixes,
} from './support.ts';

// Prepare (once per file): every channel with SES sending, and the default (no SES).
const all = buildHub(ALL_CHANNELS_CONTEXT);
const plain = buildHub();

describe('Sender', () => {
  it('consumes the outbox in batches from SENDER with partial batch responses, inside its visibility timeout', () => {
    // Act
    const { stack, template } = all;
    const sender = template.findResources('AWS::Lambda::Function')[logicalId(stack.sender.function)];
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.storage.outbox.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.sender.function) },
      BatchSize: SENDER.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: SENDER.maxConcurrency },
    });
    expect(sender?.Properties.Timeout).toBe(SENDER.timeoutSeconds);
    // Each environment takes its share of an endpoint's provider rate: it must know how many there are.
    expect(sender?.Properties.Environment.Variables.SWITCHBOARD_SENDER_CONCURRENCY).toBe(
      String(SENDER.maxConcurrency),
    );
    expect(OUTBOX_QUEUE.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(2 * SENDER.timeoutSeconds);
  });

  it('may do exactly what the sender calls: table items, gsi2 and gsi3, the helpdesk queue, the outbox DLQ, claim checks, the two secrets, SES', () => {
    // Act
    const { stack, template } = all;
    const roleId = roleIdOf(stack.sender.function);
    const actions = actionsOfRole(template, roleId);
    const arnOf = (construct: Parameters<typeof logicalId>[0]) =>
      JSON.stringify({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
    // Assess
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      // Of kept opt-outs only (tests/infra/pseudonym-key.test.ts).
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(resourcesFor(template, roleId, 'dynamodb:UpdateItem')).toEqual([arnOf(stack.storage.table)]);
    // gsi2 and gsi3, and channel contacts' partitions on the table (see below).
    expect(resourcesFor(template, roleId, 'dynamodb:Query').sort()).toEqual(
      [
        arnOf(stack.storage.table),
        ...['gsi2', 'gsi3'].map((index) =>
          JSON.stringify({
            'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] }, `/index/${index}`]],
          }),
        ),
      ].sort(),
    );
    expect(resourcesFor(template, roleId, 'sqs:SendMessage').sort()).toEqual(
      [arnOf(stack.storage.helpdesk.queue), arnOf(stack.storage.outbox.deadLetterQueue)].sort(),
    );
    expect(resourcesFor(template, roleId, 'sqs:ReceiveMessage')).toEqual([arnOf(stack.storage.outbox.queue)]);
    // Every provider's credentials (it sends on all of them) and the pseudonym key (kept opt-outs).
    expect(resourcesFor(template, roleId, 'secretsmanager:GetSecretValue').sort()).toEqual(
      [
        ...SECRET_SECTIONS.map((section) =>
          JSON.stringify({ Ref: logicalId(stack.storage.channelSecrets[section]) }),
        ),
        JSON.stringify({ Ref: logicalId(stack.storage.pseudonymKey) }),
      ].sort(),
    );
    // A command backing off from a provider sets its own visibility: on the outbox alone.
    expect(resourcesFor(template, roleId, 'sqs:ChangeMessageVisibility')).toEqual([
      arnOf(stack.storage.outbox.queue),
    ]);
    expect(actions.filter((action) => action.startsWith('ses:')).sort()).toEqual([
      'ses:SendEmail',
      'ses:SendRawEmail',
    ]);
    const sesResources = resourcesFor(template, roleId, 'ses:SendEmail').join(' ');
    expect(sesResources).toContain(`:identity/${ALL_CHANNELS_CONTEXT.sesInboundDomain}`);
    expect(sesResources).toContain(':configuration-set/');
    expect(actions.filter((action) => action.startsWith('s3:')).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const objectsRead = JSON.stringify(resourcesFor(template, roleId, 's3:GetObject'));
    expect(objectsRead).toContain('/media/outbound/*');
    expect(objectsRead).toContain('/attachments/*');
    expect(objectsRead).not.toContain('/bodies/');
    // Listing where it reads: S3 answers a missing file 404, and a 403 can be settled by listing its key.
    expect(unlistedReadPrefixes(template, roleId, stack.storage.payloadBucket)).toEqual([]);
  });

  it("lets the sender query channel contacts' partitions (an old HELP's ledger) and identifiers' (a vanished conversation's customer) on the table and nothing else", () => {
    // Act
    const queries = statementsOfRole(all.template, roleIdOf(all.stack.sender.function)).filter(
      (statement) =>
        [statement.Action].flat().includes('dynamodb:Query') &&
        !JSON.stringify(statement.Resource).includes('/index/'),
    );
    // Assess
    expect(queries.map((statement) => [statement.Action, statement.Condition])).toEqual([
      ['dynamodb:Query', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONTACT#*', 'IDENT#*'] } }],
    ]);
  });

  it('answers e-mail conversations that name no provider through SES only where it may send with SES', () => {
    // Act
    const providerOf = (built: typeof all) =>
      built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack.sender.function as never)]
        ?.Properties.Environment.Variables.SWITCHBOARD_EMAIL_PROVIDER as unknown;
    // Assess
    expect(providerOf(all)).toBe('ses');
    expect(providerOf(plain)).toBe('mailgun');
  });

  it("sends Mailgun replies to the API of the sending domain's region", () => {
    // Prepare: a deployment whose Mailgun domain is in the EU
    const eu = buildHub({ mailgunRegion: 'eu' });
    // Act
    const apiOf = (built: typeof all) =>
      built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack.sender.function as never)]
        ?.Properties.Environment.Variables.SWITCHBOARD_MAILGUN_API_URL as unknown;
    // Assess
    expect(apiOf(eu)).toBe('https://api.eu.mailgun.net');
    expect(apiOf(plain)).toBe('https://api.mailgun.net');
    expect(() => buildHub({ mailgunRegion: 'asia' })).toThrow(/mailgunRegion/);
  });

  it('has no SES permission, configuration set or delivery events without an SES domain', () => {
    // Act
    const actions = actionsOfRole(plain.template, roleIdOf(plain.stack.sender.function));
    // Assess
    expect(actions.filter((action) => action.startsWith('ses:'))).toEqual([]);
    plain.template.resourceCountIs('AWS::SES::ConfigurationSet', 0);
    expect(plain.stack.emailDeliveryEvents).toBeUndefined();
  });

  it('tells the sender where Twilio statuses go (the SMS webhook), which configuration set SES sends through and its own queue', () => {
    // Act
    const { stack, template } = all;
    const variables = template.findResources('AWS::Lambda::Function')[logicalId(stack.sender.function)]
      ?.Properties.Environment.Variables as Record<string, unknown>;
    // Assess
    expect(JSON.stringify(variables.SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL)).toContain(
      '/webhooks/sms/twilio',
    );
    expect(variables.SWITCHBOARD_SES_CONFIGURATION_SET).toEqual({
      Ref: logicalId(stack.sender.configurationSet as NonNullable<typeof stack.sender.configurationSet>),
    });
    expect(variables.SWITCHBOARD_OUTBOX_DLQ_URL).toEqual({
      Ref: logicalId(stack.storage.outbox.deadLetterQueue),
    });
    // Its own queue, where a command backing off is made visible again when its backoff ends.
    expect(variables.SWITCHBOARD_OUTBOX_QUEUE_URL).toEqual({ Ref: logicalId(stack.storage.outbox.queue) });
  });

  it('routes SES delivery events through an encrypted topic to their function, which may only queue them', () => {
    // Act
    const { stack, template } = all;
    const events = stack.emailDeliveryEvents;
    if (!events) throw new Error('expected SES delivery events with an SES domain');
    const roleId = roleIdOf(events.function);
    // Assess
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayWith(['send', 'delivery', 'bounce', 'complaint']),
        SnsDestination: { TopicARN: { Ref: logicalId(events.topic) } },
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: Match.anyValue(),
      DisplayName: 'Switchboard SES delivery events',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: logicalId(events.topic) },
    });
    expect(
      actionsOfRole(template, roleId)
        .filter((action) => !action.startsWith('logs:'))
        .sort(),
    ).toEqual(['s3:PutObject', 'sqs:SendMessage']);
  });
});
