import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type BlobStore, S3BlobStore } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { SqsEventPublisher } from '#shared/aws/ingest-publisher.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { HELPDESK_QUEUE } from '#shared/resources/definitions.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { createRecorderService, type RecorderService } from './service.ts';
import type { AfterStep } from './steps.ts';

export interface RecorderWiring {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  /** Reads claim-checked events (oversize ones the webhook stored in the payload bucket). */
  readonly s3?: S3Client;
  /** The payload bucket: events too large for the helpdesk queue are stored there and sent as claim checks. */
  readonly payloadBucket?: string;
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly afterStep?: AfterStep;
  readonly onCapacity?: TableContext['onCapacity'];
}

const claimCheckResolver =
  (s3: S3Client) =>
  (body: string): Promise<unknown> =>
    resolveQueueMessageBody(body, async (bucket, key) => {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) throw new Error('claim-checked object has no body');
      return object.Body.transformToByteArray();
    });

/** Without a payload bucket an oversize event cannot be published: it fails and is retried, never dropped. */
const noOverflowStore: BlobStore = {
  put: () =>
    Promise.reject(new Error('event too large for the helpdesk queue and no payload bucket configured')),
};

/** The recorder over real clients: what the Lambda, the local hub and the integration tests run. */
export const createRecorder = (wiring: RecorderWiring): RecorderService => {
  const clock = wiring.clock ?? (() => new Date());
  const { store } = createRecorderStore({
    client: wiring.dynamodb,
    tableName: wiring.tableName,
    now: clock,
    ...(wiring.onCapacity ? { onCapacity: wiring.onCapacity } : {}),
  });
  return createRecorderService({
    store,
    // The same publisher the webhooks use: batches of 10 within 1 MiB, retries of failed entries,
    // and a claim check in the payload bucket for an event larger than a queue message.
    publisher: new SqsEventPublisher({
      client: wiring.sqs,
      queueUrl: wiring.helpdeskQueueUrl,
      maxMessageBytes: HELPDESK_QUEUE.maximumMessageSizeBytes,
      overflow:
        wiring.s3 && wiring.payloadBucket
          ? { store: new S3BlobStore(wiring.s3, wiring.payloadBucket), bucket: wiring.payloadBucket }
          : { store: noOverflowStore, bucket: '' },
    }),
    clock,
    logger: wiring.logger,
    ...(wiring.afterStep ? { afterStep: wiring.afterStep } : {}),
    ...(wiring.s3 ? { resolveBody: claimCheckResolver(wiring.s3) } : {}),
  });
};
