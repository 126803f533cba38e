import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { HubEvent } from '#shared/contract/index.ts';

/** Publishes events, in order, to the helpdesk stream. Resolves only when every one was accepted. */
export interface HelpdeskPublisher {
  publish(events: readonly HubEvent[]): Promise<void>;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(readonly errorCodes: readonly string[]) {
    super(`helpdesk queue refused ${errorCodes.length} message(s)`);
  }
}

const MAX_ENTRIES = 10;
/** SendMessageBatch caps the whole request at the queue's maximum size (1 MiB); keep a margin for the envelope. */
const MAX_BATCH_BYTES = 1_000_000;

/** Splits in order, so a conversation's events keep their sequence across requests. */
export const chunkForBatch = (bodies: readonly string[]): string[][] => {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body, 'utf8');
    if (current.length > 0 && (current.length === MAX_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};

/**
 * Group = the event's subject (the conversation id for conversation events), so a helpdesk sees a
 * conversation in order; dedup id = event id, so a re-publish within five minutes is dropped by SQS.
 */
export const createSqsPublisher = (sqs: SQSClient, queueUrl: string): HelpdeskPublisher => ({
  async publish(events) {
    const byBody = new Map(events.map((event) => [JSON.stringify(event), event]));
    for (const chunk of chunkForBatch([...byBody.keys()])) {
      const output = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((body, index) => {
            const event = byBody.get(body) as HubEvent;
            return {
              Id: String(index),
              MessageBody: body,
              MessageGroupId: event.subject,
              MessageDeduplicationId: event.id,
            };
          }),
        }),
      );
      const failed = output.Failed ?? [];
      // Stop at the first refusal: sending the rest would put a conversation's events out of order.
      if (failed.length > 0) throw new PublishError(failed.map((entry) => entry.Code ?? 'unknown'));
    }
  },
});
