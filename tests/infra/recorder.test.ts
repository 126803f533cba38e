import { describe, expect, it } from 'vitest';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

const CLAIM_CHECK_PREFIX = PAYLOAD_BUCKET.claimCheckPrefix;

import { INGEST_QUEUE, RECORDER } from '#shared/resources/definitions.ts';
import {
  actionsOfRole,
  buildHub,
  logicalId,
  resourcesFor,
  roleIdOf,
  statementsOfRole,
  unlistedReadPrefixes,
} from './support.ts';

// Prepare (once per file): default and customer-managed-key deployments.
const plain = buildHub();
const withKey = buildHub({ customerManagedKey: 'true' });

describe('Recorder', () => {
  it('consumes the ingest queue in batches from RECORDER with partial batch responses', () => {
    // Assess
    plain.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(plain.stack.storage.ingest.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(plain.stack.recorder.function) },
      BatchSize: RECORDER.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // The recorder's, the sender's and the media fetcher's.
    plain.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
  });

  it('times out as RECORDER says, a sixth of the ingest visibility timeout', () => {
    // Act
    const recorder =
      plain.template.findResources('AWS::Lambda::Function')[logicalId(plain.stack.recorder.function)];
    const ingest =
      plain.template.findResources('AWS::SQS::Queue')[logicalId(plain.stack.storage.ingest.queue)];
    // Assess
    expect(recorder?.Properties.Timeout).toBe(RECORDER.timeoutSeconds);
    expect(ingest?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * RECORDER.timeoutSeconds);
  });

  it('may consume ingest, get/put/update table items, read, write and list claim checks and publish to the helpdesk and media queues and the ingest dead-letter queue only', () => {
    // Act
    const roleId = roleIdOf(plain.stack.recorder.function);
    const actions = actionsOfRole(plain.template, roleId);
    // Assess
    expect(actions).toEqual(
      expect.arrayContaining([
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:SendMessage',
        's3:GetObject',
        's3:PutObject',
      ]),
    );
    expect(actions.filter((action) => !/^(sqs|dynamodb|logs):/.test(action)).sort()).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
    ]);
    // The pseudonym key (kept opt-outs, for consent events), never the channel secret.
    expect(resourcesFor(plain.template, roleId, 'secretsmanager:GetSecretValue')).toEqual([
      JSON.stringify({ Ref: logicalId(plain.stack.storage.pseudonymKey) }),
    ]);
    // Exactly what the recorder's store sends, on the table itself (no scan; deletes of kept
    // opt-outs only, tests/infra/pseudonym-key.test.ts) and gsi3 alone of the indexes (a
    // conversation's sends, for an echo of the hub's app without its correlation id).
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(resourcesFor(plain.template, roleId, 'dynamodb:Query').sort()).toEqual(
      [
        JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.stack.storage.table), 'Arn'] }),
        JSON.stringify({
          'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(plain.stack.storage.table), 'Arn'] }, '/index/gsi3']],
        }),
      ].sort(),
    );
    expect(resourcesFor(plain.template, roleId, 'dynamodb:UpdateItem')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.stack.storage.table), 'Arn'] }),
    ]);
    expect(resourcesFor(plain.template, roleId, 'sqs:SendMessage').sort()).toEqual(
      [
        JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.stack.storage.helpdesk.queue), 'Arn'] }),
        JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.stack.storage.media.queue), 'Arn'] }),
        // An event still failing at its give-up receive is moved there by the recorder.
        JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.stack.storage.ingest.deadLetterQueue), 'Arn'] }),
      ].sort(),
    );
    expect(resourcesFor(plain.template, roleId, 'sqs:ReceiveMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.stack.storage.ingest.queue), 'Arn'] }),
    ]);
    const claimChecksOnly = [
      JSON.stringify({
        'Fn::Join': [
          '',
          [
            { 'Fn::GetAtt': [logicalId(plain.stack.storage.payloadBucket), 'Arn'] },
            `/${CLAIM_CHECK_PREFIX}*`,
          ],
        ],
      }),
    ];
    expect(resourcesFor(plain.template, roleId, 's3:GetObject')).toEqual(claimChecksOnly);
    expect(resourcesFor(plain.template, roleId, 's3:PutObject')).toEqual(claimChecksOnly);
    // Listing (a lost claim check's key, S3 answering its GetObject 403) is limited to claim checks.
    const listing = statementsOfRole(plain.template, roleId).filter((statement) =>
      [statement.Action].flat().includes('s3:ListBucket'),
    );
    expect(resourcesFor(plain.template, roleId, 's3:ListBucket')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(plain.stack.storage.payloadBucket), 'Arn'] }),
    ]);
    expect(listing.map((statement) => statement.Condition)).toEqual([
      { StringLike: { 's3:prefix': [`${CLAIM_CHECK_PREFIX}*`] } },
    ]);
    expect(unlistedReadPrefixes(plain.template, roleId, plain.stack.storage.payloadBucket)).toEqual([]);
  });

  it('may Query on the table itself only the partitions its store queries: identity links (IDENT#)', () => {
    // Act: the statements that allow dynamodb:Query on the table, not on an index.
    const onTable = statementsOfRole(plain.template, roleIdOf(plain.stack.recorder.function)).filter(
      (statement) =>
        [statement.Action].flat().includes('dynamodb:Query') &&
        !JSON.stringify(statement.Resource).includes('/index/'),
    );
    // Assess: one, limited by partition key as the sender's is (before 2026-12-05, any partition).
    expect(onTable.map((statement) => [statement.Action, statement.Condition])).toEqual([
      ['dynamodb:Query', { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['IDENT#*'] } }],
    ]);
  });

  it('tells the recorder its dead-letter queue, where it moves an event still failing at its give-up receive', () => {
    // Act
    const variables = plain.template.findResources('AWS::Lambda::Function')[
      logicalId(plain.stack.recorder.function)
    ]?.Properties.Environment.Variables as Record<string, unknown>;
    // Assess
    expect(variables.SWITCHBOARD_INGEST_DLQ_URL).toEqual({
      Ref: logicalId(plain.stack.storage.ingest.deadLetterQueue),
    });
    expect(INGEST_QUEUE.consumerGivesUpAtReceive).toBeLessThan(INGEST_QUEUE.maxReceiveCount);
  });

  it('gets the data key only when a customer-managed key is used', () => {
    // Act
    const plainActions = actionsOfRole(plain.template, roleIdOf(plain.stack.recorder.function));
    const keyedRole = roleIdOf(withKey.stack.recorder.function);
    // Assess
    expect(plainActions.some((action) => action.startsWith('kms:'))).toBe(false);
    expect(actionsOfRole(withKey.template, keyedRole)).toContain('kms:Decrypt');
    for (const resource of resourcesFor(withKey.template, keyedRole, 'kms:Decrypt')) {
      expect(resource).toBe(
        JSON.stringify({ 'Fn::GetAtt': [logicalId(withKey.stack.storage.dataKey ?? withKey.stack), 'Arn'] }),
      );
    }
  });
});
