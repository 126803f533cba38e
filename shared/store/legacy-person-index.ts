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
  conversationsByContactKeys,
  type ItemKey,
  isLegacyPersonEntry,
  kindOfKey,
  PERSON_PARTITION_PREFIX,
} from './keys.ts';
import { scanPages, type TableContext, track } from './table.ts';

/*
 * Items written before 2026-12-01 (8e7ed86) are not in their person's gsi3 partition, where every
 * read of a person looks (GET /v1/contacts/{contactId}, its export and erasure, merges, the
 * conversation list by contact): a conversation is listed under its channel contact
 * (`CONTACT#<contactKey>`), or not at all, and a channel contact item is in no partition. A
 * conversation moves by itself at its next save (saveConversation), a contact item at its next
 * indexing with a gsi3 key (indexContact); this moves the rest, once, for `npm run reindex-people`.
 */

export interface ReindexPeopleReport {
  /** Conversation and channel contact items not under their person when the run read them. */
  readonly found: number;
  /** Filed under their person by this run (0 in a dry run). */
  readonly moved: number;
  /** Written by someone else between this run's read and its write: left as that write left them (run again to take any still legacy). */
  readonly changedMeanwhile: number;
  /**
   * Channel contacts known only by a placeholder: a person per conversation, which the contact
   * alone does not name; reached from their conversation as before (its erasure takes the contact).
   */
  readonly withoutPerson: number;
}

/** What the move writes on one item, and on what condition: the item still as the run read it. */
interface Move {
  readonly key: ItemKey;
  readonly keys: { readonly gsi3pk: string; readonly gsi3sk: string };
  readonly condition: string;
  readonly names?: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * Today's gsi3 keys for a legacy item, as the hub would write them: a conversation under its
 * state's person (the stored contactId, or the one StoredStateSchema derives), conditional on its
 * version and its entry (a save meanwhile has filed it already, or changed whom it is with); a
 * contact item under the person of its identities, conditional on having no entry yet (any indexing
 * since wrote one). `undefined` for what is no legacy item, or a contact without a person of its own.
 */
const moveOf = (item: Record<string, unknown>): Move | 'no person' | undefined => {
  const key = { pk: String(item.pk), sk: String(item.sk) };
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
        key,
        keys: conversationsByContactKeys(state.contactId, state.conversationId),
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
        key: contactItemKey(contactKey),
        keys: contactsByPersonKeys(person, contactKey),
        condition: entryAsRead.condition,
        values: entryAsRead.values,
      };
    }
    default:
      return undefined;
  }
};

/** One move: whether it was made (false: the item changed since it was read). */
const applyMove = async (context: TableContext, move: Move): Promise<boolean> => {
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(move.key),
        UpdateExpression: 'SET gsi3pk = :gsi3pk, gsi3sk = :gsi3sk',
        ConditionExpression: move.condition,
        ...(move.names ? { ExpressionAttributeNames: move.names } : {}),
        ExpressionAttributeValues: marshall({
          ...move.values,
          ':gsi3pk': move.keys.gsi3pk,
          ':gsi3sk': move.keys.gsi3sk,
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
 * The operator's one-off (`npm run reindex-people`): every conversation and channel contact item
 * of before 2026-12-01 filed under its person. A Scan of the whole table, a page at a time,
 * filtered to those items (a one-time upgrade: no index leads to an item that is in none, and the
 * legacy partitions are one per contact), then one conditional UpdateItem of the gsi3 keys per item.
 * Safe beside the running hub and again: an item written meanwhile keeps what that write gave it,
 * and a second run finds nothing left. `dryRun` only counts.
 */
export const reindexLegacyPeople = async (
  context: TableContext,
  { dryRun = false }: { readonly dryRun?: boolean } = {},
): Promise<ReindexPeopleReport> => {
  let found = 0;
  let moved = 0;
  let changedMeanwhile = 0;
  let withoutPerson = 0;
  const pages = scanPages(context, {
    expression:
      '((begins_with(pk, :conversations) AND sk = :state) OR (begins_with(pk, :contacts) AND sk = :contact)) AND NOT begins_with(gsi3pk, :person)',
    values: {
      ':conversations': CONVERSATION_PARTITION_PREFIX,
      ':state': 'STATE',
      ':contacts': CONTACT_PARTITION_PREFIX,
      ':contact': 'CONTACT',
      ':person': PERSON_PARTITION_PREFIX,
    },
  });
  for await (const page of pages) {
    for (const item of page) {
      const move = moveOf(item);
      if (move === undefined) continue;
      if (move === 'no person') {
        withoutPerson += 1;
        continue;
      }
      found += 1;
      if (dryRun) continue;
      if (await applyMove(context, move)) moved += 1;
      else changedMeanwhile += 1;
    }
  }
  return { found, moved, changedMeanwhile, withoutPerson };
};
