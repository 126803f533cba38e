import { describe, expect, it } from 'vitest';
import { ALARM_THRESHOLDS } from '#infra/alarm-thresholds.ts';
import { INGEST_SPILL_DRAIN } from '#shared/resources/definitions.ts';
import {
  ALL_CHANNELS_CONTEXT,
  actionsOfRole,
  buildHub,
  logicalId,
  resourcesFor,
  roleIdOf,
  statementsOfRole,
} from './support.ts';

// Prepare (once per file): every channel, with and without a customer-managed key.
const plain = buildHub(ALL_CHANNELS_CONTEXT);
const withKey = buildHub({ ...ALL_CHANNELS_CONTEXT, customerManagedKey: 'true' });

const spillObjects = JSON.stringify({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(plain.stack.storage.payloadBucket), 'Arn'] }, '/spill/*']],
});

describe('IngestSpill', () => {
  it('runs the drain every minute from an EventBridge schedule rule, not retried (the next run is the retry)', () => {
    // Act
    const { stack, template } = plain;
    const rule = template.findResources('AWS::Events::Rule')[logicalId(stack.ingestSpill.rule)];
    const drain = template.findResources('AWS::Lambda::Function')[logicalId(stack.ingestSpill.function)];
    // Assess
    expect(rule?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalId(stack.ingestSpill.function), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.ingestSpill.function) },
      MaximumRetryAttempts: 0,
    });
    expect(drain?.Properties.Timeout).toBe(INGEST_SPILL_DRAIN.timeoutSeconds);
    expect(INGEST_SPILL_DRAIN.timeoutSeconds).toBeLessThan(INGEST_SPILL_DRAIN.intervalMinutes * 60);
    expect(INGEST_SPILL_DRAIN.budgetSeconds).toBeLessThan(INGEST_SPILL_DRAIN.timeoutSeconds - 10);
  });

  it('lets the drain list, read and delete spill objects only, send to the ingest queue and write claim checks', () => {
    // Act
    const { stack, template } = plain;
    const roleId = roleIdOf(stack.ingestSpill.function);
    const bucketArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] });
    const listStatement = statementsOfRole(template, roleId).find((statement) =>
      [statement.Action].flat().includes('s3:ListBucket'),
    );
    // Assess
    expect(actionsOfRole(template, roleId).filter((action) => !action.startsWith('logs:'))).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:SendMessage',
    ]);
    expect(resourcesFor(template, roleId, 's3:GetObject')).toEqual([spillObjects]);
    expect(resourcesFor(template, roleId, 's3:DeleteObject')).toEqual([spillObjects]);
    expect(resourcesFor(template, roleId, 's3:PutObject')).toEqual([
      JSON.stringify({
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] }, '/bodies/events/*'],
        ],
      }),
    ]);
    expect(resourcesFor(template, roleId, 's3:ListBucket')).toEqual([bucketArn]);
    expect(listStatement?.Condition).toEqual({ StringLike: { 's3:prefix': ['spill/*'] } });
    expect(resourcesFor(template, roleId, 'sqs:SendMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.ingest.queue), 'Arn'] }),
    ]);
  });

  it('gives the drain the data key only when a customer-managed key is used', () => {
    // Act
    const plainActions = actionsOfRole(plain.template, roleIdOf(plain.stack.ingestSpill.function));
    const keyedActions = actionsOfRole(withKey.template, roleIdOf(withKey.stack.ingestSpill.function));
    // Assess
    expect(plainActions.some((action) => action.startsWith('kms:'))).toBe(false);
    expect(keyedActions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
  });

  it.each([
    ['sms', true],
    ['email-mailgun', true],
    ['messenger', false],
    ['whatsapp', false],
  ] as const)('lets the %s webhook write under spill/: %s', (id, spills) => {
    // Act
    const webhook = plain.stack.webhooks[id];
    if (!webhook) throw new Error(`${id}: no webhook`);
    const puts = resourcesFor(plain.template, roleIdOf(webhook.function), 's3:PutObject');
    // Assess
    expect(puts.includes(spillObjects)).toBe(spills);
  });

  it('raises an alarm when a spill object waits past five minutes, when the drain fails and when it stops running', () => {
    // Act
    const alarms = plain.template.findResources('AWS::CloudWatch::Alarm');
    const spillAge = Object.values(alarms).find((alarm) => alarm.Properties.MetricName === 'OldestSpillAge');
    const descriptions = Object.values(alarms).map((alarm) => String(alarm.Properties.AlarmDescription));
    // Assess
    expect(spillAge?.Properties).toMatchObject({
      Namespace: 'Switchboard',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: ALARM_THRESHOLDS.maxSpillAgeSeconds,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'service', Value: 'ingest-spill-drain' }],
    });
    expect(descriptions.filter((text) => text.includes('spill drain keeps failing'))).toHaveLength(1);
    expect(descriptions.filter((text) => text.includes('spill drain has not run'))).toHaveLength(1);
  });
});
