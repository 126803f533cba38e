import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '#shared/channels/registry.ts';

const EMAIL_PAYLOAD_PREFIXES = CONNECTORS['email-ses'].payloadWritePrefixes;

import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import {
  ALL_CHANNELS_CONTEXT,
  actionsOfRole,
  buildHub,
  logicalId,
  resourcesFor,
  roleIdOf,
} from './support.ts';

// Prepare (once per file)
const { stack, template } = buildHub({ ...ALL_CHANNELS_CONTEXT, namePrefix: 'acme' });
const intake = stack.emailIntake;
if (!intake) throw new Error('email intake missing');
const ruleArn = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ses:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':receipt-rule-set/acme-inbound:receipt-rule/acme-inbound-store-and-notify',
    ],
  ],
};
const bucketId = logicalId(stack.storage.payloadBucket);

describe('EmailIntake', () => {
  it('creates a rule set with one rule for the domain: store in S3, then invoke the function asynchronously', () => {
    // Assess
    template.hasResourceProperties('AWS::SES::ReceiptRuleSet', { RuleSetName: 'acme-inbound' });
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      RuleSetName: { Ref: logicalId(intake.ruleSet) },
      Rule: {
        Name: 'acme-inbound-store-and-notify',
        Enabled: true,
        ScanEnabled: true,
        Recipients: ['support.example.com'],
        Actions: [
          {
            S3Action: { BucketName: { Ref: bucketId }, ObjectKeyPrefix: PAYLOAD_BUCKET.prefixes.sesInbound },
          },
          {
            LambdaAction: {
              FunctionArn: { 'Fn::GetAtt': [logicalId(intake.function), 'Arn'] },
              InvocationType: 'Event',
            },
          },
        ],
      },
    });
  });

  it('lets SES write only under ses-inbound/, only for this account and rule', () => {
    // Act
    const statements = Object.values(template.findResources('AWS::S3::BucketPolicy'))
      .filter((policy) => JSON.stringify(policy.Properties.Bucket) === JSON.stringify({ Ref: bucketId }))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const sesStatements = statements.filter((statement) =>
      JSON.stringify(statement.Principal).includes('ses'),
    );
    // Assess
    expect(sesStatements).toHaveLength(1);
    expect(sesStatements[0]).toMatchObject({
      Effect: 'Allow',
      Action: 's3:PutObject',
      Principal: { Service: 'ses.amazonaws.com' },
      Resource: {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${PAYLOAD_BUCKET.prefixes.sesInbound}*`]],
      },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': ruleArn },
      },
    });
  });

  it('creates the rule after the bucket policy and the invoke permission exist', () => {
    // Act
    const [rule] = Object.values(template.findResources('AWS::SES::ReceiptRule'));
    // Assess
    expect(rule?.DependsOn).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/PayloadBucketPolicy/),
        expect.stringMatching(/AllowSes/),
      ]),
    );
  });

  it('lets SES invoke the function only from this account and rule', () => {
    // Act
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) => permission.Properties.Principal === 'ses.amazonaws.com',
    );
    // Assess
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: ruleArn,
    });
  });

  it('gives the function read on ses-inbound/ and the channel secret, write on e-mail payload prefixes and send on ingest only', () => {
    // Act
    const roleId = roleIdOf(intake.function);
    const objects = (prefix: string) =>
      JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${prefix}*`]] });
    // Assess
    expect(actionsOfRole(template, roleId)).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:GetObject',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    expect(resourcesFor(template, roleId, 's3:GetObject')).toEqual([
      objects(PAYLOAD_BUCKET.prefixes.sesInbound),
    ]);
    expect(resourcesFor(template, roleId, 's3:PutObject').sort()).toEqual(
      EMAIL_PAYLOAD_PREFIXES.map(objects).sort(),
    );
  });

  it('keeps events that fail every asynchronous retry in an encrypted queue', () => {
    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(intake.failedEvents), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });
});
