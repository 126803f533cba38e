import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { S3BlobStore, type S3ClientSource } from '#shared/aws/blob-store.ts';
import { moveToDeadLetterQueue } from '#shared/aws/dead-letter.ts';
import type { SqsBatchSender } from '#shared/aws/event-publisher.ts';
import type { MediaObjects } from '#shared/aws/media-objects.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import type { Logger } from '#shared/observability/logger.ts';
import { createEventRecorder } from '#shared/recorder/record-event.ts';
import { HELPDESK_QUEUE, OUTBOX_QUEUE, SENDER } from '#shared/resources/definitions.ts';
import { consentKeysFor, readContactConsent } from '#shared/store/contacts.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { createEndpointPauses } from '#shared/store/endpoint-pauses.ts';
import { getMessage, newestInboundMessage, newestMessages } from '#shared/store/messages.ts';
import { checkedPseudonymKey } from '#shared/store/pseudonym-key-check.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import {
  createSendStore,
  isErasedCommandHash,
  isErasedCommandOf,
  readSendWithConversation,
} from '#shared/store/sends.ts';
import type { PseudonymKeySource } from '#shared/store/suppressions.ts';
import type { TableContext } from '#shared/store/table.ts';
import { noteUploadsSent } from '#shared/store/upload-refs.ts';
import { rememberWhatsAppUpload } from '#shared/store/whatsapp-uploads.ts';
import { createRateLimiter, type EndpointRates, endpointRateOf, rateKeyOf } from './endpoint-rate.ts';
import { createOutboxService, type OutboxService } from './outbox-service.ts';
import {
  createSendCommandHandler,
  DEFAULT_SEND_LIMITS,
  providerOf,
  type SendCommandDeps,
  type SenderReads,
} from './send-command.ts';
import type { SenderFor } from './senders.ts';
import { createStagingBudget, stagingBudgetBytes } from './staging-budget.ts';

/** How many of a conversation's newest messages are searched for the e-mail a reply answers. */
const THREAD_SEARCH_DEPTH = 20;

export interface SenderWiring {
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly sqs: SQSClient;
  /**
   * The helpdesk stream's SendMessageBatch: the Lambda's signed client; `sqs` when absent (tests).
   */
  readonly helpdeskBatches?: SqsBatchSender;
  readonly payloads: { readonly s3: S3ClientSource; readonly bucket: string };
  /** The payload bucket's files that media parts may name; without it such parts are refused. */
  readonly mediaObjects?: MediaObjects;
  readonly tableName: string;
  readonly helpdeskQueueUrl: string;
  /**
   * The outbox itself: a command backing off from a provider is made visible again when its backoff
   * ends. Without it, such a command comes back after the queue's visibility timeout.
   */
  readonly outboxQueueUrl?: string;
  readonly outboxDlqUrl: string;
  readonly senderFor: SenderFor;
  readonly replyTagKey: () => Promise<string | undefined>;
  /**
   * The pseudonym key, which kept opt-outs are filed under: read with the first consent check, and
   * checked then against the table's check item (a key that does not match fails the check).
   */
  readonly pseudonymKey: PseudonymKeySource;
  readonly twilioStatusCallbackUrl?: string;
  readonly defaultEmailProvider: 'ses' | 'mailgun';
  readonly logger: Logger;
  readonly clock?: () => Date;
  /** The backoff's jitter. @default Math.random */
  readonly random?: () => number;
  readonly afterStep?: SendCommandDeps['afterStep'];
  readonly limits?: SendCommandDeps['limits'];
  readonly onOutcome?: SendCommandDeps['onOutcome'];
  readonly onCommandError?: (failedCount: number) => void;
  readonly onCapacity?: TableContext['onCapacity'];
  readonly onPause?: SendCommandDeps['onPause'];
  /**
   * Sender environments that may run at once: each takes this share of an endpoint's rate.
   * @default SENDER.maxConcurrency
   */
  readonly environments?: number;
  /**
   * How long send bookkeeping and recorded messages are kept (SWITCHBOARD_MESSAGE_RETENTION_DAYS).
   * @default MESSAGE_RETENTION_SECONDS (30 days)
   */
  readonly retentionSeconds?: number;
  /**
   * The endpoint's turn at its provider rate: milliseconds to wait, or undefined to send the command
   * back. @default a rate limiter over `endpointRatesPerSecond` shared by this sender's sends
   */
  readonly endpointTurn?: SendCommandDeps['endpointTurn'];
  /** Requests per second per business endpoint, by channel or provider and channel. @default SENDER.endpointRatesPerSecond */
  readonly endpointRatesPerSecond?: EndpointRates;
  /**
   * The bytes of files this environment's sends may hold at once (shared/outbound/staging-budget.ts).
   * @default stagingBudgetBytes(undefined): SENDER.stagedFiles at the construct's default memory
   */
  readonly stagingBudgetBytes?: number;
}

/** The sender over real clients: what the Lambda, the local hub and the integration tests run. */
export const createSender = (wiring: SenderWiring): OutboxService => {
  const clock = wiring.clock ?? (() => new Date());
  const context: TableContext = {
    client: wiring.dynamodb,
    tableName: wiring.tableName,
    now: clock,
    ...(wiring.onCapacity ? { onCapacity: wiring.onCapacity } : {}),
  };
  // Checked once per environment: a replaced key fails every consent check instead of finding no
  // kept opt-out (the command fails and is retried, then ends send_failed without a provider call).
  const pseudonymKey = checkedPseudonymKey(context, wiring.pseudonymKey, { logger: wiring.logger });
  const reads: SenderReads = {
    conversation: (conversationId) => loadConversation(context, conversationId),
    sendWithConversation: (hubMessageId, conversationId) =>
      readSendWithConversation(context, hubMessageId, conversationId),
    erasedCommandIs: async (erased, data) => isErasedCommandOf(erased, data, await pseudonymKey()),
    erasedCommandHashIs: async (erased, hash) => isErasedCommandHash(erased, hash, await pseudonymKey()),
    // Under every identifier of a WhatsApp customer (consentKeysFor): the same two reads, more keys.
    consent: (conversation) =>
      readContactConsent(context, pseudonymKey, consentKeysFor(conversation.channel, conversation.contact)),
    message: (hubMessageId) => getMessage(context, hubMessageId),
    newestMessages: (conversationId) => newestMessages(context, conversationId, THREAD_SEARCH_DEPTH),
    newestInbound: (conversation, passOver) => newestInboundMessage(context, conversation, passOver),
  };
  const sends = createSendStore(context, wiring.retentionSeconds);
  // The helpdesk stream, exactly as the recorder publishes to it (claim checks for large events).
  const publisher = new SqsEventPublisher({
    client: wiring.sqs,
    ...(wiring.helpdeskBatches ? { batchSender: wiring.helpdeskBatches } : {}),
    queueUrl: wiring.helpdeskQueueUrl,
    maxMessageBytes: HELPDESK_QUEUE.maximumMessageSizeBytes,
    oneEntryPerGroupPerRequest: true,
    overflow: {
      store: new S3BlobStore(wiring.payloads.s3, wiring.payloads.bucket),
      bucket: wiring.payloads.bucket,
    },
  });
  const recordEvent = createEventRecorder({
    store: createRecorderStore(context, pseudonymKey, wiring.retentionSeconds),
    clock,
    logger: wiring.logger,
    ...(wiring.retentionSeconds !== undefined ? { retentionSeconds: wiring.retentionSeconds } : {}),
  });
  const limiter = createRateLimiter({
    environments: wiring.environments ?? SENDER.maxConcurrency,
    maxWaitMs: SENDER.maxRateWaitMs,
  });
  const rates = wiring.endpointRatesPerSecond ?? SENDER.endpointRatesPerSecond;
  // One budget for all the sends of this environment: its batches' conversations run concurrently.
  const stagingBudget = createStagingBudget(wiring.stagingBudgetBytes ?? stagingBudgetBytes(undefined));
  // One pause store for sends and signals: a pause either notes is read by both.
  const pauses = createEndpointPauses(context);
  const sendMessage = createSendCommandHandler({
    reads,
    sends,
    pauses,
    endpointTurn:
      wiring.endpointTurn ??
      ((plan, budgetMs) => limiter.reserve(rateKeyOf(plan), endpointRateOf(rates, plan), budgetMs)),
    senderFor: wiring.senderFor,
    recordEvent,
    publisher,
    ...(wiring.mediaObjects ? { mediaObjects: wiring.mediaObjects } : {}),
    stagingBudget,
    rememberUpload: (upload) => rememberWhatsAppUpload(context, upload),
    // As long as the send records that name them (the same retention).
    noteUploads: (conversationId, s3Keys) =>
      noteUploadsSent(context, conversationId, s3Keys, wiring.retentionSeconds),
    replyTagKey: wiring.replyTagKey,
    ...(wiring.twilioStatusCallbackUrl ? { twilioStatusCallbackUrl: wiring.twilioStatusCallbackUrl } : {}),
    defaultEmailProvider: wiring.defaultEmailProvider,
    clock,
    ...(wiring.random ? { random: wiring.random } : {}),
    logger: wiring.logger,
    ...(wiring.limits ? { limits: wiring.limits } : {}),
    ...(wiring.afterStep ? { afterStep: wiring.afterStep } : {}),
    ...(wiring.onOutcome ? { onOutcome: wiring.onOutcome } : {}),
    ...(wiring.onPause ? { onPause: wiring.onPause } : {}),
  });
  const deadLetter = async (record: SQSRecord, reason: string): Promise<void> => {
    await moveToDeadLetterQueue(
      wiring.sqs,
      { queueUrl: wiring.outboxDlqUrl, maxMessageBytes: OUTBOX_QUEUE.maximumMessageSizeBytes },
      record,
      reason,
    );
    wiring.logger.error('command moved to the outbox dead-letter queue', { reason });
  };
  const { outboxQueueUrl } = wiring;
  const setVisibility =
    outboxQueueUrl === undefined
      ? undefined
      : async (records: readonly SQSRecord[], seconds: number): Promise<void> => {
          // At most 10 records a batch (FIFO): one request per waiting conversation.
          const output = await wiring.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: outboxQueueUrl,
              Entries: records.map((record, index) => ({
                Id: String(index),
                ReceiptHandle: record.receiptHandle,
                VisibilityTimeout: seconds,
              })),
            }),
          );
          if ((output.Failed ?? []).length > 0)
            throw new Error(`${output.Failed?.length} of ${records.length} visibility change(s) failed`);
        };
  return createOutboxService({
    sendMessage,
    ...(setVisibility ? { setVisibility } : {}),
    reads,
    sends,
    publisher,
    senderFor: wiring.senderFor,
    providerOf: (state) => providerOf(state, wiring.defaultEmailProvider),
    pauses,
    credentialsPauseMs: (wiring.limits ?? DEFAULT_SEND_LIMITS).credentialsPauseMs,
    signalMinRemainingMs: (wiring.limits ?? DEFAULT_SEND_LIMITS).minRemainingMs,
    ...(wiring.onPause ? { onPause: wiring.onPause } : {}),
    deadLetter,
    clock,
    logger: wiring.logger,
    ...(wiring.onCommandError ? { onCommandError: wiring.onCommandError } : {}),
  });
};
