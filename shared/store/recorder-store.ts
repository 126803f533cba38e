import type { Channel, ChannelIdentity, Contact, Message } from '#shared/contract/index.ts';
import type { MessageEvent } from '#shared/domain/conversation.ts';
import {
  type ConsentLedgerEntry,
  type FirstReceipt,
  recordConsentChange,
  wasErasedWith,
} from './consent-ledger.ts';
import { claimIdentities, findLinkedConversation, indexContact } from './contacts.ts';
import {
  type ConversationWrite,
  loadConversation,
  loadConversationAlias,
  putConversationAlias,
  type StoredConversation,
  saveConversation,
  storedConversationOf,
} from './conversations.ts';
import { conversationKey, messageKey, sendKey } from './keys.ts';
import {
  claimMessage,
  getMessage,
  MESSAGE_RETENTION_SECONDS,
  type MessageKeyRead,
  type MessageMark,
  markFor,
  messageKeyReadOf,
  putCountedMarker,
  putMessage,
  readMessageKey,
} from './messages.ts';
import { type LinkOutcome, linkPerson, resolvePerson } from './person-merges.ts';
import { type RegisterWrite, writeRegister } from './registers.ts';
import {
  createSendStore,
  isSendTombstone,
  type SendRecord,
  sendOfProviderMessage,
  storedSendOf,
} from './sends.ts';
import type { PseudonymKeySource } from './suppressions.ts';
import { batchGetItems, itemsByKey, type TableContext } from './table.ts';
import { keepUnreadableEmail, type UnreadableEmail } from './unreadable-emails.ts';

/** A batch's done-markers, conversations and sends, read at once; every id asked is answered. */
export interface RecorderBatchRead {
  /** Each hub message id asked: its live done-marker, the claim or counted-marker before it, or none. */
  readonly marks: ReadonlyMap<string, MessageKeyRead>;
  /** Each conversation asked, as `loadConversation` would return it (empty when there is none). */
  readonly conversations: ReadonlyMap<string, StoredConversation>;
  /**
   * Each send asked (by hub message id): its record, undefined when none is kept. One that does not
   * parse is left out, so its reader reads it as it would alone.
   */
  readonly sends: ReadonlyMap<string, SendRecord | undefined>;
}

/** What the recorder needs from storage; tests replace it to isolate batch handling. */
export interface RecorderStore {
  /**
   * Consistent reads of the done-markers, conversations and sends a batch's events will need, in as
   * few BatchGetItem requests as the keys allow (one for any FIFO batch): the same units as one
   * GetItem each, in one round trip instead of one or two per event.
   */
  readForBatch(
    hubMessageIds: readonly string[],
    conversationIds: readonly string[],
    sendIds?: readonly string[],
  ): Promise<RecorderBatchRead>;
  /**
   * Consistent read of the done-marker (or the marker before it) as the conversation the event was
   * queued in sees it (shared/store/messages.ts, markFor); an expired one counts as absent.
   */
  messageMark(hubMessageId: string, conversationId?: string): Promise<MessageMark>;
  /**
   * An e-mail claimed for the conversation it was queued in, before it counts there; false
   * when another conversation holds it, or it is recorded (shared/store/messages.ts, claimMessage).
   */
  claimMessage(hubMessageId: string, conversationId: string): Promise<boolean>;
  loadConversation(conversationId: string): Promise<StoredConversation>;
  /** Optimistic concurrency on `version`; `conflict` when someone else wrote first. */
  saveConversation(write: ConversationWrite): Promise<'saved' | 'conflict'>;
  /**
   * Idempotent: set union of identities, one lookup item per identity listed; past the contact
   * item's bound (MAX_CONTACT_ITEM_IDENTITIES) none is added. How many of these it does not list.
   */
  indexContact(
    channel: Channel,
    contactKey: string,
    identities: readonly ChannelIdentity[],
    contactId: string,
    options?: { readonly keepPerson?: boolean },
  ): Promise<number>;
  /** A WhatsApp customer's conversation under another of their identities, if there is one. */
  findLinkedConversation(channel: Channel, endpointId: string, contact: Contact): Promise<string | undefined>;
  /** Claims the identifiers of a conversation about to be created; the conversation holding one first, if another. */
  claimIdentities(
    channel: Channel,
    endpointId: string,
    identities: readonly ChannelIdentity[],
    conversationId: string,
  ): Promise<string | undefined>;
  /** The conversation an alias's events belong to; undefined when the id is no alias. */
  conversationAlias(conversationId: string): Promise<string | undefined>;
  /** Makes a new conversation id an alias of an existing one; `exists` when it was created meanwhile. */
  putConversationAlias(
    conversationId: string,
    canonicalId: string,
    contactId: string,
  ): Promise<'aliased' | 'exists'>;
  /** The person a contactId stands for now, through explicit merges (itself when never merged). */
  resolvePerson(contactId: string): Promise<string>;
  /**
   * Links a person found to be a merged customer's into the person the merge chose, when they have
   * nothing of their own but aliases of `conversationId` (person-merges.ts, linkPerson).
   */
  linkPerson(request: {
    surviving: string;
    discarded: string;
    conversationId: string;
    reason: string;
    at: string;
  }): Promise<LinkOutcome>;
  /** Whether a consent event was applied to a contact (any of its keys) since erased (a late retry). */
  wasErasedWith(contactKeys: readonly string[], eventId: string): Promise<boolean>;
  /**
   * Idempotent: the change's entry in the contact's consent ledger, and the time and register order
   * of its earliest receipt (this delivery's, or an earlier one's).
   */
  recordConsentChange(contactKey: string, entry: ConsentLedgerEntry, order: string): Promise<FirstReceipt>;
  /**
   * Idempotent: objects of an e-mail that no record names (one the hub could not read, a skipped
   * receipt's), under its sender (shared/store/unreadable-emails.ts); `erased`, nothing written,
   * when an erasure of the sender left its tombstone.
   */
  keepUnreadableEmail(email: UnreadableEmail): Promise<'kept' | 'erased'>;
  /** A recorded message (consistent read); undefined when absent, erased (its tombstone) or unreadable. */
  recordedMessage(hubMessageId: string): Promise<Message | undefined>;
  /** The durable "done" marker, written last. */
  putMessage(event: MessageEvent): Promise<void>;
  /**
   * The message counted in the conversation it was queued in (`claimedBy`), its done-marker not
   * written yet (shared/store/messages.ts).
   */
  putCountedMarker(event: MessageEvent, claimedBy: string): Promise<void>;
  /** Forward-only write; `stale` when the stored value is ahead (or equal, from another event). */
  writeRegister(write: RegisterWrite): Promise<'written' | 'stale'>;
  /** A status or echo named one of the hub's sends: link it when the sender awaits it (shared/store/sends.ts). */
  linkSend(
    hubMessageId: string,
    sequence: number,
    providerMessageId: string,
  ): Promise<SendRecord | undefined>;
  /**
   * The hub's send (its hub message id) that a provider message of the conversation is, among its
   * recent sends taken before `providerTime` (shared/store/sends.ts, sendOfProviderMessage).
   */
  sendOfProviderMessage(
    conversationId: string,
    providerMessageId: string,
    providerTime: string,
  ): Promise<string | undefined>;
}

/**
 * The recorder's store over the hub table, each item kind written by its own module. The pseudonym
 * key is read only for a consent event (whether its contact was erased with it: kept opt-outs).
 */
export const createRecorderStore = (
  context: TableContext,
  pseudonymKey: PseudonymKeySource,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): RecorderStore => {
  const sends = createSendStore(context, retentionSeconds);
  return {
    readForBatch: (hubMessageIds, conversationIds, sendIds = []) =>
      readForBatch(context, hubMessageIds, conversationIds, sendIds),
    messageMark: async (hubMessageId, conversationId) =>
      markFor(await readMessageKey(context, hubMessageId), conversationId),
    claimMessage: (hubMessageId, conversationId) =>
      claimMessage(context, hubMessageId, conversationId, retentionSeconds),
    loadConversation: (conversationId) => loadConversation(context, conversationId),
    saveConversation: (write) => saveConversation(context, write),
    indexContact: (channel, contactKey, identities, contactId, options) =>
      indexContact(context, channel, contactKey, identities, contactId, options),
    findLinkedConversation: (channel, endpointId, contact) =>
      findLinkedConversation(context, channel, endpointId, contact),
    claimIdentities: (channel, endpointId, identities, conversationId) =>
      claimIdentities(context, channel, endpointId, identities, conversationId),
    conversationAlias: (conversationId) => loadConversationAlias(context, conversationId),
    putConversationAlias: (conversationId, canonicalId, contactId) =>
      putConversationAlias(context, conversationId, canonicalId, contactId),
    resolvePerson: (contactId) => resolvePerson(context, contactId),
    linkPerson: (request) => linkPerson(context, request),
    wasErasedWith: (contactKeys, eventId) => wasErasedWith(context, pseudonymKey, contactKeys, eventId),
    recordConsentChange: (contactKey, entry, order) => recordConsentChange(context, contactKey, entry, order),
    keepUnreadableEmail: (email) => keepUnreadableEmail(context, email, retentionSeconds),
    recordedMessage: (hubMessageId) => getMessage(context, hubMessageId),
    putMessage: (event) => putMessage(context, event, retentionSeconds),
    putCountedMarker: (event, claimedBy) => putCountedMarker(context, event, claimedBy, retentionSeconds),
    writeRegister: (write) => writeRegister(context, write),
    linkSend: (hubMessageId, sequence, providerMessageId) =>
      sends.linkIfAwaited(hubMessageId, sequence, providerMessageId),
    sendOfProviderMessage: (conversationId, providerMessageId, providerTime) =>
      sendOfProviderMessage(context, conversationId, providerMessageId, providerTime),
  };
};

const readForBatch = async (
  context: TableContext,
  hubMessageIds: readonly string[],
  conversationIds: readonly string[],
  sendIds: readonly string[],
): Promise<RecorderBatchRead> => {
  const messages = [...new Set(hubMessageIds)];
  const conversations = [...new Set(conversationIds)];
  const sends = [...new Set(sendIds)];
  const keys = [...messages.map(messageKey), ...conversations.map(conversationKey), ...sends.map(sendKey)];
  // BatchGetItem answers only the keys asked, so a key names its item (a message and its send share
  // a partition); expired items are left out, as the single reads count them absent.
  const items = keys.length > 0 ? await batchGetItems(context, keys) : [];
  const itemAt = itemsByKey(items);
  const sendsRead = new Map<string, SendRecord | undefined>();
  for (const id of sends) {
    const item = itemAt(sendKey(id));
    const record = item ? storedSendOf(item) : undefined;
    // An erased send's tombstone keeps no send: as none kept.
    if (item === undefined || record !== undefined || isSendTombstone(item)) sendsRead.set(id, record);
  }
  return {
    marks: new Map(messages.map((id) => [id, messageKeyReadOf(itemAt(messageKey(id)), context.now())])),
    conversations: new Map(
      conversations.map((id) => [id, storedConversationOf(itemAt(conversationKey(id)) ?? {})]),
    ),
    sends: sendsRead,
  };
};
