import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { OUTBOX_LONGEST_WAIT_SECONDS } from '#shared/resources/definitions.ts';
import { epochSeconds, isConditionFailure, isLive } from './item-rules.ts';
import { sendReservationKey } from './keys.ts';
import { MESSAGE_RETENTION_SECONDS } from './messages.ts';
import { SEND_RECORD_LEAST_KEPT_SECONDS } from './sends.ts';
import { type TableContext, track } from './table.ts';

/*
 * Send reservations (`CONV#<conversationId>` / `SENDKEY#<hubMessageId>`): the helpdesk API's one
 * write per send. Before a send command is queued, one conditional write binds the conversation's
 * Idempotency-Key to the hash of the command's data (commandHashOf, the hash the sender's send record
 * keeps): a second body under the key fails the condition and is refused (422) with nothing queued,
 * however soon after the first it comes. Without it only the send record could tell, once the sender
 * had taken the first command; before that the second was answered 202, and then dropped by the
 * outbox's deduplication (the same deduplication id) or by the sender (the same key), with no event.
 * The same content passes the condition: a retry renews its own reservation (one an earlier version
 * hashed otherwise too, see commandHashesOf), which keeps the time of the key's first request. Once
 * that is longer ago than the sender's send record can be relied on (SEND_REQUEUE_SECONDS), a retry
 * is not queued again: the record, the only thing that stops a second send, may be gone by then.
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
  /**
   * The uploads for sending (`media/outbound/…`) the content names, whose references the API notes before it queues
   * the command: kept with the reservation (with its conversation id), so an erasure that finds the reservation finds
   * and releases them even when no send record ever names them (the queuing failed and was never retried). Upload
   * keys hold no file name (`…/file.<extension>`).
   */
  readonly uploads?: readonly string[];
}

/** The attributes that name a reservation's uploads, the way erasure reads a stored item's files (`s3Key`). */
const uploadAttributes = (reservation: SendReservation): Record<string, unknown> =>
  reservation.uploads && reservation.uploads.length > 0
    ? {
        conversationId: reservation.conversationId,
        uploads: [...new Set(reservation.uploads)].map((s3Key) => ({ s3Key })),
      }
    : {};

/**
 * How long after a key's first accepted request a retry of its content is still queued. The send
 * record the sender claims for the key's command (never before that request) is kept at least
 * SEND_RECORD_LEAST_KEPT_SECONDS after its claim, whatever the retention, and makes a retry's command
 * a repeat the sender sends nothing for; the day kept back here is for the retry's command to reach
 * the sender (a running one takes it within its 50 receives, about 50 minutes). Later the record may
 * be gone, and the sender would take the retry for a new command and send it a second time: the
 * retry is answered as the first request was, and nothing is queued.
 */
export const SEND_REQUEUE_SECONDS = SEND_RECORD_LEAST_KEPT_SECONDS - 86_400;

/**
 * `reserved` when the key was free (or its reservation expired), or has held this content (under any
 * of its `sameContentHashes`) for less than SEND_REQUEUE_SECONDS: the command may be queued (again);
 * `replay` when it has held this content for longer: queue nothing, answer as the first request;
 * `taken` when it holds other content.
 * One conditional write: an UpdateItem that renews the reservation and keeps the time of its first
 * request (`reservedAt`), returning the reservation as it was. A PutItem more only when that fails
 * on an expired reservation (or on another content, when the server does not return the item), and
 * an UpdateItem more for a reservation written before `reservedAt` was kept.
 */
export const reserveSendKey = async (
  context: TableContext,
  reservation: SendReservation,
): Promise<'reserved' | 'replay' | 'taken'> => {
  const now = epochSeconds(context.now());
  const sameContent = new Set([reservation.commandHash, ...(reservation.sameContentHashes ?? [])]);
  const hashes = Object.fromEntries([...sameContent].map((hash, index) => [`:hash${index}`, hash]));
  const held = await renew(context, reservation, hashes, now);
  if (held === 'other') return 'taken';
  if (held === 'stale' && !(await replace(context, reservation, hashes, now))) return 'taken';
  const since = held === 'stale' ? now : await firstRequestAt(context, reservation, held, now);
  return now - since < SEND_REQUEUE_SECONDS ? 'reserved' : 'replay';
};

type Item = Record<string, unknown>;

const keyOf = (reservation: SendReservation) =>
  marshall(sendReservationKey(reservation.conversationId, reservation.hubMessageId));
/** That the reservation holds this content (`hashes` named as in the expression's values). */
const sameContentCondition = (hashes: Record<string, string>) =>
  `commandHash IN (${Object.keys(hashes).join(', ')})`;

/**
 * Renews a live reservation of this content, or writes the key's first: the reservation as it was
 * (undefined when there was none). `other` when it holds other content; `stale` when it expired
 * (TTL deletes lazily), or when the write failed and the server did not say on what item.
 */
const renew = async (
  context: TableContext,
  reservation: SendReservation,
  hashes: Record<string, string>,
  now: number,
): Promise<Item | undefined | 'other' | 'stale'> => {
  const uploads = uploadAttributes(reservation);
  const setUploads = Object.keys(uploads)
    .map((name) => `, ${name} = :${name}`)
    .join('');
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: keyOf(reservation),
        // A retry renews the expiry, not the age: `reservedAt` stays the first request's.
        UpdateExpression: `SET commandHash = :commandHash, expiresAt = :expiresAt, reservedAt = if_not_exists(reservedAt, :now)${setUploads}`,
        ConditionExpression: `attribute_not_exists(pk) OR (${sameContentCondition(hashes)} AND expiresAt >= :now)`,
        ExpressionAttributeValues: marshall({
          ...hashes,
          ':commandHash': reservation.commandHash,
          ':expiresAt': now + SEND_RESERVATION_SECONDS,
          ':now': now,
          ...Object.fromEntries(Object.entries(uploads).map(([name, value]) => [`:${name}`, value])),
        }),
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    return output.Attributes ? unmarshall(output.Attributes) : undefined;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const old = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
    // DynamoDB returns the item that failed the condition; a server that does not leaves it to `replace`.
    return old && isLive(unmarshall(old), new Date(now * 1000)) ? 'other' : 'stale';
  }
};

/**
 * A new reservation in place of an expired one, its first request this one: on the condition a
 * reservation was written on before it kept that time (no reservation, this content, or expired);
 * false when the key holds other content.
 */
const replace = async (
  context: TableContext,
  reservation: SendReservation,
  hashes: Record<string, string>,
  now: number,
): Promise<boolean> => {
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...sendReservationKey(reservation.conversationId, reservation.hubMessageId),
          commandHash: reservation.commandHash,
          expiresAt: now + SEND_RESERVATION_SECONDS,
          reservedAt: now,
          ...uploadAttributes(reservation),
        }),
        ConditionExpression: `attribute_not_exists(pk) OR ${sameContentCondition(hashes)} OR expiresAt < :now`,
        ExpressionAttributeValues: marshall({ ...hashes, ':now': now }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

/**
 * When the key's first request was, from the reservation as it was before this one renewed it: now
 * for a new one. One written before `reservedAt` was kept (since 2026-12-03, before 2026-12-06) is
 * dated by its last request, the latest its first can have been, and given that date, so that its
 * next retry does not count from this one (the renewal wrote now).
 */
const firstRequestAt = async (
  context: TableContext,
  reservation: SendReservation,
  before: Item | undefined,
  now: number,
): Promise<number> => {
  if (!before) return now;
  if (typeof before.reservedAt === 'number') return before.reservedAt;
  const lastRequestAt = Number(before.expiresAt) - SEND_RESERVATION_SECONDS;
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: keyOf(reservation),
        UpdateExpression: 'SET reservedAt = :at',
        // Only over the date the renewal gave it: another request may have dated it meanwhile.
        ConditionExpression: 'reservedAt = :now',
        ExpressionAttributeValues: marshall({ ':at': lastRequestAt, ':now': now }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  return lastRequestAt;
};
