import type { SQSClient } from '@aws-sdk/client-sqs';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { HubEvent } from '#shared/contract/types.ts';
import {
  BatchEventPublisher,
  type BatchEventPublisherOptions,
  messageGroupIdFor,
  type SqsBatchSender,
  toSqsSafeJson,
} from './event-publisher.ts';

/*
 * The event publisher on the AWS SDK's SQS client: the recorder, the sender, the helpdesk API and
 * the attention sweeper. The webhooks publish through the same BatchEventPublisher on signed
 * requests instead (shared/intake/wiring.ts), without this module and its SDK.
 */

export {
  chunkEntries,
  chunkEntriesOnePerGroup,
  type EventPublisher,
  IngestPublishError,
  MAX_BATCH_BYTES,
  messageGroupIdFor,
  toSqsSafeJson,
} from './event-publisher.ts';

/** The SDK client as the publisher's SendMessageBatch port. */
const sdkBatchSender = (client: Pick<SQSClient, 'send'>): SqsBatchSender => ({
  sendMessageBatch: (input) =>
    client.send(new SendMessageBatchCommand({ QueueUrl: input.QueueUrl, Entries: [...input.Entries] })),
});

export interface SqsEventPublisherOptions extends Omit<BatchEventPublisherOptions, 'sqs'> {
  readonly client: Pick<SQSClient, 'send'>;
  /**
   * Sends the batches instead of `client`: the Lambdas pass the signed client (shared/aws/signed/sqs.ts),
   * the same call at about half the SDK's CPU; tests leave it out and publish through their SDK client.
   */
  readonly batchSender?: SqsBatchSender;
}

/** BatchEventPublisher over an SDK client, or a signed one (both retry a failed call before it throws). */
export class SqsEventPublisher extends BatchEventPublisher {
  constructor({ client, batchSender, ...options }: SqsEventPublisherOptions) {
    super({ ...options, sqs: batchSender ?? sdkBatchSender(client) });
  }
}

/**
 * One event, one SendMessage: group = its subject (the conversation), deduplication id = its id.
 * What the helpdesk API's state changes and the attention sweeper's events go out through, each as
 * it happens (the hub's own small events: never a claim check).
 */
export const singleEventPublisher =
  (client: Pick<SQSClient, 'send'>, queueUrl: string) =>
  async (event: HubEvent): Promise<void> => {
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: toSqsSafeJson(event),
        MessageGroupId: messageGroupIdFor(event.subject),
        MessageDeduplicationId: event.id,
      }),
    );
  };
