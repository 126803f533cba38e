import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { resolveQueueMessageBody } from '#shared/aws/claim-check.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { chunkEntries } from '#shared/aws/sqs-event-publisher.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createSqsPoller } from '#shared/local/event-source.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import type { AfterStep } from '#shared/recorder/steps.ts';
import { createRecorder } from '#shared/recorder/wiring.ts';
import { createReadApi } from '#shared/store/read-api.ts';
import type { PseudonymKeySource } from '#shared/store/suppressions.ts';

/** Real emulators, the real recorder wiring, and helpers that play the webhook and the helpdesk. */
export interface Pipeline {
  readonly emulators: RunningEmulators;
  readonly read: ReturnType<typeof createReadApi>;
  /** The real recorder wiring; `pseudonymKey` plays a refused or replaced key (the local key by default). */
  recorder(afterStep?: AfterStep, options?: { readonly pseudonymKey?: PseudonymKeySource }): RecorderService;
  /** What the webhook does: group = subject, dedup id = event id (+ a suffix to play "after the window"). */
  ingest(events: readonly HubEvent[], dedupSuffix?: string): Promise<void>;
  /** Runs the event source until the ingest queue is empty. */
  drain(recorder?: RecorderService): Promise<{ received: number; failed: number }>;
  /** Receives and deletes everything on the helpdesk queue, in delivery order. */
  takeHelpdesk(): Promise<HubEvent[]>;
  stop(): Promise<void>;
}

const silentLogger = createLogger({ level: 'error', write: () => {} });

const NOW = new Date('2026-11-22T12:00:00.000Z');

export const startPipeline = async (): Promise<Pipeline> => {
  const emulators = await startEmulators();
  const { clients, resources } = emulators;
  const recorder = (
    afterStep?: AfterStep,
    options?: { readonly pseudonymKey?: PseudonymKeySource },
  ): RecorderService =>
    createRecorder({
      pseudonymKey: options?.pseudonymKey ?? localPseudonymKey,
      dynamodb: clients.dynamodb,
      sqs: clients.sqs,
      payloads: { s3: clients.s3, bucket: resources.bucketName },
      tableName: resources.tableName,
      helpdeskQueueUrl: resources.helpdeskQueueUrl,
      ingestDlqUrl: resources.ingestDlqUrl,
      logger: silentLogger,
      clock: () => NOW,
      ...(afterStep ? { afterStep } : {}),
    });
  const defaultRecorder = recorder();
  return {
    emulators,
    read: createReadApi({ client: clients.dynamodb, tableName: resources.tableName, now: () => NOW }),
    recorder,
    async ingest(events, dedupSuffix = '') {
      const bodies = events.map((event) => {
        const body = JSON.stringify(event);
        return { body, bytes: Buffer.byteLength(body, 'utf8') };
      });
      let offset = 0;
      for (const entries of chunkEntries(bodies)) {
        const chunk = entries.map((entry) => entry.body);
        const output = await clients.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: resources.ingestQueueUrl,
            Entries: chunk.map((body, index) => {
              const event = events[offset + index] as HubEvent;
              return {
                Id: String(index),
                MessageBody: body,
                MessageGroupId: event.subject,
                MessageDeduplicationId: `${event.id}${dedupSuffix}`,
              };
            }),
          }),
        );
        if ((output.Failed ?? []).length > 0)
          throw new Error(`ingest refused: ${JSON.stringify(output.Failed)}`);
        offset += chunk.length;
      }
    },
    async drain(service = defaultRecorder) {
      const poller = await createSqsPoller({
        sqs: emulators.queues,
        queueUrl: resources.ingestQueueUrl,
        handler: (event) => service.handleSqsEvent(event),
        waitTimeSeconds: 0,
        // Lambda leaves failed messages invisible for minutes; here they come back at once so
        // retries, and the DLQ after maxReceiveCount, happen within one drain.
        retryVisibilitySeconds: 0,
        // A test harness must not swallow a handler that throws.
        onError: (error) => {
          throw error;
        },
      });
      const totals = { received: 0, failed: 0 };
      // Done when the queue stays empty for two receives in a row (the poll cap only stops a runaway).
      for (let poll = 0, idle = 0; poll < 100_000 && idle < 2; poll++) {
        const batch = await poller.pollOnce();
        idle = batch.received === 0 ? idle + 1 : 0;
        totals.received += batch.received;
        totals.failed += batch.failed;
      }
      return totals;
    },
    async takeHelpdesk() {
      const events: HubEvent[] = [];
      for (let idle = 0; idle < 2; ) {
        const output = await clients.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: resources.helpdeskQueueUrl, MaxNumberOfMessages: 10 }),
        );
        const messages = output.Messages ?? [];
        if (messages.length === 0) {
          idle++;
          continue;
        }
        idle = 0;
        for (const message of messages) {
          // Events too large for a queue message arrive as claim checks in the payload bucket.
          const json = await resolveQueueMessageBody(message.Body ?? '', (bucket, key) =>
            new S3BlobStore(clients.s3, bucket).get(key),
          );
          events.push(HubEventSchema.parse(json));
        }
        await clients.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: resources.helpdeskQueueUrl,
            Entries: messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
      return events;
    },
    stop: () => emulators.stop(),
  };
};
