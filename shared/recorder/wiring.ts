import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { BlobNotFoundError, S3BlobStore, type S3ClientSource } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { moveToDeadLetterQueue } from '#shared/aws/dead-letter.ts';
import type { SqsBatchSender } from '#shared/aws/event-publisher.ts';
import { isMissingObject } from '#shared/aws/missing-object.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { sqsMediaJobQueue } from '#shared/media/job-queue.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { HELPDESK_QUEUE, INGEST_QUEUE } from '#shared/resources/definitions.ts';
import { checkedPseudonymKey } from '#shared/store/pseudonym-key-check.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { PseudonymKeySource } from '#shared/store/suppressions.ts';
import type { TableContext } from '#shared/store/table.ts';
import { createRecorderService, type RecorderService } from './batch-recorder.ts';
import type { AfterStep } from './steps.ts';

export interface RecorderWiring {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly sqs: SQSClient;
  /**
   * The helpdesk stream's SendMessageBatch: the Lambda's signed client; `sqs` when absent (tests).
   */
  readonly helpdeskBatches?: SqsBatchSender;
  /**
   * The payload bucket: claim-checked events (too large for a queue message) are read from it on the
   * ingest side and written to it for the helpdesk queue.
   */
  readonly payloads: { readonly s3: S3ClientSource; readonly bucket: string };
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  /**
   * The ingest queue's dead-letter queue: an event still failing at its give-up receive is moved
   * there by the recorder, so the later events of its conversation need not fail with it.
   */
  readonly ingestDlqUrl: string;
  /** The media queue: attachments of recorded messages are fetched from it. Absent: they stay references. */
  readonly mediaQueueUrl?: string;
  /**
   * The pseudonym key, read on the first consent event (kept opt-outs: shared/store/suppressions.ts)
   * and checked then against the table's check item (shared/store/pseudonym-key-check.ts).
   */
  readonly pseudonymKey: PseudonymKeySource;
  readonly logger: Logger;
  readonly clock?: () => Date;
  readonly afterStep?: AfterStep;
  readonly onCapacity?: TableContext['onCapacity'];
  /**
   * How long message records and states are kept (SWITCHBOARD_MESSAGE_RETENTION_DAYS).
   * @default MESSAGE_RETENTION_SECONDS (30 days)
   */
  readonly retentionSeconds?: number;
}

/**
 * A claim check's bytes. A missing object (a 404, or a 403 for a key listing does not find:
 * shared/aws/missing-object.ts; the recorder may list claim checks only, infra/constructs/recorder.ts)
 * is `BlobNotFoundError`: the event is lost for good. A 403 for a key that is there, or whose
 * listing fails too, stands and the message is retried.
 */
export const readClaimCheck = async (
  s3: S3ClientSource,
  bucket: string,
  key: string,
): Promise<Uint8Array> => {
  try {
    return await new S3BlobStore(s3, bucket).get(key);
  } catch (error) {
    if (await isMissingObject(error, s3, bucket, key)) throw new BlobNotFoundError('no such claim check');
    throw error;
  }
};

/** Claim checks name their bucket; the object's hash is checked by `resolveQueueMessageBody`. */
const claimCheckResolver =
  (s3: S3ClientSource) =>
  (body: string): Promise<unknown> =>
    resolveQueueMessageBody(body, (bucket, key) => readClaimCheck(s3, bucket, key));

/** The recorder over real clients: what the Lambda, the local hub and the integration tests run. */
export const createRecorder = (wiring: RecorderWiring): RecorderService => {
  const clock = wiring.clock ?? (() => new Date());
  const context: TableContext = {
    client: wiring.dynamodb,
    tableName: wiring.tableName,
    now: clock,
    ...(wiring.onCapacity ? { onCapacity: wiring.onCapacity } : {}),
  };
  // A replaced key fails the consent event (retried, then dead-lettered) instead of finding no
  // kept opt-out of an erased contact and recording a provider's late retry as new.
  const store = createRecorderStore(
    context,
    checkedPseudonymKey(context, wiring.pseudonymKey, { logger: wiring.logger }),
    wiring.retentionSeconds,
  );
  return createRecorderService({
    store,
    // The same publisher the webhooks use: batches of 10 within 1 MiB, retries of failed entries,
    // and a claim check in the payload bucket for an event larger than a queue message. One entry
    // per conversation per request: the helpdesk sees a conversation in order even when SQS
    // refuses part of a request (a round spreads over many conversations, so this rarely adds one).
    publisher: new SqsEventPublisher({
      client: wiring.sqs,
      ...(wiring.helpdeskBatches ? { batchSender: wiring.helpdeskBatches } : {}),
      queueUrl: wiring.helpdeskQueueUrl,
      maxMessageBytes: HELPDESK_QUEUE.maximumMessageSizeBytes,
      oneEntryPerGroupPerRequest: true,
      overflow: {
        store: new S3BlobStore(wiring.payloads.s3, wiring.payloads.bucket),
        bucket: wiring.payloads.bucket,
      },
    }),
    clock,
    logger: wiring.logger,
    ...(wiring.afterStep ? { afterStep: wiring.afterStep } : {}),
    ...(wiring.mediaQueueUrl ? { mediaJobs: sqsMediaJobQueue(wiring.sqs, wiring.mediaQueueUrl) } : {}),
    ...(wiring.retentionSeconds !== undefined ? { retentionSeconds: wiring.retentionSeconds } : {}),
    resolveBody: claimCheckResolver(wiring.payloads.s3),
    deadLetter: (record, reason) =>
      moveToDeadLetterQueue(
        wiring.sqs,
        { queueUrl: wiring.ingestDlqUrl, maxMessageBytes: INGEST_QUEUE.maximumMessageSizeBytes },
        record,
        reason,
      ),
  });
};
