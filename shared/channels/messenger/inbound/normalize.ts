import * as v from 'valibot';
import { canonicalJson } from '#shared/contract/ids.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import type { MetaEnvelope } from '../../meta/webhook.ts';
import {
  type ConversationIdMemo,
  type EntryContext,
  entryContext,
  isMessengerPlatform,
  type MessengerPlatform,
} from './context.ts';
import { messageEvent, postbackEvent } from './messages.ts';
import {
  deliveryEvent,
  editEvent,
  type ItemEventBuilder,
  optinEvent,
  reactionEvent,
  readEvent,
  referralEvent,
} from './notices.ts';
import {
  DeliverySchema,
  ENTRY_ITEM_FIELDS,
  type EntryItemField,
  EntrySchema,
  ITEM_FRAME_KEYS,
  MessageEditSchema,
  MessageSchema,
  type MessagingItemBase,
  MessagingItemBaseSchema,
  OptinSchema,
  PostbackSchema,
  ReactionSchema,
  ReadSchema,
  ReferralSchema,
} from './schema.ts';
import { unsupportedEvent, unsupportedItemEvent } from './unsupported.ts';

export interface NormalizeOptions {
  readonly receivedAt: string;
  readonly hubAppIds: ReadonlySet<string>;
  /** Hex digest of the raw body: the occurrence key of last resort, for items nothing else can identify. */
  readonly bodyDigest: () => string;
}

type JsonObject = Record<string, unknown>;

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Turns one messaging event, once parsed, into its hub event; undefined when it does not parse. */
type KnownItem = (value: unknown, item: MessagingItemBase, entry: EntryContext) => HubEvent | undefined;

const parsedWith =
  <S extends v.GenericSchema>(schema: S, build: ItemEventBuilder<v.InferOutput<S>>): KnownItem =>
  (value, item, entry) => {
    const parsed = v.safeParse(schema, value);
    return parsed.success ? build(parsed.output, item, entry, value) : undefined;
  };

/** The event key of each messaging item Switchboard understands, with what builds its event. */
const KNOWN_ITEMS = {
  message: parsedWith(MessageSchema, messageEvent),
  postback: parsedWith(PostbackSchema, postbackEvent),
  reaction: parsedWith(ReactionSchema, reactionEvent),
  read: parsedWith(ReadSchema, readEvent),
  delivery: parsedWith(DeliverySchema, deliveryEvent),
  message_edit: parsedWith(MessageEditSchema, editEvent),
  referral: parsedWith(ReferralSchema, referralEvent),
  optin: parsedWith(OptinSchema, optinEvent),
} as const satisfies Record<string, KnownItem>;
type KnownEventKey = keyof typeof KNOWN_ITEMS;

const isKnownEventKey = (key: string): key is KnownEventKey => Object.hasOwn(KNOWN_ITEMS, key);
const KNOWN_EVENT_KEYS = Object.keys(KNOWN_ITEMS);

/** A messaging item holds exactly one event; its key names it (`message`, `read`, `pass_thread_control`…). */
const eventKeyOf = (item: JsonObject): string =>
  KNOWN_EVENT_KEYS.find((key) => Object.hasOwn(item, key)) ??
  Object.keys(item).find((key) => !ITEM_FRAME_KEYS.has(key)) ??
  'unknown';

/**
 * Builds with `build`; anything that throws or builds nothing becomes `fallback`. Built events are
 * not re-validated against `HubEventSchema`: every value in them comes from a provider schema with
 * the contract's own refinements (non-empty ids, URL-checked media, range-checked coordinates, ISO
 * times from `isoFromEpochMillis`), so the types already hold the contract's shape, and the
 * property tests check every produced event against the schema.
 */
const contractEventOr = (build: () => HubEvent | undefined, fallback: () => HubEvent): HubEvent => {
  try {
    const event = build();
    if (event !== undefined) return event;
  } catch {
    // Deliberately swallowed: the item is passed on whole by the fallback instead.
  }
  return fallback();
};

/**
 * `build`, else the item as unsupported with an occurrence key from its position in the body: the
 * last resort for items too odd even to hash (JSON nested deeper than the stack).
 */
const keptWhole = (
  raw: unknown,
  providerType: string,
  position: string,
  options: NormalizeOptions,
  build: () => HubEvent,
): HubEvent =>
  contractEventOr(build, () =>
    unsupportedEvent({
      providerType,
      raw,
      receivedAt: options.receivedAt,
      occurrenceKey: `position:${options.bodyDigest()}:${position}`,
    }),
  );

const messagingItemEvent = (
  raw: unknown,
  entry: EntryContext | undefined,
  position: string,
  options: NormalizeOptions,
): HubEvent => {
  const key = isJsonObject(raw) ? eventKeyOf(raw) : 'messaging_item';
  const asUnsupported = () => unsupportedItemEvent(raw, key, options.receivedAt, entry);
  return keptWhole(raw, key, position, options, () =>
    contractEventOr(() => {
      if (entry === undefined || !isJsonObject(raw) || !isKnownEventKey(key)) return undefined;
      const frame = v.safeParse(MessagingItemBaseSchema, raw);
      return frame.success ? KNOWN_ITEMS[key](raw[key], frame.output, entry) : undefined;
    }, asUnsupported),
  );
};

/** Instagram `changes` (comments, mentions) are not conversations: passed on as unsupported. */
const changeEvent = (
  raw: unknown,
  entry: EntryContext | undefined,
  position: string,
  options: NormalizeOptions,
): HubEvent => {
  const providerType = isJsonObject(raw) && typeof raw.field === 'string' ? raw.field : 'changes';
  return keptWhole(raw, providerType, position, options, () =>
    unsupportedEvent({ providerType, raw, receivedAt: options.receivedAt, endpoint: entry?.endpoint }),
  );
};

const isEntryItemField = (key: string): key is EntryItemField =>
  (ENTRY_ITEM_FIELDS as readonly string[]).includes(key);

/**
 * An entry's documented fields that are not item lists: the page or account id and the time of
 * the batch. Any other array beside `messaging`/`standby`/`changes` holds items Switchboard does not
 * read, and is kept as `provider.unsupported` (`entry.<key>`). A non-array key other than these is
 * taken as more envelope, not as an item: Meta batches every occurrence as an array element, while
 * an entry's non-array fields describe the batch; an event for one would hash a value repeated in
 * every POST, or be a notice per POST. An entry with no item list at all is still kept whole.
 */
const ENTRY_ENVELOPE_KEYS: ReadonlySet<string> = new Set(['id', 'time']);

/**
 * Items of an entry array Switchboard does not read, as one event keyed by the entry's id and time
 * and the items: a retry of the entry hashes the same, the same items in another entry do not.
 */
const unknownEntryArrayEvent = (
  rawEntry: JsonObject,
  key: string,
  items: readonly unknown[],
  entry: EntryContext | undefined,
  position: string,
  options: NormalizeOptions,
): HubEvent => {
  const providerType = `entry.${key}`;
  return keptWhole(items, providerType, position, options, () =>
    unsupportedEvent({
      providerType,
      raw: items,
      receivedAt: options.receivedAt,
      endpoint: entry?.endpoint,
      occurrenceKey: canonicalJson({ id: rawEntry.id ?? null, time: rawEntry.time ?? null, [key]: items }),
    }),
  );
};

const entryEvents = (
  rawEntry: unknown,
  entryIndex: number,
  platform: MessengerPlatform,
  options: NormalizeOptions,
  conversationIds: ConversationIdMemo,
): HubEvent[] => {
  const fields = isJsonObject(rawEntry) ? Object.keys(rawEntry).filter(isEntryItemField) : [];
  if (!isJsonObject(rawEntry) || fields.length === 0) {
    const unreadableEntry = () =>
      unsupportedEvent({ providerType: 'entry', raw: rawEntry, receivedAt: options.receivedAt });
    return [keptWhole(rawEntry, 'entry', `${entryIndex}`, options, unreadableEntry)];
  }
  const parsed = v.safeParse(EntrySchema, rawEntry);
  // Without a page id no item can be placed in a conversation, yet each one is still passed on.
  const entry = parsed.success
    ? entryContext(platform, parsed.output.id, options.receivedAt, options.hubAppIds, conversationIds)
    : undefined;
  // Fields in the order Meta wrote them, items in array order: events keep the payload's order.
  return Object.keys(rawEntry).flatMap((field) => {
    const items = rawEntry[field];
    if (!isEntryItemField(field)) {
      const unknownItems = Array.isArray(items) && items.length > 0 && !ENTRY_ENVELOPE_KEYS.has(field);
      return unknownItems
        ? [unknownEntryArrayEvent(rawEntry, field, items, entry, `${entryIndex}/${field}`, options)]
        : [];
    }
    if (!Array.isArray(items)) {
      const notAList = () =>
        unsupportedEvent({
          providerType: field,
          raw: items,
          receivedAt: options.receivedAt,
          endpoint: entry?.endpoint,
        });
      return [keptWhole(items, field, `${entryIndex}/${field}`, options, notAList)];
    }
    return items.map((item: unknown, itemIndex) => {
      const position = `${entryIndex}/${field}/${itemIndex}`;
      return field === 'changes'
        ? changeEvent(item, entry, position, options)
        : messagingItemEvent(item, entry, position, options);
    });
  });
};

/**
 * Every entry and every item of a verified Messenger Platform webhook, as contract events in
 * payload order: one event per messaging/standby item and per unknown entry array, nothing dropped.
 */
export const normalizeMessengerPayload = (
  envelope: MetaEnvelope,
  body: unknown,
  options: NormalizeOptions,
): HubEvent[] => {
  const platform = envelope.object;
  if (!isMessengerPlatform(platform)) {
    const wholeBody = () =>
      unsupportedEvent({ providerType: platform, raw: body, receivedAt: options.receivedAt });
    return [keptWhole(body, platform, 'object', options, wholeBody)];
  }
  const conversationIds: ConversationIdMemo = new Map();
  return envelope.entry.flatMap((rawEntry, entryIndex) =>
    entryEvents(rawEntry, entryIndex, platform, options, conversationIds),
  );
};
