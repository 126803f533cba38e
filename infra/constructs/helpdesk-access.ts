import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { keyThrough } from './grants.ts';

export interface HelpdeskAccessProps {
  readonly helpdeskQueue: sqs.IQueue;
  readonly helpdeskDeadLetterQueue: sqs.IQueue;
  /** Where the helpdesk puts its commands (send, mark read, typing). */
  readonly outboxQueue: sqs.IQueue;
  readonly payloadBucket: s3.IBucket;
  /**
   * The customer-managed key of the hub's data, when one is used.
   * @default none (AWS-managed encryption needs no key permission)
   */
  readonly dataKey?: kms.IKey;
  /**
   * Name of the managed policy.
   * @default CloudFormation-generated
   */
  readonly managedPolicyName?: string;
}

/**
 * Prefixes a helpdesk follows event references into: attachments, bodies (and claim-checked
 * events under bodies/events/), raw MIME, which e-mail events name (`rawMimeKey`) and
 * unsupported e-mail events point to: Mailgun's copies under raw/email/, and the objects SES's
 * receipt rule writes under ses-inbound/; and the files the hub sent by key (media/outbound/),
 * which `message.sent` names in its parts.
 */
export const HELPDESK_READABLE_PREFIXES = [
  PAYLOAD_BUCKET.prefixes.attachments,
  PAYLOAD_BUCKET.prefixes.bodies,
  PAYLOAD_BUCKET.prefixes.outboundMedia,
  PAYLOAD_BUCKET.prefixes.rawEmail,
  PAYLOAD_BUCKET.prefixes.sesInbound,
];

/**
 * A managed policy a helpdesk's role or user attaches to use the hub: long-poll, delete and
 * extend visibility on the helpdesk queue, peek at its dead-letter queue, put commands on the
 * outbox, download attachments and bodies that events point to, and list claim checks (so a
 * gone one can be told from a refused read: see below). Nothing else: no purge, no table, no secret.
 */
export class HelpdeskAccess extends Construct {
  public readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: HelpdeskAccessProps) {
    super(scope, id);

    const statements = [
      new iam.PolicyStatement({
        sid: 'ConsumeHelpdeskQueue',
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        resources: [props.helpdeskQueue.queueArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadHelpdeskDeadLetterQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [props.helpdeskDeadLetterQueue.queueArn],
      }),
      new iam.PolicyStatement({
        sid: 'SendCommands',
        actions: ['sqs:SendMessage', 'sqs:GetQueueUrl'],
        resources: [props.outboxQueue.queueArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadReferencedPayloads',
        actions: ['s3:GetObject'],
        resources: HELPDESK_READABLE_PREFIXES.map((prefix) =>
          props.payloadBucket.arnForObjects(`${prefix}*`),
        ),
      }),
      new iam.PolicyStatement({
        sid: 'TellErasedClaimChecks',
        // Without it, S3 answers 403 for a claim check that is gone (erased with its conversation),
        // indistinguishable from a denied read. With it the answer may be 404, but whether a
        // prefix-conditioned listing grant is enough for that is not settled, so a consumer that
        // gets 403 lists that one key, as the hub's own readers do (shared/aws/missing-object.ts):
        // not found means gone. Claim checks' prefix only.
        actions: ['s3:ListBucket'],
        resources: [props.payloadBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${PAYLOAD_BUCKET.claimCheckPrefix}*`] } },
      }),
    ];
    if (props.dataKey) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'DecryptHubData',
          // Decrypt to read the queues; GenerateDataKey to send to the encrypted outbox (the bucket is SSE-S3: no key).
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.dataKey.keyArn],
          // Only as SQS uses it for the helpdesk's own receives and sends, never to decrypt directly.
          conditions: keyThrough('sqs'),
        }),
      );
    }

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      managedPolicyName: props.managedPolicyName,
      description:
        'Switchboard helpdesk: read the helpdesk queue and the payloads its events reference, send commands',
      statements,
    });

    const bucketId = Stack.of(props.payloadBucket).getLogicalId(
      props.payloadBucket.node.defaultChild as s3.CfnBucket,
    );
    NagSuppressions.addResourceSuppressions(this.policy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Events reference attachment, body, raw-MIME and sent-file objects by key; read access is limited to those prefixes of the payload bucket.',
        appliesTo: HELPDESK_READABLE_PREFIXES.map((prefix) => `Resource::<${bucketId}.Arn>/${prefix}*`),
      },
    ]);
  }
}
