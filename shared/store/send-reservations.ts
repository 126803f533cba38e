import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { OUTBOX_LONGEST_WAIT_SECONDS } from '#shared/resources/definitions.ts';
import { epochSeconds, isConditionFailure } from './item-rules.ts';
import { sendReservationKey } from './keys.ts';
import { MESSAGE_RETENTION_SECONDS } from './messages.ts';
import { type TableContext, track } from './table.ts';

/*
 * Send reservations (`CONV#<conversationId>` / `SENDKEY#<hubMessageId>`): the helpdesk API's one
 * write per send. Before a send command is queued, one conditional PutItem binds the conversation's
 * Idempotency-Key to the hash of the command's data (commandHashOf, the hash the sender's send record
 * keeps): a second body under the key fails the condition and is refused (422) with nothing queued,
 * however soon after the first it comes. Without it only the send record could tell, once the sender
 * had taken the first command; before that the second was answered 202, and then dropped by the
 * outbox's deduplication (the same deduplication id) or by the sender (the same key), with no event.
 * The same content passes the condition: a retry rewrites its own reservation (one an earlier version
 * hashed otherwise too, see commandHashesOf).
 */

/**
 * How long a reservation holds its key: a command can wait on the outbox (14 days) and then on its
 * dead-letter queue (14 days) before the sender claims it, and the send record it claims lasts the
 * message retention from then (30 days by default). So under the default retention the reservation
 * outlives the send record whenever it was claimed (a longer configured retention is left to the
 * send record, which the API reads too), and it outlives SQS's 5-minute deduplication window by far.
 */
export const SEND_RESERVATION_SECONDS = OUTBOX_LONGEST_WAIT_SECONDS + MESSAGE_RETENTION_SECONDS;

export interface SendReservation {
  readonly conversationId: string;
  /** outboundHubMessageId(conversationId, idempotencyKey). */
  readonly hubMessageId: string;
  /** commandHashOf(command.data): the hash the reservation keeps. */
  readonly commandHash: string;
  /**
   * Every hash a reservation of the same content may hold (commandHashesOf(command.data)): one an
   * earlier version wrote holds the key for this content too, and is rewritten with `commandHash`.
   * Only `commandHash` when absent.
   */
  readonly sameContentHashes?: readonly string[];
}

/**
 * `reserved` when the key was free (or its reservation expired) or already held this content (under
 * any of its `sameContentHashes`);
 * `taken` when it holds other content. One conditional PutItem either way.
 */
export const reserveSendKey = async (
  context: TableContext,
  reservation: SendReservation,
): Promise<'reserved' | 'taken'> => {
  const now = epochSeconds(context.now());
  const sameContent = new Set([reservation.commandHash, ...(reservation.sameContentHashes ?? [])]);
  const hashes = Object.fromEntries([...sameContent].map((hash, index) => [`:hash${index}`, hash]));
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...sendReservationKey(reservation.conversationId, reservation.hubMessageId),
          commandHash: reservation.commandHash,
          expiresAt: now + SEND_RESERVATION_SECONDS,
        }),
        // TTL deletes lazily: an expired reservation no longer holds its key.
        ConditionExpression: `attribute_not_exists(pk) OR commandHash IN (${Object.keys(hashes).join(', ')}) OR expiresAt < :now`,
        ExpressionAttributeValues: marshall({ ...hashes, ':now': now }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
    return 'reserved';
  } catch (error) {
    if (isConditionFailure(error)) return 'taken';
    throw error;
  }
};
