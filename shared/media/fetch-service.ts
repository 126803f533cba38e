import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { type LastReceiveCause, processFifoBatch } from '#shared/aws/sqs-fifo-batch.ts';
import { buildMediaEvent } from '#shared/contract/build.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { errorNameOf, type LogFields, type Logger } from '#shared/observability/logger.ts';
import type { MediaFetchStore, MediaOutcome } from '#shared/store/media-fetches.ts';
import {
  CredentialsMissingFailure,
  CredentialsRefusedError,
  MediaFailure,
  TransientMediaError,
} from './failures.ts';
import { type MediaJob, MediaJobSchema, mediaObjectKey } from './job.ts';
import type { OpenMedia } from './sources.ts';
import type { StreamedObject, StreamOptions } from './upload.ts';

/*
 * The media fetcher's work: each job (one attachment of a recorded message) claimed, downloaded
 * from its provider straight into the payload bucket, and ended in exactly one event,
 * `media_stored` or `media_failed`. The claim (shared/store/media-fetches.ts) makes a part download
 * once however often its job arrives; the outcome is recorded before it is published, so a
 * redelivery after a crash publishes it again (same event id) instead of downloading again.
 */

/** The job comes back after this many seconds (the caller changes its visibility). */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    message: string,
    readonly afterSeconds: number,
  ) {
    super(message);
  }
}

export interface MediaFetcherDeps {
  readonly store: MediaFetchStore;
  readonly open: OpenMedia;
  /** Streams the download into the bucket (upload.ts `streamToS3` over the client and bucket). */
  readonly upload: (
    body: AsyncIterable<Uint8Array>,
    options: Omit<StreamOptions, 'bucket'>,
  ) => Promise<StreamedObject>;
  /**
   * Deletes the object of a part whose message was erased: one this fetcher stored meanwhile, or one
   * an earlier delivery stored and could not delete. Idempotent (an absent object is no error).
   */
  readonly deleteObject: (key: string) => Promise<void>;
  /** The helpdesk queue. */
  readonly publisher: EventPublisher;
  /** Makes the record visible again after `seconds` (SQS ChangeMessageVisibility). */
  readonly retryLater: (record: SQSRecord, seconds: number) => Promise<void>;
  readonly clock: () => Date;
  readonly logger: Logger;
  /** Downloads per part before a provider that keeps failing gives `provider_error`. */
  readonly maxAttempts: number;
  /** Seconds before the next attempt after `attempts` failed ones. */
  readonly backoffSeconds: (attempts: number) => number;
  /** A claim older than this is a dead fetcher's (the queue's visibility timeout). */
  readonly staleClaimSeconds: number;
  /** How long one download may take. */
  readonly downloadTimeoutMs: number;
  /**
   * The job's receive at which a part still without an outcome ends in `media_failed` rather than
   * moving on to the dead-letter queue without an event (`consumerGivesUpAtReceive`).
   */
  readonly giveUpAtReceive?: number | undefined;
  readonly newToken?: () => string;
  readonly onOutcome?: (outcome: MediaOutcome) => void;
  /** Each download a provider refused for the hub's own credentials (the operator's alarm counts them). */
  readonly onCredentialsRefused?: () => void;
  /**
   * Jobs that failed unexpectedly (not a RetryLaterError, or one whose ending at its give-up receive
   * then failed): the batch reports them failed, which never raises Lambda's Errors, so the function
   * counts them for the operator's alarm.
   */
  readonly onJobError?: (failedCount: number) => void;
}

/** The line logged at each refusal of the hub's credentials: a person must fix the channel secret. */
const CREDENTIALS_REFUSED_LOG =
  "provider refused the hub's credentials for an attachment download; check that provider's credentials in the channel secret (the part is retried until its last attempt, then ends media_failed forbidden)";

/** The line logged when the channel secret has no credentials for a download: a person must add them. */
const CREDENTIALS_MISSING_LOG =
  "no credentials for an attachment download in the channel secret; add that provider's credentials for the business endpoint (the part ends media_failed forbidden)";

export const createMediaFetcher = (deps: MediaFetcherDeps) => {
  const { logger } = deps;
  const newToken = deps.newToken ?? randomUUID;

  const eventOf = (job: MediaJob, outcome: MediaOutcome, attempts: number): HubEvent => {
    const context = {
      channel: job.channel,
      provider: job.provider,
      endpoint: job.endpoint,
      conversationId: job.conversationId,
      hubMessageId: job.hubMessageId,
      partIndex: job.partIndex,
    };
    if (outcome.state === 'failed')
      return buildMediaEvent('switchboard.message.media_failed', {
        ...context,
        part: job.part,
        reason: outcome.reason,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        attempts,
        failedAt: outcome.at,
      });
    const key = mediaObjectKey(job);
    return buildMediaEvent('switchboard.message.media_stored', {
      ...context,
      part: {
        ...job.part,
        // The file's type (the customer's for active content); `contentType` is the object's.
        mimeType: outcome.mimeType ?? outcome.contentType,
        size: outcome.size,
        sha256: outcome.sha256,
        ref: { store: 's3', key },
      },
      key,
      sha256: outcome.sha256,
      size: outcome.size,
      contentType: outcome.contentType,
      storedAt: outcome.at,
    });
  };

  /**
   * A download that failed for good after `attempts`: `provider_error`, or for credentials still
   * refused `forbidden` (the contract's reason for them: it has no `credentials`), saying so.
   */
  const givenUp = (error: unknown, attempts: number): MediaOutcome => ({
    state: 'failed',
    ...(error instanceof CredentialsRefusedError
      ? { reason: 'forbidden', detail: `gave up after ${attempts} attempts: ${error.message}` }
      : { reason: 'provider_error', detail: `gave up after ${attempts} attempts (${errorNameOf(error)})` }),
    at: deps.clock().toISOString(),
  });

  /** A refusal of the hub's own credentials, told to the operator at every attempt (no customer data). */
  const reportCredentialsRefused = (
    job: MediaJob,
    error: CredentialsRefusedError,
    fields: LogFields,
    attempt: number,
  ): void => {
    deps.onCredentialsRefused?.();
    logger.error(CREDENTIALS_REFUSED_LOG, {
      ...fields,
      reason: `${job.provider} credentials refused`,
      statusCode: error.status,
      ...(error.code === undefined ? {} : { errorCodes: [String(error.code)] }),
      attempt,
    });
  };

  /**
   * The sources give every provider failure as a TransientMediaError (or a MediaFailure): anything
   * else in a download is the hub's own (an S3 upload refused, the channel secret unreadable, a bug).
   * It is retried as a provider's would be, but counted as a job error, so MediaFetcherErrors fires
   * instead of every attachment ending provider_error unseen.
   */
  const countHubFault = (error: unknown): void => {
    if (!(error instanceof TransientMediaError)) deps.onJobError?.(1);
  };

  /** No credentials in the channel secret for the download: the part ends forbidden, told and counted as a refusal. */
  const reportCredentialsMissing = (job: MediaJob, fields: LogFields, attempt: number): void => {
    deps.onCredentialsRefused?.();
    logger.error(CREDENTIALS_MISSING_LOG, {
      ...fields,
      reason: `${job.provider} credentials missing`,
      attempt,
    });
  };

  const download = async (job: MediaJob, key: string): Promise<MediaOutcome> => {
    const signal = AbortSignal.timeout(deps.downloadTimeoutMs);
    const media = await deps.open(job, signal);
    const stored = await deps.upload(media.body, {
      key,
      ...(media.declaredType ? { declaredType: media.declaredType } : {}),
      ...(media.announcedSha256 ? { announcedSha256: media.announcedSha256 } : {}),
    });
    return { state: 'stored', ...stored, at: deps.clock().toISOString() };
  };

  /**
   * One job to its end: published, or left for a later delivery (RetryLaterError). Given `giveUp`
   * (its last receive), a part not yet ended is ended `provider_error` without a download.
   */
  const fetchPart = async (
    job: MediaJob,
    giveUp?: { readonly why: LastReceiveCause; readonly receives: number },
  ): Promise<void> => {
    const key = mediaObjectKey(job);
    const token = newToken();
    const fields = {
      conversationId: job.conversationId,
      hubMessageId: job.hubMessageId,
      partIndex: job.partIndex,
      channel: job.channel,
    };
    const claim = await deps.store.claim({
      hubMessageId: job.hubMessageId,
      partIndex: job.partIndex,
      conversationId: job.conversationId,
      key,
      token,
      staleAfterSeconds: deps.staleClaimSeconds,
    });
    if (claim.kind === 'erased') {
      // Nothing to fetch; but an earlier delivery may have stored the part and failed to delete it
      // when it found the part erased (deleting an absent object is harmless).
      await deps.deleteObject(key);
      logger.info('attachment of an erased message not fetched', fields);
      return;
    }
    if (claim.kind === 'busy')
      throw new RetryLaterError('another fetcher holds the part', deps.staleClaimSeconds);
    if (claim.kind === 'ended') {
      // Ended before a crash or by an earlier delivery: tell it again, download nothing.
      await deps.publisher.publish([eventOf(job, claim.outcome, claim.attempts)]);
      return;
    }
    let outcome: MediaOutcome;
    try {
      outcome = giveUp
        ? {
            state: 'failed',
            reason: 'provider_error',
            detail: `its job ran out of receives (${giveUp.receives}; ${errorNameOf(giveUp.why.cause)})`,
            at: deps.clock().toISOString(),
          }
        : await download(job, key);
    } catch (error) {
      if (error instanceof CredentialsRefusedError)
        reportCredentialsRefused(job, error, fields, claim.attempts);
      if (error instanceof CredentialsMissingFailure) reportCredentialsMissing(job, fields, claim.attempts);
      if (error instanceof MediaFailure) {
        outcome = {
          state: 'failed',
          reason: error.reason,
          detail: error.detail,
          at: deps.clock().toISOString(),
        };
      } else if (claim.attempts >= deps.maxAttempts) {
        outcome = givenUp(error, claim.attempts);
        countHubFault(error);
      } else {
        await deps.store.release(job.hubMessageId, job.partIndex, token);
        const after = deps.backoffSeconds(claim.attempts);
        logger.warn('attachment download failed; retried later', {
          ...fields,
          attempt: claim.attempts,
          errorName: errorNameOf(error),
        });
        countHubFault(error);
        throw new RetryLaterError('download failed', after);
      }
    }
    const ended = await deps.store.end(job.hubMessageId, job.partIndex, token, outcome);
    if (ended === 'erased') {
      // Erased while it downloaded: what was stored goes too, and nothing is told.
      if (outcome.state === 'stored') await deps.deleteObject(key);
      logger.info('attachment erased while fetching; nothing published', fields);
      return;
    }
    if (ended === 'taken') {
      // This claim went stale and another fetcher took the part over: the object under the key
      // (the same provider file, written by both) is the one that fetcher stores and announces.
      logger.info('attachment claim taken over while fetching; nothing published', fields);
      return;
    }
    deps.onOutcome?.(outcome);
    if (outcome.state === 'failed')
      logger.warn('attachment not stored', { ...fields, reason: outcome.reason, attempt: claim.attempts });
    await deps.publisher.publish([eventOf(job, outcome, claim.attempts)]);
  };

  const handleSqsEvent = (sqsEvent: SQSEvent): Promise<SQSBatchResponse> =>
    processFifoBatch(sqsEvent, {
      openGroups: () => () => ({
        handle: async (record) => {
          const job = MediaJobSchema.parse(JSON.parse(record.body));
          try {
            await fetchPart(job);
          } catch (error) {
            if (error instanceof RetryLaterError) await deps.retryLater(record, error.afterSeconds);
            throw error;
          }
        },
        lastReceive: async (record, why) => {
          await fetchPart(MediaJobSchema.parse(JSON.parse(record.body)), {
            why,
            receives: Number(record.attributes.ApproximateReceiveCount),
          });
          return 'ended';
        },
        close: () => undefined,
      }),
      giveUpAtReceive: deps.giveUpAtReceive,
      onGroupFailure: ({ error, failedCount, record, endErrors }) => {
        // A retry made on purpose is no error, unless ending the job at its give-up receive then
        // failed (DynamoDB refusing its end): that fault keeps it failed (counted since 2026-12-07).
        const endFaults = endErrors.filter((endError) => !(endError instanceof RetryLaterError));
        const faults = error instanceof RetryLaterError ? endFaults.length : failedCount;
        if (faults === 0) return;
        logger.error('media job failed; it comes back after the visibility timeout', {
          errorName: errorNameOf(error instanceof RetryLaterError ? endFaults[0] : error),
          attempt: Number(record.attributes.ApproximateReceiveCount),
        });
        deps.onJobError?.(faults);
      },
    });

  return { fetchPart, handleSqsEvent };
};

export type MediaFetcher = ReturnType<typeof createMediaFetcher>;
