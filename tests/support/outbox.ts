import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { COMMAND_TYPES, type HubEvent } from '#shared/contract/index.ts';

/** A send command's one outcome on the helpdesk stream. */
export const isOutcome = (event: HubEvent): boolean =>
  event.type === 'switchboard.message.sent' || event.type === 'switchboard.message.send_failed';

/**
 * Queues a text reply per entry on the outbox, ten per SendMessageBatch, as a helpdesk does: group =
 * conversation, deduplication id and idempotency key = `key`, the text `Reply <key>`.
 */
export const queueReplies = async (
  sqs: Pick<SQSClient, 'send'>,
  outboxQueueUrl: string,
  replies: readonly { conversationId: string; key: string }[],
  source: string,
): Promise<void> => {
  for (let start = 0; start < replies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: outboxQueueUrl,
        Entries: replies.slice(start, start + 10).map(({ conversationId, key }, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify({
            specversion: '1.0',
            id: `${source}-${key}`,
            source,
            type: COMMAND_TYPES.sendMessage,
            data: {
              idempotencyKey: key,
              conversationId,
              parts: [{ type: 'text', text: `Reply ${key}` }],
              sender: { kind: 'agent', id: 'agent-1' },
            },
          }),
          MessageGroupId: conversationId,
          MessageDeduplicationId: key,
        })),
      }),
    );
  }
};
