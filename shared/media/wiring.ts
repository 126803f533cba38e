import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deletePayloadObjects, S3BlobStore } from '#shared/aws/blob-store.ts';
import type { SqsBatchSender } from '#shared/aws/event-publisher.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import type { ChannelSecrets } from '#shared/config/secrets.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { HELPDESK_QUEUE, MEDIA_FETCHER, MEDIA_QUEUE } from '#shared/resources/definitions.ts';
import { createMediaFetchStore, type MediaOutcome } from '#shared/store/media-fetches.ts';
import type { TableContext } from '#shared/store/table.ts';
import { createMediaFetcher, type MediaFetcher } from './fetch-service.ts';
import { createMediaSources } from './sources.ts';
import { streamToS3 } from './upload.ts';

export interface MediaFetcherWiring {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly sqs: SQSClient;
  /**
   * The helpdesk stream's SendMessageBatch: the Lambda's signed client; `sqs` when absent (tests).
   */
  readonly helpdeskBatches?: SqsBatchSender;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  readonly mediaQueueUrl: string;
  readonly secrets: () => Promise<ChannelSecrets>;
  readonly graphApiUrl: string;
  readonly graphApiVersion: string;
  readonly twilioApiUrl: string;
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly fetch?: typeof fetch;
  readonly onOutcome?: (outcome: MediaOutcome) => void;
  readonly onCredentialsRefused?: () => void;
  readonly onJobError?: (failedCount: number) => void;
  readonly onCapacity?: TableContext['onCapacity'];
  /**
   * How long an attachment's record is kept: as long as its message's (SWITCHBOARD_MESSAGE_RETENTION_DAYS),
   * since the helpdesk API finds a stored file through it.
   */
  readonly retentionSeconds?: number;
}

/** The media fetcher over real clients: what the Lambda, the local hub and the integration tests run. */
export const createMediaFetcherService = (wiring: MediaFetcherWiring): MediaFetcher => {
  const clock = wiring.clock ?? (() => new Date());
  const store = createMediaFetchStore(
    {
      client: wiring.dynamodb,
      tableName: wiring.tableName,
      now: clock,
      ...(wiring.onCapacity ? { onCapacity: wiring.onCapacity } : {}),
    },
    wiring.retentionSeconds,
  );
  return createMediaFetcher({
    store,
    open: createMediaSources({
      secrets: wiring.secrets,
      graphApiUrl: wiring.graphApiUrl,
      graphApiVersion: wiring.graphApiVersion,
      twilioApiUrl: wiring.twilioApiUrl,
      ...(wiring.fetch ? { fetch: wiring.fetch } : {}),
    }),
    upload: (body, options) => streamToS3(wiring.s3, body, { ...options, bucket: wiring.bucket }),
    deleteObject: (key) => deletePayloadObjects(wiring.s3, wiring.bucket, [key]),
    // The helpdesk stream, as the recorder publishes to it.
    publisher: new SqsEventPublisher({
      client: wiring.sqs,
      ...(wiring.helpdeskBatches ? { batchSender: wiring.helpdeskBatches } : {}),
      queueUrl: wiring.helpdeskQueueUrl,
      maxMessageBytes: HELPDESK_QUEUE.maximumMessageSizeBytes,
      oneEntryPerGroupPerRequest: true,
      overflow: { store: new S3BlobStore(wiring.s3, wiring.bucket), bucket: wiring.bucket },
    }),
    retryLater: async (record, seconds) => {
      await wiring.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: wiring.mediaQueueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    },
    clock,
    logger: wiring.logger,
    maxAttempts: MEDIA_FETCHER.maxAttempts,
    backoffSeconds: MEDIA_FETCHER.backoffSeconds,
    staleClaimSeconds: MEDIA_FETCHER.staleClaimSeconds,
    downloadTimeoutMs: MEDIA_FETCHER.downloadTimeoutMs,
    giveUpAtReceive: MEDIA_QUEUE.consumerGivesUpAtReceive,
    ...(wiring.onOutcome ? { onOutcome: wiring.onOutcome } : {}),
    ...(wiring.onCredentialsRefused ? { onCredentialsRefused: wiring.onCredentialsRefused } : {}),
    ...(wiring.onJobError ? { onJobError: wiring.onJobError } : {}),
  });
};
