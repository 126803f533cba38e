import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  conversationObjectPrefixes,
  conversationUploadPrefix,
  isPayloadObjectKey,
} from '#shared/aws/payload-keys.ts';
import type { ConversationState } from '#shared/contract/types.ts';
import { mapConcurrently } from './concurrency.ts';
import {
  consentKeysFor,
  contactRecords,
  conversationAliases,
  conversationFootprint,
  keyOf,
  latestChangeBesideHelp,
  moveContactPerson,
  queryAll,
} from './contacts.ts';
import { conversationItemAsText, conversationViewOf } from './conversations.ts';
import {
  clearErasureAnnouncement,
  noteErasureAnnouncement,
  readErasureAnnouncement,
} from './erasure-announcement.ts';
import { epochSeconds } from './item-rules.ts';
import {
  contactItemKey,
  contactKeyOfItem,
  contactsConversationsPartition,
  conversationIdOfKey,
  conversationKey,
  discardedIdOfMergeKey,
  erasedConversationKey,
  erasedConversationsPartition,
  hubMessageIdOfKey,
  hubMessageIdOfReservationKey,
  type ItemKey,
  kindOfKey,
  messageStateKey,
  PERSON_UNMERGED_PREFIX,
  type PseudonymKey,
  unreadableEmailTombstoneOf,
} from './keys.ts';
import { storedMessageOf } from './messages.ts';
import {
  pendingRedactionItem,
  pendingRedactionKeys,
  pendingRedactionOf,
  pendingRedactionRef,
  type UnfinishedRedaction,
} from './pending-redactions.ts';
import { MAX_MERGED_PEOPLE, ownerOutsideTree, unmergeRecordKey } from './person-merges.ts';
import { CONTACT_REGISTERS, ConsentValueSchema, StoredRegisterSchema, timeOrder } from './registers.ts';
import { isSendTombstone, sendTombstoneOf } from './sends.ts';
import {
  erasureKeeps,
  keepSuppression,
  type LedgerEvent,
  type PseudonymKeySource,
  readKeptSuppressions,
} from './suppressions.ts';
import { batchGetItems, batchWriteItems, type TableContext } from './table.ts';
import { isUploadKey, releaseUploads, uploadReferenceKeysOf } from './upload-refs.ts';

/**
 * A contact item as an erasure keeps its consent: a register a HELP overwrote before HELP had its
 * own (registers.ts) stands for the scope's latest other change among the contact's ledger entries
 * (`items`, which the erasure read to delete them), as the sender reads it (contacts.ts), or for
 * none; so a STOP followed by such a HELP is still kept.
 */
const withoutLegacyHelpRegisters = (
  contactKey: string,
  contact: Record<string, unknown> | undefined,
  items: readonly Record<string, unknown>[],
): Record<string, unknown> | undefined => {
  if (!contact) return contact;
  const resolved: Record<string, unknown> = { ...contact };
  for (const name of Object.keys(CONTACT_REGISTERS)) {
    const stored = StoredRegisterSchema.safeParse(contact[name]);
    if (!stored.success || !stored.data.value.includes('"help_requested"')) continue;
    const latest = ledgerRegister(items, contactKey, name);
    if (!latest) delete resolved[name];
    else resolved[name] = latest;
  }
  return resolved;
};

/**
 * Register `name` (a contact register: `smsConsent`…) as the scope's latest change other than a
 * HELP among the contact's ledger entries in `items` would have written it; undefined for none.
 */
const ledgerRegister = (
  items: readonly Record<string, unknown>[],
  contactKey: string,
  name: string,
): Record<string, unknown> | undefined => {
  const latest = latestChangeBesideHelp(items, contactKey, name.replace(/Consent$/, ''));
  return latest
    ? {
        order: timeOrder(latest.at, undefined, latest.eventId),
        eventId: latest.eventId,
        value: JSON.stringify({ consent: latest.consent, trigger: latest.trigger, at: latest.at }),
      }
    : undefined;
};

/**
 * The events in a contact's consent ledger among `items`: their ids are kept with its opt-outs, so
 * a provider's retry of one after the erasure is not recorded again (one stale on arrival moved no
 * register, and registers no longer remember the events that moved them), opt-ins first
 * (erasureKeeps).
 */
const ledgerEventsOf = (items: readonly Record<string, unknown>[], contactKey: string): LedgerEvent[] =>
  items.flatMap((item) =>
    item.pk === contactItemKey(contactKey).pk &&
    kindOfKey(keyOf(item)) === 'consentChange' &&
    typeof item.eventId === 'string'
      ? [
          {
            eventId: item.eventId,
            at: typeof item.at === 'string' ? item.at : '',
            consent: typeof item.consent === 'string' ? item.consent : '',
          },
        ]
      : [],
  );

/** A register's change time and whether it is an opt-out (undefined: not a register). */
const registerAt = (register: unknown): { at: string; optedOut: boolean } | undefined => {
  const stored = StoredRegisterSchema.safeParse(register);
  if (!stored.success) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored.data.value);
  } catch {
    return undefined;
  }
  const value = ConsentValueSchema.safeParse(parsed);
  return value.success ? { at: value.data.at, optedOut: value.data.consent === 'opted_out' } : undefined;
};

/**
 * Of one register under several keys of one customer: the later change, at the same time the
 * opt-out (a STOP must not be lost to a tie), as the sender reads them (contacts.ts).
 */
const laterAcrossKeys = (a: unknown, b: unknown): unknown => {
  const first = registerAt(a);
  const second = registerAt(b);
  if (!first || !second) return first ? a : second ? b : undefined;
  if (first.at !== second.at) return first.at > second.at ? a : b;
  return second.optedOut && !first.optedOut ? b : a;
};

/** Of reads of one register: the latest that is an opt-out, if any is. */
const latestOptOut = (reads: readonly unknown[]): unknown =>
  reads.filter((read) => registerAt(read)?.optedOut).reduce<unknown>(laterAcrossKeys, undefined);

/**
 * The registers an erasure keeps for a contact from what its partition holds: the contact item's
 * (as withoutLegacyHelpRegisters resolves them), and where the item has none for a scope (gone, or
 * never written), the scope's latest change in its consent ledger: a STOP whose register landed on
 * an item since deleted is still in the ledger.
 */
const registersFromPartition = (
  contactKey: string,
  items: readonly Record<string, unknown>[],
): Record<string, unknown> => {
  const contactItem = items.find((item) => item.sk === contactItemKey(contactKey).sk);
  const contact: Record<string, unknown> = { ...withoutLegacyHelpRegisters(contactKey, contactItem, items) };
  for (const name of Object.keys(CONTACT_REGISTERS)) {
    if (contact[name] !== undefined) continue;
    const latest = ledgerRegister(items, contactKey, name);
    if (latest) contact[name] = latest;
  }
  return contact;
};

/** How often an erasure reads its contacts' partitions again for consent recorded while it ran. */
const LATE_CONSENT_ROUNDS = 3;

/**
 * Consent recorded under the erased contacts while the erasure ran (a STOP, or the helpdesk's
 * change, in its seconds). Its writers put a ledger entry whether or not the contact item still
 * stands, index the contact (its item, listed under the person, and its identifier items) and write
 * its register. None of it is among what the erasure read first. So once everything else is gone,
 * the contacts' partitions are read again (consistently), and:
 * - every opt-out found is kept as the erasure keeps opt-outs (under each key, an opt-out any
 *   conversation that knows the key reads over its own keys: a STOP that named the BSUID alone is
 *   kept under the wa_id too), so a STOP is never lost;
 * - what no later call could find goes: ledger entries, and a contact item no person lists (made
 *   again by a register write alone), with the identifier items the erasure deleted, which a late
 *   writer may have put again.
 * A contact item listed under a person (indexed again: a message or consent after the main pass,
 * of the erased person or of a person of its own, as an event naming a WhatsApp BSUID alone
 * derives) stays with its partition, for a call erasing that person to find with what came with it
 * (its conversation, its identifiers' claims); so does anything else there (an unreadable e-mail,
 * found the same way). Until a read finds nothing more to take, at most LATE_CONSENT_ROUNDS times.
 */
const eraseLateConsent = async (
  context: TableContext,
  pseudonymKey: PseudonymKey,
  contactKeys: readonly string[],
  conversationsOf: ReadonlyMap<string, readonly (readonly string[])[]>,
  erasedKeys: readonly ItemKey[],
): Promise<void> => {
  const erasedIdentities = erasedKeys.filter((key) => kindOfKey(key) === 'identity');
  for (let round = 0; round < LATE_CONSENT_ROUNDS; round++) {
    const late = new Map<string, Record<string, unknown>[]>();
    const partitions = await mapConcurrently(contactKeys, FOOTPRINT_CONCURRENCY, (contactKey) =>
      queryAll(context, {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': contactItemKey(contactKey).pk },
        ConsistentRead: true,
      }),
    );
    for (const [index, contactKey] of contactKeys.entries()) {
      const items = partitions[index] ?? [];
      if (items.length > 0) late.set(contactKey, items);
    }
    const lateRegisters = new Map(
      [...late].map(
        ([contactKey, items]) => [contactKey, registersFromPartition(contactKey, items)] as const,
      ),
    );
    const readOver = (keys: readonly string[], name: string): unknown =>
      keys.map((key) => lateRegisters.get(key)?.[name]).reduce<unknown>(laterAcrossKeys, undefined);
    const toKeep = new Map<string, Record<string, unknown>>();
    for (const contactKey of contactKeys) {
      const contact: Record<string, unknown> = { ...lateRegisters.get(contactKey) };
      for (const name of Object.keys(CONTACT_REGISTERS)) {
        const optOut = latestOptOut(
          (conversationsOf.get(contactKey) ?? []).map((keys) => readOver(keys, name)),
        );
        if (optOut !== undefined) contact[name] = laterAcrossKeys(contact[name], optOut);
      }
      if (late.has(contactKey) || Object.keys(contact).length > 0) toKeep.set(contactKey, contact);
    }
    if (toKeep.size > 0) {
      const keptRead = await readKeptSuppressions(context, pseudonymKey, [...toKeep.keys()]);
      for (const [contactKey, contact] of toKeep)
        await keepSuppression(context, pseudonymKey, contactKey, keptRead.kept(contactKey), (kept) =>
          erasureKeeps(contact, kept, ledgerEventsOf(late.get(contactKey) ?? [], contactKey)),
        );
    }
    const taken = [...late].flatMap(([contactKey, items]) => {
      // Listed under a person (indexed again: a message or consent after the main pass, perhaps of
      // a person of its own, as one naming the BSUID alone derives), it is found from that person
      // with all that came with it (a conversation, its identifiers' claims): left for that call.
      const contactItem = items.find((item) => item.sk === contactItemKey(contactKey).sk);
      const listed = contactItem !== undefined && contactItem.gsi3pk !== undefined;
      return items
        .map(keyOf)
        .filter((key) => kindOfKey(key) === 'consentChange' || (!listed && kindOfKey(key) === 'contact'));
    });
    if (taken.length === 0) break;
    await batchWriteItems(
      context,
      [...new Map([...taken, ...erasedIdentities].map((key) => [idOfKey(key), key])).values()].map((key) => ({
        DeleteRequest: { Key: marshall(key) },
      })),
    );
  }
};

/**
 * Per contact key, the keys of each conversation of the person's that knows it (consentKeysFor: the
 * identifiers a WhatsApp conversation knows, the key itself among them), each read apart: not joined
 * across conversations, since the sender reads one conversation's keys (a wa_id with the BSUID of
 * one business, BSUIDs being per business). A key no conversation knows has none: it stands alone.
 */
const conversationsOfKeys = (
  contactKeys: readonly string[],
  conversations: readonly (readonly string[])[],
): Map<string, (readonly string[])[]> =>
  new Map(contactKeys.map((key) => [key, conversations.filter((keys) => keys.includes(key))]));

/*
 * Right of access and right to erasure, for one person (`contactId`): everything the hub holds
 * about them is found from their conversations (gsi3) and, through each channel contact of those
 * conversations, by the key catalogue's reach (contactFootprint). Export reads it all; erasure
 * deletes it all, with the S3 objects the records name, and leaves only what has no identifier:
 * tombstones of the erased messages (so a provider's late retry of an old webhook does not bring
 * them back) and of the e-mails the hub could not read (so a redelivery of such an event does not
 * file it under the sender again), and the contact's opt-outs under a keyed hash of its key (a STOP
 * outlives erasure).
 */

/**
 * A tombstone outlives whatever could still bring an erased message back: a provider's retry of an
 * old webhook (Meta retries for up to 7 days) and an event of it still on a queue, its dead-letter
 * queue included (14 days each). An unreadable e-mail's tombstone lives as long.
 */
const TOMBSTONE_SECONDS = 30 * 24 * 3_600;

/**
 * Conversations, channel contacts, erased conversations' pointers and bucket prefixes an erasure or
 * export reads (or lists) at once: each one's reads are its own, and one after another a person
 * with hundreds of e-mail threads (each its own conversation: mails forging their From make as
 * many) took some 10 requests a thread, so at ~10 ms a request an erasure ran past the helpdesk
 * API's 29 s near 300 threads, and a run cut off while reading had deleted nothing (found by a
 * review on 2026-12-06). As many as a merge moves at once (person-merges.ts).
 */
const FOOTPRINT_CONCURRENCY = 16;
/** BatchGetItem requests of one read sent at once (100 keys each). */
const BATCH_CONCURRENCY = 8;
/** BatchWriteItem requests of one erasure batch sent at once (25 items each). */
const WRITE_CONCURRENCY = 4;

/** An item's key as one string, for sets of keys. */
const idOfKey = (key: ItemKey): string => `${key.pk}\u0000${key.sk}`;

/**
 * A person with more people merged into them than an erasure or export walks (MAX_MERGED_PEOPLE):
 * refused whole (the API answers 500, its log naming this error) rather than answered for part of
 * them. A merge refuses to build such a tree; merges into one tree at the same time, or made before
 * 2026-12-05, may have: unmerging people until it holds no more lets the erasure through.
 */
class MergedPeopleLimitError extends Error {
  override readonly name = 'MergedPeopleLimitError';
  constructor() {
    super(`more than ${MAX_MERGED_PEOPLE} people merged into one another: not walked`);
  }
}

/** A channel contact listed under a person it no longer is: `owner` is whom it resolves to now. */
interface ListedElsewhere {
  readonly contactKey: string;
  readonly listedUnder: string;
  readonly owner: string;
}

/**
 * Every key of a person, and their channel contacts' keys; empty when the hub has no conversation
 * with them. The person's gsi3 partition lists their conversations, their channel contacts, the
 * e-mails the hub could not read from their address (unreadable-emails.ts) and the people merged
 * into them, whose partitions are walked in turn (a conversation recorded while a
 * merge moved it may still sit there), and whose merge items go too. Each conversation found brings
 * its messages (conversationFootprint), whoever its contact is: one known only by a placeholder is
 * a person per conversation, not found again from the contact. Each channel contact brings its own
 * items (contactRecords); one listed in the partition that is someone else now (indexed there while
 * they were merged into this person, the merge since undone) is left to them.
 */
const personFootprint = async (
  context: TableContext,
  contactId: string,
): Promise<{
  contactKeys: string[];
  conversationsOf: Map<string, (readonly string[])[]>;
  keys: ItemKey[];
  elsewhere: ListedElsewhere[];
  /** The person and everyone merged into them (the merge tree walked). */
  people: string[];
}> => {
  const people = [contactId];
  const conversationKeys: ItemKey[] = [];
  /** Channel contacts the partitions list, with the person whose partition lists them. */
  const listedContacts = new Map<string, string>();
  /** Listed contacts that are someone else now: erasure moves them to that person. */
  const elsewhere: ListedElsewhere[] = [];
  const contactKeys = new Set<string>();
  /** Per conversation, the keys its contact's consent is under (one customer's). */
  const customerKeys: string[][] = [];
  const keys = new Map<string, ItemKey>();
  const add = (key: ItemKey): void => {
    keys.set(idOfKey(key), key);
  };
  for (let index = 0; index < people.length && index < MAX_MERGED_PEOPLE; index++) {
    const person = people[index] as string;
    for (const item of await queryAll(context, {
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk',
      ExpressionAttributeValues: { ':pk': contactsConversationsPartition(person) },
    })) {
      const key = keyOf(item);
      const kind = kindOfKey(key);
      // A channel contact's items are added below, if it is still this person's.
      if (kind === 'contact') {
        listedContacts.set(contactKeyOfItem(key), person);
        continue;
      }
      add(key);
      // An e-mail the hub could not read, filed under the person of its sender (its raw object goes with it).
      if (kind === 'unreadableEmail') continue;
      // The record of an undone merge names this person; the other one is a person of their own.
      if (String(item.gsi3sk).startsWith(PERSON_UNMERGED_PREFIX)) continue;
      if (kind !== 'personMerge') conversationKeys.push(key);
      else if (!people.includes(discardedIdOfMergeKey(key))) people.push(discardedIdOfMergeKey(key));
    }
  }
  // Nothing is deleted, nor exported, of a merge tree walked only in part.
  if (people.length > MAX_MERGED_PEOPLE) throw new MergedPeopleLimitError();
  const conversations: ConversationState[] = [];
  for (const item of await batchGetItems(context, conversationKeys, { concurrency: BATCH_CONCURRENCY })) {
    const view = conversationViewOf(item);
    if (!view) continue;
    // Every key the contact's consent may be under (a WhatsApp customer's identifiers).
    const consentKeys = consentKeysFor(view.state.channel, view.state.contact);
    for (const key of consentKeys) contactKeys.add(key);
    customerKeys.push(consentKeys);
    conversations.push(view.state);
  }
  // Their aliases filed under another person (the one whose identifier opened them) go with them.
  const reached = new Set(
    conversationKeys.flatMap((key) => (kindOfKey(key) === 'conversation' ? [conversationIdOfKey(key)] : [])),
  );
  for (const alias of await conversationAliases(context, conversations, reached)) {
    add(alias);
    conversationKeys.push(alias);
  }
  const tree = new Set(people);
  // Each channel contact's and each conversation's reads are their own: FOOTPRINT_CONCURRENCY at a
  // time, taken in the order found (the keys, and which contact is whose, come out as one at a time).
  const ofConversations = new Set(contactKeys);
  const contacts = await mapConcurrently(
    new Set([...contactKeys, ...listedContacts.keys()]),
    FOOTPRINT_CONCURRENCY,
    async (contactKey) => {
      const records = await contactRecords(context, contactKey);
      const listedUnder = listedContacts.get(contactKey);
      // A conversation's contact is the person's; a contact only listed is theirs if it is of their
      // merge tree, else it goes to the person it resolves to (ownerOutsideTree).
      const owner =
        ofConversations.has(contactKey) || listedUnder === undefined
          ? undefined
          : await ownerOutsideTree(context, tree, records.person);
      return { contactKey, records, listedUnder, owner };
    },
  );
  for (const { contactKey, records, listedUnder, owner } of contacts) {
    if (listedUnder !== undefined && owner !== undefined) {
      elsewhere.push({ contactKey, listedUnder, owner });
      continue;
    }
    contactKeys.add(contactKey);
    for (const key of records.keys) add(key);
  }
  const footprints = await mapConcurrently(
    conversationKeys.filter((key) => kindOfKey(key) === 'conversation'),
    FOOTPRINT_CONCURRENCY,
    (key) => conversationFootprint(context, conversationIdOfKey(key)),
  );
  for (const found of footprints.flat()) add(found);
  // Messages an earlier erasure of this person left at a provider: this call retries them.
  for (const key of await pendingRedactionKeys(context, contactId)) add(key);
  // The record of an undone merge of this person into another (listed under the other one).
  const unmerged = await unmergeRecordKey(context, contactId);
  if (unmerged) add(unmerged);
  return {
    contactKeys: [...contactKeys],
    conversationsOf: conversationsOfKeys([...contactKeys], customerKeys),
    keys: [...keys.values()],
    elsewhere,
    people,
  };
};

/** The AES-256-GCM key an erased conversation's id is sealed under: derived from the pseudonym key. */
const sealingKeyOf = (pseudonymKey: PseudonymKey): Buffer =>
  createHmac('sha256', pseudonymKey).update('erased-conversation-seal', 'utf8').digest();

const seal = (pseudonymKey: PseudonymKey, text: string): string => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKeyOf(pseudonymKey), iv);
  const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
};

/** The sealed text, or undefined when it does not open under this key. */
const unseal = (pseudonymKey: PseudonymKey, value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKeyOf(pseudonymKey), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
};

/**
 * What was recorded in a person's conversations after an earlier erasure of theirs deleted them:
 * that erasure left a pointer per conversation (under keyed hashes, the id sealed), and a message
 * the recorder was recording then (its conversation saved before the conversation's delete, its
 * record written after) is found from it. The conversation item itself is not among the keys (a
 * new one, started afresh, is found from the person's partition if it is theirs).
 */
const erasedConversationsFootprint = async (
  context: TableContext,
  pseudonymKey: PseudonymKey,
  contactId: string,
): Promise<{ keys: ItemKey[]; conversations: ItemKey[] }> => {
  const keys: ItemKey[] = [];
  const conversations: ItemKey[] = [];
  const pointers = await queryAll(context, {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': erasedConversationsPartition(pseudonymKey, contactId) },
  });
  const conversationIds = pointers.flatMap((pointer) => {
    const conversationId = unseal(pseudonymKey, pointer.sealed);
    return conversationId === undefined ? [] : [conversationId];
  });
  // Each pointer's conversation read on its own, FOOTPRINT_CONCURRENCY at a time, taken in order.
  const footprints = await mapConcurrently(conversationIds, FOOTPRINT_CONCURRENCY, (conversationId) =>
    conversationFootprint(context, conversationId),
  );
  for (const [index, conversationId] of conversationIds.entries()) {
    const own = conversationKey(conversationId);
    const found = (footprints[index] ?? []).filter((key) => idOfKey(key) !== idOfKey(own));
    if (found.length === 0) continue;
    keys.push(...found);
    conversations.push(own);
  }
  return { keys, conversations };
};

/**
 * What an erasure deletes and an export lists, one walk for both: the person's footprint
 * (personFootprint), and what the pointers of their erased conversations lead to
 * (erasedConversationsFootprint: a message recorded while an earlier erasure ran). `owning` is
 * every conversation whose payload objects by key go with the person (ownedPrefixesOf): those among
 * the keys, and the erased ones something was found in.
 */
const erasableFootprint = async (
  context: TableContext,
  pseudonymKeySource: PseudonymKeySource,
  contactId: string,
): Promise<
  Awaited<ReturnType<typeof personFootprint>> & { pseudonymKey: PseudonymKey; owning: ItemKey[] }
> => {
  const footprint = await personFootprint(context, contactId);
  // Without the key, nothing of what an earlier erasure left a pointer to is found: the walk fails
  // (before an erasure redacts or deletes anything) rather than answer for part of the person.
  const pseudonymKey = await pseudonymKeySource();
  // The pointers of every person of the tree: one erased before they were merged into this one left
  // theirs under their own id, which no call can name while they are merged (409). Until 2026-12-07
  // only this person's were read, and a message recorded while a merged person was erased stayed
  // (found by a review, tests/contacts/erasure-recorder-race.test.ts).
  const lates = await mapConcurrently(footprint.people, FOOTPRINT_CONCURRENCY, (person) =>
    erasedConversationsFootprint(context, pseudonymKey, person),
  );
  const late = {
    keys: lates.flatMap(({ keys }) => keys),
    conversations: lates.flatMap((one) => one.conversations),
  };
  const keys = [...new Map([...footprint.keys, ...late.keys].map((key) => [idOfKey(key), key])).values()];
  return { ...footprint, keys, pseudonymKey, owning: [...keys, ...late.conversations] };
};

/**
 * Fields that name payload objects: the e-mail body and raw-MIME keys (shared/contract/message.ts),
 * a command's file in the bucket (`s3Key`, shared/contract/commands.ts) and a send plan's files
 * (`media.<part>.s3Key`, shared/store/sends.ts).
 */
const KEY_FIELDS = new Set(['textBodyKey', 'htmlBodyKey', 'rawMimeKey', 's3Key']);

/**
 * Every payload-bucket key a stored item names: media references (`{store: 's3', key}`) and the
 * e-mail body and raw-MIME keys, in the item's attributes or in the JSON they hold. Only those
 * fields: a customer who types another object's key into a message cannot get it deleted. And only
 * keys S3 can take (isPayloadObjectKey): one it cannot would fail every erasure's DeleteObjects.
 */
const objectKeysIn = (value: unknown, found: Set<string>, depth = 0): void => {
  if (depth > 32) return;
  if (typeof value === 'string') {
    if (depth <= 2 && (value.startsWith('{') || value.startsWith('['))) {
      try {
        objectKeysIn(JSON.parse(value), found, depth + 1);
      } catch {
        // Not JSON: no key in it.
      }
    }
  } else if (Array.isArray(value)) for (const inner of value) objectKeysIn(inner, found, depth + 1);
  else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record.store === 's3' && isPayloadObjectKey(record.key)) found.add(record.key);
    for (const [name, inner] of Object.entries(record)) {
      if (KEY_FIELDS.has(name) && isPayloadObjectKey(inner)) {
        found.add(inner);
        continue;
      }
      objectKeysIn(inner, found, depth + 1);
    }
  }
};

/**
 * Every payload-bucket key the erased items name (objectKeysIn, one walk per item), and per upload
 * for sending (media/outbound/) among them, the conversations they name it in (a send record's
 * `conversationId`, a message record's message's): the references the erasure deletes before it
 * reads whether any other conversation still has the upload.
 */
const objectsNamedIn = (
  items: readonly Record<string, unknown>[],
): { readonly objects: Set<string>; readonly uploadsSent: Map<string, Set<string>> } => {
  const objects = new Set<string>();
  const uploadsSent = new Map<string, Set<string>>();
  for (const item of items) {
    const named = new Set<string>();
    objectKeysIn(item, named);
    for (const key of named) {
      objects.add(key);
      if (!isUploadKey(key)) continue;
      const conversations = uploadsSent.get(key) ?? new Set<string>();
      const conversationId =
        typeof item.conversationId === 'string'
          ? item.conversationId
          : storedMessageOf(item)?.message.conversationId;
      if (conversationId !== undefined) conversations.add(conversationId);
      uploadsSent.set(key, conversations);
    }
  }
  return { objects, uploadsSent };
};

/** Sets as arrays and the JSON an attribute holds as JSON (not a customer's text that looks like it), for an export. */
const exportable = (value: unknown, depth = 0): unknown => {
  if (value instanceof Set) return [...value].map((inner) => exportable(inner, depth + 1));
  if (Array.isArray(value)) return value.map((inner) => exportable(inner, depth + 1));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, exportable(inner, depth + 1)]),
    );
  if (depth <= 2 && typeof value === 'string' && (value.startsWith('{') || value.startsWith('['))) {
    try {
      return exportable(JSON.parse(value) as unknown, 3);
    } catch {
      return value;
    }
  }
  return value;
};

/**
 * Where a page of an export ended: its items come first, then its objects, each in the order of the
 * SHA-256 of its key (stable however often the export is read; no key, so no identifier, in a cursor).
 */
export interface ExportPosition {
  readonly stage: 'items' | 'objects';
  /** The hash (hex) of the last item's or object's key the page held; '' for none yet. */
  readonly after: string;
}

export interface PersonExport {
  readonly contactId: string;
  readonly exportedAt: string;
  /** Stored items, by kind of the key catalogue (shared/store/keys.ts): every one, over the pages. */
  readonly items: { kind: string; item: unknown }[];
  /**
   * Payload-bucket objects the items name (raw e-mail, attachments, bodies) and, given
   * `listObjectsUnder`, those their conversations own by key (claim checks): what erasure deletes;
   * every one, once, over the pages.
   */
  readonly objects: string[];
  /** Where the next page starts; absent on the last. */
  readonly next?: ExportPosition;
}

/** One page of an export: after a position, as many items and objects as `fits` takes in turn. */
export interface ExportPage {
  readonly after?: ExportPosition;
  /** Whether one more entry (an item as exported, or an object's key) fits the page; the first always does. */
  readonly fits?: (entry: unknown) => boolean;
}

/** What orders an export: the SHA-256 of an item's key or of an object's key. */
const exportRefOf = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The entries whose ref sorts after `after` (a page's position), in ref order. */
const afterInExportOrder = <T extends { readonly ref: string }>(entries: readonly T[], after: string): T[] =>
  entries.filter(({ ref }) => ref > after).sort((a, b) => (a.ref < b.ref ? -1 : 1));

/** The bucket prefixes the conversations among `keys` own (claim checks, attachments, bodies). */
const ownedPrefixesOf = (keys: readonly ItemKey[]): string[] =>
  keys.flatMap((key) =>
    kindOfKey(key) === 'conversation' ? conversationObjectPrefixes(conversationIdOfKey(key)) : [],
  );

/** Where the conversations' attachments may have uploads a dead fetcher left (conversationUploadPrefix). */
const uploadPrefixesOf = (keys: readonly ItemKey[]): string[] =>
  keys.flatMap((key) => {
    const prefix =
      kindOfKey(key) === 'conversation' ? conversationUploadPrefix(conversationIdOfKey(key)) : undefined;
    return prefix === undefined ? [] : [prefix];
  });

export interface ExportDeps {
  readonly table: TableContext;
  /** The deployment's pseudonym key, which an erased conversation's pointer is filed and sealed under. */
  readonly pseudonymKey: PseudonymKeySource;
  /** The payload objects under a prefix (S3 ListObjectsV2): each conversation's, as erasure lists them. */
  readonly listObjectsUnder?: (prefix: string) => Promise<readonly string[]>;
}

/**
 * A person's export, or one page of it: the footprint is found again for each page, as erasure
 * finds it (erasableFootprint), and read whole; the items after the position, with the references
 * of the uploads they name in their conversations (which erasure deletes: releaseUploads),
 * fill the page in their order, and once the items are done the objects they name (with those the
 * conversations own) follow in pages of their own order. An item written between two pages is on a
 * later page if its key sorts after the position, else not; none is on two pages.
 */
export const exportPerson = async (
  deps: ExportDeps,
  contactId: string,
  page: ExportPage = {},
): Promise<PersonExport | undefined> => {
  const { table: context, listObjectsUnder } = deps;
  const { keys, owning } = await erasableFootprint(context, deps.pseudonymKey, contactId);
  if (keys.length === 0) return undefined;
  const fits = page.fits ?? (() => true);
  const reading = { ...context, now: () => new Date(0) };
  // What an erasure left of a send is no send of the person's: reached again only through its message's record
  // (written after the erasure, or left by a run that stopped before it went).
  const stored = (await batchGetItems(reading, keys, { concurrency: BATCH_CONCURRENCY })).filter(
    (item) => !(kindOfKey(keyOf(item)) === 'send' && isSendTombstone(item)),
  );
  // The objects the items name, and the uploads' references in their conversations, in one pass.
  const named = objectsNamedIn(stored);
  const after = page.after ?? { stage: 'items', after: '' };
  const items: PersonExport['items'] = [];
  let next: ExportPosition | undefined;
  if (after.stage === 'items') {
    const references = await batchGetItems(reading, uploadReferenceKeysOf(named.uploadsSent));
    const ordered = afterInExportOrder(
      [...stored, ...references].map((item) => ({ item, ref: exportRefOf(idOfKey(keyOf(item))) })),
      after.after,
    );
    let last = after.after;
    for (const { item, ref } of ordered) {
      const entry = {
        kind: kindOfKey(keyOf(item)) ?? 'unknown',
        item: exportable(conversationItemAsText(item)),
      };
      if (!fits(entry)) {
        next = { stage: 'items', after: last };
        break;
      }
      items.push(entry);
      last = ref;
    }
  }
  const objects: string[] = [];
  if (!next) {
    const objectKeys = new Set(named.objects);
    if (listObjectsUnder) {
      const listings = await mapConcurrently(
        new Set(ownedPrefixesOf(owning)),
        FOOTPRINT_CONCURRENCY,
        (prefix) => listObjectsUnder(prefix),
      );
      for (const owned of listings.flat()) objectKeys.add(owned);
    }
    const from = after.stage === 'objects' ? after.after : '';
    const ordered = afterInExportOrder(
      [...objectKeys].map((key) => ({ key, ref: exportRefOf(key) })),
      from,
    );
    let last = from;
    for (const { key, ref } of ordered) {
      if (!fits(key)) {
        next = { stage: 'objects', after: last };
        break;
      }
      objects.push(key);
      last = ref;
    }
  }
  return {
    contactId,
    exportedAt: context.now().toISOString(),
    items,
    objects,
    ...(next ? { next } : {}),
  };
};

export interface ErasureDeps {
  readonly table: TableContext;
  /** The deployment's pseudonym key, which the kept opt-outs are filed under (shared/store/suppressions.ts). */
  readonly pseudonymKey: PseudonymKeySource;
  /** Deletes payload-bucket objects by key (S3 DeleteObjects; a missing key is no error). */
  readonly deleteObjects: (keys: readonly string[]) => Promise<void>;
  /**
   * Deletes every payload object under a prefix and says how many (S3 ListObjectsV2, then
   * DeleteObjects): each erased conversation's claim checks (shared/aws/claim-check.ts).
   */
  readonly deleteObjectsUnder?: (prefix: string) => Promise<number>;
  /**
   * Aborts every multipart upload under a prefix and says how many (S3 ListMultipartUploads, then
   * AbortMultipartUpload): each erased conversation's attachments, whose parts an upload whose
   * fetcher died keeps out of any object listing (shared/aws/blob-store.ts).
   */
  readonly abortUploadsUnder?: (prefix: string) => Promise<number>;
  /**
   * Tells the erasure (the `contact.erased` event), once the person's content is gone and before
   * what the erasure is found from (conversations' contacts, identities, merges) is deleted: when it
   * throws, the erasure stops there and a retry finds the person again and tells it then. Not
   * called when only a retry of provider redactions was left (the person was erased and told).
   */
  readonly announce?: (report: ErasureReport) => Promise<void>;
  /**
   * Redacts the person's messages at their providers, given every stored item of theirs
   * (shared/outbound/provider-erasure.ts). Runs before those items, which name the providers' ids,
   * are deleted; best effort: a provider's failure is counted, never thrown.
   */
  readonly redactAtProviders?: (
    items: readonly Record<string, unknown>[],
  ) => Promise<ProviderRedactions & { readonly unfinished: readonly UnfinishedRedaction[] }>;
}

/**
 * What the providers were asked to forget: Twilio messages redacted (or already gone), their media
 * deleted; files the hub uploaded to WhatsApp deleted (or already expired); failures, kept to retry.
 */
export interface ProviderRedactions {
  readonly twilio: { readonly messages: number; readonly media: number; readonly failed: number };
  readonly whatsapp: { readonly uploads: number; readonly failed: number };
}

export interface ErasureReport {
  readonly contactId: string;
  /**
   * When the person was erased: this run's time, or, for a run that finishes an erasure that
   * stopped after telling its event, that erasure's (with its counts), so the event told is the same.
   */
  readonly erasedAt: string;
  readonly itemsDeleted: number;
  readonly objectsDeleted: number;
  readonly tombstones: number;
  /** Channel contacts whose opt-outs were kept under a keyed hash (each identifier of a WhatsApp customer). */
  readonly optOutsKept: number;
  /**
   * What the providers were asked. `failed` messages are kept to retry (pendingRedaction items).
   * Without `redactAtProviders`, only when redactions were pending: none asked, each counted failed.
   */
  readonly providerRedactions?: ProviderRedactions;
  /**
   * The person had been erased already and only messages a provider had not redacted were left:
   * this call retried them (and deleted nothing else).
   */
  readonly alreadyErased: boolean;
}

/**
 * What the messages' records and sends lead to (states, attachments' claims, uploads, and the
 * states kept under the provider messages' ids), the conversations' send reservations, the consent
 * ledger and the e-mails the hub could not read (each names its raw object, deleted before any item
 * goes).
 */
const MESSAGE_ORDER = 0;
/**
 * The messages' records (gsi2) and sends (gsi3): what a message's partition, and the states under
 * its provider messages' ids, are found from (conversationFootprint). A record's tombstone has no
 * index entry, so they go in batches after everything they lead to: an erasure that stops between
 * batches (a timeout, a batch left unprocessed) leaves nothing a retry cannot find.
 */
const MESSAGE_ROOT_ORDER = 1;
/** The conversations, and what has no order of its own: found from the person's partition. */
const CONVERSATION_ORDER = 2;
/**
 * The unreadable e-mails' tombstones, in batches of their own before any item goes: within one
 * BatchWriteItem DynamoDB applies the requests in no stated order and may leave any unprocessed, so
 * a tombstone beside its item's delete could be missing when the delete is done, and an erasure run
 * again finds no item to write it for.
 */
const TOMBSTONE_FIRST_ORDER = -1;
/** What an erasure is found from again starts here: it is told before these go. */
const CONTACT_ORDER = 4;

/**
 * Deletion order, by batches: whatever an item is found from goes in a later batch than the item
 * (within one BatchWriteItem DynamoDB applies the requests in no stated order), so a crashed
 * erasure can run again and find what is left.
 */
const ERASE_ORDER: Readonly<Record<string, number>> = {
  message: MESSAGE_ROOT_ORDER,
  messageState: MESSAGE_ORDER,
  send: MESSAGE_ROOT_ORDER,
  mediaFetch: MESSAGE_ORDER,
  whatsappUpload: MESSAGE_ORDER,
  consentChange: MESSAGE_ORDER,
  unreadableEmail: MESSAGE_ORDER,
  // Found from the conversation, so gone before it.
  sendReservation: MESSAGE_ORDER,
  pendingAnnouncement: MESSAGE_ORDER,
  conversation: CONVERSATION_ORDER,
  identity: 3,
  contact: CONTACT_ORDER,
  personMerge: 5,
  pendingRedaction: 5,
};

/**
 * The report of pending redactions no provider was asked about (no provider access): each still
 * failed, as a provider that refused it again would leave it; none when there were none.
 */
const unaskedRedactions = (unasked: readonly Record<string, unknown>[]): ProviderRedactions | undefined => {
  if (unasked.length === 0) return undefined;
  const providers = unasked.map((item) => pendingRedactionOf(item)?.provider);
  const count = (provider: 'twilio' | 'whatsapp') => providers.filter((one) => one === provider).length;
  return {
    twilio: { messages: 0, media: 0, failed: count('twilio') },
    whatsapp: { uploads: 0, failed: count('whatsapp') },
  };
};

/**
 * A person with nothing left to erase whose erasure still keeps what it told: a run deleted everything and stopped
 * before forgetting it (the late-consent pass or that delete failed). Told again as it was (the same event), then
 * forgotten, so the retry answers as the erasure did; without it, undefined (nothing to erase).
 */
const finishTold = async (deps: ErasureDeps, contactId: string): Promise<ErasureReport | undefined> => {
  const told = await readErasureAnnouncement(deps.table, contactId);
  if (!told) return undefined;
  const report: ErasureReport = { contactId, ...told, alreadyErased: false };
  await deps.announce?.(report);
  await clearErasureAnnouncement(deps.table, contactId);
  return report;
};

/**
 * Erases a person: their messages redacted at the providers that allow it, their opt-outs kept
 * (under a keyed hash), the S3 objects their records name and their conversations' claim checks deleted, each
 * message's record and state replaced by a bare tombstone that expires after the providers' retry
 * horizon, each unreadable e-mail's item deleted and a bare tombstone left under the hash of its
 * objects' keys, everything else deleted. Idempotent: running it again finds what is left.
 */
export const erasePerson = async (
  deps: ErasureDeps,
  contactId: string,
): Promise<ErasureReport | undefined> => {
  const context = deps.table;
  // The key is read before anything is redacted or deleted: without it, nothing could be kept (nor
  // found of what an earlier call erased the conversations of).
  const { contactKeys, conversationsOf, keys, elsewhere, pseudonymKey, owning } = await erasableFootprint(
    context,
    deps.pseudonymKey,
    contactId,
  );
  // Another person's contact listed here goes to them: it stays, and no longer names this person.
  for (const { contactKey, listedUnder, owner } of elsewhere)
    await moveContactPerson(context, contactKey, listedUnder, owner);
  if (keys.length === 0) return finishTold(deps, contactId);
  const items = await batchGetItems({ ...context, now: () => new Date(0) }, keys, {
    concurrency: BATCH_CONCURRENCY,
  });
  const alreadyErased = keys.every((key) => kindOfKey(key) === 'pendingRedaction');
  const redactions = await deps.redactAtProviders?.(items);
  // Without provider access (`npm run erase` without the providers' secrets) a redaction still
  // pending is not asked again: it stays as it is, its provider's id with it, for the attention
  // sweeper or a later call with access (deleted here, that id would be gone and the provider's
  // copy out of reach).
  const unasked = deps.redactAtProviders
    ? []
    : items.filter((item) => kindOfKey(keyOf(item)) === 'pendingRedaction');
  let optOutsKept = 0;
  // What earlier erasures of these contacts kept, under either key, read at once (consistently, the
  // legacy keys first): merged in below, and written under the keyed key only (a legacy item found goes).
  const keptRead = await readKeptSuppressions(context, pseudonymKey, contactKeys);
  const registersOf = (contactKey: string): Record<string, unknown> | undefined =>
    withoutLegacyHelpRegisters(
      contactKey,
      items.find((item) => item.pk === contactItemKey(contactKey).pk && item.sk === 'CONTACT'),
      items,
    );
  /** One register as the sender reads it over one conversation's keys (kept before or not). */
  const readOver = (keys: readonly string[], name: string): unknown =>
    keys
      .flatMap((key) => [registersOf(key)?.[name], keptRead.kept(key).item?.[name]])
      .reduce<unknown>(laterAcrossKeys, undefined);
  for (const contactKey of contactKeys) {
    // Under each key, per register, an opt-out if any conversation that knows the key reads one over
    // its own keys (the latest such), else the latest they read: a WhatsApp opt-out that came with
    // one identifier is kept under the others its conversation knew, which the customer may write
    // with alone, and not under another business's BSUID, whose conversation read a later resume.
    // The event ids stay each key's own (a retry names the identifiers it came with).
    const contact: Record<string, unknown> = { ...registersOf(contactKey) };
    for (const name of Object.keys(CONTACT_REGISTERS)) {
      const reads = (conversationsOf.get(contactKey) ?? []).map((keys) => readOver(keys, name));
      const register = latestOptOut(reads) ?? reads.reduce<unknown>(laterAcrossKeys, undefined);
      if (register !== undefined) contact[name] = register;
    }
    // What an earlier erasure of this contact kept: merged in, never overwritten (a STOP it kept
    // still holds unless a later START says otherwise, and its events' ids still stop their retries),
    // and merged again if another writer changes it before this is written.
    const written = await keepSuppression(
      context,
      pseudonymKey,
      contactKey,
      keptRead.kept(contactKey),
      (kept) => erasureKeeps(contact, kept, ledgerEventsOf(items, contactKey)),
    );
    if (Object.keys(CONTACT_REGISTERS).some((name) => written?.[name] !== undefined)) optOutsKept++;
  }
  const { objects, uploadsSent } = objectsNamedIn(items);
  // A file the helpdesk uploaded may have gone to other customers too (a price list): it stays while
  // another conversation's reference is left once these conversations' are gone. One sent to this
  // person alone (an invoice naming them), or before references were kept, goes.
  for (const kept of await releaseUploads(context, uploadsSent)) objects.delete(kept);
  await deps.deleteObjects([...objects]);
  // What each conversation owns by key, whether or not a record still names it: its claim checks,
  // its attachments and its e-mail bodies (a record too large to keep them lists none). Listed once
  // the messages' partitions are gone (below, before the conversations): an attachment the media
  // fetcher uploads after the listing then finds its claim deleted and deletes the object itself.
  // Then the uploads under the conversations' attachments: one whose fetcher died keeps its parts
  // out of the listing (a live fetcher's upload aborted here fails, and its job finds the part erased).
  // Each prefix is its own (FOOTPRINT_CONCURRENCY at a time); the uploads once the listings are done.
  const deleteOwnedObjects = async (): Promise<number> => {
    const { deleteObjectsUnder, abortUploadsUnder } = deps;
    const deleted = deleteObjectsUnder
      ? await mapConcurrently(new Set(ownedPrefixesOf(owning)), FOOTPRINT_CONCURRENCY, (prefix) =>
          deleteObjectsUnder(prefix),
        )
      : [];
    if (abortUploadsUnder)
      await mapConcurrently(new Set(uploadPrefixesOf(owning)), FOOTPRINT_CONCURRENCY, (prefix) =>
        abortUploadsUnder(prefix),
      );
    return deleted.reduce((sum, count) => sum + count, 0);
  };
  // What a provider still holds is written first, under the person, for the next call to retry:
  // before anything that names its ids is deleted, and before the event is told.
  const earlier = new Map(
    items.flatMap((item) => {
      const pending = pendingRedactionOf(item);
      return pending ? [[pendingRedactionRef(pending), pending] as const] : [];
    }),
  );
  const now = context.now();
  const stillPending = (redactions?.unfinished ?? []).map((unfinished) =>
    pendingRedactionItem(contactId, unfinished, earlier.get(pendingRedactionRef(unfinished)), now),
  );
  await batchWriteItems(
    context,
    stillPending.map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } })),
  );
  const staying = new Set([
    ...stillPending.map((item) => idOfKey(keyOf(item))),
    ...unasked.map((item) => idOfKey(keyOf(item))),
  ]);
  const expiresAt = epochSeconds(context.now()) + TOMBSTONE_SECONDS;
  const byOrder = new Map<number, WriteRequest[]>();
  /** The writes of batch `order`, made on first use. */
  const batchOf = (order: number): WriteRequest[] => {
    const requests = byOrder.get(order) ?? [];
    byOrder.set(order, requests);
    return requests;
  };
  const tombstone = (key: ItemKey): WriteRequest => ({
    PutRequest: { Item: marshall({ ...key, erased: true, expiresAt }) },
  });
  let tombstones = 0;
  let itemsDeleted = 0;
  const present = new Set(keys.map(idOfKey));
  const itemOf = new Map(items.map((item) => [idOfKey(keyOf(item)), item]));
  // Until when the API's reservation of each send's key held a retry back (deleted below).
  const reservedUntil = new Map(
    items.flatMap((item) =>
      kindOfKey(keyOf(item)) === 'sendReservation' && typeof item.expiresAt === 'number'
        ? [[hubMessageIdOfReservationKey(keyOf(item)), item.expiresAt] as const]
        : [],
    ),
  );
  for (const key of keys) {
    // A redaction still pending was written again above, or not asked: it stays.
    if (staying.has(idOfKey(key))) continue;
    const kind = kindOfKey(key);
    const requests = batchOf(ERASE_ORDER[kind ?? ''] ?? CONVERSATION_ORDER);
    const send = kind === 'send' ? itemOf.get(idOfKey(key)) : undefined;
    if (send) {
      // A send record becomes a tombstone in the same write (its index entry goes): the command,
      // redelivered or retried once the customer writes again under the same conversation id, finds
      // it at its claim and is a repeat, neither sent nor recorded again. One read gone meanwhile
      // has nothing to keep.
      const keptUntil = reservedUntil.get(hubMessageIdOfKey(key));
      requests.push({
        PutRequest: { Item: marshall(sendTombstoneOf(send, pseudonymKey, { keptUntil, orElse: expiresAt })) },
      });
      tombstones++;
      continue;
    }
    if (kind === 'unreadableEmail') {
      // Written before the item's delete is sent: a redelivery of its event that finds no item
      // finds the tombstone.
      batchOf(TOMBSTONE_FIRST_ORDER).push(tombstone(unreadableEmailTombstoneOf(key)));
      tombstones++;
    }
    if (kind === 'conversation') {
      // Written before the conversation's delete is sent: the next call of this erasure finds from it
      // a message recorded in the conversation meanwhile.
      const conversationId = conversationIdOfKey(key);
      batchOf(TOMBSTONE_FIRST_ORDER).push({
        PutRequest: {
          Item: marshall({
            ...erasedConversationKey(pseudonymKey, contactId, conversationId),
            sealed: seal(pseudonymKey, conversationId),
            expiresAt,
          }),
        },
      });
    }
    if (kind !== 'message' && kind !== 'messageState') {
      requests.push({ DeleteRequest: { Key: marshall(key) } });
      itemsDeleted++;
      continue;
    }
    requests.push(tombstone(key));
    tombstones++;
    // A message without a state item gets its tombstone too: a late edit, reaction or status of it
    // would otherwise create one, with the edited text, that nothing reaches any more.
    const state = messageStateKey(hubMessageIdOfKey(key));
    if (kind === 'message' && !present.has(idOfKey(state))) {
      batchOf(MESSAGE_ORDER).push(tombstone(state));
      tombstones++;
    }
  }
  const providerRedactions = redactions
    ? { twilio: redactions.twilio, whatsapp: redactions.whatsapp }
    : unaskedRedactions(unasked);
  let ownedObjects: number | undefined;
  // What an earlier run of this erasure told before it stopped: told again as it was.
  let told = await readErasureAnnouncement(context, contactId);
  const reportOf = (): ErasureReport => ({
    contactId,
    ...(told ?? {
      erasedAt: now.toISOString(),
      itemsDeleted,
      objectsDeleted: objects.size + (ownedObjects ?? 0),
      tombstones,
      optOutsKept,
    }),
    ...(providerRedactions ? { providerRedactions } : {}),
    alreadyErased,
  });
  const announce = async (): Promise<void> => {
    if (!deps.announce) return;
    const { erasedAt, itemsDeleted, objectsDeleted, tombstones, optOutsKept } = reportOf();
    told = await noteErasureAnnouncement(context, contactId, {
      erasedAt,
      itemsDeleted,
      objectsDeleted,
      tombstones,
      optOutsKept,
    });
    await deps.announce(reportOf());
  };
  // A person already erased has nothing to tell, unless a run of this erasure noted its event and failed to publish it.
  let announced = !deps.announce || (alreadyErased && told === undefined);
  for (const order of [...byOrder.keys()].sort((a, b) => a - b)) {
    if (ownedObjects === undefined && order > MESSAGE_ROOT_ORDER) ownedObjects = await deleteOwnedObjects();
    if (!announced && order >= CONTACT_ORDER) {
      await announce();
      announced = true;
    }
    // One batch's writes go WRITE_CONCURRENCY requests at a time (DynamoDB applies one request's in
    // no stated order either); the next batch only once every one of them is done.
    await batchWriteItems(context, byOrder.get(order) ?? [], { concurrency: WRITE_CONCURRENCY });
  }
  ownedObjects ??= await deleteOwnedObjects();
  if (!announced) await announce();
  // (after the announcement: its counts are the pass's above)
  await eraseLateConsent(context, pseudonymKey, contactKeys, conversationsOf, keys);
  const report = reportOf();
  if (told) await clearErasureAnnouncement(context, contactId);
  return report;
};
