import { createHmac } from 'node:crypto';
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { canonicalJson, stableHash } from '#shared/contract/ids.ts';
import {
  BusinessEndpointSchema,
  ChannelIdentitySchema,
  ChannelSchema,
  ProviderErrorSchema,
  ProviderSchema,
  SendFailureReasonSchema,
  type SendMessageData,
} from '#shared/contract/index.ts';
import { OUTBOX_LONGEST_WAIT_SECONDS } from '#shared/resources/definitions.ts';
import { type StoredConversation, storedConversationOf } from './conversations.ts';
import { epochSeconds, isConditionFailure, isLive } from './item-rules.ts';
import {
  conversationKey,
  conversationSendsKeys,
  conversationSendsPartition,
  hubMessageIdOfKey,
  type PseudonymKey,
  sendKey,
} from './keys.ts';
import { MESSAGE_RETENTION_SECONDS } from './messages.ts';
import { batchGetItems, itemsByKey, type TableContext, track } from './table.ts';
import { type SendUpload, SendUploadSchema } from './whatsapp-uploads.ts';

/*
 * Send items (`MSG#<hubMessageId>` / `SEND`): the bookkeeping that makes a send command reach each
 * provider at most once however often SQS delivers it. Every change is conditional on the step
 * before it, so two deliveries of one command can never both call the provider for one message:
 *
 *   claimed (state sending, next 0) ─┬─ attempt i: inFlight = i   (written BEFORE the call; for a
 *                                    │  one-message command written with the claim)
 *                                    ├─ accepted: next = i + 1, providerIds += id, inFlight removed
 *                                    │  (a last message known only from its status or its record
 *                                    │  is accepted with the sent mark)
 *                                    ├─ nothing sent (throttled): inFlight removed, waitingSince set,
 *                                    │  waits (and unreachable) counted
 *                                    └─ failed / sent: final, then published
 *
 * A failure is conditional on the record as the delivery read it when it decided: the same next
 * message, the same noted attempt (or none), and no status or echo linked for that message. Another
 * delivery's accept (or its learning from a status that the message went) moves the record on, and
 * the failure, decided on what is no longer so, does not land: the other delivery's outcome stands.
 *
 * An `inFlight` found on redelivery means the call may have reached the provider: the sender waits
 * for the status or echo that carries its correlation id (the recorder links it here, `links`)
 * instead of calling again. No message text is kept: the command is redelivered whole (the plan keeps
 * only what must not change between deliveries, e.g. the name a file sent by key was uploaded under).
 */

const SendStateSchema = z.enum(['sending', 'sent', 'failed']);

/** What was decided when the command was claimed, so every delivery prepares and sends the same. */
export const SendPlanSchema = z.object({
  channel: ChannelSchema,
  provider: ProviderSchema,
  endpoint: BusinessEndpointSchema,
  recipient: ChannelIdentitySchema,
  withinWindow: z.boolean(),
  humanAgentTag: z.boolean(),
  /**
   * The files the command's media parts name in the payload bucket, by part index, as S3 described
   * them at the claim (`s3Key`: the file, which erasure finds here; `filename`: the name an upload
   * stored, for a part that names none).
   */
  media: z
    .record(
      z.string(),
      z.object({
        s3Key: z.string().optional(),
        bytes: z.number().int().nonnegative(),
        contentType: z.string(),
        filename: z.string().optional(),
      }),
    )
    .optional(),
  email: z
    .object({
      from: z.string(),
      replyTo: z.string(),
      subject: z.string(),
      inReplyTo: z.string().optional(),
      references: z.array(z.string()),
    })
    .optional(),
});
export type SendPlan = z.infer<typeof SendPlanSchema>;

export const SendFailureSchema = z.object({
  reason: SendFailureReasonSchema,
  retryable: z.boolean(),
  failedField: z.string().optional(),
  partIndex: z.number().int().nonnegative().optional(),
  /** Safe to log: never the customer's text. */
  detail: z.string().optional(),
  errors: z.array(ProviderErrorSchema).optional(),
  decidedAt: z.string(),
});
export type SendFailure = z.infer<typeof SendFailureSchema>;

const InFlightSchema = z.object({
  index: z.number().int().nonnegative(),
  at: z.string(),
  /**
   * The delivery that wrote it (a random id per delivery): a write whose answer was lost and that the
   * SDK retried fails its condition, and the delivery that finds its own id knows the note is its own.
   */
  by: z.string().optional(),
});

/**
 * What makes two send commands under one key the same command: their data, field for field. The
 * sender keeps it on the send record; the helpdesk API compares a repeat's against it, and keeps it
 * on the key's reservation before it queues anything (send-reservations.ts). This is the hash written;
 * a stored one is compared with every hash of the data (`commandHashesOf`), never with this alone.
 *
 * A template part without a category is hashed as `utility`: until 2026-12-04 the contract filled
 * that default in, so a record or reservation written then holds the hash with it, and a retry of the
 * same command after the deploy (the category still absent) was refused as another command under the
 * key (found by a review; tests/outbound/send-command.test.ts). Only the hash reads it so: the send
 * policy still takes a template without a category for marketing after a marketing opt-out.
 */
export const commandHashOf = (data: SendMessageData): string =>
  stableHash(
    'command',
    canonicalJson({
      ...data,
      parts: data.parts.map((part) =>
        part.type === 'template' && part.category === undefined ? { ...part, category: 'utility' } : part,
      ),
    }),
  );

/**
 * Every hash a send record or reservation of this command's data may hold: `commandHashOf` (what is
 * written now) and the hash of the data as parsed, which the version between the two deploys of
 * 2026-12-04 wrote (the category default gone, the hash not yet reading it as utility). Without the
 * second, the retry of a template command without a category that version took (a send record, or an
 * API reservation, kept up to 58 days) was refused as other content under its key: 422
 * idempotency-key-reused, or send_failed with failedField idempotencyKey (found by a review;
 * tests/outbound/send-command.test.ts, tests/api/send-key-reservation.test.ts). One hash when they
 * are the same (no template part without a category).
 */
export const commandHashesOf = (data: SendMessageData): readonly string[] => {
  const current = commandHashOf(data);
  const asParsed = stableHash('command', canonicalJson(data));
  return asParsed === current ? [current] : [current, asParsed];
};

/** Whether a stored `commandHash` is this command's data (any hash `commandHashesOf` names). */
export const isCommandHashOf = (storedHash: string, data: SendMessageData): boolean =>
  commandHashesOf(data).includes(storedHash);

export const SendRecordSchema = z.object({
  hubMessageId: z.string(),
  conversationId: z.string(),
  commandId: z.string(),
  /** Hash of the command's data: the same key with other content is reported, not sent. */
  commandHash: z.string(),
  state: SendStateSchema,
  /** When the sender first took the command (its claim). */
  acceptedAt: z.string(),
  /**
   * When the outbox queued the command (its SQS record's SentTimestamp, SQS's clock), kept only when
   * before `acceptedAt`: the command waited in its FIFO group behind an earlier command of its
   * conversation. The sent event's `takenAt` is it, else `acceptedAt`. Absent on records of before
   * 2026-12-06 and when the command was taken as soon as it was queued.
   */
  queuedAt: z.string().optional(),
  /** Provider messages the command became (0 when it failed before any was prepared). */
  messageCount: z.number().int().nonnegative(),
  /** The next provider message to send. */
  next: z.number().int().nonnegative(),
  /**
   * The command part each provider message comes from, when they are not one for one (a long text
   * split in several): what a failure names as its `partIndex` when only the record is left.
   */
  partIndexes: z.array(z.number().int().nonnegative()).optional(),
  /**
   * A hash of the provider messages the command was prepared into at the claim: a redelivery that
   * prepares them otherwise (an upgrade moved where a long text is cut, keeping the count) must not
   * send the rest, which would repeat or skip text. Absent on records of before 2026-12-05.
   */
  preparedDigest: z.string().optional(),
  providerIds: z.array(z.string()),
  inFlight: InFlightSchema.optional(),
  /**
   * The file the next message's last try uploaded to the provider (WhatsApp's media id), written
   * with that try's attempt: a later try of the same message names it again rather than uploading
   * the file anew (whatsapp-uploads.ts, reusableUpload). Removed when a message is accepted, and
   * when a try that named it again was refused for its content (it may be gone at Meta). Absent
   * on records of before 2026-12-07. One that does not read is none (the file is uploaded again),
   * never a record that cannot be read.
   */
  upload: SendUploadSchema.optional().catch(undefined),
  /** Since when nothing could be sent (throttling): the give-up clock. */
  waitingSince: z.string().optional(),
  /**
   * How often the next message was sent back because the provider took nothing (throttled, refused
   * for now, unreachable): the exponent of its backoff. Ends with the message, as `waitingSince` does.
   */
  waits: z.number().int().nonnegative().optional(),
  /** How many of those `waits` were a request that never reached the provider (`unreachable`). */
  unreachable: z.number().int().nonnegative().optional(),
  /** Provider message ids the recorder found for this send's messages, by sequence (from statuses and echoes). */
  links: z.record(z.string(), z.string()),
  plan: SendPlanSchema.optional(),
  /**
   * The payload-bucket files a command refused before its files were looked at names (its media
   * parts' and template headers' `s3Key`; `plan.media` names them once inspected): what erasure finds
   * them from.
   */
  files: z.array(z.object({ s3Key: z.string() })).optional(),
  failure: SendFailureSchema.optional(),
  /** When the last provider message was accepted: the sent event's time. */
  completedAt: z.string().optional(),
  /** The outcome event is on the helpdesk queue. */
  published: z.boolean().optional(),
});
export type SendRecord = z.infer<typeof SendRecordSchema>;

/** Another delivery of the command moved the record first: re-read and carry on from there. */
export class SendRaceError extends Error {
  override readonly name = 'SendRaceError';
}

const JSON_ATTRIBUTES = ['plan', 'failure'] as const;

const toItem = (record: SendRecord, expiresAt: number): Record<string, unknown> => {
  const { plan, failure, ...plain } = record;
  return {
    ...sendKey(record.hubMessageId),
    ...conversationSendsKeys(record.conversationId, record.acceptedAt, record.hubMessageId),
    ...plain,
    ...(plan ? { plan: JSON.stringify(plan) } : {}),
    ...(failure ? { failure: JSON.stringify(failure) } : {}),
    expiresAt,
  };
};

const fromItem = (item: Record<string, unknown>): SendRecord => {
  const parsed: Record<string, unknown> = { ...item };
  for (const name of JSON_ATTRIBUTES) {
    if (typeof item[name] === 'string') parsed[name] = JSON.parse(item[name]);
  }
  return SendRecordSchema.parse(parsed);
};

/**
 * A stored send item as readers see it; undefined when it does not parse (erasure reads its provider
 * ids) or is an erasure's tombstone.
 */
export const storedSendOf = (item: Record<string, unknown>): SendRecord | undefined => {
  if (isSendTombstone(item)) return undefined;
  try {
    return fromItem(item);
  } catch {
    return undefined;
  }
};

/**
 * What an erasure leaves of a send record (sendTombstoneOf): its key, and a keyed hash of its
 * command's data (erasedCommandHashOf), no conversation, address, plan or provider id. Its claim's
 * condition still finds an item, so a command the hub took before the erasure is never claimed and
 * sent again, nor its text recorded again, once the customer writes again and the conversation
 * comes back under its id (until 2026-12-07 erasure deleted the record, and such a command went
 * again: found by a review).
 */
export interface ErasedSend {
  readonly state: 'erased';
  readonly hubMessageId: string;
  /** erasedCommandHashOf the record's `commandHash`; absent when the erased item held none. */
  readonly erasedCommandHash?: string;
}

/** A send item as stored: its record, or what an erasure left of it. */
export type StoredSend = SendRecord | ErasedSend;

/** Whether a stored send item is an erasure's tombstone of it. */
export const isSendTombstone = (item: Record<string, unknown>): boolean => item.erased === true;

/**
 * The hash an erased send keeps of its command's data: an HMAC-SHA256, under the pseudonym key, of
 * the record's `commandHash` (commandHashOf), so that a repeat of the command is still told from
 * other content under its key, while reading the table alone never confirms a guessed text.
 */
const erasedCommandHashOf = (pseudonymKey: PseudonymKey, commandHash: string): string =>
  createHmac('sha256', pseudonymKey).update(`erased-send\u0000${commandHash}`, 'utf8').digest('hex');

/**
 * Whether an erased send was this command's data (any hash commandHashesOf names); true when the
 * tombstone kept no hash, as nothing then tells it from a repeat.
 */
export const isErasedCommandOf = (
  erased: ErasedSend,
  data: SendMessageData,
  pseudonymKey: PseudonymKey,
): boolean =>
  erased.erasedCommandHash === undefined ||
  commandHashesOf(data).some((hash) => isErasedCommandHash(erased, hash, pseudonymKey));

/**
 * Whether an erased send's record held exactly `commandHash` (a malformed command's, which names its
 * command id); false when the tombstone kept no hash, as nothing then tells it from another's.
 */
export const isErasedCommandHash = (
  erased: ErasedSend,
  commandHash: string,
  pseudonymKey: PseudonymKey,
): boolean =>
  erased.erasedCommandHash !== undefined &&
  erasedCommandHashOf(pseudonymKey, commandHash) === erased.erasedCommandHash;

/**
 * The tombstone an erasure writes in place of a send item (`item` as stored: a record, or the
 * tombstone an earlier run of the erasure wrote, which stays as it was): bare but for `erased`, the
 * keyed hash of its command and an expiry, the record's own or `keptUntil` when later (the key's API
 * reservation, which the erasure deletes, held a retry back until then), so it lasts as long as a
 * command could come back and find the record (`orElse` for an item with none). No index entry: the
 * conversation's sends no longer list it.
 */
export const sendTombstoneOf = (
  item: Record<string, unknown>,
  pseudonymKey: PseudonymKey,
  { keptUntil, orElse }: { readonly keptUntil?: number | undefined; readonly orElse: number },
): Record<string, unknown> => {
  const hash = isSendTombstone(item)
    ? item.erasedCommandHash
    : typeof item.commandHash === 'string'
      ? erasedCommandHashOf(pseudonymKey, item.commandHash)
      : undefined;
  const own = typeof item.expiresAt === 'number' ? item.expiresAt : orElse;
  return {
    pk: item.pk,
    sk: item.sk,
    erased: true,
    ...(typeof hash === 'string' ? { erasedCommandHash: hash } : {}),
    expiresAt: Math.max(own, keptUntil ?? own),
  };
};

/** A live send item as readers take it: its record, or the erased send its tombstone stands for. */
const storedOrErased = (item: Record<string, unknown>): StoredSend =>
  isSendTombstone(item)
    ? {
        state: 'erased',
        hubMessageId: hubMessageIdOfKey({ pk: String(item.pk), sk: String(item.sk) }),
        ...(typeof item.erasedCommandHash === 'string' ? { erasedCommandHash: item.erasedCommandHash } : {}),
      }
    : fromItem(item);

/**
 * What a failure was decided on: provider message `index` (the record's `next` then), and the
 * attempt then noted for it (`inFlight` as read: its `at` and `by`), or none.
 */
export interface FailedOver {
  readonly index: number;
  readonly attempt?: { readonly at: string; readonly by?: string | undefined } | undefined;
}

/** The last provider message's accept, folded into the sent mark. */
export interface LastAccept {
  readonly index: number;
  readonly providerMessageId: string;
  readonly at: string;
}

export interface SendStore {
  /** Consistent read; an expired record counts as absent, and so does an erased one (see `read`). */
  get(hubMessageId: string): Promise<SendRecord | undefined>;
  /** Consistent read, as `get`, but an erased send reads as what its erasure left (ErasedSend). */
  read(hubMessageId: string): Promise<StoredSend | undefined>;
  /** Creates the record; `exists` when another delivery created it first. */
  claim(record: SendRecord): Promise<'claimed' | 'exists'>;
  /**
   * Durably notes that provider message `index` is about to be sent: no other delivery may send it.
   * With `upload`, the file this try uploaded for it is kept with the note (the record's `upload`).
   */
  startAttempt(
    hubMessageId: string,
    index: number,
    at: string,
    by: string,
    upload?: SendUpload,
  ): Promise<void>;
  /**
   * A provider message went. For the last one, `completedAt` (the attempt's time, the sent event's
   * time on every delivery that rebuilds it) is written with it.
   */
  accept(hubMessageId: string, index: number, providerMessageId: string, completedAt?: string): Promise<void>;
  /**
   * The provider took nothing (throttled): the message may be sent again later, one more wait
   * counted (`unreachable`: the request never reached it). Only the delivery `by` whose note it is
   * (or one that noted nothing, while none is noted) may release it: another delivery's call may be
   * under way. Never once a status or echo linked that message: it went, and a release would let it be
   * called again. Only over the `waits` it was decided on: the same release written twice (its answer
   * lost and the write repeated) counts one wait, not two. `dropUpload`: the kept upload goes with
   * the note, so the next try uploads its file anew.
   */
  release(
    hubMessageId: string,
    index: number,
    waitingSince: string,
    by: string,
    options: { readonly waits: number; readonly unreachable?: boolean; readonly dropUpload?: boolean },
  ): Promise<void>;
  /**
   * Ends the send failed, only while the record is as the failure was decided on (`over`): still
   * sending, its next message `over.index`, no status or echo linked for that message, and the very
   * attempt then noted for it (the same `at` and `by`), or none when none was. So a failure never
   * lands over another delivery's attempt noted meanwhile, nor after another delivery accepted that
   * message (or learned from its status that it went) and published, or is publishing, its sent event.
   */
  fail(hubMessageId: string, failure: SendFailure, over: FailedOver): Promise<void>;
  /**
   * Sent, and its event published (the recorder published it): one write. With `last`, the same
   * write accepts the last provider message: only where a delivery learned its id from a status or
   * the message record (an unanswered call); a call answered is accepted at once (`accept`).
   */
  markSent(hubMessageId: string, last?: LastAccept): Promise<void>;
  markPublished(hubMessageId: string): Promise<void>;
  /**
   * Recorder: a status or echo named this send's message `sequence`. When the sender is waiting to
   * learn whether that message went (its call went unanswered), the provider's id is linked for it.
   * When the send already failed before that message was accepted (wentAfterFailure: its call went
   * unanswered, `outcome_unknown`), the id is linked all the same, changing no outcome, so that an
   * erasure finds the message (the provider's copy redacted, its state items reached).
   * Returns the send as it stands after that (as linked, or as read again when the sender moved it
   * meanwhile; undefined when none is kept; a failed send as read).
   */
  linkIfAwaited(
    hubMessageId: string,
    sequence: number,
    providerMessageId: string,
  ): Promise<SendRecord | undefined>;
}

/**
 * The least a send record is kept after its claim, whatever the message retention: as long as its
 * command can still arrive (OUTBOX_LONGEST_WAIT_SECONDS) and a day to spare. A command redriven from
 * the dead-letter queue that found its record expired would be claimed anew and sent a second time.
 * The helpdesk API, which does not know the retention, relies on a record for this long
 * (send-reservations.ts, SEND_REQUEUE_SECONDS).
 */
export const SEND_RECORD_LEAST_KEPT_SECONDS = OUTBOX_LONGEST_WAIT_SECONDS + 86_400;

export const createSendStore = (
  context: TableContext,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): SendStore => {
  const keptSeconds = Math.max(retentionSeconds, SEND_RECORD_LEAST_KEPT_SECONDS);
  const self: Pick<SendStore, 'get'> = { get: (hubMessageId) => store.get(hubMessageId) };
  const update = async (
    hubMessageId: string,
    expression: string,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<void> => {
    try {
      const output = await context.client.send(
        new UpdateItemCommand({
          TableName: context.tableName,
          Key: marshall(sendKey(hubMessageId)),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
          ...(Object.keys(values).length > 0
            ? { ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }) }
            : {}),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'UpdateItem', output);
    } catch (error) {
      if (isConditionFailure(error)) throw new SendRaceError(`send ${hubMessageId} moved concurrently`);
      throw error;
    }
  };
  const sending = { '#state': 'state', '#next': 'next' };
  /** No attempt noted, or the one noted is this delivery's (`:by`). */
  const notOthersAttempt = '(attribute_not_exists(inFlight) OR inFlight.#by = :by)';

  const read = async (hubMessageId: string): Promise<StoredSend | undefined> => {
    const output = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(sendKey(hubMessageId)),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'GetItem', output);
    const item = output.Item ? unmarshall(output.Item) : undefined;
    return item && isLive(item, context.now()) ? storedOrErased(item) : undefined;
  };

  const store: SendStore = {
    get: async (hubMessageId) => {
      const stored = await read(hubMessageId);
      return stored?.state === 'erased' ? undefined : stored;
    },
    read,
    claim: async (record) => {
      try {
        const output = await context.client.send(
          new PutItemCommand({
            TableName: context.tableName,
            Item: marshall(toItem(record, epochSeconds(context.now()) + keptSeconds), {
              removeUndefinedValues: true,
            }),
            // An expired record (past the retention) may be replaced: the command is new again.
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
            ExpressionAttributeValues: marshall({ ':now': epochSeconds(context.now()) }),
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        track(context, 'PutItem', output);
        return 'claimed';
      } catch (error) {
        if (isConditionFailure(error)) return 'exists';
        throw error;
      }
    },
    startAttempt: (hubMessageId, index, at, by, upload) =>
      update(
        hubMessageId,
        upload === undefined ? 'SET inFlight = :inFlight' : 'SET inFlight = :inFlight, #upload = :upload',
        '#state = :sending AND #next = :index AND attribute_not_exists(inFlight)',
        upload === undefined ? sending : { ...sending, '#upload': 'upload' },
        {
          ':inFlight': { index, at, by },
          ':sending': 'sending',
          ':index': index,
          ...(upload === undefined ? {} : { ':upload': upload }),
        },
      ),
    accept: (hubMessageId, index, providerMessageId, completedAt) =>
      update(
        hubMessageId,
        `SET providerIds = list_append(providerIds, :ids), #next = :following${completedAt === undefined ? '' : ', completedAt = :at'} REMOVE inFlight, waitingSince, waits, unreachable, #upload`,
        '#state = :sending AND #next = :index',
        { ...sending, '#upload': 'upload' },
        {
          ':ids': [providerMessageId],
          ':following': index + 1,
          ':sending': 'sending',
          ':index': index,
          ...(completedAt === undefined ? {} : { ':at': completedAt }),
        },
      ),
    release: (hubMessageId, index, waitingSince, by, { waits, unreachable = false, dropUpload = false }) =>
      update(
        hubMessageId,
        `SET waitingSince = if_not_exists(waitingSince, :since), waits = if_not_exists(waits, :zero) + :one${
          unreachable ? ', unreachable = if_not_exists(unreachable, :zero) + :one' : ''
        } REMOVE inFlight${dropUpload ? ', #upload' : ''}`,
        `#state = :sending AND #next = :index AND attribute_not_exists(links.#index) AND ${notOthersAttempt} AND ${
          waits === 0 ? '(attribute_not_exists(waits) OR waits = :zero)' : 'waits = :waits'
        }`,
        { ...sending, '#by': 'by', '#index': String(index), ...(dropUpload ? { '#upload': 'upload' } : {}) },
        {
          ':since': waitingSince,
          ':sending': 'sending',
          ':index': index,
          ':by': by,
          ':zero': 0,
          ':one': 1,
          ...(waits === 0 ? {} : { ':waits': waits }),
        },
      ),
    fail: (hubMessageId, failure, { index, attempt }) => {
      const noted =
        attempt === undefined
          ? 'attribute_not_exists(inFlight)'
          : `inFlight.#at = :at AND ${attempt.by === undefined ? 'attribute_not_exists(inFlight.#by)' : 'inFlight.#by = :by'}`;
      return update(
        hubMessageId,
        'SET #state = :failed, failure = :failure REMOVE inFlight',
        `#state = :sending AND #next = :index AND attribute_not_exists(links.#index) AND ${noted}`,
        {
          ...sending,
          '#index': String(index),
          ...(attempt === undefined ? {} : { '#at': 'at', '#by': 'by' }),
        },
        {
          ':failed': 'failed',
          ':failure': JSON.stringify(failure),
          ':sending': 'sending',
          ':index': index,
          ...(attempt === undefined ? {} : { ':at': attempt.at }),
          ...(attempt?.by === undefined ? {} : { ':by': attempt.by }),
        },
      );
    },
    markSent: (hubMessageId, last) =>
      last
        ? update(
            hubMessageId,
            // The last message's accept, the sent state and the publish (the recorder's path published
            // the event) in one write.
            'SET providerIds = list_append(providerIds, :ids), #next = :following, completedAt = :at, #state = :sent, published = :true REMOVE inFlight, waitingSince, waits, unreachable, #upload',
            '#state = :sending AND #next = :index AND messageCount = :following',
            { ...sending, '#upload': 'upload' },
            {
              ':ids': [last.providerMessageId],
              ':following': last.index + 1,
              ':at': last.at,
              ':index': last.index,
              ':sent': 'sent',
              ':sending': 'sending',
              ':true': true,
            },
          )
        : update(
            hubMessageId,
            // Its event is already on the helpdesk queue (the recorder's path published it): one write for both.
            'SET #state = :sent, published = :true',
            '#state IN (:sending, :sent) AND #next = messageCount',
            sending,
            { ':sent': 'sent', ':sending': 'sending', ':true': true },
          ),
    markPublished: (hubMessageId) =>
      update(hubMessageId, 'SET published = :true', 'attribute_exists(pk)', {}, { ':true': true }),
    linkIfAwaited: (hubMessageId, sequence, providerMessageId) =>
      linkIfAwaited(self, context, hubMessageId, sequence, providerMessageId),
  };
  return store;
};

/**
 * A command's send record (as `SendStore.read` reads it: an erased one as its tombstone) and its
 * conversation (as `loadConversation` does), in one consistent BatchGetItem: the same read units, one
 * round trip instead of two.
 */
export const readSendWithConversation = async (
  context: TableContext,
  hubMessageId: string,
  conversationId: string,
): Promise<{ readonly record: StoredSend | undefined; readonly stored: StoredConversation }> => {
  const send = sendKey(hubMessageId);
  const conversation = conversationKey(conversationId);
  const itemAt = itemsByKey(await batchGetItems(context, [send, conversation]));
  const sendItem = itemAt(send);
  return {
    record: sendItem ? storedOrErased(sendItem) : undefined,
    stored: storedConversationOf(itemAt(conversation) ?? {}),
  };
};

/** Reads of a send a link write may take when the send moves between its read and its write. */
const LINK_TRIES = 3;

/**
 * Whether a status or echo naming the send's message `sequence` could find it awaiting a link, now
 * or after this read: not once the send ended, took that message's accept (`next` moves past it
 * only then) or kept a link for it, since a send moves only forward; nor when no send is kept (its
 * claim comes before any provider call, so a status of it finds it). So a read that says no (a
 * batch's read, shared/recorder/batch-reads.ts) needs no read again.
 */
const mayAwaitLink = (record: SendRecord | undefined, sequence: number): boolean =>
  record?.state === 'sending' && record.next <= sequence && record.links[String(sequence)] === undefined;

/**
 * Whether a status or echo naming the send's message `sequence` names the message a failed send
 * left unknown (its `next`, never accepted) and not yet linked: it went after all. A failed send is
 * final, so a read that says no still holds.
 */
const wentAfterFailure = (record: SendRecord | undefined, sequence: number): boolean =>
  record?.state === 'failed' && record.next === sequence && record.links[String(sequence)] === undefined;

/**
 * Whether a status or echo naming the send's message `sequence` may have a link to write
 * (mayAwaitLink, wentAfterFailure): a read at a batch's start that says no still holds.
 */
export const mayTakeLink = (record: SendRecord | undefined, sequence: number): boolean =>
  mayAwaitLink(record, sequence) || wentAfterFailure(record, sequence);

/**
 * See `SendStore.linkIfAwaited`: one consistent read per status or echo; a write only when awaited.
 * The write is conditional on what made it awaited (still sending, that very message in flight, not
 * yet linked) and returns the send as written: a send that moved between the read and the write (the
 * sender ended it `outcome_unknown` meanwhile) is read again and returned as it is, so the recorder
 * decides on the send as it stands, never on a read the sender's write has overtaken.
 */
const linkIfAwaited = async (
  store: Pick<SendStore, 'get'>,
  context: TableContext,
  hubMessageId: string,
  sequence: number,
  providerMessageId: string,
): Promise<SendRecord | undefined> => {
  let record = await store.get(hubMessageId);
  for (let attempt = 1; ; attempt++) {
    if (record && wentAfterFailure(record, sequence)) {
      await linkAfterFailure(context, hubMessageId, sequence, providerMessageId);
      return record;
    }
    // Its call noted and unanswered: an attempt is noted only for the send's `next` message.
    const awaited = mayAwaitLink(record, sequence) && record?.inFlight?.index === sequence;
    if (!record || !awaited) return record;
    try {
      const output = await writeLink(context, hubMessageId, sequence, providerMessageId, {
        condition: '#state = :sending AND inFlight.#index = :index',
        names: { '#index': 'index' },
        values: { ':sending': 'sending', ':index': sequence },
      });
      return output.Attributes
        ? fromItem(unmarshall(output.Attributes))
        : { ...record, links: { ...record.links, [String(sequence)]: providerMessageId } };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Moved since the read (ended, accepted, linked by another status): as it is now.
      const current = await store.get(hubMessageId);
      if (attempt >= LINK_TRIES) return current;
      record = current;
    }
  }
};

/**
 * Links the provider id of the message a failed send left unknown (wentAfterFailure), where erasure
 * reads a send's provider ids (shared/outbound/provider-erasure.ts twilioMessagesIn, and the message
 * state items of shared/store/contacts.ts): until 2026-12-07 such a message, sent after all once its
 * send had ended `outcome_unknown`, was named by no record, so erasing its customer left its body at
 * Twilio and its statuses in the table. One write, for a status of a send that failed, which is
 * rare; a condition failure (linked meanwhile, or erased) leaves it as it is.
 */
const linkAfterFailure = async (
  context: TableContext,
  hubMessageId: string,
  sequence: number,
  providerMessageId: string,
): Promise<void> => {
  try {
    await writeLink(context, hubMessageId, sequence, providerMessageId, {
      condition: '#state = :failed AND #next = :sequence',
      names: { '#next': 'next' },
      values: { ':failed': 'failed', ':sequence': sequence },
    });
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

/**
 * Sets a send's link for message `sequence` to the provider id, once (none linked yet) and only while
 * `when` holds of the record (`#state` and `#sequence` are named here); returns the record as written.
 */
const writeLink = async (
  context: TableContext,
  hubMessageId: string,
  sequence: number,
  providerMessageId: string,
  when: {
    readonly condition: string;
    readonly names: Record<string, string>;
    readonly values: Record<string, unknown>;
  },
) => {
  const output = await context.client.send(
    new UpdateItemCommand({
      TableName: context.tableName,
      Key: marshall(sendKey(hubMessageId)),
      UpdateExpression: 'SET links.#sequence = :id',
      ConditionExpression: `${when.condition} AND attribute_not_exists(links.#sequence)`,
      ExpressionAttributeNames: { '#sequence': String(sequence), '#state': 'state', ...when.names },
      ExpressionAttributeValues: marshall({ ':id': providerMessageId, ...when.values }),
      ReturnValues: 'ALL_NEW',
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'UpdateItem', output);
  return output;
};

/** How many of a conversation's sends, newest first, an echo that names none is looked for among. */
const RECENT_SENDS = 50;

/**
 * How far the provider's time of an echo may be behind the hub's time of taking its command: both
 * are servers' clocks on network time (not a sender's own, as an e-mail's Date is), so minutes
 * cover it, and the sends the hub took after the echoed one, which could crowd it out of the
 * newest RECENT_SENDS, are those of two minutes at most.
 */
const ECHO_CLOCK_SKEW_MS = 2 * 60_000;

/**
 * The hub's send that provider message `providerMessageId` is (accepted with that id, or linked to
 * it from a status or echo), among the conversation's sends the hub took before the provider's
 * `providerTime` (ECHO_CLOCK_SKEW_MS of clock skew allowed), newest first, at most RECENT_SENDS of them: one
 * Query of gsi3 (keys only) and one BatchGetItem. For an echo from the hub's own app that carries no
 * correlation id (metadata the provider did not bring back): without this it would be recorded as a
 * second message. Undefined when none of them is.
 */
export const sendOfProviderMessage = async (
  context: TableContext,
  conversationId: string,
  providerMessageId: string,
  providerTime: string,
): Promise<string | undefined> => {
  const at = Date.parse(providerTime);
  const upTo = Number.isFinite(at) ? new Date(at + ECHO_CLOCK_SKEW_MS).toISOString() : '9999';
  const output = await context.client.send(
    new QueryCommand({
      TableName: context.tableName,
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk <= :upTo',
      ExpressionAttributeValues: marshall({
        ':pk': conversationSendsPartition(conversationId),
        // Sort keys are `<acceptedAt>#<hubMessageId>`: every send taken up to that instant.
        ':upTo': `${upTo}~`,
      }),
      ScanIndexForward: false,
      Limit: RECENT_SENDS,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'Query', output);
  // Each entry's table key is its send's; the index holds nothing else.
  const keys = (output.Items ?? []).map((raw) => {
    const { pk, sk } = unmarshall(raw);
    return sendKey(hubMessageIdOfKey({ pk: String(pk), sk: String(sk) }));
  });
  if (keys.length === 0) return undefined;
  for (const item of await batchGetItems(context, keys)) {
    const send = storedSendOf(item);
    if (!send) continue;
    if (send.providerIds.includes(providerMessageId) || Object.values(send.links).includes(providerMessageId))
      return send.hubMessageId;
  }
  return undefined;
};
