import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { BatchEventPublisher, type EventPublisher } from '#shared/aws/event-publisher.ts';
import { SignedS3BlobStore } from '#shared/aws/signed/s3.ts';
import { SignedSqsClient } from '#shared/aws/signed/sqs.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { ClaimCheckSchema, type HubEvent } from '#shared/contract/index.ts';
import { LOCAL_SIGNING_ENV, type RunningEmulators } from '#shared/local/emulators.ts';
import { messageEvent, minute } from '#tests/recorder/factories.ts';
import { type Pipeline, startPipeline } from './harness.ts';

/** An e-mail whose HTML body alone exceeds an SQS message (adapters cap bodies; this one bypasses them). */
const oversizeEmailEvent = (providerMessageId: string): HubEvent => {
  const event = messageEvent('4915550077', providerMessageId, minute(1));
  if (event.type !== 'switchboard.message.received') throw new Error('factory changed');
  return {
    ...event,
    data: {
      ...event.data,
      email: {
        subject: 'Quarterly report',
        from: { address: 'customer@example.com' },
        to: [{ address: 'support@example.com' }],
        cc: [],
        replyTo: [],
        references: [],
        htmlBody: `<p>${'Ωmega ✓ '.repeat(110_000)}</p>`,
        isAutoReply: false,
        isBounce: false,
        attachments: [],
      },
    },
  };
};

describe('pipeline: an event larger than an SQS message', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  /** Through the SDK clients, and as the webhooks send: a signed SendMessageBatch and a signed PutObject. */
  const publishers: Record<string, (emulators: RunningEmulators) => EventPublisher> = {
    'the SDK clients': ({ clients, resources }) =>
      new SqsEventPublisher({
        client: clients.sqs,
        queueUrl: resources.ingestQueueUrl,
        overflow: { store: new S3BlobStore(clients.s3, resources.bucketName), bucket: resources.bucketName },
      }),
    "the webhooks' signed requests": ({ endpoints, resources }) => {
      const env = LOCAL_SIGNING_ENV;
      return new BatchEventPublisher({
        sqs: new SignedSqsClient({ endpoint: endpoints.sqs, env }),
        queueUrl: resources.ingestQueueUrl,
        overflow: {
          store: new SignedS3BlobStore({
            bucket: resources.bucketName,
            endpoint: endpoints.s3,
            forcePathStyle: true,
            env,
          }),
          bucket: resources.bucketName,
        },
      });
    },
  };

  it.each(Object.keys(publishers))(
    'travels as a claim check through both queues and reaches the helpdesk whole (%s)',
    async (name) => {
      // Prepare: queue it the way the webhook does
      const { clients, resources } = pipeline.emulators;
      // One event per case: the queue deduplicates by event id.
      const event = oversizeEmailEvent(`wamid.oversize-${Object.keys(publishers).indexOf(name)}`);
      expect(Buffer.byteLength(JSON.stringify(event))).toBeGreaterThan(1_048_576);
      const webhookPublisher = publishers[name]?.(pipeline.emulators);
      if (!webhookPublisher) throw new Error(`no publisher ${name}`);
      await webhookPublisher.publish([event]);
      // Act
      const drained = await pipeline.drain();
      const raw = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.helpdeskQueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
        }),
      );
      const helpdesk = await pipeline.takeHelpdesk();
      // Assess
      expect(drained.failed).toBe(0);
      const pointers = (raw.Messages ?? [])
        .map((message) => ClaimCheckSchema.safeParse(JSON.parse(message.Body ?? '')))
        .filter((parsed) => parsed.success);
      expect(pointers.map((pointer) => pointer.data?.id)).toEqual([event.id]);
      // Whole, with the person the recorder adds.
      expect(helpdesk.find((published) => published.id === event.id)).toEqual({
        ...event,
        data: { ...event.data, contactId: expect.stringMatching(/^ct_[0-9a-f]{32}$/) },
      });
    },
  );
});
