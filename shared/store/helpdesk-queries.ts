import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Channel, Contact, ConversationStatus } from '#shared/contract/index.ts';
import {
  type ContactView,
  channelContactsOf,
  consentKeysFor,
  consentOf,
  MAX_CONTACT_ITEM_IDENTITIES,
  personListedContactKeys,
  personOfContact,
  readConsentViews,
} from './contacts.ts';
import {
  type ConversationView,
  conversationViewOf,
  type StoredConversation,
  storedConversationOf,
} from './conversations.ts';
import { isLive } from './item-rules.ts';
import {
  attentionIndexKeys,
  attentionPartitions,
  contactItemKey,
  contactKeyFor,
  contactsConversationsPartition,
  conversationIdOfKey,
  conversationKey,
  conversationMessagesPartition,
  hubMessageIdOfKey,
  isAttentionPartition,
  PENDING_ANNOUNCEMENT_INDEX_PARTITION,
  PERSON_CONVERSATION_PREFIX,
  shardOf,
  statusPartitions,
} from './keys.ts';
import { readLiveStates } from './message-live.ts';
import { type StoredMessageData, storedMessageOf } from './messages.ts';
import { ownerOutsideTree, peopleMergedInto } from './person-merges.ts';
import type { MessageLiveState } from './registers.ts';
import type { PseudonymKeySource } from './suppressions.ts';
import { batchGetItems, type TableContext, track } from './table.ts';

/*
 * The helpdesk API's reads, and the attention sweeper's: each page is one Query of an index (of
 * each of its shards, for a sharded partition) and at most one BatchGetItem to hydrate it, never a
 * Scan and never a read per item. Positions are DynamoDB's own keys (the caller turns them into
 * opaque cursors and checks them before they come back here).
 */

/** A position in an index: the table keys and the index keys of the last item read. */
export type IndexPosition = Record<string, string>;

/**
 * Where a read of several partitions of one index stands (a sharded partition: keys.ts
 * INDEX_SHARDS), by partition: the last entry read from it; a partition not named is read from its
 * start. A partition read to its end keeps its last entry, so that what arrives there later is read.
 */
export type SpreadPosition = Readonly<Record<string, IndexPosition>>;

/** Which index a conversation listing reads, and which partition of it. */
export type ConversationSource =
  | { readonly index: 'gsi1'; readonly status: ConversationStatus }
  | { readonly index: 'gsi3'; readonly contactId: string }
  | { readonly index: 'gsi4'; readonly attention: AttentionKind };

/** The index partitions a listing reads: a status's and the waiting customers' are spread over shards. */
export const partitionsOf = (source: ConversationSource): { name: string; values: string[] } => {
  switch (source.index) {
    case 'gsi1':
      return { name: 'gsi1pk', values: statusPartitions(source.status) };
    case 'gsi3':
      return { name: 'gsi3pk', values: [contactsConversationsPartition(source.contactId)] };
    case 'gsi4':
      return { name: 'gsi4pk', values: attentionPartitions(source.attention) };
  }
};

/**
 * The index's sort key, and what the entries a listing reads start with ('' for any): a person's
 * partition also holds their channel contacts and the people merged into them.
 */
export const sortKeyOf = (source: ConversationSource): { name: string; prefix: string } => ({
  name: `${source.index}sk`,
  prefix: source.index === 'gsi3' ? PERSON_CONVERSATION_PREFIX : '',
});

export interface PageRequest {
  readonly limit: number;
  readonly from?: IndexPosition | undefined;
  /** Index order ascending (gsi1: oldest activity first; gsi4: longest wait first). */
  readonly ascending: boolean;
}

export interface KeyPage<T> {
  readonly items: T[];
  /** Where the Query stopped; absent when it reached the end of the partition. */
  readonly last?: IndexPosition;
  /**
   * The last entry the Query read, kept or not (an expired message is left out of `items`): where
   * the way back from a page left empty turns, so that it passes every entry it skipped over.
   */
  readonly readTo?: IndexPosition;
}

const positionOf = (key: Record<string, AttributeValue> | undefined): IndexPosition | undefined =>
  key ? (unmarshall(key) as IndexPosition) : undefined;

interface SortCondition {
  /** Only entries whose sort key is at most this. */
  readonly sortAtMost?: { readonly name: string; readonly value: string };
  /** Only entries whose sort key is at least this. */
  readonly sortAtLeast?: { readonly name: string; readonly value: string };
  /** Only entries whose sort key starts with this. */
  readonly sortBeginsWith?: { readonly name: string; readonly value: string };
}

/** One Query of one index partition: a page of entries, and where the page ends (none at the partition's end). */
export const queryIndex = async (
  context: TableContext,
  index: string,
  partition: { name: string; value: string },
  page: PageRequest & SortCondition,
) => {
  const sort = page.sortAtMost ?? page.sortAtLeast ?? page.sortBeginsWith;
  const sortCondition = page.sortBeginsWith
    ? 'begins_with(#sk, :sk)'
    : page.sortAtLeast
      ? '#sk >= :sk'
      : '#sk <= :sk';
  const output = await context.client.send(
    new QueryCommand({
      TableName: context.tableName,
      IndexName: index,
      KeyConditionExpression: sort ? `#pk = :pk AND ${sortCondition}` : '#pk = :pk',
      ExpressionAttributeNames: { '#pk': partition.name, ...(sort ? { '#sk': sort.name } : {}) },
      ExpressionAttributeValues: marshall({
        ':pk': partition.value,
        ...(sort ? { ':sk': sort.value } : {}),
      }),
      ScanIndexForward: page.ascending,
      // One more than the page: DynamoDB stops at a full page with a position whether or not anything
      // lies beyond it, and a cursor from there would lead to an empty page, whose way back (exclusive
      // of the cursor's own position) would skip the page's last item. The extra item says whether
      // there is more; the page ends at the item before it.
      Limit: page.limit + 1,
      ...(page.from ? { ExclusiveStartKey: marshall(page.from) } : {}),
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'Query', output);
  const found = output.Items ?? [];
  const items = found.slice(0, page.limit);
  const edge = items.at(-1);
  const last =
    found.length > page.limit && edge && output.LastEvaluatedKey
      ? positionOf(
          Object.fromEntries(
            Object.keys(output.LastEvaluatedKey).map((name) => [name, edge[name] as AttributeValue]),
          ),
        )
      : positionOf(output.LastEvaluatedKey);
  return { items: items.map((raw) => unmarshall(raw)), ...(last ? { last } : {}) };
};

/** An index entry (keys only) of a merged read of several partitions, and where the read stood after it. */
export interface SpreadEntry {
  readonly entry: IndexPosition;
  readonly partition: string;
  readonly after: SpreadPosition;
}

interface MergedRead extends SortCondition {
  readonly ascending: boolean;
  /** Entries read at most. */
  readonly max: number;
  /** Entries one Query of a partition asks for (and one more, which says whether it has more). */
  readonly perQuery: number;
  readonly from?: SpreadPosition | undefined;
  /**
   * Whether an entry taken from an unsharded partition moves its shard's position past it too: only
   * where the sort key is unique to the conversation (gsi1's ends with its id). Where sort keys tie
   * (gsi4's bare times), DynamoDB orders a partition's tied entries in an order of its own, not the
   * merge's, so the shard's position at the entry could pass an entry of the shard not yet taken
   * (found by a review).
   */
  readonly shardPastUnsharded?: boolean;
}

/**
 * Several partitions of an index read as one, in the index's order (the sort key, then the table
 * key between partitions): each partition is read a Query at a time into a buffer of its own, all
 * at once at first, then again when its buffer runs out (with the others nearly out, in parallel),
 * so no entry is read twice and the read goes little further than the entries taken. Merged by
 * each partition's head, so what is taken of a partition is always the start of what DynamoDB
 * returned for it, in DynamoDB's order (entries with the same sort key are in an order of its own):
 * where the read stops in a partition is then a position DynamoDB reads on from without skipping
 * one. `complete` when every partition was read to its end.
 */
const mergedRead = async (
  context: TableContext,
  index: string,
  partitions: { readonly name: string; readonly values: readonly string[] },
  read: MergedRead,
): Promise<{ entries: SpreadEntry[]; complete: boolean }> => {
  const sortName = `${index}sk`;
  const streams = partitions.values.map((value) => ({
    value,
    buffer: [] as IndexPosition[],
    head: 0,
    next: read.from?.[value],
    done: false,
  }));
  const fill = async (stream: (typeof streams)[number]) => {
    const found = await queryIndex(
      context,
      index,
      { name: partitions.name, value: stream.value },
      {
        limit: read.perQuery,
        ascending: read.ascending,
        from: stream.next,
        ...(read.sortAtMost ? { sortAtMost: read.sortAtMost } : {}),
        ...(read.sortBeginsWith ? { sortBeginsWith: read.sortBeginsWith } : {}),
      },
    );
    // What the buffer still held, then the new entries after it.
    stream.buffer = [...stream.buffer.slice(stream.head), ...(found.items as IndexPosition[])];
    stream.head = 0;
    stream.next = found.last;
    stream.done = found.last === undefined;
  };
  const direction = read.ascending ? 1 : -1;
  const before = (a: IndexPosition, b: IndexPosition) =>
    direction * (compare(a[sortName] ?? '', b[sortName] ?? '') || compare(a.pk ?? '', b.pk ?? '')) < 0;
  const entries: SpreadEntry[] = [];
  let after: SpreadPosition = { ...read.from };
  while (entries.length < read.max) {
    // A partition run out is read again, and with it, in the same round, every other one that has
    // less than half a Query's entries left: evenly spread partitions run out together, so a sweep
    // takes a round of parallel Queries every half page or so rather than one Query at a time.
    const left = (stream: (typeof streams)[number]) => stream.buffer.length - stream.head;
    if (streams.some((stream) => left(stream) === 0 && !stream.done))
      await Promise.all(
        streams.filter((stream) => !stream.done && left(stream) < read.perQuery / 2).map(fill),
      );
    let best: (typeof streams)[number] | undefined;
    for (const stream of streams) {
      const candidate = stream.buffer[stream.head];
      const current = best?.buffer[best.head];
      if (candidate && (!current || before(candidate, current))) best = stream;
    }
    const entry = best?.buffer[best.head];
    if (!best || !entry) break;
    best.head += 1;
    // The entry's keys alone (table and index): an index that projected more would have DynamoDB
    // refuse the rest in an ExclusiveStartKey.
    const keys = [
      ['pk', entry.pk],
      ['sk', entry.sk],
      [partitions.name, entry[partitions.name]],
      [sortName, entry[sortName]],
    ] as const;
    after = {
      ...after,
      [best.value]: Object.fromEntries(keys.map(([name, value]) => [name, String(value)])),
    };
    // An entry of before the sharding (an unsharded partition read beside its shards): its
    // conversation's shard reads on after it too, so the entry the conversation writes there when
    // it moves (the same sort key: a status left and taken again within the hour, or
    // `npm run reshard-indexes`) is not listed again on a later page (found by a review). Every entry
    // of that shard before it was taken already: the merge takes each partition's head in order, and
    // no entry of the shard ties with it (`shardPastUnsharded`: gsi1 only).
    const shard = read.shardPastUnsharded
      ? shardOf(best.value, conversationIdOfKey({ pk: String(entry.pk), sk: String(entry.sk) }))
      : undefined;
    if (shard !== undefined && streams.some((stream) => stream.value === shard))
      after = {
        ...after,
        [shard]: Object.fromEntries(
          keys.map(([name, value]) => [name, name === partitions.name ? shard : String(value)]),
        ),
      };
    entries.push({ entry, partition: best.value, after });
  }
  return {
    entries,
    complete: streams.every((stream) => stream.head >= stream.buffer.length && stream.done),
  };
};

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of conversations: a Query of each of the index partitions (keys only; mergedRead) and
 * one eventually consistent BatchGetItem (a consistent one more for entries it disagrees with),
 * returned in the index's order. An entry the index still holds for an
 * older state (eventual consistency of a GSI) is left out when the item no longer belongs to the
 * listing, and a conversation the index lists twice (an entry of before the sharding the index has
 * not moved yet) once.
 */
export const conversationPage = async (
  context: TableContext,
  source: ConversationSource,
  page: Omit<PageRequest, 'from'> & { readonly from?: SpreadPosition },
): Promise<{ items: ConversationView[]; last?: SpreadPosition }> => {
  const partitions = partitionsOf(source);
  const sort = sortKeyOf(source);
  // One Query of a page (and one more entry) per partition, all at once: the page is read in one
  // round whatever the spread (a partition runs out before the page only if it alone fills it).
  const found = await mergedRead(context, source.index, partitions, {
    ascending: page.ascending,
    max: page.limit,
    perQuery: page.limit,
    from: page.from,
    shardPastUnsharded: source.index === 'gsi1',
    ...(sort.prefix ? { sortBeginsWith: { name: sort.name, value: sort.prefix } } : {}),
  });
  // By partition key: a conversation the index lists twice is read once, in its first place.
  const keys = [...new Map(found.entries.map(({ entry }) => [String(entry.pk), String(entry.sk)]))].map(
    ([pk, sk]) => ({ pk, sk }),
  );
  const items = keys.length > 0 ? await batchGetItems(context, keys, { consistent: false }) : [];
  const byPk = new Map(items.map((item) => [String(item.pk), item]));
  const listedView = (key: { pk: string }): ConversationView | undefined => {
    const item = byPk.get(key.pk);
    const view = item ? conversationViewOf(item) : undefined;
    if (!view) return undefined;
    const stillThere =
      source.index === 'gsi1'
        ? view.state.status === source.status
        : source.index === 'gsi4'
          ? isAttentionPartition(source.attention, attentionIndexKeys(view.state)?.gsi4pk ?? '')
          : view.state.contactId === source.contactId;
    return stillThere ? view : undefined;
  };
  // An item that disagrees with its entry may be the read behind, not the index (an eventually
  // consistent read of a change the index already shows: a customer who has just started waiting):
  // those few are read again, consistently, before they are left out (until 2026-12-07 such a
  // conversation was dropped from that page, and its cursor moved past it; found by a review).
  // Each item's view made once (it inflates the stored model); only the doubtful ones again.
  const viewAt = new Map(keys.map((key) => [key.pk, listedView(key)]));
  const doubtful = keys.filter((key) => viewAt.get(key.pk) === undefined);
  if (doubtful.length > 0) {
    for (const item of await batchGetItems(context, doubtful, { consistent: true }))
      byPk.set(String(item.pk), item);
    for (const key of doubtful) viewAt.set(key.pk, listedView(key));
  }
  const views = keys.flatMap((key) => viewAt.get(key.pk) ?? []);
  const last = found.entries.at(-1)?.after;
  return { items: views, ...(!found.complete && last ? { last } : {}) };
};

/** Which attention partition of gsi4: customers waiting for an answer, or snoozes. */
export type AttentionKind = 'waiting' | 'snoozed';

/** What the sweeper reads of gsi4 by time: an attention partition, or conversations with changes not yet published. */
export type SweptPartition = AttentionKind | 'unannounced';

/** An entry of the attention index: whose, and its time (`waitingSince`, `snoozedUntil`, or when a pending announcement is due). */
export interface AttentionEntry {
  readonly conversationId: string;
  readonly at: string;
  /** Where the read stood after it in the index's partitions, to read on from there. */
  readonly position: SpreadPosition;
}

export interface AttentionRead {
  readonly ascending: boolean;
  /** Entries a round of Queries returns at most, divided among the partitions (one each at least). */
  readonly pageSize: number;
  /** Entries read at most, over as many rounds as that takes. */
  readonly maxEntries: number;
  /** Read on from this entry's position (an entry no longer in the index still marks its place). */
  readonly after?: SpreadPosition;
}

/**
 * The attention index's entries of one kind up to a time, over its partitions (the waiting
 * customers' shards), in the order asked (keys only, about 100 bytes an entry: 1,000 cost about 12
 * read units; the read goes as far as the entries it returns, and at most one Query's look-ahead
 * further in each partition); `complete` when the range was read to its end.
 */
export const attentionEntries = async (
  context: TableContext,
  attention: SweptPartition,
  until: string,
  read: AttentionRead,
): Promise<{ entries: AttentionEntry[]; complete: boolean }> => {
  const partitions =
    attention === 'unannounced'
      ? { name: 'gsi4pk', values: [PENDING_ANNOUNCEMENT_INDEX_PARTITION] }
      : partitionsOf({ index: 'gsi4', attention });
  // A round of Queries returns about a page: the page is divided among the partitions.
  const found = await mergedRead(context, 'gsi4', partitions, {
    ascending: read.ascending,
    max: read.maxEntries,
    perQuery: Math.ceil(read.pageSize / partitions.values.length),
    from: read.after,
    sortAtMost: { name: 'gsi4sk', value: until },
  });
  const entries: AttentionEntry[] = [];
  const seen = new Set<string>();
  for (const { entry, after } of found.entries) {
    const conversationId = conversationIdOfKey({ pk: String(entry.pk), sk: String(entry.sk) });
    // Listed twice only while an entry of before the sharding has not moved yet: once.
    if (seen.has(conversationId)) continue;
    seen.add(conversationId);
    entries.push({ conversationId, at: String(entry.gsi4sk), position: after });
  }
  return { entries, complete: found.complete };
};

/** A conversation item that could not be read (a format or value from another version of the hub). */
export interface UnreadableConversation {
  readonly conversationId: string;
  readonly error: unknown;
}

/**
 * Whole conversation items by id (one consistent BatchGetItem per 100), for their writers; in no
 * particular order. An item that does not parse is set apart rather than failing the others.
 */
export const storedConversations = async (
  context: TableContext,
  conversationIds: readonly string[],
): Promise<{ conversations: StoredConversation[]; unreadable: UnreadableConversation[] }> => {
  const keys = [...new Set(conversationIds)].map(conversationKey);
  const items = keys.length > 0 ? await batchGetItems(context, keys) : [];
  const conversations: StoredConversation[] = [];
  const unreadable: UnreadableConversation[] = [];
  for (const item of items) {
    try {
      const stored = storedConversationOf(item);
      if (stored.model !== undefined) conversations.push(stored);
    } catch (error) {
      unreadable.push({
        conversationId: conversationIdOfKey({ pk: String(item.pk), sk: String(item.sk) }),
        error,
      });
    }
  }
  return { conversations, unreadable };
};

export interface MessagePageItem {
  readonly hubMessageId: string;
  readonly message: NonNullable<ReturnType<typeof storedMessageOf>>['message'];
  readonly live: MessageLiveState;
  readonly omitted?: StoredMessageData['omitted'];
  /** The item's position, for cursors both ways. */
  readonly position: IndexPosition;
}

/**
 * One page of a conversation's messages (gsi2, all attributes projected) with their live state
 * (one BatchGetItem of the state items), always returned oldest first.
 */
/** An entry's place in a conversation's messages (gsi2), as a Query starts from it. */
const messagesIndexPosition = (item: Record<string, unknown>): IndexPosition => ({
  pk: String(item.pk),
  sk: String(item.sk),
  gsi2pk: String(item.gsi2pk),
  gsi2sk: String(item.gsi2sk),
});

export const messagePage = async (
  context: TableContext,
  conversationId: string,
  page: PageRequest & {
    /** The entry at `from` is part of the page (else the page starts past it). */
    readonly inclusive?: boolean;
  },
): Promise<KeyPage<MessagePageItem>> => {
  const { inclusive, ...request } = page;
  // A message's gsi2sk ends with its own id, so no other entry ties with it: the page from it, it
  // included, is the one of the sort keys from its own on (ExclusiveStartKey has no inclusive form).
  const from = inclusive && page.from ? { name: 'gsi2sk', value: String(page.from.gsi2sk) } : undefined;
  const found = await queryIndex(
    context,
    'gsi2',
    { name: 'gsi2pk', value: conversationMessagesPartition(conversationId) },
    from
      ? {
          limit: page.limit,
          ascending: page.ascending,
          ...(page.ascending ? { sortAtLeast: from } : { sortAtMost: from }),
        }
      : request,
  );
  const records = found.items.filter((item) => isLive(item, context.now()));
  const ids = records.map((item) => hubMessageIdOfKey({ pk: String(item.pk), sk: String(item.sk) }));
  const storedMessages = records.map(storedMessageOf);
  const liveStates = await readLiveStates(
    context,
    storedMessages.map((one, index) => one && { hubMessageId: ids[index] ?? '', message: one.message }),
    { consistent: false },
  );
  const farthest = found.items.at(-1);
  const items = records.flatMap((item, index) => {
    const stored = storedMessages[index];
    const hubMessageId = ids[index];
    if (!stored || hubMessageId === undefined) return [];
    return [
      {
        hubMessageId,
        message: stored.message,
        live: liveStates[index] ?? {},
        ...(stored.omitted ? { omitted: stored.omitted } : {}),
        position: messagesIndexPosition(item),
      },
    ];
  });
  if (!page.ascending) items.reverse();
  return {
    items,
    ...(found.last ? { last: found.last } : {}),
    ...(farthest ? { readTo: messagesIndexPosition(farthest) } : {}),
  };
};

/** A person as the helpdesk API shows them: each channel they wrote on, with its identities and consent. */
export interface PersonView {
  readonly contactId: string;
  readonly channels: {
    readonly channel: Channel;
    readonly identities: Contact['identities'];
    readonly displayName?: string;
    readonly consent: ContactView['consent'];
  }[];
}

/** Conversations per page of a person's partition: one BatchGetItem hydrates a page. */
const PERSON_CONVERSATIONS = 100;

/**
 * Every conversation of a person, in gsi3 order: a person usually has a handful (one per channel
 * and endpoint), but one customer writing to many business numbers has as many, so every page is
 * read (one Query and one BatchGetItem per 100 conversations).
 */
export const personConversations = async (
  context: TableContext,
  contactId: string,
): Promise<ConversationView[]> => {
  const conversations: ConversationView[] = [];
  let from: SpreadPosition | undefined;
  do {
    const page = await conversationPage(
      context,
      { index: 'gsi3', contactId },
      { limit: PERSON_CONVERSATIONS, ascending: true, ...(from ? { from } : {}) },
    );
    conversations.push(...page.items);
    from = page.last;
  } while (from);
  return conversations;
};

/** A person's channel contacts, each keyed by its contact key, and the conversations they were found from. */
export interface PersonContacts {
  readonly conversations: readonly ConversationView[];
  readonly contacts: ReadonlyMap<string, { readonly channel: Channel; readonly contact: Contact }>;
}

/**
 * The people merged into a person (peopleMergedInto: one Query per person in the tree) and the keys
 * of the channel contacts listed under them, one Query for each of them. A merge moves
 * conversations, not these: a STOP from a discarded person's number to a campaign stays listed
 * under them.
 */
const mergedPeopleListed = async (
  context: TableContext,
  contactId: string,
): Promise<{ readonly people: readonly string[]; readonly keys: readonly string[] }> => {
  const people = await peopleMergedInto(context, contactId);
  const keys = (await Promise.all(people.map((person) => personListedContactKeys(context, person)))).flat();
  return { people, keys };
};

/**
 * A person's channel contacts: those of their conversations (gsi3: one Query and one BatchGetItem
 * per 100), and those listed without one under them or under the people merged into them (one
 * Query, one Query per person in their merge tree, one more per person merged into them, and one
 * BatchGetItem per 100 for those: a STOP from someone who never wrote); undefined when the hub knows
 * neither.
 */
export const personContacts = async (
  context: TableContext,
  contactId: string,
): Promise<PersonContacts | undefined> => {
  const [conversations, ownListed, merged] = await Promise.all([
    personConversations(context, contactId),
    personListedContactKeys(context, contactId),
    mergedPeopleListed(context, contactId),
  ]);
  const listedKeys = [...new Set([...ownListed, ...merged.keys])];
  const tree = new Set([contactId, ...merged.people]);
  const own = new Set(ownListed);
  if (conversations.length === 0 && listedKeys.length === 0) return undefined;
  const contacts = new Map<string, { channel: Channel; contact: Contact }>();
  for (const { state } of conversations) {
    const key = contactKeyFor(state.channel, state.contact);
    const known = contacts.get(key);
    contacts.set(key, {
      channel: state.channel,
      contact: known ? mergeIdentities(known.contact, state.contact) : state.contact,
    });
  }
  // Channel contacts known without a conversation (a STOP to a campaign): read only those (a
  // conversation's contact is listed under each key its consent is kept under: consentKeysFor).
  const known = new Set(
    [...contacts.values()].flatMap(({ channel, contact }) => consentKeysFor(channel, contact)),
  );
  const unknown = listedKeys.filter((key) => !known.has(key));
  for (const listed of await channelContactsOf(context, unknown)) {
    // A WhatsApp customer's STOP is listed under each of its identifiers: one contact, once.
    const keys = consentKeysFor(listed.channel, listed.contact);
    if (keys.some((key) => known.has(key))) continue;
    // Not theirs, for one: a contact indexed under a middle person while someone merged into them,
    // who was unmerged since (an unmerge moves back what is listed under the top person only).
    if (
      !own.has(listed.contactKey) &&
      (await ownerOutsideTree(context, tree, personOfContact(listed.channel, listed.contact))) !== undefined
    )
      continue;
    for (const key of keys) known.add(key);
    contacts.set(listed.contactKey, { channel: listed.channel, contact: listed.contact });
  }
  return { conversations, contacts };
};

/**
 * A person from their channel contacts (personContacts), and their channel contacts' consent (one
 * BatchGetItem per 100); undefined when the hub knows neither.
 */
export const personView = async (
  context: TableContext,
  contactId: string,
  /** With it, consent as the sender reads it: an erasure's kept opt-outs included. */
  pseudonymKey?: PseudonymKeySource,
): Promise<PersonView | undefined> => {
  const found = await personContacts(context, contactId);
  if (!found) return undefined;
  const { contacts } = found;
  const listed = [...contacts.values()];
  // A WhatsApp contact's consent is under each of its identifiers (consentKeysFor): all read at once,
  // with the opt-outs an erasure kept (under the pseudonym key), which still refuse sends.
  const groups = listed.map(({ channel, contact }) => consentKeysFor(channel, contact));
  const consents = pseudonymKey
    ? await readConsentViews(context, pseudonymKey, groups)
    : await recordedConsents(context, groups);
  return {
    contactId,
    channels: listed.map(({ channel, contact }, index) => ({
      channel,
      identities: contact.identities,
      ...(contact.displayName ? { displayName: contact.displayName } : {}),
      consent: consents[index] ?? {},
    })),
  };
};

/** Each group of channel-contact keys' consent as their own items record it (one BatchGetItem per 100). */
const recordedConsents = async (
  context: TableContext,
  groups: readonly (readonly string[])[],
): Promise<ContactView['consent'][]> => {
  const items = await batchGetItems(
    context,
    [...new Set(groups.flat())].map((key) => contactItemKey(key)),
    { consistent: false },
  );
  const byPk = new Map(items.map((item) => [String(item.pk), item]));
  return groups.map((keys) => consentOf(...keys.map((key) => byPk.get(contactItemKey(key).pk))));
};

/**
 * A channel contact's identities across its conversations, at most as many as its contact item
 * lists (MAX_CONTACT_ITEM_IDENTITIES), the first conversations' first. Each conversation keeps 16,
 * but a contact can have any number of conversations: mails from one address, each a new thread
 * answered from other addresses, gathered here without a bound until the person's answer outgrew
 * Lambda's 6 MB (found by a review on 2026-12-06, `tests/api/person-identities.test.ts`).
 */
const mergeIdentities = (a: Contact, b: Contact): Contact => {
  if (a.identities.length >= MAX_CONTACT_ITEM_IDENTITIES) return a;
  const seen = new Set(a.identities.map((identity) => `${identity.type}:${identity.value}`));
  return {
    ...a,
    identities: [
      ...a.identities,
      ...b.identities.filter((identity) => !seen.has(`${identity.type}:${identity.value}`)),
    ].slice(0, MAX_CONTACT_ITEM_IDENTITIES) as Contact['identities'],
  };
};
