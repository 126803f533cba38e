import { z } from 'zod';
import { ChannelSchema, ContactSchema } from '#shared/contract/common.ts';
import { EVENT_TYPES } from '#shared/contract/event-types.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';

/*
 * The console's tap on the helpdesk stream: every CloudEvent the local hub puts on the helpdesk
 * queue, as the SQS emulator accepted it (shared/local/sent-messages.ts), kept in memory for the
 * console. It reads nothing from the queue, so a real consumer (`npm run consume`, a helpdesk) gets
 * every event as before. Bounded: the oldest events go once it holds `capacity` events or
 * `maxBytes` of them. An erasure (`contact.erased`) takes the person's events with it, and every
 * event of the conversations they name, as it does at the hub. Reactions, edits, deletions, statuses
 * and consent changes name no `contactId`, only the channel contact: their person is the one the
 * hub derives from it (contactIdFor), so an erasure finds them even when the tap, started empty
 * after a restart of the hub, holds no event of that conversation that names the person.
 */

const TappedCloudEventSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().optional(),
  data: z
    .looseObject({
      conversationId: z.string().optional(),
      contactId: z.string().optional(),
      /** An event that names no person names the channel contact (checked when used: see derivedPersonOf). */
      channel: z.unknown().optional(),
      contact: z.unknown().optional(),
      /** A merge's or unmerge's conversations, and the two people it concerns. */
      conversationIds: z.array(z.string()).optional(),
      survivingContactId: z.string().optional(),
      discardedContactId: z.string().optional(),
      /** A conversation's state (`conversation.state_changed`) names its person inside. */
      state: z.looseObject({ contactId: z.string().optional() }).optional(),
    })
    .optional(),
});

/** What the stream tells the page of an event: enough to know what to read again, never its content. */
export interface TappedEventSummary {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly conversationId?: string;
  readonly contactId?: string;
  /** A merge's or unmerge's conversations (their contactId changed). */
  readonly conversationIds?: readonly string[];
}

export interface TappedEvent extends TappedEventSummary {
  /** Every person the event names (a merge names two), for an erasure to find. */
  readonly contactIds: readonly string[];
  readonly tappedAt: string;
  /** The CloudEvent as published. */
  readonly event: Record<string, unknown>;
  readonly bytes: number;
}

export interface EventTap {
  /** Keeps the events among these message bodies (bodies that are no CloudEvent are skipped). */
  record(bodies: readonly string[]): void;
  /** The events of one conversation still held (a merge's too), newest first. */
  forConversation(conversationId: string): TappedEvent[];
  /** The events after `seq` still held, oldest first. */
  since(seq: number): TappedEvent[];
  /** Calls `listener` with each event recorded from now on; returns the unsubscribe. */
  subscribe(listener: (event: TappedEvent) => void): () => void;
  readonly size: number;
  /** Persons remembered as derived from channel contacts (keyed by the contacts): none after an erasure. */
  readonly derivationsRemembered: number;
}

const DEFAULT_TAP_CAPACITY = 500;
const DEFAULT_TAP_MAX_BYTES = 8 * 1024 * 1024;
/**
 * How many conversations the tap remembers the person of after their events went: an erasure then
 * still finds a conversation whose only held events name no one (a state change, a claim check).
 */
const DEFAULT_PEOPLE_CAPACITY = 10_000;

const parseBody = (body: string): z.infer<typeof TappedCloudEventSchema> | undefined => {
  try {
    const parsed = TappedCloudEventSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The person the hub derives from an event's channel contact (as it does for a new conversation), for
 * an event that names none; undefined when the event carries no contact the contract knows.
 */
const derivedPersonOf = (
  event: z.infer<typeof TappedCloudEventSchema>,
  conversationId: string | undefined,
): string | undefined => {
  const channel = ChannelSchema.safeParse(event.data?.channel);
  const contact = ContactSchema.safeParse(event.data?.contact);
  if (!conversationId || !channel.success || !contact.success) return undefined;
  return contactIdFor(channel.data, contact.data, conversationId);
};

/** How many derivations the tap remembers: a message's statuses all derive the same person. */
const DERIVED_PEOPLE_CACHE = 1_000;

/**
 * `derivedPersonOf`, remembered by the event's raw channel, contact and conversation: each status of
 * a sent message (three or more) would otherwise parse its phone number and hash it again, on the
 * thread that serves the emulators.
 */
const derivedPeopleCache = () => {
  const known = new Map<string, string | undefined>();
  return {
    derive(event: z.infer<typeof TappedCloudEventSchema>, conversationId: string | undefined) {
      if (!conversationId) return undefined;
      const key = JSON.stringify([conversationId, event.data?.channel, event.data?.contact]);
      if (known.has(key)) return known.get(key);
      const person = derivedPersonOf(event, conversationId);
      known.set(key, person);
      if (known.size > DERIVED_PEOPLE_CACHE) known.delete(known.keys().next().value as string);
      return person;
    },
    /** Its keys hold contacts' addresses: an erasure empties it (found by a review). */
    clear: () => known.clear(),
    get size() {
      return known.size;
    },
  };
};

/** A conversation's events name it as their subject (most) or in their data (consent, merges…). */
const conversationOf = (event: z.infer<typeof TappedCloudEventSchema>): string | undefined =>
  event.data?.conversationId ?? (event.subject?.startsWith('conv_') ? event.subject : undefined);

export const createEventTap = ({
  capacity = DEFAULT_TAP_CAPACITY,
  maxBytes = DEFAULT_TAP_MAX_BYTES,
  peopleCapacity = DEFAULT_PEOPLE_CAPACITY,
  now = () => new Date(),
}: {
  capacity?: number;
  maxBytes?: number;
  peopleCapacity?: number;
  now?: () => Date;
} = {}): EventTap => {
  const held: TappedEvent[] = [];
  /** The latest person each conversation was seen under (a merge moves it), oldest first. */
  const personOf = new Map<string, string>();
  const ids = new Set<string>();
  const listeners = new Set<(event: TappedEvent) => void>();
  let bytes = 0;
  let seq = 0;
  const derivedPeople = derivedPeopleCache();

  const evictOldest = () => {
    const oldest = held.shift();
    if (!oldest) return;
    ids.delete(oldest.id);
    bytes -= oldest.bytes;
  };

  /** The conversations an event is about: its own, or a merge's. */
  const conversationsOf = (event: TappedEvent): readonly string[] =>
    event.conversationId
      ? [event.conversationId, ...(event.conversationIds ?? [])]
      : (event.conversationIds ?? []);

  const notePerson = (conversationId: string, contactId: string) => {
    personOf.delete(conversationId);
    personOf.set(conversationId, contactId);
    if (personOf.size > peopleCapacity) personOf.delete(personOf.keys().next().value as string);
  };

  /**
   * Drops the erased person's events and every event of their conversations: those the held events
   * name, and those the tap saw under the person before their naming events went.
   */
  const forget = (contactId: string) => {
    derivedPeople.clear();
    const theirs = held.filter((event) => event.contactIds.includes(contactId));
    const conversations = new Set(theirs.flatMap(conversationsOf));
    for (const [conversationId, person] of personOf)
      if (person === contactId) conversations.add(conversationId);
    for (const conversationId of conversations) personOf.delete(conversationId);
    const gone = (event: TappedEvent) =>
      event.contactIds.includes(contactId) || conversationsOf(event).some((id) => conversations.has(id));
    for (let index = held.length - 1; index >= 0; index -= 1) {
      const event = held[index];
      if (!event || !gone(event)) continue;
      held.splice(index, 1);
      ids.delete(event.id);
      bytes -= event.bytes;
    }
  };

  const keep = (body: string) => {
    const parsed = parseBody(body);
    // A publish the recorder retried carries the same event again; FIFO deduplication drops it.
    if (!parsed || ids.has(parsed.id)) return;
    const conversationId = conversationOf(parsed);
    const contactId = parsed.data?.contactId;
    const conversationIds = parsed.data?.conversationIds;
    const named = [
      contactId,
      parsed.data?.state?.contactId,
      parsed.data?.survivingContactId,
      parsed.data?.discardedContactId,
    ].filter((id): id is string => id !== undefined);
    const derived = named.length === 0 ? derivedPeople.derive(parsed, conversationId) : undefined;
    const contactIds = derived ? [derived] : named;
    if (parsed.type === EVENT_TYPES.contactErased && contactId) forget(contactId);
    else if (conversationId && named[0] !== undefined && named.length === 1)
      notePerson(conversationId, named[0]);
    // A derived person never replaces one the tap knows: a merge may have moved the conversation to
    // another person, whose erasure must still find it (the contact derives the person merged away).
    else if (conversationId && derived && !personOf.has(conversationId)) notePerson(conversationId, derived);
    // A merge moves its conversations to the surviving person, an unmerge back to the discarded one.
    const movedTo =
      parsed.type === EVENT_TYPES.contactMerged
        ? parsed.data?.survivingContactId
        : parsed.type === EVENT_TYPES.contactUnmerged
          ? parsed.data?.discardedContactId
          : undefined;
    if (movedTo) for (const moved of conversationIds ?? []) notePerson(moved, movedTo);
    seq += 1;
    const event: TappedEvent = {
      seq,
      id: parsed.id,
      type: parsed.type,
      ...(conversationId ? { conversationId } : {}),
      ...(contactId ? { contactId } : {}),
      ...(conversationIds ? { conversationIds } : {}),
      contactIds,
      tappedAt: now().toISOString(),
      event: parsed,
      bytes: Buffer.byteLength(body, 'utf8'),
    };
    held.push(event);
    ids.add(event.id);
    bytes += event.bytes;
    while (held.length > capacity || (bytes > maxBytes && held.length > 1)) evictOldest();
    for (const listener of listeners) listener(event);
  };

  return {
    record(bodies) {
      for (const body of bodies) keep(body);
    },
    forConversation: (conversationId) =>
      held.filter((event) => conversationsOf(event).includes(conversationId)).reverse(),
    since: (after) => held.filter((event) => event.seq > after),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get size() {
      return held.length;
    },
    get derivationsRemembered() {
      return derivedPeople.size;
    },
  };
};

export const summaryOf = (event: TappedEvent): TappedEventSummary => ({
  seq: event.seq,
  id: event.id,
  type: event.type,
  ...(event.conversationId ? { conversationId: event.conversationId } : {}),
  ...(event.contactId ? { contactId: event.contactId } : {}),
  ...(event.conversationIds ? { conversationIds: event.conversationIds } : {}),
});
