import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { type ConversationState, type Message, MessageSchema } from '#shared/contract/index.ts';
import type { MessageEvent } from '#shared/domain/conversation.ts';
import { arrivalOf, latestMomentOf, listedAt } from '#shared/domain/time.ts';
import { epochSeconds, isConditionFailure, isLive } from './item-rules.ts';
import {
  conversationMarkersKeys,
  conversationMessagesKeys,
  conversationMessagesPartition,
  messageKey,
} from './keys.ts';
import { type TableContext, track } from './table.ts';

/*
 * Message items (`MSG#<hubMessageId>` / `MSG`): the message as recorded, which is also the
 * recorder's "done" marker for it, listed by conversation through gsi2. Before it, the same key may
 * hold a bare marker (no message, not listed, an expiry), naming the conversation (`claimedBy`: the
 * message group it was queued in) that took the message:
 * - a claim, written before an e-mail counts: Mailgun posts one mail once per business address it
 *   was sent to, with the same ids, in two conversations that two recorder invocations may record
 *   at the same moment; the claim makes one of them take it;
 * - a counted-marker (`counted`, the event id), written only when a delivery failed after counting
 *   the message in its conversation: the next delivery then republishes without counting again,
 *   however many messages its conversation had meanwhile. Indexed under its conversation (gsi3,
 *   conversationMarkersKeys): it may outlive the delivery by weeks (the event on the dead-letter
 *   queue), and an erasure of the conversation must reach it and leave the tombstone in its place.
 */

/** Message records and message state live this long; at least the dedup horizon (8 days). */
export const MESSAGE_RETENTION_SECONDS = 30 * 24 * 60 * 60;

/** Above this the e-mail bodies are left out: they travel in the event and the raw MIME is in S3. */
const MESSAGE_DATA_SOFT_LIMIT_BYTES = 4 * 1024;
/** Far below the 400 KB item limit; past it only the envelope of the message is kept. */
const MESSAGE_DATA_HARD_LIMIT_BYTES = 64 * 1024;

/** What a stored message may leave out for size (the helpdesk event carried it whole). */
export const OmittedSchema = z.enum(['email_bodies', 'parts', 'details']);

export const StoredMessageDataSchema = z.object({
  message: MessageSchema,
  /** What was left out to keep the item small; the helpdesk event carried it in full. */
  omitted: z.array(OmittedSchema).optional(),
});
export type StoredMessageData = z.infer<typeof StoredMessageDataSchema>;

const byteLength = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** A header value kept only when it is of a sane length (a sender can make any header huge). */
const ifShort = (value: string | undefined, max: number): string | undefined =>
  value !== undefined && value.length <= max ? value : undefined;

/**
 * An e-mail's details reduced to what finds the objects it stored (erasure and export read the
 * record for them) and what a reply threads with (its subject and Message-ID), each bounded.
 */
const objectPointersOf = (email: NonNullable<Message['email']>): NonNullable<Message['email']> => {
  const messageIdHeader = ifShort(email.messageIdHeader, 998);
  return {
    subject: ifShort(email.subject, 2_000) ?? '',
    from: { address: ifShort(email.from.address, 320) ?? '' },
    to: [],
    cc: [],
    replyTo: [],
    ...(messageIdHeader !== undefined ? { messageIdHeader } : {}),
    references: [],
    isAutoReply: email.isAutoReply,
    isBounce: email.isBounce,
    ...(email.rawMimeKey !== undefined ? { rawMimeKey: email.rawMimeKey } : {}),
    ...(email.textBodyKey !== undefined ? { textBodyKey: email.textBodyKey } : {}),
    ...(email.htmlBodyKey !== undefined ? { htmlBodyKey: email.htmlBodyKey } : {}),
    // Only what finds the object: a sender's header (a type, a name) can be any length.
    attachments: email.attachments.flatMap((part) =>
      part.ref.store === 's3' ? [{ type: part.type, kind: part.kind, ref: part.ref }] : [],
    ),
  };
};

/**
 * The message fields whose size is bounded before they are stored: the intake bounds the ids, the
 * endpoint and the contact (shared/intake/event-bounds.ts), the hub makes the rest, and the steps
 * above have already cut the parts and the e-mail to their object keys. A field not named here (a
 * provider's own, or one added later) is left out of a record that is still too large.
 */
const BOUNDED_FIELDS = [
  'hubMessageId',
  'channel',
  'provider',
  'direction',
  'endpoint',
  'contact',
  'conversationId',
  'providerMessageId',
  'providerTimestamp',
  'receivedAt',
  'forwarded',
  'frequentlyForwarded',
  'consentKeyword',
  'sentBy',
  'idempotencyKey',
  'commandId',
  'takenAt',
  'providerMessageIds',
  'parts',
  'email',
] as const satisfies readonly (keyof Message)[];

const pickBounded = (message: Message): Message => {
  const picked: Partial<Record<keyof Message, unknown>> = {};
  for (const field of BOUNDED_FIELDS) if (message[field] !== undefined) picked[field] = message[field];
  return picked as Message;
};

/** The message as stored: the event's data, minus what is too large for a cheap item. */
const storedMessageData = (event: MessageEvent): StoredMessageData => {
  // The person is the conversation's (the helpdesk API reads it there).
  const { contactId: _contactId, ...message } = event.data;
  if (byteLength(message) <= MESSAGE_DATA_SOFT_LIMIT_BYTES) return { message };
  const omitted: z.infer<typeof OmittedSchema>[] = [];
  let trimmed: Message = message;
  if (message.email) {
    const { textBody: _text, htmlBody: _html, ...email } = message.email;
    trimmed = { ...trimmed, email };
    omitted.push('email_bodies');
  }
  if (byteLength(trimmed) > MESSAGE_DATA_HARD_LIMIT_BYTES) {
    trimmed = { ...trimmed, parts: [] };
    omitted.push('parts');
  }
  if (trimmed.email?.replyText !== undefined && byteLength(trimmed) > MESSAGE_DATA_HARD_LIMIT_BYTES) {
    const { replyText: _reply, ...email } = trimmed.email;
    trimmed = { ...trimmed, email };
  }
  if (byteLength(trimmed) > MESSAGE_DATA_HARD_LIMIT_BYTES) {
    // Whatever a provider put around the message (thousands of References, huge headers): only the
    // envelope is kept, so the record always fits an item, with the keys of the objects the e-mail
    // stored (erasure and export find them through the record).
    const { email, referral: _referral, errors: _errors, replyTo: _replyTo, ...envelope } = trimmed;
    trimmed = email ? { ...envelope, email: objectPointersOf(email) } : envelope;
    omitted.push('details');
  }
  if (byteLength(trimmed) > MESSAGE_DATA_HARD_LIMIT_BYTES) {
    // Still too large: only the fields the intake bounds or the hub makes stay (a provider's field
    // of any length, such as an echo's app id or an enquiry's catalog id, goes), and the contact's
    // display name (a sender's From name, of any length; the conversation keeps the contact). The
    // object keys stay; identifiers and the provider's message id are kept whole: the conversation
    // item holds them as well.
    const { displayName: _name, ...contact } = trimmed.contact;
    trimmed = { ...pickBounded(trimmed), contact };
  }
  return omitted.length > 0 ? { message: trimmed, omitted } : { message };
};

/**
 * What a message's key holds for the recorder of one conversation: its record (the done-marker; an
 * erasure's tombstone too), only the counted-marker (it counted in this conversation, recording it
 * failed after), a marker of another conversation (`elsewhere`: a mail posted for two business
 * addresses that the other one took), or nothing live. A claim of this very conversation is
 * `absent`: it may not have counted yet, and the conversation's recent event ids tell.
 */
export type MessageMark = 'recorded' | 'counted' | 'elsewhere' | 'absent';

/** A message's key as read, before it is seen from one conversation (`markFor`). */
export interface MessageKeyRead {
  readonly held: 'recorded' | 'counted' | 'claimed' | 'absent';
  /** The conversation a claim or counted-marker names (none on markers written before claims). */
  readonly claimedBy?: string;
}

/** A message item as read (undefined: none); an expired one counts as absent. */
export const messageKeyReadOf = (item: Record<string, unknown> | undefined, now: Date): MessageKeyRead => {
  if (!item || !isLive(item, now)) return { held: 'absent' };
  const claimedBy = typeof item.claimedBy === 'string' ? item.claimedBy : undefined;
  if (item.counted === true) return claimedBy ? { held: 'counted', claimedBy } : { held: 'counted' };
  return claimedBy ? { held: 'claimed', claimedBy } : { held: 'recorded' };
};

/**
 * The mark as the conversation `conversationId` (the message group the event was queued in) sees it;
 * without one (an echo's check: recorded or not), a claim is absent and a counted-marker counted.
 */
export const markFor = (read: MessageKeyRead, conversationId: string | undefined): MessageMark => {
  if (read.held === 'recorded' || read.held === 'absent') return read.held;
  if (conversationId !== undefined && read.claimedBy !== undefined && read.claimedBy !== conversationId)
    return 'elsewhere';
  return read.held === 'counted' ? 'counted' : 'absent';
};

/** Consistent read of the done-marker (or the marker before it). */
export const readMessageKey = async (
  context: TableContext,
  hubMessageId: string,
): Promise<MessageKeyRead> => {
  const output = await context.client.send(
    new GetItemCommand({
      TableName: context.tableName,
      Key: marshall(messageKey(hubMessageId)),
      ConsistentRead: true,
      ProjectionExpression: 'expiresAt, #counted, claimedBy',
      ExpressionAttributeNames: { '#counted': 'counted' },
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'GetItem', output);
  return messageKeyReadOf(output.Item ? unmarshall(output.Item) : undefined, context.now());
};

/** The condition of a marker's put: nothing live at the key, or a marker of the same conversation. */
const MARKER_CONDITION = 'attribute_not_exists(pk) OR expiresAt <= :now OR claimedBy = :conversation';

/** Whether a marker was put (false: a record, a tombstone or another conversation's marker is there). */
const putMarker = async (
  context: TableContext,
  hubMessageId: string,
  fields: Record<string, unknown>,
  claimedBy: string,
  condition: { readonly expression: string; readonly names?: Record<string, string> },
  retentionSeconds: number,
): Promise<boolean> => {
  const now = epochSeconds(context.now());
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...messageKey(hubMessageId),
          ...fields,
          claimedBy,
          expiresAt: now + retentionSeconds,
        }),
        ConditionExpression: condition.expression,
        ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
        ExpressionAttributeValues: marshall({ ':now': now, ':conversation': claimedBy }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
};

/**
 * Claims an e-mail for the conversation it was queued in, before it counts there: false when
 * another conversation claimed or counted it, or it is recorded (or erased) already. Idempotent for
 * the conversation that holds it; never replaces its counted-marker (which says more).
 */
export const claimMessage = (
  context: TableContext,
  hubMessageId: string,
  conversationId: string,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): Promise<boolean> =>
  putMarker(
    context,
    hubMessageId,
    {},
    conversationId,
    {
      // The counted-marker guard holds for a live marker only: an expired one is nothing.
      expression:
        'attribute_not_exists(pk) OR expiresAt <= :now OR (claimedBy = :conversation AND attribute_not_exists(#counted))',
      names: { '#counted': 'counted' },
    },
    retentionSeconds,
  );

/**
 * Notes that the message counted in its conversation (`claimedBy`, the one it was queued in) while its
 * record is not written yet: the recorder writes it only when a delivery fails after the conversation
 * took the message (or a later one finds it there without its record), so a redelivery after the
 * conversation forgot the event's id does not count it again. Never replaces a live record, tombstone
 * or another conversation's marker (the condition); the record replaces it.
 */
export const putCountedMarker = async (
  context: TableContext,
  event: MessageEvent,
  claimedBy: string,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): Promise<void> => {
  const { hubMessageId, conversationId } = event.data;
  // Not put (recorded meanwhile, or another conversation's): nothing to note. Filed under the
  // conversation it counted in (the event's, once re-homed or moved off an alias), where an erasure
  // of its person looks, which is not the one it was queued in when the recorder re-homed it.
  await putMarker(
    context,
    hubMessageId,
    { eventId: event.id, counted: true, ...conversationMarkersKeys(conversationId, hubMessageId) },
    claimedBy,
    { expression: MARKER_CONDITION },
    retentionSeconds,
  );
};

/** The durable "done" marker, written last. */
export const putMessage = async (
  context: TableContext,
  event: MessageEvent,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): Promise<void> => {
  const { hubMessageId, conversationId } = event.data;
  const output = await context.client.send(
    new PutItemCommand({
      TableName: context.tableName,
      Item: marshall({
        ...messageKey(hubMessageId),
        ...conversationMessagesKeys(conversationId, listedAt(event), arrivalOf(event), hubMessageId),
        eventId: event.id,
        data: JSON.stringify(storedMessageData(event)),
        expiresAt: epochSeconds(context.now()) + retentionSeconds,
      }),
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'PutItem', output);
};

/** A stored message item as readers see it; undefined when its data does not parse. */
export const storedMessageOf = (item: Record<string, unknown>): StoredMessageData | undefined => {
  if (typeof item.data !== 'string') return undefined;
  try {
    const parsed = StoredMessageDataSchema.safeParse(JSON.parse(item.data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

/** A recorded message by its hub id (consistent read); undefined when absent, expired or unreadable. */
export const getMessage = async (
  context: TableContext,
  hubMessageId: string,
): Promise<Message | undefined> => {
  const output = await context.client.send(
    new GetItemCommand({
      TableName: context.tableName,
      Key: marshall(messageKey(hubMessageId)),
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'GetItem', output);
  const item = output.Item ? unmarshall(output.Item) : undefined;
  return item && isLive(item, context.now()) ? storedMessageOf(item)?.message : undefined;
};

/**
 * Which of a conversation's messages a gsi2 page reads (gsi2 sorts by
 * `<listedAt>#<arrival>#<hubMessageId>`, keys.ts): all of them, only those a message of provider
 * time `at` can list among (`at`), or only those listed before that time (`before`). A message lists
 * at the latest moment its time allows, bounded by its receipt (`listedAt`): for a time in whole
 * seconds (WhatsApp's) anywhere in its second, from `<at>#` (below each key of that time) to
 * `<its last millisecond>$` (`$` follows `#`: above each key of that millisecond, below the next
 * one's). A message whose provider time is ahead of its receipt lists before that time, outside
 * both ranges: a sender's clock ahead, which WhatsApp's (the only reader of these ranges, for a
 * typing indicator) is not. Keys written before 2026-12-06 (`<occurredAt>#<hubMessageId>`) fall
 * in the same ranges.
 */
type IndexRange = { readonly at: string } | { readonly before: string };

const keyConditionOf = (conversationId: string, range: IndexRange | undefined) => {
  const pk = { ':pk': conversationMessagesPartition(conversationId) };
  if (range === undefined) return { expression: 'gsi2pk = :pk', values: pk };
  if ('at' in range)
    return {
      expression: 'gsi2pk = :pk AND gsi2sk BETWEEN :from AND :to',
      values: { ...pk, ':from': `${range.at}#`, ':to': `${latestMomentOf(range.at)}$` },
    };
  return {
    expression: 'gsi2pk = :pk AND gsi2sk < :before',
    values: { ...pk, ':before': `${range.before}#` },
  };
};

/** A conversation's live messages from one gsi2 page, newest first: all of them, or those of `range`. */
const newestOnIndex = async (
  context: TableContext,
  conversationId: string,
  limit: number,
  range?: IndexRange,
): Promise<Message[]> => {
  const condition = keyConditionOf(conversationId, range);
  const output = await context.client.send(
    new QueryCommand({
      TableName: context.tableName,
      IndexName: 'gsi2',
      KeyConditionExpression: condition.expression,
      ExpressionAttributeValues: marshall(condition.values),
      ScanIndexForward: false,
      Limit: limit,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'Query', output);
  return (output.Items ?? [])
    .map((raw) => unmarshall(raw))
    .filter((item) => isLive(item, context.now()))
    .flatMap((item) => storedMessageOf(item)?.message ?? []);
};

/** A conversation's newest recorded messages, newest first (one gsi2 page). */
export const newestMessages = (
  context: TableContext,
  conversationId: string,
  limit: number,
): Promise<Message[]> => newestOnIndex(context, conversationId, limit);

/** Messages listed within one provider time (a WhatsApp timestamp's second): a few at most. */
const SAME_TIME_LIMIT = 10;

/**
 * How many of a conversation's messages before the customer's newest are read when that one is
 * passed over: the customer's and the answers alike, so an earlier message of the customer is found
 * only among the conversation's last few.
 */
const EARLIER_LIMIT = 10;

/**
 * The customer's newest recorded message in a conversation that `passOver` does not pass over. The
 * Query reads only the messages listed within its `lastInboundAt` (`at`: that time's second for a
 * WhatsApp time), never the answers after it; only when the customer's newest message there is
 * passed over (a call, for a typing indicator) does a second Query read the conversation's
 * EARLIER_LIMIT messages before that time, newest first, and give the newest of the customer's
 * among them not passed over. Undefined when the customer never wrote, the newest message is gone,
 * or none of those is one to give.
 */
export const newestInboundMessage = async (
  context: TableContext,
  conversation: Pick<ConversationState, 'conversationId' | 'lastInboundAt'>,
  passOver: (message: Message) => boolean,
): Promise<Message | undefined> => {
  if (conversation.lastInboundAt === null) return undefined;
  const atThatTime = await newestOnIndex(context, conversation.conversationId, SAME_TIME_LIMIT, {
    at: conversation.lastInboundAt,
  });
  const newest = atThatTime.find((message) => message.direction === 'inbound');
  if (newest === undefined || !passOver(newest)) return newest;
  const given = (message: Message): boolean => message.direction === 'inbound' && !passOver(message);
  // Another of the customer's of the same second stands as newest as well (listed as received).
  const sameTime = atThatTime.find(given);
  if (sameTime !== undefined) return sameTime;
  const before = await newestOnIndex(context, conversation.conversationId, EARLIER_LIMIT, {
    before: conversation.lastInboundAt,
  });
  return before.find(given);
};
