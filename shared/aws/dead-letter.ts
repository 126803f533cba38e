import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { messageGroupIdFor } from './event-publisher.ts';

/** The message attribute that says why a consumer moved a message to its dead-letter queue. */
export const DEAD_LETTER_REASON_ATTRIBUTE = 'reason';
const STRING_TYPE = 'String';

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes that ends on a whole character. */
const utf8Prefix = (text: string, maxBytes: number): string => {
  let bytes = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += character.length;
  }
  return text.slice(0, end);
};

/**
 * A message's size as SQS counts it against a queue's limit and a request's 1 MiB: its body and
 * each attribute's name, data type and value, in bytes.
 */
export const sqsMessageBytes = (
  body: string,
  attributes: Readonly<Record<string, MessageAttributeValue>> = {},
): number =>
  Buffer.byteLength(body, 'utf8') +
  Object.entries(attributes).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name, 'utf8') +
      Buffer.byteLength(value.DataType ?? '', 'utf8') +
      Buffer.byteLength(value.StringValue ?? '', 'utf8') +
      (value.BinaryValue?.byteLength ?? 0),
    0,
  );

/**
 * The reason attribute for a dead-lettered message, cut to what its body leaves of the queue's
 * size limit: SQS counts each attribute's name, data type and value toward the message's size, so
 * a body near the limit (an outbox command or an ingest event of almost 1 MiB) with the whole
 * reason would be refused on every try, and the message would stay where it failed until the
 * queue's own redrive moved it, receives later, without any reason. No attribute when nothing is
 * left (SQS refuses an empty value); the consumer logs the whole reason either way.
 */
export const reasonAttributesWithin = (
  body: string,
  reason: string,
  maxMessageBytes: number,
): Record<string, MessageAttributeValue> => {
  // What is left for the value once the body and the attribute's name and type are counted.
  const room =
    maxMessageBytes - sqsMessageBytes(body, { [DEAD_LETTER_REASON_ATTRIBUTE]: { DataType: STRING_TYPE } });
  const value = room > 0 ? utf8Prefix(reason, room) : '';
  return value === ''
    ? {}
    : { [DEAD_LETTER_REASON_ATTRIBUTE]: { DataType: STRING_TYPE, StringValue: value } };
};

/**
 * Moves a record to a FIFO dead-letter queue with its reason: its body as queued, in its own
 * group, deduplicated by its message id, so a move repeated after a receive that died before it
 * could answer lands once.
 */
export const moveToDeadLetterQueue = async (
  sqs: SQSClient,
  target: { readonly queueUrl: string; readonly maxMessageBytes: number },
  record: SQSRecord,
  reason: string,
): Promise<void> => {
  const attributes = reasonAttributesWithin(record.body, reason, target.maxMessageBytes);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: target.queueUrl,
      MessageBody: record.body,
      MessageGroupId: messageGroupIdFor(record.attributes.MessageGroupId ?? record.messageId),
      MessageDeduplicationId: record.messageId,
      ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
    }),
  );
};
