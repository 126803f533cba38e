import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { addQueueTrigger } from '#infra/constructs/grants.ts';
import {
  ALL_CHANNELS_CONTEXT,
  bareStack,
  buildHub,
  logicalId,
  roleIdOf,
  statementsOfRole,
} from './support.ts';

// Prepare (once per file): every channel, with and without the customer-managed key.
const plain = buildHub(ALL_CHANNELS_CONTEXT);
const withKey = buildHub({ ...ALL_CHANNELS_CONTEXT, customerManagedKey: 'true' });

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The SQS actions a role may take on one queue. */
const sqsActionsOn = (built: typeof plain, fn: lambda.IFunction, queue: sqs.IQueue): string[] =>
  statementsOfRole(built.template, roleIdOf(fn))
    .filter((statement) => JSON.stringify(asArray(statement.Resource)).includes(`"${logicalId(queue)}"`))
    .flatMap((statement) => asArray(statement.Action))
    .filter((action) => action.startsWith('sqs:'))
    .sort();

describe('queue triggers', () => {
  it("give each consumer what Lambda's SQS trigger calls, and ChangeMessageVisibility only where the code backs off", () => {
    // Prepare
    const { stack } = plain;
    const trigger = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
    // Act
    const recorder = sqsActionsOn(plain, stack.recorder.function, stack.storage.ingest.queue);
    const sender = sqsActionsOn(plain, stack.sender.function, stack.storage.outbox.queue);
    const fetcher = sqsActionsOn(plain, stack.mediaFetcher.function, stack.storage.media.queue);
    // Assess: the recorder never sets a visibility; the sender (a provider's backoff) and the fetcher (a retry) do.
    expect(recorder).toEqual(trigger);
    expect(sender).toEqual([...trigger, 'sqs:ChangeMessageVisibility'].sort());
    expect(fetcher).toEqual([...trigger, 'sqs:ChangeMessageVisibility'].sort());
  });

  it('grants no Lambda role GetQueueUrl: every queue URL comes from the environment', () => {
    // Act
    const policies = Object.values(withKey.template.findResources('AWS::IAM::Policy'));
    const actions = policies.flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((statement) =>
        asArray(statement.Action),
      ),
    );
    // Assess
    expect(actions).toContain('sqs:ReceiveMessage');
    expect(actions).not.toContain('sqs:GetQueueUrl');
  });

  it("lets a consumer decrypt an SSE-KMS queue with the queue's own key, and nothing more of it", () => {
    // Prepare: a function with nothing but the trigger, on a queue under a key of its own
    const stack = bareStack();
    const key = new kms.Key(stack, 'QueueKey');
    const queue = new sqs.Queue(stack, 'Queue', {
      fifo: true,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
    });
    const fn = new lambda.Function(stack, 'Consumer', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async () => ({});'),
    });
    // Act
    addQueueTrigger(fn, queue, { batchSize: 10 });
    const template = Template.fromStack(stack);
    // Assess
    const onKey = statementsOfRole(template, roleIdOf(fn)).filter((statement) =>
      JSON.stringify(statement.Resource).includes(`"${logicalId(key)}"`),
    );
    expect(onKey.flatMap((statement) => asArray(statement.Action))).toEqual(['kms:Decrypt']);
  });

  it('keeps the mappings SqsEventSource made, so a deployed stack updates them instead of adding a second', () => {
    // Act
    const mappings = Object.keys(plain.template.findResources('AWS::Lambda::EventSourceMapping')).sort();
    // Assess
    expect(mappings).toEqual([
      'MediaFetcherFunctionSqsEventSourceswitchboardStorageMediaQueue690C13E926E0476B',
      'RecorderFunctionSqsEventSourceswitchboardStorageIngestQueue8F087FB03FF69C66',
      'SenderFunctionSqsEventSourceswitchboardStorageOutboxQueue248B8034039A5490',
    ]);
  });
});
