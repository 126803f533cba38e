import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { contactPersonOf } from './contacts.ts';
import { storedConversationOf } from './conversations.ts';
import { isConditionFailure } from './item-rules.ts';
import {
  CONTACT_PARTITION_PREFIX,
  CONVERSATION_PARTITION_PREFIX,
  contactItemKey,
  contactKeyOfItem,
  contactsByPersonKeys,
  conversationMarkersKeys,
  conversationSendsKeys,
  conversationSendsPartition,
  conversationsByContactKeys,
  hubMessageIdOfKey,
  type ItemKey,
  isLegacyPersonEntry,
  kindOfKey,
  messageKey,
  PENDING_REDACTION_PREFIX,
  PERSON_PARTITION_PREFIX,
  sendKey,
} from './keys.ts';
import { pendingRedactionDueKeys, pendingRedactionOf } from './pending-redactions.ts';
import { scanPages, type TableContext, track } from './table.ts';

/*
 * Items whose index entries are not today's, for the operator's one-off upgrade (`npm run
 * reindex-people`, one Scan for all of them):
 * - written before 2026-12-01 (8e7ed86), not in their person's gsi3 partition, where every read of a
 *   person looks (GET /v1/contacts/{contactId}, its export and erasure, merges, the conversation list
 *   by contact): a conversation is listed under its channel contact (`CONTACT#<contactKey>`), or not
 *   at all, and a channel contact item is in no partition. A conversation moves by itself at its next
 *   save (saveConversation), a contact item at its next indexing with a gsi3 key (indexContact);
 * - a send record claimed between 840a19e (2026-11-30) and 7a027d0 (2026-12-01), listed in gsi2 under
 *   `CONVSENDS#<conversationId>`, which nothing reads since: erasure and export find a conversation's
 *   sends in gsi3, and no later write of a send touches its index keys;
 * - a pending redaction written between a29d2b5 and de0a1f0 (2026-12-01), without the gsi4 `REDACT`
 *   entry the attention sweeper retries it from (only another DELETE of the person did);
 * - a counted-marker written before 2026-12-06, without the gsi3 `CONVMARKS#<conversationId>` entry
 *   an erasure of its conversation reaches it from (shared/store/messages.ts).
 * Each is given the entries today's code writes, with one conditional UpdateItem.
 */

/** What the run gives today's index entries to. */
type LegacyKind = 'conversation' | 'contact' | 'send' | 'pendingRedaction' | 'countedMarker';

export interface ReindexPeopleReport {
  /** Items without today's index entries when the run read them, of every kind. */
  readonly found: number;
  /** `found`, by kind (a channel contact without a person of its own is not among them). */
  readonly foundByKind: Readonly<Record<LegacyKind, number>>;
  /** Given today's entries by this run (0 in a dry run). */
  readonly moved: number;
  /** Written by someone else between this run's read and its write: left as that write left them (run again to take any still legacy). */
  readonly changedMeanwhile: number;
  /**
   * Channel contacts known only by a placeholder: a person per conversation, which the contact
   * alone does not name; reached from their conversation as before (its erasure takes the contact).
   */
  readonly withoutPerson: number;
}

/** What the run writes on one item, and on what condition: the item still as the run read it. */
interface Move {
  readonly kind: LegacyKind;
  readonly key: ItemKey;
  /** Today's index keys. */
  readonly set: Readonly<Record<string, string>>;
  /** A legacy index entry nothing reads any more. */
  readonly remove?: readonly string[];
  readonly condition: string;
  readonly names?: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * Today's gsi3 keys for a conversation or channel contact filed the legacy way, as the hub would
 * write them: a conversation under its state's person (the stored contactId, or the one
 * StoredStateSchema derives), conditional on its version and its entry (a save meanwhile has filed
 * it already, or changed whom it is with); a contact item under the person of its identities,
 * conditional on having no entry yet (any indexing since wrote one). `undefined` for what is no
 * legacy item, or a contact without a person of its own.
 */
const personMoveOf = (item: Record<string, unknown>, key: ItemKey): Move | 'no person' | undefined => {
  if (!isLegacyPersonEntry(item.gsi3pk)) return undefined;
  const entryAsRead =
    typeof item.gsi3pk === 'string'
      ? { condition: 'gsi3pk = :was', values: { ':was': item.gsi3pk } }
      : { condition: 'attribute_not_exists(gsi3pk)', values: {} };
  switch (kindOfKey(key)) {
    case 'conversation': {
      const state = storedConversationOf(item).model?.state;
      // An alias has no state: every alias was written under its person (2026-12-01 on).
      if (!state) return undefined;
      return {
        kind: 'conversation',
        key,
        set: conversationsByContactKeys(state.contactId, state.conversationId),
        condition: `#version = :version AND ${entryAsRead.condition}`,
        names: { '#version': 'version' },
        values: { ...entryAsRead.values, ':version': state.version },
      };
    }
    case 'contact': {
      if (typeof item.gsi3pk === 'string') return undefined;
      const contactKey = contactKeyOfItem(key);
      const person = contactPersonOf(contactKey, item);
      if (person === undefined) return 'no person';
      return {
        kind: 'contact',
        key: contactItemKey(contactKey),
        set: contactsByPersonKeys(person, contactKey),
        condition: entryAsRead.condition,
        values: entryAsRead.values,
      };
    }
    default:
      return undefined;
  }
};

/**
 * A send record listed in gsi2 (840a19e..7a027d0): its gsi3 keys as a claim writes them today
 * (conversationSendsKeys), the gsi2 entry removed, conditional on the entry as read (an item deleted
 * meanwhile, by its expiry or an erasure, is not written again).
 */
const sendMoveOf = (item: Record<string, unknown>, key: ItemKey): Move | undefined => {
  const { gsi2pk, gsi3pk, conversationId, acceptedAt } = item;
  if (typeof gsi2pk !== 'string' || !gsi2pk.startsWith(conversationSendsPartition(''))) return undefined;
  if (gsi3pk !== undefined || typeof conversationId !== 'string' || typeof acceptedAt !== 'string')
    return undefined;
  return {
    kind: 'send',
    key,
    set: conversationSendsKeys(conversationId, acceptedAt, hubMessageIdOfKey(key)),
    remove: ['gsi2pk', 'gsi2sk'],
    condition: 'gsi2pk = :was AND attribute_not_exists(gsi3pk)',
    values: { ':was': gsi2pk },
  };
};

/**
 * A pending redaction without its gsi4 entry (a29d2b5..de0a1f0): the entry today's erasure writes
 * after that many attempts (pendingRedactionDueKeys), from its first failure, so the backlog is due
 * at once and oldest first; conditional on its attempts (an erasure call or the sweeper that retried
 * it meanwhile wrote it again, with its entry, or deleted it).
 */
const redactionMoveOf = (item: Record<string, unknown>, key: ItemKey, now: Date): Move | undefined => {
  if (item.gsi4pk !== undefined) return undefined;
  const pending = pendingRedactionOf(item);
  if (!pending) return undefined;
  const failedAt = Date.parse(pending.firstFailedAt);
  return {
    kind: 'pendingRedaction',
    key,
    set: pendingRedactionDueKeys(pending.attempts, Number.isFinite(failedAt) ? new Date(failedAt) : now),
    condition: 'attribute_not_exists(gsi4pk) AND attempts = :attempts',
    values: { ':attempts': pending.attempts },
  };
};

/**
 * A counted-marker without its gsi3 entry (before 2026-12-06): filed under the conversation it names
 * (conversationMarkersKeys), conditional on still being that marker (the record, or an erasure's
 * tombstone, replaces it). One written before markers named their conversation names none: left to
 * its expiry.
 */
const markerMoveOf = (item: Record<string, unknown>, key: ItemKey): Move | undefined => {
  const { counted, claimedBy, gsi3pk } = item;
  if (counted !== true || typeof claimedBy !== 'string' || gsi3pk !== undefined) return undefined;
  return {
    kind: 'countedMarker',
    key,
    set: conversationMarkersKeys(claimedBy, hubMessageIdOfKey(key)),
    condition: 'attribute_not_exists(gsi3pk) AND claimedBy = :claimedBy AND #counted = :counted',
    names: { '#counted': 'counted' },
    values: { ':claimedBy': claimedBy, ':counted': true },
  };
};

/** What the run gives one item it read; `undefined` for an item that has today's entries. */
const moveOf = (item: Record<string, unknown>, now: Date): Move | 'no person' | undefined => {
  const key = { pk: String(item.pk), sk: String(item.sk) };
  switch (kindOfKey(key)) {
    case 'send':
      return sendMoveOf(item, key);
    case 'pendingRedaction':
      return redactionMoveOf(item, key, now);
    case 'message':
      return markerMoveOf(item, key);
    default:
      return personMoveOf(item, key);
  }
};

/** One move: whether it was made (false: the item changed since it was read). */
const applyMove = async (context: TableContext, move: Move): Promise<boolean> => {
  const set = Object.keys(move.set).map((name) => `${name} = :${name}`);
  const remove = move.remove && move.remove.length > 0 ? ` REMOVE ${move.remove.join(', ')}` : '';
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(move.key),
        UpdateExpression: `SET ${set.join(', ')}${remove}`,
        ConditionExpression: move.condition,
        ...(move.names ? { ExpressionAttributeNames: move.names } : {}),
        ExpressionAttributeValues: marshall({
          ...move.values,
          ...Object.fromEntries(Object.entries(move.set).map(([name, value]) => [`:${name}`, value])),
        }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // A refused write is a request too (its answer names no capacity).
    track(context, 'UpdateItem', {});
    return false;
  }
};

/**
 * The operator's one-off (`npm run reindex-people`): every item of the kinds above given today's
 * index entries. A Scan of the whole table, a page at a time, filtered to those items (a one-time
 * upgrade: no index leads to an item that is in none, and the legacy partitions are one per contact
 * or conversation), then one conditional UpdateItem per item. Safe beside the running hub and again:
 * an item written meanwhile keeps what that write gave it, and a second run finds nothing left.
 * `dryRun` only counts.
 */
export const reindexLegacyPeople = async (
  context: TableContext,
  { dryRun = false }: { readonly dryRun?: boolean } = {},
): Promise<ReindexPeopleReport> => {
  const foundByKind: Record<LegacyKind, number> = {
    conversation: 0,
    contact: 0,
    send: 0,
    pendingRedaction: 0,
    countedMarker: 0,
  };
  let moved = 0;
  let changedMeanwhile = 0;
  let withoutPerson = 0;
  const pages = scanPages(context, {
    expression: [
      '(((begins_with(pk, :conversations) AND sk = :state) OR (begins_with(pk, :contacts) AND sk = :contact)) AND NOT begins_with(gsi3pk, :person))',
      '(sk = :send AND begins_with(gsi2pk, :sends))',
      '(begins_with(pk, :person) AND begins_with(sk, :redact) AND attribute_not_exists(gsi4pk))',
      '(sk = :message AND counted = :counted AND attribute_not_exists(gsi3pk))',
    ].join(' OR '),
    values: {
      ':conversations': CONVERSATION_PARTITION_PREFIX,
      ':state': 'STATE',
      ':contacts': CONTACT_PARTITION_PREFIX,
      ':contact': 'CONTACT',
      ':person': PERSON_PARTITION_PREFIX,
      ':send': sendKey('').sk,
      ':sends': conversationSendsPartition(''),
      ':redact': PENDING_REDACTION_PREFIX,
      ':message': messageKey('').sk,
      ':counted': true,
    },
  });
  for await (const page of pages) {
    for (const item of page) {
      const move = moveOf(item, context.now());
      if (move === undefined) continue;
      if (move === 'no person') {
        withoutPerson += 1;
        continue;
      }
      foundByKind[move.kind] += 1;
      if (dryRun) continue;
      if (await applyMove(context, move)) moved += 1;
      else changedMeanwhile += 1;
    }
  }
  const found = Object.values(foundByKind).reduce((sum, count) => sum + count, 0);
  return { found, foundByKind, moved, changedMeanwhile, withoutPerson };
};
