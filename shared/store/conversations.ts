import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import {
  type ChangeActor,
  ChangeActorSchema,
  type ConversationField,
  ConversationFieldSchema,
  ConversationStateSchema,
  type ConversationStatus,
  ConversationStatusSchema,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import type { ConversationModel } from '#shared/domain/conversation.ts';
import type { ReportedWaits, WaitName } from '#shared/domain/response-overdue.ts';
import type { StateChange } from '#shared/domain/state-changed.ts';
import { isConditionFailure } from './item-rules.ts';
import {
  attentionIndexKeys,
  conversationKey,
  conversationsByContactKeys,
  lastActivityOf,
  statusIndexKeys,
} from './keys.ts';
import { CONVERSATION_REGISTERS, type ConversationRegisters, readRegisters } from './registers.ts';
import { type TableContext, track } from './table.ts';

/*
 * Conversation items (`CONV#<id>` / `STATE`): the model (state plus the facts that keep it right
 * under reordering), its version for optimistic concurrency, the short ids of the events applied
 * most recently, the cause of the last change, the Messenger watermark registers, the wait last
 * reported overdue (`overdueWait`; `overdueFor` for a wait begun before 2026-12-05), and the
 * helpdesk changes saved but not yet published (`unannounced`, only between a PATCH's or a snooze
 * wake's write and its publish, or after that publish failed: pending-announcements.ts).
 *
 * Every message rewrites this item, and DynamoDB bills a write per started KB of it, so it is kept
 * well under 1 KB (tests/store/conversation-item-size.test.ts): the model and the last change are
 * stored as their JSON deflated against a fixed dictionary of their field names and usual values (a
 * format byte first), and the recent event ids as their 8 bytes each. Items stored before (JSON
 * text, ids as hex) still read.
 */

/** How many recently applied event ids a conversation keeps, to recognise a redelivery. */
export const RECENT_EVENT_LIMIT = 8;

/**
 * How many of the hub's own sends a conversation keeps apart from those, so a reply whose recording
 * died after the conversation write (no counted-marker: a killed process runs no catch) is still
 * recognised when the outbox redelivers it after the customer wrote eight more messages: the
 * customer's messages come on another queue and never push these out. A conversation's sends are
 * recorded one command at a time (the outbox's group is the conversation), so a few are plenty.
 */
export const RECENT_SEND_LIMIT = 4;

/** The cause of the last state change, so a redelivery can re-publish the same state_changed event. */
export interface LastChange {
  readonly eventId: string;
  readonly previousStatus: ConversationStatus | null;
  /** A change not caused by an event (the helpdesk API, the snooze timer): who, what and when. */
  readonly changedBy?: ChangeActor;
  readonly changes?: readonly ConversationField[];
  readonly at?: string;
}

export interface StoredConversation {
  readonly model: ConversationModel | undefined;
  /** Short hashes of the most recently applied events, newest last. */
  readonly recentEventIds: readonly string[];
  /** Short hashes of the most recently applied sends of the hub's own (`RECENT_SEND_LIMIT`), newest last. */
  readonly recentSendIds?: readonly string[];
  readonly lastChange: LastChange | undefined;
  /** The id is an alias (a WhatsApp contact first seen by another identifier): its events belong there. */
  readonly aliasOf?: string;
  /**
   * The attention index (gsi4) partition the item is in, as stored: it lags the state only after a
   * snooze's wake saved but not published before 2026-12-05, which held the entry (`settleAttention`).
   */
  readonly attentionEntry?: string;
  /**
   * The person index (gsi3) partition the item is in, as stored: `PERSON#<contactId>`, or for a
   * conversation written before 2026-12-01 `CONTACT#<contactKey>` (or nothing), which its next save
   * moves (isLegacyPersonEntry).
   */
  readonly personEntry?: string;
  /** The waits whose `response_overdue` went out last (`markOverdueReported`). */
  readonly overdueReported?: ReportedWaits;
  /** The Messenger watermarks on the item (registers beside the model), when it has any. */
  readonly watermarks?: ConversationWatermarks;
  /** Helpdesk changes saved but not published yet, oldest first (none, nearly always). */
  readonly unannounced?: readonly StateChange[];
}

export interface ConversationWrite {
  readonly model: ConversationModel;
  /** The model this write replaces, as loaded (undefined when the conversation is new). */
  readonly previous: ConversationModel | undefined;
  readonly recentEventIds: readonly string[];
  /**
   * The item's gsi3 partition as loaded (StoredConversation.personEntry). The write files the
   * conversation under its person unless the item is there already; left out, it does so anyway
   * (the same keys again: free, as an unchanged index key writes nothing to the index).
   */
  readonly personEntry?: string;
  /** Set by a send of the hub's own; left as the item holds it when undefined. */
  readonly recentSendIds?: readonly string[];
  readonly lastChange: LastChange;
  /**
   * The item's helpdesk changes not yet published, this write's own included: replaces what the
   * item held (read with the version this write is conditional on). Left as it is when undefined,
   * so writers other than the helpdesk API and the snooze timer never drop one.
   */
  readonly unannounced?: readonly StateChange[];
}

const OMITTED_WHEN_EMPTY = [
  'assignee',
  'labels',
  'priority',
  'snoozedUntil',
  'waitingSince',
  'firstResponseAt',
  'firstResponseSeconds',
] as const;

/**
 * Stored states leave out what is null or empty (and older ones never had the helpdesk fields).
 * Loose: a field this code does not know, which a newer version wrote (a function not yet updated
 * during a deploy, a rollback), is kept and saved again with the model, not dropped (since 2026-12-06;
 * stripped, code from before `firstReceivedAt`/`lastReceivedAt` erased them for good, found by a
 * review). Only the state's own keys are kept so: its nested objects (`replyWindow`, `endpoint`…)
 * still drop what they do not know. A kept field is not maintained by the code that does not know
 * it, so a newer version must take it for what an older one may have left as it was.
 */
export const StoredStateSchema = ConversationStateSchema.extend({
  assignee: ConversationStateSchema.shape.assignee.default(null),
  labels: ConversationStateSchema.shape.labels.default([]),
  priority: ConversationStateSchema.shape.priority.default(null),
  snoozedUntil: ConversationStateSchema.shape.snoozedUntil.default(null),
  waitingSince: ConversationStateSchema.shape.waitingSince.default(null),
  firstResponseAt: ConversationStateSchema.shape.firstResponseAt.default(null),
  firstResponseSeconds: ConversationStateSchema.shape.firstResponseSeconds.default(null),
  contactId: ConversationStateSchema.shape.contactId.optional(),
})
  .loose()
  .transform((state) => ({
    ...state,
    contactId: state.contactId ?? contactIdFor(state.channel, state.contact, state.conversationId),
  }));

const ConversationModelSchema = z.looseObject({
  state: StoredStateSchema,
  firstInboundAt: z.string().nullable(),
  lastOutboundAt: z.string().nullable(),
  lastInboundReceivedAt: z.string().optional(),
  lastOutboundReceivedAt: z.string().optional(),
  firstInboundReceivedAt: z.string().optional(),
  lastAsked: z.object({ at: z.string(), receivedAt: z.string() }).nullable().optional(),
  waitVersion: z.number().int().optional(),
  origin: z.string().optional(),
});
const LastChangeSchema = z.object({
  eventId: z.string(),
  previousStatus: ConversationStatusSchema.nullable(),
  changedBy: ChangeActorSchema.optional(),
  changes: z.array(ConversationFieldSchema).optional(),
  at: z.string().optional(),
});
/** A state change as it is published (shared/domain/state-changed.ts), kept until it is. */
const UnannouncedChangeSchema = z.object({
  state: ConversationStateSchema,
  previousStatus: ConversationStatusSchema.nullable(),
  causedBy: z.string(),
  time: z.string(),
  changedBy: ChangeActorSchema.optional(),
  changes: z.array(ConversationFieldSchema).optional(),
});
const StoredBytesSchema = z.union([z.string(), z.instanceof(Uint8Array)]);
const ConversationItemSchema = z.looseObject({
  aliasOf: z.string().optional(),
  model: StoredBytesSchema.optional(),
  recent: StoredBytesSchema.optional(),
  sends: StoredBytesSchema.optional(),
  lastChange: StoredBytesSchema.optional(),
  gsi4pk: z.string().optional(),
  gsi3pk: z.string().optional(),
  /** `waitingSince` of the last wait reported before waits had versions (2026-12-05). */
  overdueFor: z.string().optional(),
  /** The version (`waitVersion`) of the last wait reported. */
  overdueWait: z.number().optional(),
  /** Each unpublished change by its cause (`chg_…`), packed as the model is. */
  unannounced: z.record(z.string(), StoredBytesSchema).optional(),
});

/**
 * What deflate finds repeated in a model and a last change: their field names in the order they
 * are written, and the usual values. Fixed for format 1: changing it would make stored models unreadable (a new
 * dictionary is a new format byte).
 */
const MODEL_DICTIONARY_V1 = Buffer.from(
  '{"state":{"conversationId":"conv_","channel":"whatsapp","provider":"meta","endpoint":{"type":"whatsapp_phone_number","id":"},' +
    '"contact":{"identities":[{"type":"wa_id","value":"},{"type":"bsuid","value":"},{"type":"phone","value":"+},' +
    '{"type":"email","value":"},{"type":"psid","value":"}]},"contactId":"ct_","status":"open","status":"snoozed","status":"closed",' +
    '"createdAt":"2026-11-22T11:40:00.000Z","lastMessageAt":"","lastInboundAt":"",' +
    '"replyWindow":{"applies":true,"closesAt":"},"replyWindow":{"applies":false,"closesAt":null},' +
    '"freeEntryPoint":{"enteredAt":"","clickId":"","answeredAt":"","closesAt":"},' +
    '"unreadCount":0,"messageCount":1,"firstResponseAt":"","firstResponseSeconds":,"assignee":"",' +
    '"labels":[""],"priority":"high","priority":"urgent","snoozedUntil":"","waitingSince":"","version":1},' +
    '"firstInboundAt":"","lastOutboundAt":null}' +
    '{"eventId":"evt_","previousStatus":null,"previousStatus":"open","changedBy":{"kind":"agent","id":"},' +
    '"changes":["status","assignee","labels","priority","snoozedUntil"],"at":"2026-11-22T11:40:00.000Z"}',
  'utf8',
);
const MODEL_FORMAT_DEFLATED_V1 = 1;

/** The model or last change as stored: deflated JSON behind its format byte. */
const encodeJson = (json: string): Uint8Array => {
  const deflated = deflateRawSync(json, { dictionary: MODEL_DICTIONARY_V1 });
  return Buffer.concat([Buffer.of(MODEL_FORMAT_DEFLATED_V1), deflated]);
};

/** A stored model or last change as its JSON text (deflated, or text from before). */
export const decodeStoredJson = (stored: string | Uint8Array): string => {
  if (typeof stored === 'string') return stored;
  if (stored[0] !== MODEL_FORMAT_DEFLATED_V1)
    throw new Error(`conversation model of unknown format ${stored[0]}`);
  return inflateRawSync(stored.subarray(1), { dictionary: MODEL_DICTIONARY_V1 }).toString('utf8');
};

/** A stored model attribute (deflated, or JSON text from before), parsed. */
export const parseConversationModel = (stored: string | Uint8Array): ConversationModel =>
  ConversationModelSchema.parse(JSON.parse(decodeStoredJson(stored)));

/** Recent event ids are 16 hex digits (64 bits of a hash): stored as their bytes. */
const RECENT_ID_BYTES = 8;
const encodeRecent = (ids: readonly string[]): Uint8Array => {
  if (ids.some((id) => !/^[0-9a-f]{16}$/.test(id))) throw new Error('recent event ids must be 16 hex digits');
  return Buffer.from(ids.join(''), 'hex');
};
const decodeRecent = (stored: string | Uint8Array): string[] => {
  if (typeof stored === 'string') return stored.split(' ');
  const hex = Buffer.from(stored).toString('hex');
  return Array.from({ length: Math.floor(stored.length / RECENT_ID_BYTES) }, (_, index) =>
    hex.slice(index * RECENT_ID_BYTES * 2, (index + 1) * RECENT_ID_BYTES * 2),
  );
};

/** Messenger watermarks: every message sent up to this time is read/delivered. */
export interface ConversationWatermarks {
  readonly readWatermark?: string;
  readonly deliveredWatermark?: string;
}

/** A conversation as readers see it: its state and Messenger watermarks. */
export interface ConversationView extends ConversationWatermarks {
  readonly state: ConversationModel['state'];
}

/** Where a conversation stands in a listing by activity: its last activity, and its id. */
export interface ActivityPosition {
  readonly at: string;
  readonly conversationId: string;
}

export const activityPositionOf = ({ state }: ConversationView): ActivityPosition => ({
  at: lastActivityOf(state),
  conversationId: state.conversationId,
});

/** Newest last activity first, then by id: a total order, so a (time, id) cursor splits it exactly. */
export const newestActivityFirst = (a: ActivityPosition, b: ActivityPosition): number => {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0;
};

/** Conversations in a listing by activity's order. */
export const byActivity = (a: ConversationView, b: ConversationView): number =>
  newestActivityFirst(activityPositionOf(a), activityPositionOf(b));

/** The watermarks a conversation item holds (none, one or both). */
const watermarksOf = (item: Record<string, unknown>): ConversationWatermarks => {
  const watermarks: ConversationRegisters = readRegisters(item, CONVERSATION_REGISTERS);
  return {
    ...(watermarks.readWatermark ? { readWatermark: watermarks.readWatermark.watermark } : {}),
    ...(watermarks.deliveredWatermark ? { deliveredWatermark: watermarks.deliveredWatermark.watermark } : {}),
  };
};

export const conversationViewOf = (item: Record<string, unknown>): ConversationView | undefined => {
  const parsed = ConversationItemSchema.safeParse(item);
  if (!parsed.success || parsed.data.model === undefined) return undefined;
  return { state: parseConversationModel(parsed.data.model).state, ...watermarksOf(item) };
};

/** The unpublished changes an item holds, oldest first. */
const unannouncedOf = (stored: Readonly<Record<string, string | Uint8Array>> | undefined): StateChange[] =>
  Object.values(stored ?? {})
    .map((packed) => UnannouncedChangeSchema.parse(JSON.parse(decodeStoredJson(packed))))
    .sort((a, b) => a.state.version - b.state.version);

/**
 * A conversation item with its model, last change, recent ids and unpublished changes as text, as
 * they were stored before they were packed (a person's export shows them so); any other item as it is.
 */
export const conversationItemAsText = (item: Record<string, unknown>): Record<string, unknown> => {
  const { model, lastChange, recent, sends, unannounced } = item;
  const packed = ConversationItemSchema.shape.unannounced.safeParse(unannounced);
  return {
    ...item,
    ...(model instanceof Uint8Array ? { model: decodeStoredJson(model) } : {}),
    ...(lastChange instanceof Uint8Array ? { lastChange: decodeStoredJson(lastChange) } : {}),
    ...(recent instanceof Uint8Array ? { recent: decodeRecent(recent).join(' ') } : {}),
    ...(sends instanceof Uint8Array ? { sends: decodeRecent(sends).join(' ') } : {}),
    ...(packed.success && packed.data
      ? {
          unannounced: Object.fromEntries(
            Object.entries(packed.data).map(([cause, change]) => [cause, decodeStoredJson(change)]),
          ),
        }
      : {}),
  };
};

/** A conversation item, unmarshalled, as the writers need it (an empty item: a conversation not recorded yet). */
export const storedConversationOf = (raw: Record<string, unknown>): StoredConversation => {
  const item = ConversationItemSchema.parse(raw);
  const watermarks = watermarksOf(raw);
  const unannounced = unannouncedOf(item.unannounced);
  return {
    model: item.model ? parseConversationModel(item.model) : undefined,
    recentEventIds: item.recent ? decodeRecent(item.recent) : [],
    ...(item.sends ? { recentSendIds: decodeRecent(item.sends) } : {}),
    lastChange: item.lastChange
      ? LastChangeSchema.parse(JSON.parse(decodeStoredJson(item.lastChange)))
      : undefined,
    ...(item.gsi4pk ? { attentionEntry: item.gsi4pk } : {}),
    ...(item.gsi3pk ? { personEntry: item.gsi3pk } : {}),
    ...(item.overdueFor || item.overdueWait !== undefined
      ? {
          overdueReported: {
            ...(item.overdueWait !== undefined ? { waitVersion: item.overdueWait } : {}),
            ...(item.overdueFor ? { waitingSince: item.overdueFor } : {}),
          },
        }
      : {}),
    ...(item.aliasOf ? { aliasOf: item.aliasOf } : {}),
    ...(Object.keys(watermarks).length > 0 ? { watermarks } : {}),
    ...(unannounced.length > 0 ? { unannounced } : {}),
  };
};

export const loadConversation = async (
  context: TableContext,
  conversationId: string,
): Promise<StoredConversation> => {
  const output = await context.client.send(
    new GetItemCommand({
      TableName: context.tableName,
      Key: marshall(conversationKey(conversationId)),
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'GetItem', output);
  return storedConversationOf(output.Item ? unmarshall(output.Item) : {});
};

/**
 * The conversation an alias's events belong to (its `aliasOf`); undefined for a conversation of its
 * own or an id nothing was recorded under. One consistent read of that attribute alone: an alias is
 * written once, by a message of the same FIFO group as the events that follow it.
 */
export const loadConversationAlias = async (
  context: TableContext,
  conversationId: string,
): Promise<string | undefined> => {
  const output = await context.client.send(
    new GetItemCommand({
      TableName: context.tableName,
      Key: marshall(conversationKey(conversationId)),
      ConsistentRead: true,
      ProjectionExpression: 'aliasOf',
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'GetItem', output);
  const aliasOf = output.Item?.aliasOf?.S;
  return aliasOf ? aliasOf : undefined;
};

/**
 * Makes `conversationId` an alias of `canonicalId`: later events of the alias go there with one
 * extra read. Never replaces a conversation (`exists` when one was created meanwhile). The alias
 * joins the person's gsi3 partition, so whatever reaches the person's conversations reaches it.
 */
export const putConversationAlias = async (
  context: TableContext,
  conversationId: string,
  canonicalId: string,
  contactId: string,
): Promise<'aliased' | 'exists'> => {
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...conversationKey(conversationId),
          aliasOf: canonicalId,
          ...conversationsByContactKeys(contactId, conversationId),
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
    return 'aliased';
  } catch (error) {
    if (isConditionFailure(error)) return 'exists';
    throw error;
  }
};

/**
 * The model as stored: fields that hold null or nothing are left out (parsing puts them back), so
 * a conversation nobody assigned, labelled, snoozed or answered yet stays as small as before the
 * helpdesk fields, and a message's update within one write unit.
 */
const storedModel = (model: ConversationModel): Uint8Array => {
  const derivedContactId = contactIdFor(model.state.channel, model.state.contact, model.state.conversationId);
  const state = Object.fromEntries(
    Object.entries(model.state).filter(
      ([key, value]) =>
        // The person is derived from the contact when read (StoredStateSchema): kept only if it differs.
        (key !== 'contactId' || value !== derivedContactId) &&
        (!(OMITTED_WHEN_EMPTY as readonly string[]).includes(key) ||
          (value !== null && !(Array.isArray(value) && value.length === 0))),
    ),
  );
  return encodeJson(JSON.stringify({ ...model, state }));
};

/**
 * The conversation's `createdAt`, beside the model as a plain attribute, so a write's condition can
 * name the conversation it read, not only its version: an erasure deletes a conversation, and the
 * customer's next message creates one under the same id at version 1 again. A write read before
 * that (a PATCH, a wake, a merge, a sender's recording) would otherwise land on the new one at the
 * same version, with the erased conversation's model (before 2026-12-06, found by a review). An item
 * last written before then has none until its next write, which sets it.
 */
const CREATED_ATTRIBUTE = 'createdAt';
const SAME_CONVERSATION = '(attribute_not_exists(#created) OR #created = :readCreated)';

/** Optimistic concurrency on `version`; `conflict` when someone else wrote first. */
export const saveConversation = async (
  context: TableContext,
  write: ConversationWrite,
): Promise<'saved' | 'conflict'> => {
  const { state } = write.model;
  const expectedVersion = write.previous?.state.version ?? 0;
  const isNew = expectedVersion === 0;
  const indexKeys = statusIndexKeys(write.model.state);
  const previousIndexKeys = write.previous ? statusIndexKeys(write.previous.state) : undefined;
  // Setting unchanged keys would be free too, but leaving them out says so.
  const indexMoved =
    previousIndexKeys?.gsi1pk !== indexKeys.gsi1pk || previousIndexKeys.gsi1sk !== indexKeys.gsi1sk;
  // The sparse attention index: set, moved, left alone, or left (REMOVE) when nothing waits any more.
  const attention = attentionIndexKeys(state);
  const previousAttention = write.previous ? attentionIndexKeys(write.previous.state) : undefined;
  const attentionMoved =
    attention !== undefined &&
    (previousAttention?.gsi4pk !== attention.gsi4pk || previousAttention.gsi4sk !== attention.gsi4sk);
  const attentionLeft = attention === undefined && previousAttention !== undefined;
  // The person's index entry: set with the conversation, moved only when the contact becomes
  // another person (a BSUID-only contact that learns its phone number), and when the item is not
  // under its person yet (written before 2026-12-01: under its channel contact, or in no partition),
  // so a conversation still active after the upgrade is found by its person from its next write on.
  const personKeys = conversationsByContactKeys(state.contactId, state.conversationId);
  const contactKeys =
    isNew || write.previous?.state.contactId !== state.contactId || write.personEntry !== personKeys.gsi3pk
      ? personKeys
      : undefined;
  const sets = [
    '#model = :model',
    '#version = :version',
    '#created = :created',
    '#recent = :recent',
    ...(write.recentSendIds ? ['#sends = :sends'] : []),
    '#lastChange = :lastChange',
    ...(indexMoved ? ['gsi1pk = :gsi1pk', 'gsi1sk = :gsi1sk'] : []),
    ...(contactKeys ? ['gsi3pk = :gsi3pk', 'gsi3sk = :gsi3sk'] : []),
    ...(attentionMoved ? ['gsi4pk = :gsi4pk', 'gsi4sk = :gsi4sk'] : []),
  ];
  // The helpdesk API's changes not yet published: set, or gone once none is left.
  const unannounced = write.unannounced;
  if (unannounced && unannounced.length > 0) sets.push('#unannounced = :unannounced');
  const removed = [
    ...(attentionLeft ? ['gsi4pk', 'gsi4sk'] : []),
    ...(unannounced && unannounced.length === 0 ? ['#unannounced'] : []),
  ];
  const removes = removed.length > 0 ? ` REMOVE ${removed.join(', ')}` : '';
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(conversationKey(state.conversationId)),
        // UpdateItem, not PutItem: watermarks written on the same item by status events stay.
        UpdateExpression: `SET ${sets.join(', ')}${removes}`,
        // A new conversation never lands on an alias (which has no version): that read was stale.
        // Any other write lands only on the conversation it read (sameConversation).
        ConditionExpression: isNew
          ? 'attribute_not_exists(#version) AND attribute_not_exists(aliasOf)'
          : `#version = :expected AND ${SAME_CONVERSATION}`,
        ExpressionAttributeNames: {
          '#model': 'model',
          '#version': 'version',
          '#created': CREATED_ATTRIBUTE,
          '#recent': 'recent',
          ...(write.recentSendIds ? { '#sends': 'sends' } : {}),
          '#lastChange': 'lastChange',
          ...(unannounced ? { '#unannounced': 'unannounced' } : {}),
        },
        ExpressionAttributeValues: marshall({
          ':model': storedModel(write.model),
          ':version': state.version,
          ':created': state.createdAt,
          ':recent': encodeRecent(write.recentEventIds),
          ...(write.recentSendIds ? { ':sends': encodeRecent(write.recentSendIds) } : {}),
          ':lastChange': encodeJson(JSON.stringify(write.lastChange)),
          ...(indexMoved ? { ':gsi1pk': indexKeys.gsi1pk, ':gsi1sk': indexKeys.gsi1sk } : {}),
          ...(contactKeys ? { ':gsi3pk': contactKeys.gsi3pk, ':gsi3sk': contactKeys.gsi3sk } : {}),
          ...(attentionMoved ? { ':gsi4pk': attention.gsi4pk, ':gsi4sk': attention.gsi4sk } : {}),
          ...(unannounced && unannounced.length > 0
            ? {
                ':unannounced': Object.fromEntries(
                  unannounced.map((change) => [change.causedBy, encodeJson(JSON.stringify(change))]),
                ),
              }
            : {}),
          ...(isNew ? {} : { ':expected': expectedVersion, ':readCreated': write.previous?.state.createdAt }),
        }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    return 'saved';
  } catch (error) {
    if (isConditionFailure(error)) return 'conflict';
    throw error;
  }
};

/**
 * Forgets unpublished changes once they are on the helpdesk queue: only those named, so a change
 * saved meanwhile stays (the version does not move: the state is the same). Nothing to do when the
 * item holds none (published and forgotten by someone else, or the conversation is gone).
 */
export const forgetAnnounced = async (
  context: TableContext,
  conversationId: string,
  causes: readonly string[],
): Promise<void> => {
  if (causes.length === 0) return;
  const names = Object.fromEntries(causes.map((cause, index) => [`#c${index}`, cause]));
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(conversationKey(conversationId)),
        UpdateExpression: `REMOVE ${Object.keys(names)
          .map((name) => `#unannounced.${name}`)
          .join(', ')}`,
        ConditionExpression: 'attribute_exists(#unannounced)',
        ExpressionAttributeNames: { '#unannounced': 'unannounced', ...names },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

/**
 * Puts the attention index entry where the state says (set, or removed when nothing needs
 * attention), after a write that held it (a wake saved before 2026-12-05); `conflict` when the
 * conversation changed since.
 */
export const settleAttention = async (
  context: TableContext,
  state: ConversationModel['state'],
): Promise<'settled' | 'conflict'> => {
  const attention = attentionIndexKeys(state);
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(conversationKey(state.conversationId)),
        UpdateExpression: attention ? 'SET gsi4pk = :gsi4pk, gsi4sk = :gsi4sk' : 'REMOVE gsi4pk, gsi4sk',
        ConditionExpression: `#version = :version AND ${SAME_CONVERSATION}`,
        ExpressionAttributeNames: { '#version': 'version', '#created': CREATED_ATTRIBUTE },
        ExpressionAttributeValues: marshall({
          ':version': state.version,
          ':readCreated': state.createdAt,
          ...(attention ? { ':gsi4pk': attention.gsi4pk, ':gsi4sk': attention.gsi4sk } : {}),
        }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    return 'settled';
  } catch (error) {
    if (isConditionFailure(error)) return 'conflict';
    throw error;
  }
};

/**
 * Notes on the item that a wait was reported overdue, forward only: by its version (`overdueWait`; a
 * later wait began at a later version, whatever its `waitingSince`), or, for a wait begun before
 * waits had versions, by its `waitingSince` (`overdueFor`, as then: a later wait of those starts
 * after an answer, so later). `already` when it or a later wait was noted, or the conversation is
 * gone, or is another one by now (SAME_CONVERSATION: erased and created again under its id since the
 * sweep read it, the note would mark the new conversation's waits up to the old one's version as
 * reported, and they were never announced; until 2026-12-07, found by a review). The version
 * stays: the note races no other writer.
 */
export const markOverdueReported = async (
  context: TableContext,
  read: Pick<ConversationModel['state'], 'conversationId' | 'createdAt'>,
  wait: WaitName,
): Promise<'marked' | 'already'> => {
  const note: Omit<UpdateItemCommandInput, 'TableName' | 'Key'> =
    wait.waitVersion !== undefined
      ? {
          UpdateExpression: 'SET #overdueWait = :wait',
          ConditionExpression: `attribute_exists(#version) AND ${SAME_CONVERSATION} AND (attribute_not_exists(#overdueWait) OR #overdueWait < :wait)`,
          ExpressionAttributeNames: {
            '#version': 'version',
            '#created': CREATED_ATTRIBUTE,
            '#overdueWait': 'overdueWait',
          },
          ExpressionAttributeValues: marshall({ ':wait': wait.waitVersion, ':readCreated': read.createdAt }),
        }
      : {
          UpdateExpression: 'SET #overdueFor = :since',
          ConditionExpression: `attribute_exists(#version) AND ${SAME_CONVERSATION} AND (attribute_not_exists(#overdueFor) OR #overdueFor < :since)`,
          ExpressionAttributeNames: {
            '#version': 'version',
            '#created': CREATED_ATTRIBUTE,
            '#overdueFor': 'overdueFor',
          },
          ExpressionAttributeValues: marshall({
            ':since': wait.waitingSince,
            ':readCreated': read.createdAt,
          }),
        };
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(conversationKey(read.conversationId)),
        ...note,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    return 'marked';
  } catch (error) {
    if (isConditionFailure(error)) return 'already';
    throw error;
  }
};

/**
 * Gives a conversation another person (an explicit merge or unmerge): its state's `contactId` and
 * its gsi3 entry move together, with optimistic concurrency on `version` (retried on a concurrent
 * message) and a new version, so a helpdesk's ETag sees the change. An alias item only moves its
 * gsi3 entry. The address the conversation replies to (its contact) is never touched.
 */
export const setConversationPerson = async (
  context: TableContext,
  conversationId: string,
  contactId: string,
): Promise<'moved' | 'unchanged' | 'gone'> => {
  const index = conversationsByContactKeys(contactId, conversationId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await loadConversation(context, conversationId);
    const model = stored.model;
    if (!model && !stored.aliasOf) return 'gone';
    if (model?.state.contactId === contactId) return 'unchanged';
    const update = model
      ? {
          UpdateExpression:
            'SET #model = :model, #version = :version, #created = :created, gsi3pk = :gsi3pk, gsi3sk = :gsi3sk',
          ConditionExpression: `#version = :expected AND ${SAME_CONVERSATION}`,
          ExpressionAttributeNames: {
            '#model': 'model',
            '#version': 'version',
            '#created': CREATED_ATTRIBUTE,
          },
          ExpressionAttributeValues: marshall({
            ':created': model.state.createdAt,
            ':readCreated': model.state.createdAt,
            ':model': storedModel({
              ...model,
              state: { ...model.state, contactId, version: model.state.version + 1 },
            }),
            ':version': model.state.version + 1,
            ':expected': model.state.version,
            ':gsi3pk': index.gsi3pk,
            ':gsi3sk': index.gsi3sk,
          }),
        }
      : {
          UpdateExpression: 'SET gsi3pk = :gsi3pk, gsi3sk = :gsi3sk',
          ConditionExpression: 'attribute_exists(aliasOf)',
          ExpressionAttributeValues: marshall({ ':gsi3pk': index.gsi3pk, ':gsi3sk': index.gsi3sk }),
        };
    try {
      const output = await context.client.send(
        new UpdateItemCommand({
          TableName: context.tableName,
          Key: marshall(conversationKey(conversationId)),
          ...update,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'UpdateItem', output);
      return 'moved';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error('conversation kept changing while its person moved');
};
