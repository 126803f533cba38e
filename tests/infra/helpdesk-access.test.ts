import { describe, expect, it } from 'vitest';
import { HELPDESK_READABLE_PREFIXES } from '#infra/constructs/helpdesk-access.ts';
import { buildHub, logicalId } from './support.ts';

// Prepare (once per file): default and customer-managed-key deployments.
const plain = buildHub();
const withKey = buildHub({ customerManagedKey: 'true' });
type Statement = { Sid: string; Action: string | string[]; Resource: unknown };
const statementsOf = (built: ReturnType<typeof buildHub>): Statement[] => {
  const policy =
    built.template.findResources('AWS::IAM::ManagedPolicy')[logicalId(built.stack.helpdeskAccess.policy)];
  return policy?.Properties.PolicyDocument.Statement as Statement[];
};

describe('HelpdeskAccess managed policy', () => {
  it('is named after the prefix', () => {
    plain.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'switchboard-helpdesk-consumer',
    });
  });

  it('allows consuming the helpdesk queue, peeking at its DLQ and sending commands to the outbox, nothing else that sends or purges', () => {
    // Act
    const statements = statementsOf(plain);
    const { storage } = plain.stack;
    // Assess
    expect(statements.find((statement) => statement.Sid === 'ConsumeHelpdeskQueue')).toEqual({
      Sid: 'ConsumeHelpdeskQueue',
      Effect: 'Allow',
      Action: [
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ],
      Resource: { 'Fn::GetAtt': [logicalId(storage.helpdesk.queue), 'Arn'] },
    });
    expect(statements.find((statement) => statement.Sid === 'ReadHelpdeskDeadLetterQueue')).toMatchObject({
      Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
      Resource: { 'Fn::GetAtt': [logicalId(storage.helpdesk.deadLetterQueue), 'Arn'] },
    });
    // Sending is to the outbox only.
    expect(statements.find((statement) => statement.Sid === 'SendCommands')).toMatchObject({
      Action: ['sqs:GetQueueUrl', 'sqs:SendMessage'],
      Resource: { 'Fn::GetAtt': [logicalId(storage.outbox.queue), 'Arn'] },
    });
    const sends = statements.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'));
    expect(sends.map((statement) => statement.Sid)).toEqual(['SendCommands']);
    expect(statements.flatMap((statement) => statement.Action)).not.toContain('sqs:PurgeQueue');
  });

  it('allows s3:GetObject on the referenced payload prefixes only', () => {
    // Act
    const read = statementsOf(plain).find((statement) => statement.Sid === 'ReadReferencedPayloads');
    const bucketArn = { 'Fn::GetAtt': [logicalId(plain.stack.storage.payloadBucket), 'Arn'] };
    // Assess
    expect(read?.Action).toBe('s3:GetObject');
    expect(read?.Resource).toEqual(
      HELPDESK_READABLE_PREFIXES.map((prefix) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] })),
    );
    // The raw MIME every e-mail event names: Mailgun's copies and SES's receipt objects.
    expect(HELPDESK_READABLE_PREFIXES).toEqual(expect.arrayContaining(['raw/email/', 'ses-inbound/']));
    // The files the hub sent by key, which message.sent names (before 2026-12-04 not readable).
    expect(HELPDESK_READABLE_PREFIXES).toContain('media/outbound/');
  });

  it('lists the claim-check prefix only, so a claim check erased with its conversation reads as 404, not 403', () => {
    // Act
    const list = statementsOf(plain).find((statement) => statement.Sid === 'TellErasedClaimChecks');
    const listing = statementsOf(plain).filter((statement) =>
      [statement.Action].flat().includes('s3:ListBucket'),
    );
    // Assess
    expect(listing).toHaveLength(1);
    expect(list).toMatchObject({
      Action: 's3:ListBucket',
      Resource: { 'Fn::GetAtt': [logicalId(plain.stack.storage.payloadBucket), 'Arn'] },
      Condition: { StringLike: { 's3:prefix': ['bodies/events/*'] } },
    });
  });

  it('adds kms:Decrypt and kms:GenerateDataKey (to send to the encrypted outbox) on the data key only when one is used', () => {
    // Act
    const plainActions = statementsOf(plain).flatMap((statement) => statement.Action);
    const decrypt = statementsOf(withKey).find((statement) => statement.Sid === 'DecryptHubData');
    // Assess
    expect(plainActions.some((action) => action.startsWith('kms:'))).toBe(false);
    expect(decrypt).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: { 'Fn::GetAtt': [logicalId(withKey.stack.storage.dataKey ?? withKey.stack), 'Arn'] },
    });
  });
});
