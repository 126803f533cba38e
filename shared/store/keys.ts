import { createHash, createHmac, type KeyObject } from 'node:crypto';
import { boundedIdentityKey, sendingEndpointKey } from '#shared/contract/ids.ts';
import type {
  BusinessEndpoint,
  Channel,
  ChannelIdentity,
  Contact,
  ConversationState,
  Provider,
} from '#shared/contract/types.ts';

/*
 * The key catalogue: every kind of item in the hub's one table, its keys, its indexes, and how it
 * is reached from a contact. Nothing else builds a key or names an attribute of one; the store
 * modules beside this file own the items of one kind each (conversations.ts, messages.ts,
 * registers.ts, contacts.ts, sends.ts, send-reservations.ts, pending-announcements.ts,
 * endpoint-pauses.ts, replay-guard.ts, suppressions.ts, pseudonym-key-check.ts, upload-refs.ts) and
 * read-api.ts reads them all.
 */

/** How an item is found from the contact it belongs to (for "every item of a contact": erasure, export). */
export type ReachFromContact =
  /** The contact's own partition. */
  | 'contact-partition'
  /** One per identity the contact item lists. */
  | 'identity-of-contact'
  /** gsi3: the conversations a contact key has. */
  | 'conversations-by-contact'
  /** The partition of each of those conversations, beside its conversation item. */
  | 'conversation-partition'
  /** gsi2: the messages of each of those conversations. */
  | 'messages-by-conversation'
  /** gsi3: the hub's sends in each of those conversations (sent, failed or under way). */
  | 'sends-by-conversation'
  /** The partition of each of those messages. */
  | 'message-partition'
  /** gsi3: the merges into a person (and, in turn, into each person merged). */
  | 'merges-by-contact'
  /** The person's own partition (`PERSON#<contactId>`). */
  | 'person-partition'
  /** Per upload (media/outbound/) the sends of those conversations name: its partition, under each conversation. */
  | 'uploads-named-by-sends'
  /** Not personal: it belongs to no contact. */
  | 'none';

export interface ItemKind {
  /** `pk` and `sk` as templates; `<…>` are the parts a key builder fills in. */
  readonly pk: string;
  readonly sk: string;
  /** Index keys the item carries. */
  readonly indexes: readonly ('gsi1' | 'gsi2' | 'gsi3' | 'gsi4')[];
  /** Whether it holds anything about a person (identifiers, names, texts, or a link to them). */
  readonly personalData: boolean;
  readonly reach: ReachFromContact;
  /** Whether it carries `expiresAt` (TTL). */
  readonly expires: boolean;
  readonly description: string;
}

export const ITEM_KINDS = {
  conversation: {
    pk: 'CONV#<conversationId>',
    sk: 'STATE',
    indexes: ['gsi1', 'gsi3', 'gsi4'],
    personalData: true,
    reach: 'conversations-by-contact',
    expires: false,
    description:
      'conversation state (with the helpdesk fields: assignee, labels, priority, snooze), its recent event ids, the last change, Messenger watermarks, the wait last reported overdue; or a WhatsApp alias (`aliasOf`, no state) under the person whose identifier opened it, reached also from the conversation it stands for (the id each identifier of its contact derives). One written before 2026-12-01 is in gsi3 under `CONTACT#<contactKey>` (or not at all) until its next save or `npm run reindex-people` moves it under its person',
  },
  sendReservation: {
    pk: 'CONV#<conversationId>',
    sk: 'SENDKEY#<hubMessageId>',
    indexes: [],
    personalData: true,
    reach: 'conversation-partition',
    expires: true,
    description:
      "an Idempotency-Key the helpdesk API took for a send in the conversation (the hub message id it derives from it) and the hash of that send's command data (the send record's `commandHash`; no text): one conditional put before the command is queued, so other content under the key is refused before anything is queued, not only once the sender has taken the first; in the conversation's partition, so erasure reaches it; expires when a command could no longer be claimed and its send record's retention has passed (shared/store/send-reservations.ts)",
  },
  pendingAnnouncement: {
    pk: 'CONV#<conversationId>',
    sk: 'ANNOUNCE',
    indexes: ['gsi4'],
    personalData: true,
    reach: 'conversation-partition',
    expires: false,
    description:
      "a conversation that may hold helpdesk changes saved but not yet published (the conversation item's `unannounced` entries): keys only, put before a PATCH's or a snooze wake's conditional write and deleted once its `state_changed` is on the helpdesk queue; in gsi4 under `ANNOUNCE` by when the attention sweeper publishes what is left (a minute after the PATCH, past the API's timeout), so a change whose publish failed is announced with or without a retry (shared/store/pending-announcements.ts)",
  },
  message: {
    pk: 'MSG#<hubMessageId>',
    sk: 'MSG',
    indexes: ['gsi2', 'gsi3'],
    personalData: true,
    reach: 'messages-by-conversation',
    expires: true,
    description:
      'the message as recorded (gsi2); also the dedup ("done") marker. Before it, a bare marker naming the conversation that took the message (`claimedBy`, an expiry; no message), replaced by the record: an e-mail\'s claim, written before it counts (no index keys), or, only after a delivery failed once the conversation took the message, a counted-marker (`counted`, the event id; in gsi3 under `CONVMARKS#<conversationId>`, keys only, so erasure reaches it from the conversation; one written before 2026-12-06 has none until `npm run reindex-people` gives it)',
  },
  messageState: {
    pk: 'MSG#<hubMessageId>',
    sk: 'STATE',
    indexes: [],
    personalData: true,
    reach: 'message-partition',
    expires: true,
    description: "registers of a message's live state: status, reactions, edit, deletion",
  },
  send: {
    pk: 'MSG#<hubMessageId>',
    sk: 'SEND',
    indexes: ['gsi3'],
    personalData: true,
    reach: 'sends-by-conversation',
    expires: true,
    description:
      "a send command's bookkeeping: which provider messages went out, the one in flight, the outcome (no message text); in gsi3 under `CONVSENDS#<conversationId>`, but for one claimed on 2026-11-30/12-01 (840a19e..7a027d0), in gsi2 under that partition until `npm run reindex-people` moves it. Erasure replaces it with a bare tombstone (`erased`, `erasedCommandHash`: an HMAC under the pseudonym key of its `commandHash`; no index entry, no identifier), which expires when the record would have, or when the key's API reservation would have if later, so the command coming back after the customer wrote again is a repeat, never sent again (shared/store/sends.ts, sendTombstoneOf)",
  },
  mediaFetch: {
    pk: 'MSG#<hubMessageId>',
    sk: 'MEDIA#<partIndex>',
    indexes: [],
    personalData: true,
    reach: 'message-partition',
    expires: true,
    description:
      "an inbound attachment's copy into the payload bucket: the fetcher's claim (one download per part), attempts, the outcome, and the object it names (`{store: 's3', key}`, deleted with it by erasure)",
  },
  whatsappUpload: {
    pk: 'MSG#<hubMessageId>',
    sk: 'UPLOAD#<media id>',
    indexes: [],
    personalData: true,
    reach: 'message-partition',
    expires: true,
    description:
      "a file the sender uploaded to WhatsApp for one of its sends (the media id and the business phone number id; no file, no address): in the send's partition, so erasure reaches it and deletes the upload at Meta; expires when Meta expires the upload (30 days)",
  },
  uploadReference: {
    pk: 'FILE#<sha256 of the s3 key>',
    sk: 'CONV#<conversationId>',
    indexes: [],
    personalData: true,
    reach: 'uploads-named-by-sends',
    expires: true,
    description:
      "a conversation a file the helpdesk uploaded for sending (`POST /v1/media`, under media/outbound/) was sent in, or refused in: keys and an expiry only (the key hashed, so no file name is in it), put by the helpdesk API's send route before it queues the command and by the sender before any record of the send names the file (shared/store/upload-refs.ts). One upload may go to any number of conversations: an erasure deletes the erased conversations' references and the file only when none is left (sends before 2026-12-06 left none: their files go with the first recipient's erasure). Expires with the send record that names it",
  },
  contact: {
    pk: 'CONTACT#<channel>#<type:value>',
    sk: 'CONTACT',
    indexes: ['gsi3'],
    personalData: true,
    reach: 'contact-partition',
    expires: false,
    description:
      'a customer on one channel: identities and consent registers; in gsi3 under its person (`PERSON#<contactId>`), but for one written before 2026-12-01 and not indexed since, which `npm run reindex-people` files there',
  },
  consentChange: {
    pk: 'CONTACT#<channel>#<type:value>',
    sk: 'CONSENT#<scope>#<eventId>',
    indexes: [],
    personalData: true,
    reach: 'contact-partition',
    expires: false,
    description:
      "one change of a contact's consent on a scope (the ledger's history; the registers keep the latest): what, by which source and trigger, when, with the helpdesk's evidence",
  },
  unreadableEmail: {
    pk: 'CONTACT#<channel>#<type:value>',
    sk: 'UNREADABLE#<sha256 of the object keys>',
    indexes: ['gsi3'],
    personalData: true,
    reach: 'contact-partition',
    expires: true,
    description:
      "payload objects of an e-mail that no message record names, under its sender: the raw MIME of one the hub could not read (kept as `provider.unsupported`) whose sender it still knew, or what a skipped receipt of a recorded e-mail stored that its record does not name (SES's second raw object, the attachments and bodies of Mailgun's post for a second business address); the objects (`objects`, up to 128 `{store: 's3', key}`, deleted with it by erasure; `rawMimeKey` on items written until 2026-12-05), the providerType and when; in the sender's contact partition and listed in gsi3 under the person of that address (`UNREADABLE#<hash>`), so erasure finds it even with no contact item; expires with the message retention, as a message naming its objects",
  },
  unreadableEmailTombstone: {
    pk: 'UNREADABLE#<sha256 of the object keys>',
    sk: 'ERASED',
    indexes: [],
    personalData: false,
    reach: 'none',
    expires: true,
    description:
      "an erased sender's unreadable e-mail: bare (`erased`, an expiry; no address, no object key), under the hash its item was filed by, so a redelivery of the event after the erasure does not write the item again (the recorder reads it first); expires with the message tombstones",
  },
  identityClaim: {
    pk: 'IDENT#<type:value>',
    sk: 'CLAIM#<sha256 of channel and business endpoint>',
    indexes: [],
    personalData: true,
    reach: 'identity-of-contact',
    expires: false,
    description:
      'which conversation an identifier opened on one business endpoint (WhatsApp: a wa_id and a BSUID of one customer claim one conversation, even when their first messages race)',
  },
  personMerge: {
    pk: 'PERSON#<discarded contactId>',
    sk: 'MERGED',
    indexes: ['gsi3'],
    personalData: true,
    reach: 'merges-by-contact',
    // Only once undone: the record of the unmerge expires.
    expires: true,
    description:
      'an explicit merge of two people by the helpdesk: the discarded contactId now resolves to the surviving one (with the reason and when); an unmerge keeps it for 30 days as the record of the unmerge (no longer a merge, listed in gsi3 under `UNMERGED#`), so a retried unmerge answers the same',
  },
  pendingRedaction: {
    pk: 'PERSON#<contactId>',
    sk: 'REDACT#<provider message id> | REDACT#WAMEDIA#<media id>',
    indexes: ['gsi4'],
    personalData: true,
    reach: 'person-partition',
    expires: true,
    description:
      "an erased person's message that its provider did not redact yet (Twilio's message id), or a file the hub uploaded to WhatsApp that Meta did not delete yet (its media id), with the business endpoint; no text, no address: written by the erasure, retried by the next erasure call of that person and by the attention sweeper once due (gsi4 `REDACT`; one written on 2026-12-01 before de0a1f0 has no entry until `npm run reindex-people` gives it), deleted once done, expires 30 days after the first failure",
  },
  erasureAnnouncement: {
    pk: 'PERSON#<contactId>',
    sk: 'ERASURE',
    indexes: [],
    personalData: true,
    reach: 'person-partition',
    expires: true,
    description:
      'what an erasure of the person told (`contact.erased`: its time and counts; no text, no address), written before it is told and deleted when the erasure finishes, so a run that stopped after telling is finished by a run that tells the same event again (shared/store/erasure-announcement.ts); expires after 7 days',
  },
  identity: {
    pk: 'IDENT#<type:value>',
    sk: 'CONTACT#<contactKey>',
    indexes: [],
    personalData: true,
    reach: 'identity-of-contact',
    expires: false,
    description: 'finds a contact by any of its identities',
  },
  replayGuard: {
    pk: 'REPLAY#<sha256 of the token>',
    sk: 'REPLAY',
    indexes: [],
    personalData: false,
    reach: 'none',
    expires: true,
    description: 'a Mailgun token already used (hashed): refuses replays of a captured request',
  },
  endpointPause: {
    pk: 'PAUSE#<sha256 of provider and business endpoint>',
    sk: 'PAUSE',
    indexes: [],
    personalData: false,
    reach: 'none',
    expires: true,
    description:
      "a business endpoint whose sends are paused because its provider refused the hub's credentials",
  },
  suppression: {
    pk: 'SUPPRESS#HMAC#<HMAC-SHA256, under the pseudonym key, of the sha256 of the contact key>',
    sk: 'SUPPRESS',
    indexes: [],
    personalData: false,
    reach: 'none',
    expires: false,
    description:
      "an erased contact's opt-outs, under a keyed hash of its key (shared/store/suppressions.ts): a STOP outlives erasure, and the sender still honours it",
  },
  legacySuppression: {
    pk: 'SUPPRESS#<sha256 of the contact key>',
    sk: 'SUPPRESS',
    indexes: [],
    personalData: false,
    reach: 'none',
    expires: false,
    description:
      'the same, kept before the pseudonym key (unkeyed: a guessed number can be checked against it): read beside `suppression`, moved to it when found, the rest by `npm run rekey-opt-outs`',
  },
  erasedConversation: {
    pk: 'ERASED#<HMAC-SHA256, under the pseudonym key, of the contactId>',
    sk: 'CONV#<HMAC-SHA256, under the pseudonym key, of the conversationId>',
    indexes: [],
    personalData: false,
    reach: 'none',
    expires: true,
    description:
      'a conversation of an erased person, for the next erasure call of that person (shared/store/erasure.ts): its id sealed (AES-256-GCM under a key derived from the pseudonym key), so that call finds a message the recorder wrote in it while the erasure ran; no identifier readable without the key; expires with the message tombstones',
  },
  pseudonymKeyCheck: {
    pk: 'KEYCHECK#pseudonym-key',
    sk: 'KEYCHECK',
    indexes: [],
    personalData: false,
    reach: 'none',
    expires: false,
    description:
      "the pseudonym key's check (shared/store/pseudonym-key-check.ts): an HMAC-SHA256 of a fixed constant under the key (never the key), written by the first key load and compared by each execution environment's first, so a replaced or regenerated key is refused instead of finding no kept opt-out",
  },
} as const satisfies Record<string, ItemKind>;

export type ItemKindName = keyof typeof ITEM_KINDS;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

/** The kind of a stored item, from its keys; undefined for keys no kind owns. */
export const kindOfKey = (key: ItemKey): ItemKindName | undefined => {
  const prefix = key.pk.slice(0, key.pk.indexOf('#') + 1);
  switch (prefix) {
    case 'CONV#':
      return key.sk === 'STATE'
        ? 'conversation'
        : key.sk.startsWith(SEND_RESERVATION_PREFIX)
          ? 'sendReservation'
          : key.sk === PENDING_ANNOUNCEMENT_SORT_KEY
            ? 'pendingAnnouncement'
            : undefined;
    case 'MSG#':
      return key.sk === 'MSG'
        ? 'message'
        : key.sk === 'STATE'
          ? 'messageState'
          : key.sk === 'SEND'
            ? 'send'
            : key.sk.startsWith(MEDIA_FETCH_PREFIX)
              ? 'mediaFetch'
              : key.sk.startsWith(WHATSAPP_UPLOAD_PREFIX)
                ? 'whatsappUpload'
                : undefined;
    case 'CONTACT#':
      return key.sk === 'CONTACT'
        ? 'contact'
        : key.sk.startsWith(CONSENT_CHANGE_PREFIX)
          ? 'consentChange'
          : key.sk.startsWith(UNREADABLE_EMAIL_PREFIX)
            ? 'unreadableEmail'
            : undefined;
    case 'PERSON#':
      return key.sk === 'MERGED'
        ? 'personMerge'
        : key.sk.startsWith(PENDING_REDACTION_PREFIX)
          ? 'pendingRedaction'
          : key.sk === ERASURE_ANNOUNCEMENT_SORT_KEY
            ? 'erasureAnnouncement'
            : undefined;
    case 'IDENT#':
      return key.sk.startsWith('CONTACT#')
        ? 'identity'
        : key.sk.startsWith(IDENTITY_CLAIM_PREFIX)
          ? 'identityClaim'
          : undefined;
    case UNREADABLE_EMAIL_PREFIX:
      return key.sk === UNREADABLE_EMAIL_TOMBSTONE_SORT_KEY ? 'unreadableEmailTombstone' : undefined;
    case 'REPLAY#':
      return key.sk === 'REPLAY' ? 'replayGuard' : undefined;
    case 'PAUSE#':
      return key.sk === 'PAUSE' ? 'endpointPause' : undefined;
    case SUPPRESSION_PARTITION_PREFIX:
      if (key.sk !== 'SUPPRESS') return undefined;
      return key.pk.startsWith(KEYED_SUPPRESSION_PREFIX) ? 'suppression' : 'legacySuppression';
    case ERASED_CONVERSATION_PREFIX:
      return key.sk.startsWith('CONV#') ? 'erasedConversation' : undefined;
    case UPLOAD_REFERENCE_PARTITION_PREFIX:
      return key.sk.startsWith(CONVERSATION_PARTITION_PREFIX) ? 'uploadReference' : undefined;
    case 'KEYCHECK#':
      return key.pk === PSEUDONYM_KEY_CHECK_KEY.pk && key.sk === PSEUDONYM_KEY_CHECK_KEY.sk
        ? 'pseudonymKeyCheck'
        : undefined;
    default:
      return undefined;
  }
};

// ---- conversation ---------------------------------------------------------------------------

/** Every conversation item's partition key starts with this (IAM limits the attention sweeper to them). */
export const CONVERSATION_PARTITION_PREFIX = 'CONV#';

export const conversationKey = (conversationId: string): ItemKey => ({
  pk: `${CONVERSATION_PARTITION_PREFIX}${conversationId}`,
  sk: 'STATE',
});

export const conversationIdOfKey = (key: ItemKey): string =>
  key.pk.slice(CONVERSATION_PARTITION_PREFIX.length);

/** Every send reservation's sort key starts with this, in its conversation's partition. */
const SEND_RESERVATION_PREFIX = 'SENDKEY#';

/**
 * The Idempotency-Key a send was given, as the hub message id the key derives in its conversation
 * (outboundHubMessageId: a hash, so any key fits), in the conversation's partition: whatever reaches
 * the conversation (erasure, export) reaches it.
 */
export const sendReservationKey = (conversationId: string, hubMessageId: string): ItemKey => ({
  pk: conversationKey(conversationId).pk,
  sk: `${SEND_RESERVATION_PREFIX}${hubMessageId}`,
});

/** The hub message id a send reservation's key names (sendReservationKey). */
export const hubMessageIdOfReservationKey = (key: ItemKey): string =>
  key.sk.slice(SEND_RESERVATION_PREFIX.length);

const PENDING_ANNOUNCEMENT_SORT_KEY = 'ANNOUNCE';

/** A conversation's pending-announcement marker, in its partition (erasure and export reach it with the conversation). */
export const pendingAnnouncementKey = (conversationId: string): ItemKey => ({
  pk: conversationKey(conversationId).pk,
  sk: PENDING_ANNOUNCEMENT_SORT_KEY,
});

/**
 * gsi4, sparse, beside the attention partitions: conversations whose helpdesk changes may not be
 * published yet, by when the attention sweeper publishes what is left (keys only; the bare time).
 */
export const PENDING_ANNOUNCEMENT_INDEX_PARTITION = 'ANNOUNCE';
export const pendingAnnouncementIndexKeys = (dueAt: string) => ({
  gsi4pk: PENDING_ANNOUNCEMENT_INDEX_PARTITION,
  gsi4sk: dueAt,
});

/**
 * The index partitions every conversation would otherwise share (gsi1 `STATUS#<status>`, gsi4
 * `WAITING`) are spread over this many shards, by the conversation id: one index partition takes
 * at most 1,000 write units a second, and at 1,000 messages a second `STATUS#open` alone took 563
 * (bench/scale.ts). A listing reads every shard of its partition (one Query each, in parallel) and
 * merges them in the index's order. Conversation ids end in 32 hex digits of SHA-256, so the last
 * two spread evenly.
 */
export const INDEX_SHARDS = 16;

export const indexShardOf = (conversationId: string): number =>
  (Number.parseInt(conversationId.slice(-2), 16) || 0) % INDEX_SHARDS;

/** The shard of `partition` a conversation's entry is under. */
export const shardOf = (partition: string, conversationId: string): string =>
  `${partition}#${indexShardOf(conversationId)}`;

const shardsOf = (partition: string): string[] => [
  ...Array.from({ length: INDEX_SHARDS }, (_, shard) => `${partition}#${shard}`),
  // Entries written before 2026-12-05 (unsharded), until the conversation's entry next moves or
  // `npm run reshard-indexes` moves it.
  partition,
];

/**
 * gsi1: conversations by status, most recent activity first (ScanIndexForward false), to the hour,
 * under `STATUS#<status>#<shard>` (INDEX_SHARDS). The exact time would move the index entry (a
 * delete and a put) on every message; the hour moves it at most once an hour, so a busy
 * conversation's messages cost the index nothing. Readers order within a page by the exact time
 * they read from the items.
 */
export const statusIndexKeys = (state: ConversationState) => ({
  gsi1pk: shardOf(`STATUS#${state.status}`, state.conversationId),
  gsi1sk: `${activityHourOf(lastActivityOf(state))}#${state.conversationId}`,
});

/** Every gsi1 partition a status's conversations may be under: its shards, and the unsharded one of before. */
export const statusPartitions = (status: ConversationState['status']): string[] =>
  shardsOf(`STATUS#${status}`);

/** What the by-status listing orders by: the last message, or the creation of a conversation without one. */
export const lastActivityOf = (state: ConversationState): string => state.lastMessageAt ?? state.createdAt;

/** `2026-11-22T10:42:07.123Z` → `2026-11-22T10`: canonical times are UTC ISO strings. */
const activityHourOf = (time: string): string => time.slice(0, 13);

/**
 * gsi3: a person's conversations on every channel (keys only), by the hub's `contactId`. Set when
 * the conversation is created and moved only if its contact becomes another person, so later
 * updates of the conversation cost the index nothing.
 */
export const conversationsByContactKeys = (contactId: string, conversationId: string) => ({
  gsi3pk: contactsConversationsPartition(contactId),
  gsi3sk: `${PERSON_CONVERSATION_PREFIX}${conversationId}`,
});

/** Every person item's partition key starts with this (IAM limits the sweeper's redaction retry to them). */
export const PERSON_PARTITION_PREFIX = 'PERSON#';

export const contactsConversationsPartition = (contactId: string): string =>
  `${PERSON_PARTITION_PREFIX}${contactId}`;

/**
 * Before 2026-12-01 (8e7ed86) gsi3 listed a conversation under its channel contact
 * (`CONTACT#<contactKey>`), and a channel contact item was in no gsi3 partition at all. No read
 * looks there any more: such an entry is moved under its person (`PERSON#<contactId>`) by the next
 * save of its conversation (saveConversation) or by `npm run reindex-people`
 * (shared/store/legacy-person-index.ts). Whether an item's gsi3pk, as stored, is not today's.
 */
export const isLegacyPersonEntry = (gsi3pk: unknown): boolean =>
  typeof gsi3pk !== 'string' || !gsi3pk.startsWith(PERSON_PARTITION_PREFIX);

/** gsi3 sort keys of a person's partition: their conversations, channel contacts, and the people merged into them. */
export const PERSON_CONVERSATION_PREFIX = 'CONV#';
export const PERSON_MERGE_PREFIX = 'MERGED#';
/** gsi3 sort keys of merges into a person that were undone (kept a while as the unmerge's record). */
export const PERSON_UNMERGED_PREFIX = 'UNMERGED#';
export const PERSON_CONTACT_PREFIX = 'CONTACT#';

/** gsi3 of a channel contact: under the person it was when it was last indexed. */
export const contactsByPersonKeys = (contactId: string, contactKey: string) => ({
  gsi3pk: contactsConversationsPartition(contactId),
  gsi3sk: `${PERSON_CONTACT_PREFIX}${contactKey}`,
});

/**
 * An explicit merge: the discarded person's own item (read by whoever resolves a contactId),
 * listed in gsi3 under the person it was merged into (found by whoever reaches that person).
 */
export const personMergeKey = (discardedId: string): ItemKey => ({
  pk: contactsConversationsPartition(discardedId),
  sk: 'MERGED',
});

/** The discarded person a merge item is about. */
export const discardedIdOfMergeKey = (key: ItemKey): string =>
  key.pk.slice(contactsConversationsPartition('').length);

/** A provider message an erasure could not redact yet, under the erased person. */
export const PENDING_REDACTION_PREFIX = 'REDACT#';
export const pendingRedactionKey = (contactId: string, providerMessageId: string): ItemKey => ({
  pk: contactsConversationsPartition(contactId),
  sk: `${PENDING_REDACTION_PREFIX}${providerMessageId}`,
});

const ERASURE_ANNOUNCEMENT_SORT_KEY = 'ERASURE';

/** What an unfinished erasure of the person told (shared/store/erasure-announcement.ts). */
export const erasureAnnouncementKey = (contactId: string): ItemKey => ({
  pk: contactsConversationsPartition(contactId),
  sk: ERASURE_ANNOUNCEMENT_SORT_KEY,
});

/** The erased person a pending redaction is kept under. */
export const contactIdOfPendingRedactionKey = (key: ItemKey): string =>
  key.pk.slice(contactsConversationsPartition('').length);

/**
 * gsi4, sparse, beside the attention partitions: pending redactions by when they are next due, for
 * the attention sweeper's retry (keys only; the sort key is the bare time).
 */
export const PENDING_REDACTION_INDEX_PARTITION = 'REDACT';
export const pendingRedactionIndexKeys = (dueAt: string) => ({
  gsi4pk: PENDING_REDACTION_INDEX_PARTITION,
  gsi4sk: dueAt,
});

export const personMergeIndexKeys = (discardedId: string, survivingId: string) => ({
  gsi3pk: contactsConversationsPartition(survivingId),
  gsi3sk: `${PERSON_MERGE_PREFIX}${discardedId}`,
});

/**
 * gsi4, sparse: the conversations that need attention at a time. An open conversation whose
 * customer waits for an answer is under `WAITING#<shard>` (INDEX_SHARDS: every conversation's wait
 * starts and ends there), sorted by how long (oldest wait first); a snoozed one is under `SNOOZED`,
 * sorted by when it wakes (only the helpdesk snoozes: one partition). Any other conversation is not
 * in the index at all. The keys move only when a wait starts or ends or a snooze is set, so most
 * message updates cost the index nothing; the list endpoint's "waiting" order and the sweeper
 * (overdue answers, snoozes that wake) read it. The sort key is the bare time (index keys need not
 * be unique), which keeps a waiting conversation's item within one write unit.
 */
const ATTENTION_PARTITIONS = { waiting: 'WAITING', snoozed: 'SNOOZED' } as const;

/** Every gsi4 partition of an attention kind: the waiting shards and the unsharded one of before; the snoozes' one. */
export const attentionPartitions = (kind: keyof typeof ATTENTION_PARTITIONS): string[] =>
  kind === 'waiting' ? shardsOf(ATTENTION_PARTITIONS.waiting) : [ATTENTION_PARTITIONS.snoozed];

/** Whether a gsi4 partition is one of an attention kind's. */
export const isAttentionPartition = (kind: keyof typeof ATTENTION_PARTITIONS, partition: string): boolean =>
  attentionPartitions(kind).includes(partition);

export const attentionIndexKeys = (
  state: ConversationState,
): { gsi4pk: string; gsi4sk: string } | undefined => {
  if (state.status === 'snoozed' && state.snoozedUntil !== null)
    return { gsi4pk: ATTENTION_PARTITIONS.snoozed, gsi4sk: state.snoozedUntil };
  if (state.status === 'open' && state.waitingSince !== null)
    return {
      gsi4pk: shardOf(ATTENTION_PARTITIONS.waiting, state.conversationId),
      gsi4sk: state.waitingSince,
    };
  return undefined;
};
/** An unsharded index partition of before 2026-12-05; a conversation's entry there belongs in `shardOf(partition, id)`. */
export interface UnshardedIndexPartition {
  readonly indexName: 'gsi1' | 'gsi4';
  readonly attribute: 'gsi1pk' | 'gsi4pk';
  readonly partition: string;
}

/**
 * The unsharded partitions of before 2026-12-05: gsi1 `STATUS#<status>` for each of `statuses`
 * and gsi4 `WAITING` (`npm run reshard-indexes` moves what is left there).
 */
export const unshardedIndexPartitions = (
  statuses: readonly ConversationState['status'][],
): UnshardedIndexPartition[] => [
  ...statuses.map((status) => ({
    indexName: 'gsi1' as const,
    attribute: 'gsi1pk' as const,
    partition: `STATUS#${status}`,
  })),
  { indexName: 'gsi4', attribute: 'gsi4pk', partition: ATTENTION_PARTITIONS.waiting },
];

// ---- message and message state --------------------------------------------------------------

/** A message's partition: its record, state, send record, attachments' claims and WhatsApp uploads. */
export const MESSAGE_PARTITION_PREFIX = 'MSG#';

export const messageKey = (hubMessageId: string): ItemKey => ({
  pk: `${MESSAGE_PARTITION_PREFIX}${hubMessageId}`,
  sk: 'MSG',
});

export const messageStateKey = (hubMessageId: string): ItemKey => ({
  pk: `MSG#${hubMessageId}`,
  sk: 'STATE',
});

export const sendKey = (hubMessageId: string): ItemKey => ({ pk: `MSG#${hubMessageId}`, sk: 'SEND' });

const MEDIA_FETCH_PREFIX = 'MEDIA#';

/** One attachment of a message: in its partition, so whatever reaches the message (erasure, export) reaches it. */
export const mediaFetchKey = (hubMessageId: string, partIndex: number): ItemKey => ({
  pk: `${MESSAGE_PARTITION_PREFIX}${hubMessageId}`,
  sk: `${MEDIA_FETCH_PREFIX}${partIndex}`,
});

const WHATSAPP_UPLOAD_PREFIX = 'UPLOAD#';

/** A file uploaded to WhatsApp for a send: in the send's partition, reached by erasure with it. */
export const whatsappUploadKey = (hubMessageId: string, mediaId: string): ItemKey => ({
  pk: `MSG#${hubMessageId}`,
  sk: `${WHATSAPP_UPLOAD_PREFIX}${mediaId}`,
});

/** Every upload reference's partition key starts with this. */
export const UPLOAD_REFERENCE_PARTITION_PREFIX = 'FILE#';

/** The partition of one upload's references: the SHA-256 of its key (no file name in a key; any key fits). */
export const uploadReferencesPartition = (s3Key: string): string =>
  `${UPLOAD_REFERENCE_PARTITION_PREFIX}${createHash('sha256').update(s3Key, 'utf8').digest('hex')}`;

/** That an upload was sent (or refused) in a conversation: one item per upload and conversation. */
export const uploadReferenceKey = (s3Key: string, conversationId: string): ItemKey => ({
  pk: uploadReferencesPartition(s3Key),
  sk: `${CONVERSATION_PARTITION_PREFIX}${conversationId}`,
});

/**
 * gsi3 (keys only), beside the people's conversations: a conversation's sends, in the order the hub
 * took them. Not gsi2, which projects every attribute for the message listing: there each later
 * write of the send (an attempt, an accept, the sent mark) rewrote its entry, a write unit each;
 * a keys-only entry is written once, with the claim.
 */
export const conversationSendsKeys = (conversationId: string, acceptedAt: string, hubMessageId: string) => ({
  gsi3pk: conversationSendsPartition(conversationId),
  gsi3sk: `${acceptedAt}#${hubMessageId}`,
});

export const conversationSendsPartition = (conversationId: string): string => `CONVSENDS#${conversationId}`;

/**
 * gsi3 (keys only): the counted-markers of a conversation (shared/store/messages.ts), so an erasure
 * of it reaches one a failed delivery left (its event waiting for a retry, or on the dead-letter
 * queue), which names the conversation. The record's put replaces the marker, these keys with it;
 * an e-mail's claim carries none (one more index write for every e-mail, and it is replaced within
 * the delivery that wrote it unless that delivery fails before the message counts).
 */
export const conversationMarkersKeys = (conversationId: string, hubMessageId: string) => ({
  gsi3pk: conversationMarkersPartition(conversationId),
  gsi3sk: hubMessageId,
});

export const conversationMarkersPartition = (conversationId: string): string => `CONVMARKS#${conversationId}`;

export const hubMessageIdOfKey = (key: ItemKey): string => key.pk.slice('MSG#'.length);

/**
 * gsi2: a conversation's messages in the order they are listed (`listedAt`, shared/domain/time.ts),
 * those of one moment by their arrival (`arrivalOf`), then by hub message id. Records written before
 * 2026-12-06 keep `<occurredAt>#<hubMessageId>`: they list at their provider time, and of one time
 * after these (a digit sorts before `msg_`). Only the message record's put writes these keys.
 */
export const conversationMessagesKeys = (
  conversationId: string,
  listedAt: string,
  arrival: string,
  hubMessageId: string,
) => ({
  gsi2pk: conversationMessagesPartition(conversationId),
  gsi2sk: `${listedAt}#${arrival}#${hubMessageId}`,
});

export const conversationMessagesPartition = (conversationId: string): string => `CONVMSGS#${conversationId}`;

// ---- contact and identity -------------------------------------------------------------------

/** A contact is a customer on one channel, named by its primary identity. */
const contactKeyOf = (channel: Channel, primary: ChannelIdentity): string =>
  `${channel}#${boundedIdentityKey(primary)}`;

/** The schema guarantees at least one identity; the first is the primary one. */
export const contactKeyFor = (channel: Channel, contact: Contact): string => {
  const [primary] = contact.identities;
  if (!primary) throw new Error('contact without identity');
  return contactKeyOf(channel, primary);
};

/** Every channel contact's partition key starts with this (its item, its consent ledger). */
export const CONTACT_PARTITION_PREFIX = 'CONTACT#';

export const contactItemKey = (contactKey: string): ItemKey => ({
  pk: `${CONTACT_PARTITION_PREFIX}${contactKey}`,
  sk: 'CONTACT',
});

export const contactKeyOfItem = (key: ItemKey): string => key.pk.slice('CONTACT#'.length);

export const identityItemKey = (identity: ChannelIdentity, contactKey: string): ItemKey => ({
  pk: identityPartition(identity),
  sk: `CONTACT#${contactKey}`,
});

/** Every identifier's partition key starts with this (its links to contacts, its conversation claims). */
export const IDENTITY_PARTITION_PREFIX = 'IDENT#';

export const identityPartition = (identity: ChannelIdentity): string =>
  `${IDENTITY_PARTITION_PREFIX}${boundedIdentityKey(identity)}`;

export const IDENTITY_CLAIM_PREFIX = 'CLAIM#';

/** An identifier's claim of the conversation it opened on one endpoint (the endpoint hashed: any id fits). */
export const identityClaimKey = (
  identity: ChannelIdentity,
  channel: Channel,
  endpointId: string,
): ItemKey => ({
  pk: identityPartition(identity),
  sk: `${IDENTITY_CLAIM_PREFIX}${createHash('sha256').update(`${channel}#${endpointId}`, 'utf8').digest('hex')}`,
});

const CONSENT_CHANGE_PREFIX = 'CONSENT#';

/**
 * One entry of a contact's consent ledger, in its partition (reached, exported and erased with it):
 * per scope and event, so a provider's retry finds its entry whenever the hub receives it again
 * (the register's order holds the arrival, which a retry changes), and leaves its earliest time
 * (consent-ledger.ts). The ledger is ordered when read.
 */
export const consentChangeKey = (contactKey: string, scope: string, eventId: string): ItemKey => ({
  pk: contactItemKey(contactKey).pk,
  sk: `${CONSENT_CHANGE_PREFIX}${scope}#${eventId}`,
});

/** Every ledger entry's sort key starts with this; with a scope, every entry of that scope's. */
export const consentChangePrefix = (scope?: string): string =>
  scope === undefined ? CONSENT_CHANGE_PREFIX : `${CONSENT_CHANGE_PREFIX}${scope}#`;

const UNREADABLE_EMAIL_PREFIX = 'UNREADABLE#';

/** `objectsRef`: the keys of the objects an unreadable e-mail item names, one a line (one object: its key). */
const unreadableEmailRef = (objectsRef: string): string =>
  `${UNREADABLE_EMAIL_PREFIX}${createHash('sha256').update(objectsRef, 'utf8').digest('hex')}`;

/**
 * An e-mail's objects that no record names, in its sender's contact partition (reached, exported and
 * erased with the contact), one item per set of objects (their keys hashed: any keys fit).
 */
export const unreadableEmailKey = (contactKey: string, objectsRef: string): ItemKey => ({
  pk: contactItemKey(contactKey).pk,
  sk: unreadableEmailRef(objectsRef),
});

/**
 * gsi3 of an unreadable e-mail: under the person of its sender's address as derived (never
 * resolved through a merge: erasing the person it was merged into walks that person's partition too,
 * and an unmerge leaves it where it belongs), so erasure finds it where the hub has no contact item.
 */
export const unreadableEmailIndexKeys = (contactId: string, objectsRef: string) => ({
  gsi3pk: contactsConversationsPartition(contactId),
  gsi3sk: unreadableEmailRef(objectsRef),
});

const UNREADABLE_EMAIL_TOMBSTONE_SORT_KEY = 'ERASED';

/**
 * What an erasure leaves of an unreadable e-mail: a tombstone under the hash of its objects' keys
 * alone (no contact key, so no address), which the recorder reads before it files those objects again.
 */
export const unreadableEmailTombstoneKey = (objectsRef: string): ItemKey => ({
  pk: unreadableEmailRef(objectsRef),
  sk: UNREADABLE_EMAIL_TOMBSTONE_SORT_KEY,
});

/** The same tombstone's key, from the key of the unreadable e-mail's item (its sort key is that hash). */
export const unreadableEmailTombstoneOf = (key: ItemKey): ItemKey => ({
  pk: key.sk,
  sk: UNREADABLE_EMAIL_TOMBSTONE_SORT_KEY,
});

// ---- kept opt-outs ----------------------------------------------------------------------------

/** Every kept opt-out's partition key starts with this, keyed or legacy (IAM limits deletes to them). */
export const SUPPRESSION_PARTITION_PREFIX = 'SUPPRESS#';
const KEYED_SUPPRESSION_PREFIX = `${SUPPRESSION_PARTITION_PREFIX}HMAC#`;

/**
 * The deployment's pseudonym key (a secret of its own in Secrets Manager, shared/aws/pseudonym-key.ts):
 * what an erased contact's kept opt-outs are filed under is a keyed hash, so reading the table alone
 * never confirms a guessed phone number or address. Never changed once items are filed under it.
 */
export type PseudonymKey = KeyObject;

/**
 * Where an erased contact's opt-outs were kept before the pseudonym key: a SHA-256 of its key, which
 * anyone who reads the table can check a guess against (phone numbers are few enough to try them
 * all). Read only to find such items and move them (shared/store/suppressions.ts).
 */
export const legacySuppressionKey = (contactKey: string): ItemKey => ({
  pk: `${SUPPRESSION_PARTITION_PREFIX}${createHash('sha256').update(contactKey, 'utf8').digest('hex')}`,
  sk: 'SUPPRESS',
});

/**
 * A legacy item's key moved under the pseudonym key: the HMAC-SHA256 of its hash. Keyed over the
 * hash rather than over the contact key itself, so an item whose contact key nobody knows any more
 * (the contact is erased) can still be moved; as strong, since without the key no guess can be
 * checked either way.
 */
export const suppressionKeyOfLegacy = (pseudonymKey: PseudonymKey, legacy: ItemKey): ItemKey => ({
  pk: `${KEYED_SUPPRESSION_PREFIX}${createHmac('sha256', pseudonymKey)
    .update(legacy.pk.slice(SUPPRESSION_PARTITION_PREFIX.length), 'utf8')
    .digest('hex')}`,
  sk: 'SUPPRESS',
});

/** Where an erased contact's opt-outs are kept: a keyed hash of its key (no identifier stored). */
export const suppressionKey = (pseudonymKey: PseudonymKey, contactKey: string): ItemKey =>
  suppressionKeyOfLegacy(pseudonymKey, legacySuppressionKey(contactKey));

/** Every erased conversation's pointer's partition key starts with this. */
const ERASED_CONVERSATION_PREFIX = 'ERASED#';

const keyedHash = (pseudonymKey: PseudonymKey, purpose: string, value: string): string =>
  createHmac('sha256', pseudonymKey).update(`${purpose}\u0000${value}`, 'utf8').digest('hex');

/** The partition of an erased person's conversations' pointers: a keyed hash of the contactId. */
export const erasedConversationsPartition = (pseudonymKey: PseudonymKey, contactId: string): string =>
  `${ERASED_CONVERSATION_PREFIX}${keyedHash(pseudonymKey, 'erased-person', contactId)}`;

/** Where an erased person's conversation is pointed at (its id sealed in the item, not in the key). */
export const erasedConversationKey = (
  pseudonymKey: PseudonymKey,
  contactId: string,
  conversationId: string,
): ItemKey => ({
  pk: erasedConversationsPartition(pseudonymKey, contactId),
  sk: `CONV#${keyedHash(pseudonymKey, 'erased-conversation', conversationId)}`,
});

/**
 * The one item that says which pseudonym key the kept opt-outs are filed under: an HMAC of a fixed
 * constant under it (shared/store/pseudonym-key-check.ts). One per table, a fixed key.
 */
export const PSEUDONYM_KEY_CHECK_KEY: ItemKey = { pk: 'KEYCHECK#pseudonym-key', sk: 'KEYCHECK' };

// ---- replay guard ---------------------------------------------------------------------------

/** Every replay-guard item's partition key starts with this (IAM limits the Mailgun webhook to them). */
export const REPLAY_GUARD_PARTITION_PREFIX = 'REPLAY#';

/** `digest` is the SHA-256 of the token: the table never holds a usable token. */
export const replayGuardKey = (digest: string): ItemKey => ({
  pk: `${REPLAY_GUARD_PARTITION_PREFIX}${digest}`,
  sk: 'REPLAY',
});

/** A business endpoint's send pause; the endpoint is hashed so any id fits the key. */
export const endpointPauseKey = (provider: Provider, endpoint: BusinessEndpoint): ItemKey => ({
  pk: `PAUSE#${createHash('sha256').update(sendingEndpointKey(provider, endpoint), 'utf8').digest('hex')}`,
  sk: 'PAUSE',
});
