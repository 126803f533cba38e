import { type EventPublisher, IngestPublishError } from '#shared/aws/event-publisher.ts';
import type { HubEvent } from '#shared/contract/index.ts';

/** One message group's view of the shared publisher; `leave()` once the group has nothing more to publish. */
export interface GroupPublisher extends EventPublisher {
  leave(): void;
  /**
   * Runs `work`, which publishes nothing (the sender's read receipts and typing indicators), with
   * the group out of the rounds meanwhile: the other groups' events go out without waiting for it.
   */
  aside<T>(work: () => Promise<T>): Promise<T>;
}

interface Waiting {
  readonly events: readonly HubEvent[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Lets the message groups of one SQS batch, recorded concurrently, share SendMessageBatch requests:
 * a round goes out when every group still running is waiting on a publish, carrying all their
 * events in one call to the inner publisher (which packs them ten to a request). Each group still
 * awaits its own events before writing its done-marker, so the per-event crash guarantees hold.
 *
 * A round that fails fails the groups whose events it did not queue (an IngestPublishError names
 * them; any other error fails every group in it): their events are redelivered and published again,
 * which the queue's deduplication id and the consumers' event-id deduplication make harmless.
 */
export const publishInRounds = (inner: EventPublisher, groups: number): (() => GroupPublisher) => {
  let running = groups;
  let waiting: Waiting[] = [];

  const sendRoundIfAllWaiting = (): void => {
    if (waiting.length === 0 || waiting.length < running) return;
    const round = waiting;
    waiting = [];
    inner.publish(round.flatMap((member) => member.events)).then(
      () => {
        for (const member of round) member.resolve();
      },
      (error: unknown) => {
        // Only the groups whose events were not all queued fail (the error names those events);
        // the others' events went and stay gone, so they carry on. Any other error fails them all.
        const notQueued = error instanceof IngestPublishError ? new Set(error.failedEventIds) : undefined;
        for (const member of round) {
          if (notQueued && !member.events.some((event) => notQueued.has(event.id))) member.resolve();
          else member.reject(error);
        }
      },
    );
  };

  return () => {
    let left = false;
    return {
      publish: (events) =>
        new Promise<void>((resolve, reject) => {
          waiting.push({ events, resolve, reject });
          sendRoundIfAllWaiting();
        }),
      leave: () => {
        if (left) return;
        left = true;
        running -= 1;
        sendRoundIfAllWaiting();
      },
      aside: async (work) => {
        if (left) return work();
        running -= 1;
        sendRoundIfAllWaiting();
        try {
          return await work();
        } finally {
          // Back in the rounds: a round not yet sent waits for this group again.
          running += 1;
        }
      },
    };
  };
};
