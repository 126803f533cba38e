import { describe, expect, it } from 'vitest';
import { MEDIA_FETCHER_TABLE_ACTIONS } from '#infra/constructs/media-fetcher.ts';
import { MEDIA_FETCHER, MEDIA_QUEUE } from '#shared/resources/definitions.ts';
import { actionsOfRole, buildHub, logicalId, resourcesFor, roleIdOf, statementsOfRole } from './support.ts';

// Prepare (once per file): the default stack.
const plain = buildHub();

describe('MediaFetcher', () => {
  it('consumes the media queue one job at a time with partial batch responses, inside its visibility timeout', () => {
    // Act
    const { stack, template } = plain;
    const fetcher = template.findResources('AWS::Lambda::Function')[logicalId(stack.mediaFetcher.function)];
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.storage.media.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.mediaFetcher.function) },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: MEDIA_FETCHER.maxConcurrency },
    });
    expect(fetcher?.Properties.Timeout).toBe(MEDIA_FETCHER.timeoutSeconds);
    expect(fetcher?.Properties.MemorySize).toBe(MEDIA_FETCHER.memoryMb);
    expect(MEDIA_FETCHER.staleClaimSeconds).toBeGreaterThan(MEDIA_FETCHER.timeoutSeconds);
    expect(MEDIA_QUEUE.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(2 * MEDIA_FETCHER.timeoutSeconds);
    expect(MEDIA_FETCHER.downloadTimeoutMs).toBeLessThan(MEDIA_FETCHER.timeoutSeconds * 1000);
  });

  it('may do exactly what the fetcher calls: its table items, attachments, claim checks, the helpdesk queue, the secret', () => {
    // Act
    const { stack, template } = plain;
    const roleId = roleIdOf(stack.mediaFetcher.function);
    const actions = actionsOfRole(template, roleId);
    // Assess
    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual(
      [...MEDIA_FETCHER_TABLE_ACTIONS].sort(),
    );
    // Only message partitions (MSG#…: the tombstone and the attachments' claim items), no other item.
    const tableStatements = statementsOfRole(template, roleId).filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
    );
    expect(tableStatements.map((statement) => [statement.Action, statement.Condition])).toEqual([
      [
        [...MEDIA_FETCHER_TABLE_ACTIONS].sort(),
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['MSG#*'] } },
      ],
    ]);
    expect(actions.filter((action) => action.startsWith('s3:')).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:PutObject',
    ]);
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(resourcesFor(template, roleId, 'sqs:SendMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.storage.helpdesk.queue), 'Arn'] }),
    ]);
    const bucketArn = { 'Fn::GetAtt': [logicalId(stack.storage.payloadBucket), 'Arn'] };
    expect(resourcesFor(template, roleId, 's3:DeleteObject')).toEqual([
      JSON.stringify({ 'Fn::Join': ['', [bucketArn, '/attachments/*']] }),
    ]);
    // A failed multipart upload of an attachment is aborted (shared/media/upload.ts), not left for the lifecycle rule.
    expect(resourcesFor(template, roleId, 's3:AbortMultipartUpload')).toEqual([
      JSON.stringify({ 'Fn::Join': ['', [bucketArn, '/attachments/*']] }),
    ]);
    // The recorder is told where to leave the jobs, and only it and the fetcher know the queue.
    const recorder = template.findResources('AWS::Lambda::Function')[logicalId(stack.recorder.function)];
    expect(recorder?.Properties.Environment.Variables.SWITCHBOARD_MEDIA_QUEUE_URL).toEqual({
      Ref: logicalId(stack.storage.media.queue),
    });
  });
});
