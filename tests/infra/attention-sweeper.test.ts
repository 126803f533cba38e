import { describe, expect, it } from 'vitest';
import { ATTENTION_SWEEPER } from '#shared/resources/definitions.ts';
import { actionsOfRole, buildHub, logicalId, resourcesFor, roleIdOf, statementsOfRole } from './support.ts';

// Prepare (once per file): the defaults, overridden targets, and a customer-managed key.
const plain = buildHub();
const overridden = buildHub({ responseTargetSeconds: 'email=7200,sms=600' });
const withKey = buildHub({ customerManagedKey: 'true' });

const functionOf = (built: typeof plain) =>
  built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack.attentionSweeper.function)];

describe('AttentionSweeper', () => {
  it('runs every minute from an EventBridge schedule rule, not retried (the next sweep is the retry)', () => {
    // Act
    const rules = plain.template.findResources('AWS::Events::Rule');
    const functionArn = { 'Fn::GetAtt': [logicalId(plain.stack.attentionSweeper.function), 'Arn'] };
    // Assess
    expect(rules[logicalId(plain.stack.attentionSweeper.rule)]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: functionArn })],
    });
    plain.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(plain.stack.attentionSweeper.rule), 'Arn'] },
    });
    plain.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(plain.stack.attentionSweeper.function) },
      MaximumRetryAttempts: 0,
    });
    expect(functionOf(plain)?.Properties.Timeout).toBe(ATTENTION_SWEEPER.timeoutSeconds);
  });

  it('times out before the next sweep is due, so sweeps do not overlap but for a late event', () => {
    // Act
    const timeout = functionOf(plain)?.Properties.Timeout as number;
    // Assess
    expect(timeout).toBe(50);
    expect(timeout).toBeLessThan(ATTENTION_SWEEPER.intervalMinutes * 60);
    // Its budget leaves the calls in flight and the redaction retry's 5-second provider budget time to end.
    expect(ATTENTION_SWEEPER.budgetSeconds + 5).toBeLessThan(timeout - 10);
  });

  it('is given the response targets: the defaults, or the context override over them', () => {
    // Act
    const variables = (built: typeof plain) =>
      functionOf(built)?.Properties.Environment.Variables as Record<string, unknown>;
    // Assess
    expect(variables(plain).SWITCHBOARD_RESPONSE_TARGET_SECONDS).toBe(
      'messenger=900,whatsapp=900,sms=900,email=14400',
    );
    expect(variables(overridden).SWITCHBOARD_RESPONSE_TARGET_SECONDS).toBe(
      'messenger=900,whatsapp=900,sms=600,email=7200',
    );
    expect(variables(plain).SWITCHBOARD_TABLE_NAME).toEqual({ Ref: logicalId(plain.stack.storage.table) });
  });

  it('may do exactly what the sweep calls: conversation items, gsi4, the helpdesk queue; person items and the channel secret for the redaction retry', () => {
    // Act
    const { stack, template } = plain;
    const roleId = roleIdOf(stack.attentionSweeper.function);
    const actions = actionsOfRole(template, roleId);
    const tableArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] });
    const itemStatement = statementsOfRole(template, roleId).find((statement) =>
      [statement.Action].flat().includes('dynamodb:UpdateItem'),
    );
    const personStatement = statementsOfRole(template, roleId).find(
      (statement) => statement !== itemStatement && [statement.Action].flat().includes('dynamodb:PutItem'),
    );
    // Assess
    expect(actions.filter((action) => !action.startsWith('logs:'))).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    for (const action of [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ])
      expect([...new Set(resourcesFor(template, roleId, action))]).toEqual([tableArn]);
    // PutItem for a wake's announcement marker (CONV#<id> / ANNOUNCE, shared/store/pending-announcements.ts).
    expect([itemStatement?.Action].flat().sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(itemStatement?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONV#*'] },
    });
    expect([personStatement?.Action].flat().sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
    ]);
    expect(personStatement?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PERSON#*'] },
    });
    // Twilio's and Meta's credentials only: the redactions it retries are at Twilio and WhatsApp.
    expect(resourcesFor(template, roleId, 'secretsmanager:GetSecretValue').sort()).toEqual(
      [
        JSON.stringify({ Ref: logicalId(stack.storage.channelSecrets.meta) }),
        JSON.stringify({ Ref: logicalId(stack.storage.channelSecrets.twilio) }),
      ].sort(),
    );
    expect(resourcesFor(template, roleId, 'dynamodb:Query')).toEqual([
      JSON.stringify({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] }, '/index/gsi4']],
      }),
    ]);
    expect(resourcesFor(template, roleId, 'sqs:SendMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.helpdesk.queue), 'Arn'] }),
    ]);
  });

  it('gets the data key only when a customer-managed key is used', () => {
    // Act
    const plainActions = actionsOfRole(plain.template, roleIdOf(plain.stack.attentionSweeper.function));
    const keyedActions = actionsOfRole(withKey.template, roleIdOf(withKey.stack.attentionSweeper.function));
    // Assess
    expect(plainActions.some((action) => action.startsWith('kms:'))).toBe(false);
    expect(keyedActions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
  });
});
