import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { EventPublisher } from '#shared/aws/event-publisher.ts';
import { processFifoBatch } from '#shared/aws/sqs-fifo-batch.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { errorNameOf } from '#shared/observability/logger.ts';
import { publishInRounds } from './publish-rounds.ts';
import { type BodyResolver, PoisonMessageError, parseQueuedEvent } from './queued-event.ts';
import { createEventRecorder, type EventRecorderDeps } from './record-event.ts';

export interface RecorderDependencies extends EventRecorderDeps {
  /** The helpdesk queue: resolves only once every event is accepted. */
  readonly publisher: EventPublisher;
  readonly resolveBody?: BodyResolver;
}

/**
 * The recorder Lambda's work: an ingest batch through the FIFO batch framework, each record parsed
 * and recorded, the batch's groups sharing helpdesk publishes in rounds.
 */
export const createRecorderService = (deps: RecorderDependencies) => {
  const record = createEventRecorder(deps);
  const recordEvent = (event: HubEvent, publisher: EventPublisher = deps.publisher): Promise<void> =>
    record(event, publisher);

  const handleSqsEvent = (sqsEvent: SQSEvent): Promise<SQSBatchResponse> =>
    processFifoBatch(sqsEvent, {
      openGroups: (groupCount) => {
        // Groups that reach their publish together share SendMessageBatch requests.
        const joinRounds = publishInRounds(deps.publisher, groupCount);
        return () => {
          const publisher = joinRounds();
          return {
            handle: async (sqsRecord) =>
              record(await parseQueuedEvent(sqsRecord.body, deps.resolveBody), publisher),
            // Done or failed, the group publishes nothing more: the other groups' rounds need not wait.
            close: () => publisher.leave(),
          };
        };
      },
      onGroupFailure: ({ error, record: failedRecord, failedCount }) =>
        deps.logger.error('event not recorded; its group waits for a retry', {
          errorName: errorNameOf(error),
          reason: error instanceof PoisonMessageError ? error.message : undefined,
          failedCount,
          attempt: Number(failedRecord.attributes.ApproximateReceiveCount),
        }),
    });

  return { recordEvent, handleSqsEvent };
};

export type RecorderService = ReturnType<typeof createRecorderService>;
