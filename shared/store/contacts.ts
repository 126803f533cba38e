import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import {
  boundedIdentityKey,
  contactConversationId,
  conversationIdFor,
  hubMessageIdFor,
} from '#shared/contract/ids.ts';
import {
  type Channel,
  type ChannelIdentity,
  ChannelSchema,
  type Contact,
  type ConversationState,
} from '#shared/contract/index.ts';
import { contactIdFor, isPlaceholder, strongIdentifierOf } from '#shared/domain/contact-identity.ts';
import { MAX_CONTACT_IDENTITIES } from '#shared/domain/conversation.ts';
import { canonicalEmailAddress } from '#shared/domain/email-address.ts';
import { mapConcurrently } from './concurrency.ts';
import { isConditionFailure } from './item-rules.ts';
import {
  consentChangePrefix,
  contactItemKey,
  contactKeyFor,
  contactKeyOfItem,
  contactsByPersonKeys,
  contactsConversationsPartition,
  conversationIdOfKey,
  conversationKey,
  conversationMarkersPartition,
  conversationMessagesPartition,
  conversationSendsPartition,
  hubMessageIdOfKey,
  IDENTITY_CLAIM_PREFIX,
  type ItemKey,
  identityClaimKey,
  identityItemKey,
  identityPartition,
  kindOfKey,
  messageKey,
  messageStateKey,
  PERSON_CONTACT_PREFIX,
  PERSON_CONVERSATION_PREFIX,
  sendKey,
} from './keys.ts';
import { newestFirst } from './ledger-order.ts';
import { liveStateIdsOf } from './message-live.ts';
import { storedMessageOf } from './messages.ts';
import { CONTACT_REGISTERS, ConsentValueSchema, type ContactConsent, readRegisters } from './registers.ts';
import { storedSendOf } from './sends.ts';
import { moveLegacySuppression, type PseudonymKeySource, readKeptSuppressions } from './suppressions.ts';
import { batchGetItems, type TableContext, track } from './table.ts';

/*
 * Contact items (`CONTACT#<channel>#<type:value>` / `CONTACT`): a customer on one channel, with its
 * identities (a string set) and consent registers; identity items (`IDENT#<type:value>` /
 * `CONTACT#<contactKey>`) find it by any identity. A contact's conversations are found through
 * gsi3, which every conversation item joins when it is created.
 */

/**
 * The most identities a contact item lists. Every conversation of a contact key adds to its one
 * item, and MAX_CONTACT_IDENTITIES bounds only each conversation: an e-mail contact is the first From
 * of each of its threads, and everyone answering in any of them is added, up to 320 characters each.
 * Unbounded, a sender forging that From over ~85 threads made the item pass DynamoDB's 400 KB, after
 * which every new answerer in the customer's threads and their opt-out (a register of this item)
 * failed on every delivery (found by a review). 64 such identities are ~21 KB; a person has a handful.
 */
export const MAX_CONTACT_ITEM_IDENTITIES = 64;

/**
 * Idempotent: set union of identities, one lookup item per identity listed. The contact item joins
 * its person's gsi3 partition (`CONTACT#<contactKey>`), so a person is reached even where the hub has
 * no conversation with them (a STOP to a campaign): erasure and export find them by their contactId.
 * Once the item lists MAX_CONTACT_ITEM_IDENTITIES, identities it does not list yet are not indexed at
 * all (no identity item either: erasure finds identity items from the set); concurrent calls may
 * overshoot by one call's identities, as the bound is checked before the union. Returns how many of
 * `identities` the item does not list (0 but for a full item), for the caller to report.
 */
export const indexContact = async (
  context: TableContext,
  channel: Channel,
  contactKey: string,
  identities: readonly ChannelIdentity[],
  contactId: string,
  /** A consent event knows fewer of the contact's identities than its conversation: it only fills a gap. */
  { keepPerson = false }: { readonly keepPerson?: boolean } = {},
): Promise<number> => {
  const person = contactsByPersonKeys(contactId, contactKey);
  const gsi3 = keepPerson
    ? 'gsi3pk = if_not_exists(gsi3pk, :gsi3pk), gsi3sk = if_not_exists(gsi3sk, :gsi3sk)'
    : 'gsi3pk = :gsi3pk, gsi3sk = :gsi3sk';
  const update = {
    TableName: context.tableName,
    Key: marshall(contactItemKey(contactKey)),
    ReturnConsumedCapacity: 'TOTAL' as const,
  };
  const values = { ':channel': channel, ':gsi3pk': person.gsi3pk, ':gsi3sk': person.gsi3sk };
  let listed: readonly ChannelIdentity[] = identities;
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        ...update,
        UpdateExpression: `SET #channel = :channel, ${gsi3} ADD #identities :identities`,
        ConditionExpression: 'attribute_not_exists(#identities) OR size(#identities) < :max',
        ExpressionAttributeNames: { '#channel': 'channel', '#identities': 'identities' },
        ExpressionAttributeValues: marshall({
          ...values,
          ':identities': new Set(identities.map(boundedIdentityKey)),
          ':max': MAX_CONTACT_ITEM_IDENTITIES,
        }),
      }),
    );
    track(context, 'UpdateItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // A refused write is a request too (its answer names no capacity).
    track(context, 'UpdateItem', {});
    // Full: the rest of the update without the union; its answer is the item as written (the set
    // included, read with the write), which says which of these identities it already lists (a
    // redelivery after a crash before the identity items were put).
    const output = await context.client.send(
      new UpdateItemCommand({
        ...update,
        UpdateExpression: `SET #channel = :channel, ${gsi3}`,
        ExpressionAttributeNames: { '#channel': 'channel' },
        ExpressionAttributeValues: marshall(values),
        ReturnValues: 'ALL_NEW',
      }),
    );
    track(context, 'UpdateItem', output);
    const known = new Set(identitiesOf(output.Attributes ? unmarshall(output.Attributes) : undefined));
    listed = identities.filter((identity) => known.has(boundedIdentityKey(identity)));
  }
  for (const identity of listed) {
    const put = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({ ...identityItemKey(identity, contactKey), contactKey, channel }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', put);
  }
  return identities.length - listed.length;
};

/**
 * The contact keys a channel contact's consent is written and read under: its primary identity's,
 * and for WhatsApp every other identifier's too. A WhatsApp customer is named by wa_id, by BSUID or
 * by both, and each webhook carries whichever Meta put in it: the conversation may have been opened
 * under one and the opt-out come under the other. So the recorder writes a consent change under
 * every identifier the event names, and the sender reads it under every identifier the
 * conversation knows: an opt-out under any of them refuses at once (until 2026-12-04 both used the
 * first identifier alone, and a stop carried under the other one was not seen; found by a review,
 * `tests/outbound/whatsapp-identifier-opt-outs.test.ts`). A placeholder is never a key of its own
 * (it stands for nobody in particular). Other channels keep one key: an SMS contact has one number,
 * and the addresses of an e-mail thread are not all one person's consent; but an e-mail contact
 * recorded before 2026-12-06 from a From that wrote an internationalised domain in ASCII
 * (`dora@xn--mller-kva.de`) is also read and written under the one form every e-mail identity now
 * takes (`dora@müller.de`, canonicalEmailAddress), which her complaints are named in since then.
 * At most as many keys as a conversation keeps identities (an e-mail contact's: two).
 */
export const consentKeysFor = (channel: Channel, contact: Contact): string[] => {
  const keys = new Set([contactKeyFor(channel, contact)]);
  if (channel === 'email') {
    const [primary] = contact.identities;
    if (primary?.type === 'email')
      keys.add(
        contactKeyFor(channel, { identities: [{ ...primary, value: canonicalEmailAddress(primary.value) }] }),
      );
    return [...keys];
  }
  if (channel !== 'whatsapp') return [...keys];
  for (const identity of contact.identities.slice(0, MAX_CONTACT_IDENTITIES))
    if (!isPlaceholder(identity)) keys.add(contactKeyFor(channel, { identities: [identity] }));
  return [...keys];
};

type ConsentValue = z.output<typeof ConsentValueSchema>;

/**
 * Of one scope's values under two keys of one customer (consentKeysFor): the later change; at the
 * same time, the opt-out (a STOP must not be lost to a tie).
 */
const laterConsent = (a: ConsentValue | undefined, b: ConsentValue | undefined): ConsentValue | undefined => {
  if (!a || !b) return a ?? b;
  if (a.at !== b.at) return a.at > b.at ? a : b;
  return b.consent === 'opted_out' ? b : a;
};

/** Per register, the later change among several keys' registers (laterConsent). */
const latestOf = (all: readonly ContactConsent[]): ContactConsent => {
  const merged: Record<string, ConsentValue | undefined> = {};
  for (const registers of all)
    for (const [name, value] of Object.entries(registers) as [string, ConsentValue | undefined][])
      merged[name] = laterConsent(merged[name], value);
  return Object.fromEntries(
    Object.entries(merged).filter(([, value]) => value !== undefined),
  ) as ContactConsent;
};

/** Per scope, the later of a contact's own register and the one an erasure kept for it. */
const withKept = (current: ContactConsent, keptItem: Record<string, unknown> | undefined): ContactConsent => {
  const merged: Record<string, unknown> = { ...current };
  for (const [scope, value] of Object.entries(readRegisters(keptItem, CONTACT_REGISTERS))) {
    const mine = merged[scope] as { at: string } | undefined;
    if (value && (!mine || value.at > mine.at)) merged[scope] = value;
  }
  return merged as ContactConsent;
};

/**
 * A contact's consent registers, and the opt-outs kept for it if it was ever erased (a consistent
 * BatchGetItem of the contact item and the legacy key, then a GetItem of the keyed key:
 * readKeptSuppressions, suppressions.ts): per scope,
 * the later of the two wins, so a STOP outlives erasure and a START after it still counts. A kept
 * item found under its legacy (unkeyed) key is moved to the keyed one (suppressions.ts). Empty for
 * a contact the hub never indexed. With several keys (a WhatsApp customer's identifiers,
 * consentKeysFor), the same two requests read them all (a BatchGetItem each), and per scope the
 * latest change under any of them wins.
 */
export const readContactConsent = async (
  context: TableContext,
  pseudonymKey: PseudonymKeySource,
  contactKeys: string | readonly string[],
): Promise<ContactConsent> => {
  const keys = typeof contactKeys === 'string' ? [contactKeys] : [...new Set(contactKeys)];
  const key = await pseudonymKey();
  const read = await readKeptSuppressions(context, key, keys, keys.map(contactItemKey));
  const perKey: ContactConsent[] = [];
  for (const contactKey of keys) {
    const current = await withoutLegacyHelp(
      context,
      contactKey,
      readRegisters(
        read.items.find((item) => item.pk === contactItemKey(contactKey).pk),
        CONTACT_REGISTERS,
      ),
    );
    const kept = read.kept(contactKey);
    await moveLegacySuppression(context, key, kept);
    perKey.push(withKept(current, kept.item));
  }
  return latestOf(perKey);
};

const LedgerChangeSchema = z.looseObject({
  pk: z.string(),
  sk: z.string(),
  consent: ConsentValueSchema.shape.consent,
  trigger: z.string().nullable(),
  at: z.string(),
  eventId: z.string(),
});

/**
 * Among a contact's items, the latest ledger entry of `scope` that is not a HELP: what a register an
 * old HELP overwrote stands for (the sender's read below, and erasure's). Undefined when there is none.
 */
export const latestChangeBesideHelp = (
  items: readonly Record<string, unknown>[],
  contactKey: string,
  scope: string,
): z.output<typeof LedgerChangeSchema> | undefined => {
  const { pk } = contactItemKey(contactKey);
  const prefix = consentChangePrefix(scope);
  let latest: z.output<typeof LedgerChangeSchema> | undefined;
  for (const item of items) {
    const change = LedgerChangeSchema.safeParse(item);
    if (!change.success || change.data.pk !== pk || !change.data.sk.startsWith(prefix)) continue;
    if (change.data.consent === 'help_requested') continue;
    if (!latest || newestFirst(change.data, latest) < 0) latest = change.data;
  }
  return latest;
};

/**
 * Consent registers as they read now: a HELP written to a scope's register before 2026-12-03 (it has
 * its own since, registers.ts) stood in for the STOP or START before it, so such a register is read
 * as the scope's latest other change in the contact's ledger (one consistent Query, on this path
 * only), or as none. Newer registers never hold a HELP, and cost nothing here.
 */
const withoutLegacyHelp = async (
  context: TableContext,
  contactKey: string,
  registers: ContactConsent,
): Promise<ContactConsent> => {
  const resolved: Record<string, unknown> = { ...registers };
  for (const [name, value] of Object.entries(registers)) {
    if (value?.consent !== 'help_requested') continue;
    const scope = name.replace(/Consent$/, '');
    const entries = await queryAll(context, {
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': contactItemKey(contactKey).pk,
        ':prefix': consentChangePrefix(scope),
      },
    });
    const latest = latestChangeBesideHelp(entries, contactKey, scope);
    if (latest) resolved[name] = { consent: latest.consent, trigger: latest.trigger, at: latest.at };
    else delete resolved[name];
  }
  return resolved as ContactConsent;
};

const ContactItemSchema = z.looseObject({
  pk: z.string(),
  channel: z.string().optional(),
  identities: z.instanceof(Set).optional(),
});
const IdentityLinkSchema = z.looseObject({ contactKey: z.string(), channel: ChannelSchema });

export interface ContactView {
  readonly contactKey: string;
  readonly channel: Channel;
  /** `type:value`, sorted. */
  readonly identities: string[];
  /** Consent registers by scope (`sms`, `whatsapp_marketing`, `messenger_notifications`, `email`). */
  readonly consent: Record<string, NonNullable<ContactConsent[keyof ContactConsent]>>;
}

/**
 * A contact item's consent registers by scope (`sms`, `whatsapp_marketing`, …); given the items of
 * each of a customer's keys (consentKeysFor), per scope the latest change under any of them.
 */
/** Registers as the API names their scopes (`smsConsent` → `sms`). */
const consentView = (consent: ContactConsent): ContactView['consent'] =>
  Object.fromEntries(
    Object.entries(consent).map(([name, value]) => [name.replace(/Consent$/, ''), value]),
  ) as ContactView['consent'];

export const consentOf = (...items: (Record<string, unknown> | undefined)[]): ContactView['consent'] =>
  consentView(latestOf(items.map((item) => readRegisters(item, CONTACT_REGISTERS))));

/**
 * The consent of each group of channel-contact keys (one customer's: consentKeysFor) as the sender
 * reads it (readContactConsent): each key's registers with the opt-outs an erasure kept under it,
 * the later change of each scope; read only (two BatchGetItem per 100 keys, no migration written).
 */
export const readConsentViews = async (
  context: TableContext,
  pseudonymKey: PseudonymKeySource,
  groups: readonly (readonly string[])[],
): Promise<ContactView['consent'][]> => {
  const keys = [...new Set(groups.flat())];
  const read = await readKeptSuppressions(context, await pseudonymKey(), keys, keys.map(contactItemKey));
  const consentUnder = (contactKey: string): ContactConsent =>
    withKept(
      readRegisters(
        read.items.find((item) => item.pk === contactItemKey(contactKey).pk),
        CONTACT_REGISTERS,
      ),
      read.kept(contactKey).item,
    );
  return groups.map((group) => consentView(latestOf(group.map(consentUnder))));
};

const identitiesOf = (item: Record<string, unknown> | undefined): string[] => {
  const parsed = ContactItemSchema.safeParse(item);
  const identities = parsed.success ? parsed.data.identities : undefined;
  return identities ? [...identities].map(String).sort() : [];
};

const identityOfKey = (key: string): ChannelIdentity => {
  const separator = key.indexOf(':');
  return { type: key.slice(0, separator) as ChannelIdentity['type'], value: key.slice(separator + 1) };
};

/** A channel contact as its key and item store it: the key's channel and primary identity, then the others it lists. */
const storedChannelContact = (
  contactKey: string,
  item: Record<string, unknown> | undefined,
): { channel: string; identities: ChannelIdentity[] } => {
  const separator = contactKey.indexOf('#');
  const primary = contactKey.slice(separator + 1);
  return {
    channel: contactKey.slice(0, separator),
    identities: [primary, ...identitiesOf(item).filter((key) => key !== primary)].map(identityOfKey),
  };
};

/**
 * The person a channel contact is: its contactId, from its primary identity (the key's) and the
 * others it lists. Undefined for a contact known only by a placeholder: that is a person per
 * conversation (contactIdFor), found from the conversation's person, never from the contact.
 */
export const contactPersonOf = (
  contactKey: string,
  item: Record<string, unknown> | undefined,
): string | undefined => {
  const stored = storedChannelContact(contactKey, item);
  return personOfContact(ChannelSchema.parse(stored.channel), {
    identities: stored.identities as Contact['identities'],
  });
};

/** The person a channel contact is (contactPersonOf), from the contact as read. */
export const personOfContact = (channel: Channel, contact: Contact): string | undefined => {
  const { identities } = contact;
  const [first] = identities;
  if (first && isPlaceholder(first) && identities.every((identity) => !strongIdentifierOf(identity)))
    return undefined;
  return contactIdFor(channel, contact, '');
};

/**
 * The keys of the channel contacts listed under a person (gsi3 `CONTACT#…` entries, one Query):
 * those the hub knows without a conversation too, such as a STOP to a campaign from someone who
 * never wrote.
 */
export const personListedContactKeys = async (context: TableContext, contactId: string): Promise<string[]> =>
  (
    await queryAll(context, {
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND begins_with(gsi3sk, :contacts)',
      ExpressionAttributeValues: {
        ':pk': contactsConversationsPartition(contactId),
        ':contacts': PERSON_CONTACT_PREFIX,
      },
    })
  ).map((item) => contactKeyOfItem(keyOf(item)));

/**
 * Channel contacts as their items store them (one BatchGetItem per 100): the channel, the primary
 * identity (the key's) and the others each lists.
 */
export const channelContactsOf = async (
  context: TableContext,
  contactKeys: readonly string[],
): Promise<{ contactKey: string; channel: Channel; contact: Contact }[]> => {
  if (contactKeys.length === 0) return [];
  const items = await batchGetItems(
    context,
    contactKeys.map((key) => contactItemKey(key)),
    { consistent: false },
  );
  const byPk = new Map(items.map((item) => [String(item.pk), item]));
  return contactKeys.flatMap((contactKey) => {
    const { channel, identities } = storedChannelContact(contactKey, byPk.get(contactItemKey(contactKey).pk));
    const known = ChannelSchema.safeParse(channel);
    return known.success
      ? [{ contactKey, channel: known.data, contact: { identities: identities as Contact['identities'] } }]
      : [];
  });
};

/**
 * Moves a channel contact's gsi3 entry to another person's partition, if it is still in `from`'s
 * (conditional: a contact indexed again meanwhile stays where that put it). An unmerge moves back a
 * contact indexed under the survivor while its person was merged, and an erasure one it finds listed
 * under the person it erases that resolves to someone else. Whether it moved.
 */
export const moveContactPerson = async (
  context: TableContext,
  contactKey: string,
  from: string,
  to: string,
): Promise<boolean> => {
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(contactItemKey(contactKey)),
        UpdateExpression: 'SET gsi3pk = :to',
        ConditionExpression: 'gsi3pk = :from',
        ExpressionAttributeValues: marshall({
          ':from': contactsConversationsPartition(from),
          ':to': contactsConversationsPartition(to),
        }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

/** Every contact (one per channel) that has this identity, with its identities and consent. */
export const findContactsByIdentity = async (
  context: TableContext,
  identity: ChannelIdentity,
): Promise<ContactView[]> => {
  const output = await context.client.send(
    new QueryCommand({
      TableName: context.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: marshall({ ':pk': identityPartition(identity) }),
    }),
  );
  const links = (output.Items ?? []).flatMap((raw) => {
    const link = IdentityLinkSchema.safeParse(unmarshall(raw));
    return link.success ? [link.data] : [];
  });
  const items = await batchGetItems(
    context,
    links.map((link) => contactItemKey(link.contactKey)),
  );
  const byPk = new Map(items.map((item) => [String(item.pk), item]));
  return links.map((link) => {
    const item = byPk.get(contactItemKey(link.contactKey).pk);
    return {
      contactKey: link.contactKey,
      channel: link.channel,
      identities: identitiesOf(item),
      consent: consentOf(item),
    };
  });
};

/** Every item of a Query, page after page (a person's partitions are small). */
export const queryAll = async (
  context: TableContext,
  input: {
    IndexName?: string;
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
    /** Of the table only (an index is always read eventually consistently). */
    ConsistentRead?: boolean;
  },
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const output = await context.client.send(
      new QueryCommand({
        TableName: context.tableName,
        ...(input.IndexName ? { IndexName: input.IndexName } : {}),
        ...(input.ConsistentRead ? { ConsistentRead: true } : {}),
        KeyConditionExpression: input.KeyConditionExpression,
        ExpressionAttributeValues: marshall(input.ExpressionAttributeValues),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'Query', output);
    items.push(...(output.Items ?? []).map((raw) => unmarshall(raw)));
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return items;
};

export const keyOf = (item: Record<string, unknown>): ItemKey => ({
  pk: String(item.pk),
  sk: String(item.sk),
});

/**
 * A channel contact's own items, and the person it is (contactPersonOf): the contact item, its
 * identity items and the conversations its identifiers claimed. Expired items count: they are still
 * stored.
 */
export const contactRecords = async (
  context: TableContext,
  contactKey: string,
): Promise<{ readonly keys: ItemKey[]; readonly person: string | undefined }> => {
  const keys: ItemKey[] = [];
  const contactItems = await queryAll(context, {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': contactItemKey(contactKey).pk },
  });
  keys.push(...contactItems.map(keyOf));
  const contactItem = contactItems.find((item) => item.sk === contactItemKey(contactKey).sk);
  for (const identity of identitiesOf(contactItem)) {
    keys.push(identityItemKey(identityOfKey(identity), contactKey));
    // The conversations the identifier claimed, on every endpoint.
    const claims = await queryAll(context, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :claim)',
      ExpressionAttributeValues: {
        ':pk': identityPartition(identityOfKey(identity)),
        ':claim': IDENTITY_CLAIM_PREFIX,
      },
    });
    keys.push(...claims.map(keyOf));
  }
  return { keys, person: contactPersonOf(contactKey, contactItem) };
};

/**
 * Every item of a conversation, by the reach the key catalogue gives each kind: the conversation
 * item and the send reservations beside it, its messages, the hub's sends in it and the
 * counted-markers of its messages not recorded yet (gsi2, gsi3), everything in those messages'
 * partitions (message state, send bookkeeping), and the state of the hub's sent messages under
 * their provider messages' ids. Statuses of a message the hub never recorded (sent outside it,
 * never echoed) are not reached: they carry no identifier or text, only a status, and expire with
 * the message-state retention.
 */
/** Message partitions one conversation's footprint reads at once (erasure reads 16 conversations at once). */
const MESSAGE_PARTITIONS_AT_ONCE = 4;

export const conversationFootprint = async (
  context: TableContext,
  conversationId: string,
): Promise<ItemKey[]> => {
  const keys: ItemKey[] = [conversationKey(conversationId)];
  // The rest of its partition: the Idempotency-Keys the helpdesk API reserved (send-reservations.ts),
  // and the marker of changes not announced yet (pending-announcements.ts). Beside it, at once (none
  // depends on another), the messages (gsi2), the hub's sends, recorded or not, and the
  // counted-markers of messages whose record is not written yet (gsi3, keys only).
  const [partition, ...indexed] = await Promise.all([
    queryAll(context, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': conversationKey(conversationId).pk },
    }),
    ...(
      [
        ['gsi2', conversationMessagesPartition(conversationId)],
        ['gsi3', conversationSendsPartition(conversationId)],
        ['gsi3', conversationMarkersPartition(conversationId)],
      ] as const
    ).map(([index, pk]) =>
      queryAll(context, {
        IndexName: index,
        KeyConditionExpression: `${index}pk = :pk`,
        ExpressionAttributeValues: { ':pk': pk },
      }),
    ),
  ]);
  keys.push(...partition.map(keyOf).filter((key) => kindOfKey(key) !== 'conversation'));
  const messagePartitions = [...new Set(indexed.flat().map((message) => String(message.pk)))];
  // Each message's partition, a few at a time (a long conversation has many), in the order found.
  const found = await mapConcurrently(messagePartitions, MESSAGE_PARTITIONS_AT_ONCE, async (pk) => {
    const partition = await queryAll(context, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
    });
    const partitionKeys = partition.map(keyOf);
    // A send's own message key too, recorded or not (a send that failed is no message record):
    // erasure leaves a tombstone there, so a late echo naming the send (its correlation id) reads
    // as the hub's own and is not recorded as a new message of the erased person.
    if (partition.some((item) => item.sk === sendKey('').sk))
      partitionKeys.push(messageKey(hubMessageIdOfKey({ pk, sk: sendKey('').sk })));
    for (const id of new Set(partition.flatMap(sentMessageStateIds))) {
      const state = await queryAll(context, {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': messageStateKey(id).pk },
      });
      // The record key of each provider message a send became, too: a late echo of it, found by
      // its own id, then reads as recorded (its tombstone) and is skipped.
      partitionKeys.push(...state.map(keyOf), messageStateKey(id), messageKey(id));
    }
    return partitionKeys;
  });
  keys.push(...found.flat());
  return keys;
};

/**
 * Every item of a contact: its own (contactRecords) and, for a contact that is a person of its
 * own, every item of that person's conversations (gsi3, conversationFootprint). A person's erasure
 * and export do not come through here: they take the conversations of the person's partition.
 */
export const contactFootprint = async (context: TableContext, contactKey: string): Promise<ItemKey[]> => {
  const { keys, person } = await contactRecords(context, contactKey);
  if (person === undefined) return keys;
  const conversations = await queryAll(context, {
    IndexName: 'gsi3',
    KeyConditionExpression: 'gsi3pk = :pk AND begins_with(gsi3sk, :conv)',
    ExpressionAttributeValues: {
      ':pk': contactsConversationsPartition(person),
      ':conv': PERSON_CONVERSATION_PREFIX,
    },
  });
  for (const conversation of conversations)
    keys.push(...(await conversationFootprint(context, conversationIdOfKey(keyOf(conversation)))));
  return keys;
};

/**
 * A message the hub sent is recorded under its own id, but its statuses, the customer's reactions
 * to it and their times are written under the ids its provider messages give (message-live.ts):
 * the partitions of those ids, and their state items whether or not one is written yet (erasure
 * leaves a tombstone in each, so a late status or reaction is refused rather than recorded afresh).
 * A send's bookkeeping names them too (the ids the provider accepted, and those the recorder linked
 * to it): a send that failed after a part went out is never a message record, but that part's
 * statuses and reactions are written all the same.
 */
const sentMessageStateIds = (item: Record<string, unknown>): string[] => {
  if (item.sk === sendKey('').sk) {
    const send = storedSendOf(item);
    if (!send?.plan) return [];
    const { channel } = send.plan;
    const own = hubMessageIdOfKey(keyOf(item));
    return [...send.providerIds, ...Object.values(send.links)]
      .map((id) => hubMessageIdFor(channel, id))
      .filter((id) => id !== own);
  }
  if (item.sk !== messageKey('').sk) return [];
  const stored = storedMessageOf(item);
  if (!stored) return [];
  const own = hubMessageIdOfKey(keyOf(item));
  return liveStateIdsOf(own, stored.message).filter((id) => id !== own);
};

/**
 * Claims, for a conversation about to be created, each of its contact's identifiers on the
 * endpoint (placeholders excepted: they stand for nobody in particular). A claim is conditional:
 * the first conversation to claim an identifier keeps it, so two first messages of one customer
 * that race (a wa_id in one, the wa_id and the BSUID in the other) meet in one conversation.
 * Returns the conversation that holds a claim first, if another one does; claiming again for
 * the same conversation (a redelivery) is a no-op.
 */
export const claimIdentities = async (
  context: TableContext,
  channel: Channel,
  endpointId: string,
  identities: readonly ChannelIdentity[],
  conversationId: string,
): Promise<string | undefined> => {
  for (const identity of identities) {
    if (isPlaceholder(identity)) continue;
    const key = identityClaimKey(identity, channel, endpointId);
    try {
      const output = await context.client.send(
        new PutItemCommand({
          TableName: context.tableName,
          Item: marshall({ ...key, conversationId, channel }),
          ConditionExpression: 'attribute_not_exists(pk) OR conversationId = :mine',
          ExpressionAttributeValues: marshall({ ':mine': conversationId }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'PutItem', output);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const held = await context.client.send(
        new GetItemCommand({
          TableName: context.tableName,
          Key: marshall(key),
          ConsistentRead: true,
          ProjectionExpression: 'conversationId',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'GetItem', held);
      const owner = held.Item ? unmarshall(held.Item).conversationId : undefined;
      if (typeof owner === 'string' && owner !== conversationId) return owner;
    }
  }
  return undefined;
};

/**
 * Another conversation of the same customer on the same channel and endpoint, known under another
 * of their identities (a WhatsApp customer seen first by wa_id, now by BSUID alone, or the other way
 * round): one consistent Query per identity of the contact, one GetItem per candidate.
 */
export const findLinkedConversation = async (
  context: TableContext,
  channel: Channel,
  endpointId: string,
  contact: Contact,
): Promise<string | undefined> => {
  const own = contactKeyFor(channel, contact);
  const candidates = new Set<string>();
  for (const identity of contact.identities) {
    const output = await context.client.send(
      new QueryCommand({
        TableName: context.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': identityPartition(identity) }),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'Query', output);
    for (const raw of output.Items ?? []) {
      const link = IdentityLinkSchema.safeParse(unmarshall(raw));
      if (!link.success || link.data.channel !== channel || link.data.contactKey === own) continue;
      candidates.add(conversationIdFor(channel, endpointId, link.data.contactKey.slice(channel.length + 1)));
    }
  }
  for (const conversationId of candidates) {
    const found = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(conversationKey(conversationId)),
        ConsistentRead: true,
        ProjectionExpression: 'pk, aliasOf',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'GetItem', found);
    if (found.Item && !found.Item.aliasOf) return conversationId;
  }
  return undefined;
};

/**
 * The conversation ids made aliases of these conversations, and aliases of those, wherever they are
 * filed. An alias sits in the gsi3 partition of the person whose identifier opened it, who need not
 * be the person of the conversation it stands for (a BSUID alone joining the conversation of the
 * customer's phone number is a person of its own), so a person's partition does not list it. Only
 * WhatsApp conversations are linked (shared/recorder/record-event.ts), and an alias's id is the one
 * the webhook derived from the primary identifier of the message that opened it, which the
 * conversation that message joined learned: one consistent BatchGetItem of the ids each identifier
 * of those conversations' contacts derives, keeping the items that are aliases of `reached` (a
 * conversation of its own under another identifier stays: it is another person until a merge).
 */
export const conversationAliases = async (
  context: TableContext,
  conversations: readonly ConversationState[],
  /** Every conversation id already reached (the conversations and the aliases the person's partition lists). */
  reached: ReadonlySet<string>,
): Promise<ItemKey[]> => {
  const ids = new Set(reached);
  const candidates = new Map<string, ItemKey>();
  for (const state of conversations) {
    if (state.channel !== 'whatsapp') continue;
    for (const identity of state.contact.identities) {
      const id = contactConversationId(state.channel, state.endpoint, identity);
      if (!ids.has(id)) candidates.set(id, conversationKey(id));
    }
  }
  const targets = new Map<string, string>();
  for (const item of await batchGetItems(context, [...candidates.values()])) {
    const parsed = AliasItemSchema.safeParse(item);
    if (parsed.success) targets.set(conversationIdOfKey(keyOf(item)), parsed.data.aliasOf);
  }
  const aliases: ItemKey[] = [];
  // An alias of an alias (two racing first messages met) follows the alias it points at.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [id, target] of targets) {
      if (!ids.has(target)) continue;
      ids.add(id);
      targets.delete(id);
      aliases.push(conversationKey(id));
      grew = true;
    }
  }
  return aliases;
};

const AliasItemSchema = z.looseObject({ aliasOf: z.string() });
