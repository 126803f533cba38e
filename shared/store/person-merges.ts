import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { ContactIdSchema } from '#shared/contract/common.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { mapConcurrently } from './concurrency.ts';
import { contactPersonOf, keyOf, moveContactPerson, queryAll } from './contacts.ts';
import { conversationViewOf, setConversationPerson } from './conversations.ts';
import { epochSeconds, isConditionFailure } from './item-rules.ts';
import {
  contactKeyOfItem,
  contactsConversationsPartition,
  conversationIdOfKey,
  conversationKey,
  discardedIdOfMergeKey,
  type ItemKey,
  kindOfKey,
  PERSON_CONVERSATION_PREFIX,
  PERSON_MERGE_PREFIX,
  PERSON_UNMERGED_PREFIX,
  personMergeIndexKeys,
  personMergeKey,
} from './keys.ts';
import { batchGetItems, type TableContext, track } from './table.ts';

/*
 * Explicit merges of people by the helpdesk (automatic links happen only on strong identifiers,
 * shared/domain/contact-identity.ts). A merge is one item under the discarded person
 * (`PERSON#<discarded>` / `MERGED`: into whom, why, when), listed in gsi3 under the surviving
 * person. A person's id resolves through these items to the person that stands for them now; every
 * conversation sits in the gsi3 partition of that person, with that `contactId` in its state.
 * A merge moves the discarded person's conversations; an unmerge marks the item undone and moves
 * back every conversation, and every channel contact, whose own person no longer resolves to where
 * it is. Neither touches the address a conversation replies to. An undone merge stays
 * UNMERGE_RECORD_SECONDS as the record of the unmerge (when, why, what moved back), so a retried
 * unmerge answers the same and publishes the same event; it is no merge for any reader, and a new
 * merge of the same person replaces it.
 *
 * A merge is checked again once its item is written: merges made meanwhile (the other way, or round a
 * longer chain), or left by tries that crashed before that check, may have closed a cycle with it.
 * Of a cycle, exactly one merge is withdrawn, the same whoever looks: the latest of those not yet
 * checked, then the greatest discarded id (see withdrawnOf). A merge in no cycle is marked `checked`,
 * and only then moves conversations and answers; a checked merge is never withdrawn. Every cycle
 * holds a merge that is not checked (of its merges, the one checked last saw them all), so any try of
 * any of its merges removes it. A merge or unmerge that runs into a cycle (through its own merge or
 * further on) removes it before it marks, or moves to, anything (settledPerson). A reader resolving
 * through it (the recorder) answers the person it will most likely resolve to once a merge is
 * withdrawn: a guess, wrong while the latest unchecked merge is about to be checked by its own try
 * (whose moves then carry what was filed under its discarded person along).
 */

/** How long an undone merge is kept as the record of its unmerge: far beyond any client's retries. */
const UNMERGE_RECORD_SECONDS = 30 * 24 * 3_600;

/** Longest chain of merges followed (A into B into C…); a longer one is refused when merging. */
export const MAX_MERGE_DEPTH = 8;
/**
 * Most people in one merge tree (a person and everyone merged into them, and into those…): what an
 * erasure or export walks (erasure.ts), and a read of the person (peopleMergedInto); a merge that
 * would put more in one tree is refused.
 */
export const MAX_MERGED_PEOPLE = 64;
/**
 * Merges followed when a merge looks for a cycle through itself: beyond MAX_MERGE_DEPTH, as racing
 * merges may join chains that each passed the depth check. Also the bound on its rounds of withdrawals.
 */
const MAX_CYCLE_HOPS = 8 * MAX_MERGE_DEPTH;
/** Passes over a person's partition per merge or unmerge: the second catches a conversation recorded meanwhile. */
const MOVE_PASSES = 2;
/**
 * Conversations moved at once: each move is a conditional update of its own conversation, so the
 * order does not matter, and one after another a person with a thousand conversations (mails
 * forging their From, each a new thread) took two passes of a thousand round trips, past the API's
 * 29 s, so that merge could never finish (noted by a review on 2026-12-06).
 */
const MOVE_CONCURRENCY = 16;

const MergeItemSchema = z.looseObject({
  into: ContactIdSchema,
  reason: z.string(),
  mergedAt: z.string(),
  /**
   * The conversations the merge moved (a string set), each noted before it moved, so a retried merge,
   * or the same merge tried at once, answers the same.
   */
  moved: z.instanceof(Set).optional(),
  /** Set once the written merge found itself in no cycle: it stands, and may move conversations. */
  checked: z.boolean().optional(),
  /** Set by an unmerge: the item is then only the record of it. */
  unmergedAt: z.string().optional(),
  unmergeReason: z.string().optional(),
  /** The conversations the unmerge moved back (a string set). */
  movedBack: z.instanceof(Set).optional(),
});

export interface PersonMerge {
  readonly discardedContactId: string;
  readonly survivingContactId: string;
  readonly reason: string;
  readonly mergedAt: string;
  readonly moved: readonly string[];
}

/** An undone merge: when and why, and the conversations that went back. */
export interface PersonUnmerge {
  readonly unmergedAt: string;
  readonly reason: string;
  readonly movedBack: readonly string[];
}

interface MergeRecord {
  readonly merge: PersonMerge;
  readonly unmerge?: PersonUnmerge;
  /** Found in no cycle once written (a merge written before the flag that moved conversations was). */
  readonly checked: boolean;
}

const mergeRecordOf = (discardedContactId: string, item: Record<string, unknown> | undefined) => {
  const parsed = MergeItemSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const { into, reason, mergedAt, moved, checked, unmergedAt, unmergeReason, movedBack } = parsed.data;
  const merge: PersonMerge = {
    discardedContactId,
    survivingContactId: into,
    reason,
    mergedAt,
    moved: [...(moved ?? [])].map(String),
  };
  // A merge moved conversations only after its check: one written before the flag was, too.
  const wasChecked = checked === true || moved !== undefined;
  return unmergedAt === undefined
    ? { merge, checked: wasChecked }
    : {
        merge,
        checked: wasChecked,
        unmerge: { unmergedAt, reason: unmergeReason ?? '', movedBack: [...(movedBack ?? [])].map(String) },
      };
};

const readMergeRecord = async (
  context: TableContext,
  contactId: string,
): Promise<MergeRecord | undefined> => {
  const output = await context.client.send(
    new GetItemCommand({
      TableName: context.tableName,
      Key: marshall(personMergeKey(contactId)),
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'GetItem', output);
  return mergeRecordOf(contactId, output.Item ? unmarshall(output.Item) : undefined);
};

/** The merge that discarded this person, if one did and was not undone, with whether it was checked. */
const readLiveMerge = async (context: TableContext, contactId: string): Promise<MergeRecord | undefined> => {
  const record = await readMergeRecord(context, contactId);
  return record && !record.unmerge ? record : undefined;
};

/** The merge that discarded this person, if one did (consistent: a merge is read right after it is made). */
export const readMerge = async (context: TableContext, contactId: string): Promise<PersonMerge | undefined> =>
  (await readLiveMerge(context, contactId))?.merge;

/**
 * The people a contactId's merges lead through, itself first (A, B into whom A was merged, C…), and
 * the merge of each person passed (`merges[i]` discarded `people[i]`): at most `hops` merges, not
 * past `stopAt`, nor through a merge made at or after `madeBefore` when given; when a merge leads
 * back to a person passed, `loopsTo` is that person's place.
 */
interface MergeWalk {
  readonly people: readonly string[];
  readonly merges: readonly MergeRecord[];
  readonly loopsTo?: number;
}

const walkMerges = async (
  context: TableContext,
  contactId: string,
  hops: number,
  stopAt?: string,
  madeBefore?: string,
): Promise<MergeWalk> => {
  const people = [contactId];
  const merges: MergeRecord[] = [];
  for (let hop = 0; hop < hops; hop++) {
    const current = people[people.length - 1] as string;
    if (current === stopAt) break;
    const record = await readLiveMerge(context, current);
    if (!record || (madeBefore !== undefined && record.merge.mergedAt >= madeBefore)) break;
    merges.push(record);
    const seen = people.indexOf(record.merge.survivingContactId);
    if (seen >= 0) return { people, merges, loopsTo: seen };
    people.push(record.merge.survivingContactId);
  }
  return { people, merges };
};

/**
 * The merge of a cycle that is withdrawn: of those not checked, the one made last (`mergedAt`), then
 * the one with the greatest discarded id: as a merge made after the others, it is the one that a
 * check in turn would have refused. None when all were checked, which a cycle never is.
 */
const withdrawnOf = (cycle: readonly MergeRecord[]): PersonMerge | undefined => {
  let withdrawn: PersonMerge | undefined;
  for (const { merge, checked } of cycle)
    if (
      !checked &&
      (!withdrawn ||
        merge.mergedAt > withdrawn.mergedAt ||
        (merge.mergedAt === withdrawn.mergedAt && merge.discardedContactId > withdrawn.discardedContactId))
    )
      withdrawn = merge;
  return withdrawn;
};

/** The key of the record of this person's undone merge, if one is kept (an erasure of the person takes it). */
export const unmergeRecordKey = async (context: TableContext, contactId: string) =>
  (await readMergeRecord(context, contactId))?.unmerge ? personMergeKey(contactId) : undefined;

/**
 * The person a contactId stands for now: itself, or where its merges lead (at most MAX_MERGE_DEPTH).
 * `stopAt` is treated as not merged (an unmerge in progress). Through a cycle that merges left (until
 * a try of one of them removes it), the person the cycle's withdrawn merge discarded: where its
 * people will all resolve once it is withdrawn, unless that merge's own try checks it first (see
 * the note at the top). One GetItem per hop; most people were never merged.
 */
/**
 * Where a channel contact listed under someone of the merge tree `tree` (its people) belongs, when
 * not to the tree: undefined when its own person (`own`) is one of them or resolves to one (one
 * GetItem per hop), else the person it resolves to. A contact known only by a placeholder (`own`
 * undefined) has no person of its own and stays with whoever lists it. Erasure and export (which
 * move the others to that person) and a person's reads decide it so.
 */
export const ownerOutsideTree = async (
  context: TableContext,
  tree: ReadonlySet<string>,
  own: string | undefined,
): Promise<string | undefined> => {
  if (own === undefined || tree.has(own)) return undefined;
  const owner = await resolvePerson(context, own);
  return tree.has(owner) ? undefined : owner;
};

export const resolvePerson = async (
  context: TableContext,
  contactId: string,
  stopAt?: string,
): Promise<string> => personOfWalk(await walkMerges(context, contactId, MAX_MERGE_DEPTH, stopAt));

/**
 * The person a contactId stood for at `at`, as far as the merges left say: as resolvePerson, but
 * through merges made before `at` only (one made at that very instant may have come after, so it is
 * not followed; one undone since is no merge to any reader, so it is not followed either). What a
 * retried request compares its first call's people by.
 */
export const resolvePersonAt = async (
  context: TableContext,
  contactId: string,
  at: string,
): Promise<string> => personOfWalk(await walkMerges(context, contactId, MAX_MERGE_DEPTH, undefined, at));

/** Where a walk ends: its last person, or through a cycle the one its withdrawn merge discarded. */
const personOfWalk = ({ people, merges, loopsTo }: MergeWalk): string => {
  const last = people[people.length - 1] as string;
  if (loopsTo === undefined) return last;
  return withdrawnOf(merges.slice(loopsTo))?.discardedContactId ?? last;
};

/** The keys of the merges into a person (their gsi3 `MERGED#` entries: one Query, eventually consistent). */
const mergeKeysInto = async (context: TableContext, contactId: string): Promise<ItemKey[]> =>
  (
    await queryAll(context, {
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND begins_with(gsi3sk, :merged)',
      ExpressionAttributeValues: {
        ':pk': contactsConversationsPartition(contactId),
        ':merged': PERSON_MERGE_PREFIX,
      },
    })
  ).map(keyOf);

/** A person's merge tree below them: its people (themselves first, then level by level), how many merges deep. */
interface MergeTree {
  readonly people: readonly string[];
  readonly depth: number;
}

/**
 * The merge tree below a person (the people merged into them, into those in turn…), walked level by
 * level from their gsi3 `MERGED#` entries (undone merges are listed `UNMERGED#`: not walked); once
 * it holds more than `maxPeople`, its first `maxPeople` and `whole: false`. One gsi3 Query per person
 * walked, those of a level at once.
 */
const walkMergeTree = async (
  context: TableContext,
  contactId: string,
  maxPeople: number,
): Promise<MergeTree & { readonly whole: boolean }> => {
  const seen = new Set([contactId]);
  let frontier = [contactId];
  for (let depth = 0; ; depth++) {
    const next: string[] = [];
    const levels = await Promise.all(frontier.map((person) => mergeKeysInto(context, person)));
    for (const key of levels.flat()) {
      const discarded = discardedIdOfMergeKey(key);
      if (seen.has(discarded)) continue;
      if (seen.size >= maxPeople) return { people: [...seen], depth, whole: false };
      seen.add(discarded);
      next.push(discarded);
    }
    if (next.length === 0) return { people: [...seen], depth, whole: true };
    frontier = next;
  }
};

/** The merge tree below a person, as an erasure walks it (walkMergeTree); undefined once it holds more than `maxPeople`. */
const mergeTreeBelow = async (
  context: TableContext,
  contactId: string,
  maxPeople: number,
): Promise<MergeTree | undefined> => {
  const tree = await walkMergeTree(context, contactId, maxPeople);
  return tree.whole ? tree : undefined;
};

/**
 * The people merged into a person, directly or through others (not the person themselves): whose
 * channel contacts listed without a conversation a read of the person shows, as an erasure or export
 * takes them (a merge moves conversations, not those). At most MAX_MERGED_PEOPLE in all with the
 * person: a larger tree, which only merges into it at the same time build (see mergePeople), is read
 * in part, its first people level by level. One gsi3 Query per person in the tree, the person's
 * included; eventually consistent.
 */
export const peopleMergedInto = async (context: TableContext, contactId: string): Promise<string[]> =>
  (await walkMergeTree(context, contactId, MAX_MERGED_PEOPLE)).people.slice(1);

/** The merges into a person (gsi3, eventually consistent): the audit a person view shows. */
export const mergesInto = async (context: TableContext, contactId: string): Promise<PersonMerge[]> => {
  const found = await batchGetItems(context, await mergeKeysInto(context, contactId), { consistent: false });
  return found.flatMap((item) => {
    const record = mergeRecordOf(discardedIdOfMergeKey(keyOf(item)), item);
    return record && !record.unmerge ? [record.merge] : [];
  });
};

/** The conversation ids (and aliases) in a person's gsi3 partition. */
const conversationIdsOf = async (context: TableContext, contactId: string): Promise<string[]> =>
  (
    await queryAll(context, {
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND begins_with(gsi3sk, :conv)',
      ExpressionAttributeValues: {
        ':pk': contactsConversationsPartition(contactId),
        ':conv': PERSON_CONVERSATION_PREFIX,
      },
    })
  ).map((item) => conversationIdOfKey(keyOf(item)));

/** Whether the hub has any conversation under this person. */
const hasConversations = async (context: TableContext, contactId: string): Promise<boolean> =>
  (await conversationIdsOf(context, contactId)).length > 0;

export type MergeOutcome =
  | { readonly outcome: 'merged'; readonly merge: PersonMerge; readonly conversationIds: string[] }
  | {
      readonly outcome: 'refused';
      readonly reason: 'unknown' | 'same' | 'already-merged' | 'cycle' | 'depth' | 'size';
    };

/** A merge's request: the two people, why, and when (the merge's time). */
interface MergeRequest {
  readonly surviving: string;
  readonly discarded: string;
  readonly reason: string;
  readonly at: string;
}

/**
 * Merges `discarded` into `surviving`: the merge item first (conditional: a person is discarded
 * once), then the check for a cycle through it (settleMerge), then each conversation of the
 * discarded person moved to the surviving one's current person. Running it again with the same pair
 * (a retried request, a crash half-way) checks again, finishes the moves and answers the same merge,
 * or the cycle when this merge is the one a cycle withdrew. So does a try whose put found the person
 * merged meanwhile into the same survivor (the same request twice at once: a double submit, a quick
 * retry); one merged elsewhere meanwhile is refused as already merged.
 */
export const mergePeople = async (context: TableContext, request: MergeRequest): Promise<MergeOutcome> => {
  const { surviving, discarded } = request;
  if (surviving === discarded) return { outcome: 'refused', reason: 'same' };
  const existing = await readMerge(context, discarded);
  if (existing && existing.survivingContactId !== surviving)
    return { outcome: 'refused', reason: 'already-merged' };
  const merge = existing ?? newMerge(request);
  if (!existing) {
    const target = await settledPerson(context, surviving);
    if (target === discarded) return { outcome: 'refused', reason: 'cycle' };
    if (!(await hasConversations(context, target)) || !(await hasConversations(context, discarded)))
      return { outcome: 'refused', reason: 'unknown' };
    const refused = await shapeRefusal(context, merge, target);
    if (refused) return { outcome: 'refused', reason: refused };
    // Merged meanwhile: read again, answered as a retry when into the same survivor (its merge, its
    // event), else refused. Until 2026-12-07 the same request sent twice at once answered 200 and
    // 409 "already merged into another one" (found by a review).
    if (!(await putMerge(context, merge))) return mergePeople(context, request);
  }
  // The checks above ran before the put (a first try), or not at all (a retry).
  if (!(await settleMerge(context, merge))) return { outcome: 'refused', reason: 'cycle' };
  const moved = await moveMerged(context, merge, (contactId) => settledPerson(context, contactId));
  // A try of the same merge at once may have moved some before this one listed them: it noted them
  // first (moveMerged), so they are read here, and every try answers the same conversations.
  const now = await readLiveMerge(context, discarded);
  const noted = now && isSameMerge(now.merge, merge) ? now.merge.moved : merge.moved;
  return {
    outcome: 'merged',
    merge,
    conversationIds: [...new Set([...noted, ...moved])].sort(),
  };
};

const newMerge = (request: MergeRequest): PersonMerge => ({
  discardedContactId: request.discarded,
  survivingContactId: request.surviving,
  reason: request.reason,
  mergedAt: request.at,
  moved: [],
});

/**
 * Why the merge tree a new merge builds would be refused (`target`: the person the survivor stands
 * for), if it would: a chain longer than readers follow, or more people than an erasure walks.
 */
const shapeRefusal = async (
  context: TableContext,
  merge: PersonMerge,
  target: string,
): Promise<'depth' | 'size' | undefined> => {
  // The chain a reader walks after this merge: the longest one of people merged into the
  // discarded person, this merge, and the survivor's own merges. Before 2026-12-04 only the
  // survivor's side was counted, so merges made one onto the next built chains past what readers
  // follow (found by a review).
  const above = (await walkMerges(context, merge.survivingContactId, MAX_MERGE_DEPTH)).people.length;
  if (above >= MAX_MERGE_DEPTH) return 'depth';
  const below = await mergeTreeBelow(context, merge.discardedContactId, MAX_MERGED_PEOPLE - 1);
  if (below && below.depth > MAX_MERGE_DEPTH - above - 1) return 'depth';
  // The tree this merge builds: the discarded person's joins the one under the survivor's top
  // person (`target`), and an erasure or export of that person walks at most MAX_MERGED_PEOPLE.
  // Before 2026-12-05 only the discarded side was counted, so merges one at a time into one person
  // built a tree whose erasure and export answered 500 for good (found by a review). Like the
  // chain's, this check is made before the put, from gsi3 (eventually consistent): two merges into
  // one tree at the same time may each pass it, and the erasure then refuses that tree whole
  // (MergedPeopleLimitError) until an unmerge makes it small enough.
  if (!below || !(await mergeTreeBelow(context, target, MAX_MERGED_PEOPLE - below.people.length)))
    return 'size';
  return undefined;
};

/** Writes a new merge's item, unchecked; false when the person was discarded meanwhile (into anyone). */
const putMerge = async (context: TableContext, merge: PersonMerge): Promise<boolean> => {
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...personMergeKey(merge.discardedContactId),
          ...personMergeIndexKeys(merge.discardedContactId, merge.survivingContactId),
          into: merge.survivingContactId,
          reason: merge.reason,
          mergedAt: merge.mergedAt,
        }),
        // A record of an undone merge of this person is replaced.
        ConditionExpression: 'attribute_not_exists(pk) OR attribute_exists(unmergedAt)',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

/** Most rounds of moves a merge makes after the person it moves to was merged meanwhile (moveMerged). */
const MAX_MOVE_ROUNDS = MAX_MERGE_DEPTH;

/**
 * Moves a checked merge's discarded person's conversations to the person the survivor stands for
 * (`personOf` resolves it), in MOVE_PASSES passes over the discarded person's partition; answers
 * the conversations moved. Those a pass lists are noted on the merge's item before they move
 * (noteMoved), so a try of the same merge at once, which no longer finds them there, answers them
 * too (one erased meanwhile stays noted). That person is resolved again after the passes (one
 * GetItem when they still stand): a merge of them made meanwhile (B into C while this is A into B)
 * may have made its own passes over their partition before these moves landed there, and nothing
 * else would carry them on. So they follow, to the person resolved then, and the passes are made
 * again. Until 2026-12-06 they stayed filed under the discarded B, out of C's journey (found by a
 * review).
 */
const moveMerged = async (
  context: TableContext,
  merge: PersonMerge,
  personOf: (contactId: string) => Promise<string>,
): Promise<Set<string>> => {
  const moved = new Set<string>();
  const noted = new Set(merge.moved);
  let target = await personOf(merge.survivingContactId);
  for (let round = 0; round < MAX_MOVE_ROUNDS; round++) {
    for (let pass = 0; pass < MOVE_PASSES; pass++) {
      const listed = await conversationIdsOf(context, merge.discardedContactId);
      const unnoted = new Set(listed.filter((conversationId) => !noted.has(conversationId)));
      if (unnoted.size > 0) await noteMoved(context, merge, unnoted);
      for (const conversationId of unnoted) noted.add(conversationId);
      await mapConcurrently(listed, MOVE_CONCURRENCY, async (conversationId) => {
        if ((await setConversationPerson(context, conversationId, target)) !== 'gone')
          moved.add(conversationId);
      });
    }
    const now = await personOf(target);
    if (now === target) break;
    const next = now;
    target = next;
    await mapConcurrently(moved, MOVE_CONCURRENCY, async (conversationId) => {
      await setConversationPerson(context, conversationId, next);
    });
  }
  return moved;
};

/** Why the recorder did not link a person (linkPerson); `linked` when it did. */
export type LinkOutcome = 'linked' | 'has-own' | 'already-merged' | 'cycle' | 'depth' | 'size';

/**
 * Links a person the hub has just found to be a customer a helpdesk merge put with another person
 * into that person, as the helpdesk's merge would (one item under them, listed under the
 * survivor): a WhatsApp customer merged by their BSUID alone, whose wa_id a webhook names, brings
 * their phone number's person (`discarded`) to the survivor, so their next conversations under the
 * number, on any channel, land there too, and an erasure or export of the survivor reaches them.
 * Only a person with nothing of their own is linked: no conversation but aliases of the
 * conversation at hand (`conversationId`: a webhook naming both identifiers files its alias under
 * the number's person) and no merge into them; one with conversations of their own is a customer
 * the helpdesk has not judged to be the survivor (`has-own`: left apart). For the recorder, which
 * deletes nothing: a cycle met (a merge of the survivor into that person at the same instant) is
 * left to the tries of the merges that made it (`cycle`; the link is then unchecked, and the first
 * try to walk into the cycle withdraws it, as the latest unchecked merge, or another).
 */
export const linkPerson = async (
  context: TableContext,
  request: MergeRequest & { readonly conversationId: string },
): Promise<LinkOutcome> => {
  const { surviving, discarded } = request;
  const existing = await readMerge(context, discarded);
  if (existing && existing.survivingContactId !== surviving) return 'already-merged';
  const merge = existing ?? newMerge(request);
  if (!existing) {
    if (await hasOwn(context, discarded, request.conversationId)) return 'has-own';
    const target = await resolvePerson(context, surviving);
    if (target === discarded) return 'cycle';
    const refused = await shapeRefusal(context, merge, target);
    if (refused) return refused;
    // Linked meanwhile (two webhooks at once): finished as that link when to the same survivor.
    if (!(await putMerge(context, merge))) return linkPerson(context, request);
  }
  const walk = await walkMerges(context, discarded, MAX_CYCLE_HOPS);
  const own = walk.merges[0];
  if (!own || !isSameMerge(own.merge, merge)) return 'already-merged';
  if (walk.loopsTo !== undefined) return 'cycle';
  if (!own.checked && !(await markChecked(context, merge))) return 'already-merged';
  await moveMerged(context, merge, (contactId) => resolvePerson(context, contactId));
  return 'linked';
};

/**
 * Whether a person has anything of their own a merge would carry: a merge into them, or a
 * conversation other than an alias of `conversationId` (one gsi3 Query each, and one BatchGetItem of
 * the conversations listed, to tell aliases).
 */
const hasOwn = async (context: TableContext, contactId: string, conversationId: string): Promise<boolean> => {
  if ((await mergeKeysInto(context, contactId)).length > 0) return true;
  const listed = await conversationIdsOf(context, contactId);
  if (listed.length === 0) return false;
  const items = await batchGetItems(context, listed.map(conversationKey));
  return listed.length !== items.length || items.some((item) => item.aliasOf !== conversationId);
};

const isSameMerge = (one: PersonMerge, other: PersonMerge): boolean =>
  one.survivingContactId === other.survivingContactId && one.mergedAt === other.mergedAt;

/**
 * The condition that an item is still this very merge (isSameMerge, and not undone): what marking,
 * noting moves on and withdrawing a merge each hold to, as its survivor and time name it.
 */
const THIS_MERGE = '#into = :into AND mergedAt = :at AND attribute_not_exists(unmergedAt)';
const thisMergeValues = (merge: PersonMerge) => ({
  ':into': merge.survivingContactId,
  ':at': merge.mergedAt,
});

/**
 * Adds what this try is about to move to this very merge's item (its `into` and `mergedAt`, not
 * undone). A stale try running on after an unmerge, or after a new merge of the same person replaced
 * its record, adds nothing: `moved` on an item means that merge was checked, and lists what it moved.
 * Its moves are answered all the same, as those of a merge undone meanwhile (the unmerge's passes
 * move them back).
 */
const noteMoved = async (context: TableContext, merge: PersonMerge, moved: ReadonlySet<string>) => {
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(personMergeKey(merge.discardedContactId)),
        UpdateExpression: 'ADD moved :moved',
        ConditionExpression: THIS_MERGE,
        ExpressionAttributeNames: { '#into': 'into' },
        ExpressionAttributeValues: marshall({ ':moved': moved, ...thisMergeValues(merge) }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

/**
 * Whether this written merge stands. Its check ran before its put, when merges made meanwhile (the
 * other way, or round a longer chain) passed theirs too; an earlier try may have crashed before this
 * check, and so may the opposite merge. So, from the merge's own item: while its merges lead back to
 * the discarded person, the cycle's withdrawn merge (withdrawnOf: every try of every merge of it picks
 * the same) is deleted, and the walk made again; once this merge is in no cycle it is marked checked
 * and stands; once it is gone (withdrawn, by this try or another), it does not. A checked merge
 * passes at once unless a cycle goes through it, whose unchecked merge it then withdraws. Each round
 * deletes a merge or finds one checked or gone.
 */
const settleMerge = async (context: TableContext, merge: PersonMerge): Promise<boolean> => {
  for (let round = 0; round < MAX_CYCLE_HOPS; round++) {
    const walk = await walkMerges(context, merge.discardedContactId, MAX_CYCLE_HOPS);
    const own = walk.merges[0];
    if (!own || !isSameMerge(own.merge, merge)) return false;
    if (walk.loopsTo === undefined) {
      if (own.checked || (await markChecked(context, merge))) return true;
      continue;
    }
    // A cycle further on (this merge leads into it) is removed first too: which of its merges goes
    // is only known once one is deleted, as the one picked may be checked by its own try meanwhile.
    await withdrawFrom(context, walk, merge.discardedContactId);
  }
  throw new Error(`the cycle through ${merge.discardedContactId} did not settle`);
};

/** Withdraws the withdrawn merge of the cycle a walk ran into (none there when it was checked meanwhile). */
const withdrawFrom = async (context: TableContext, walk: MergeWalk, from: string): Promise<void> => {
  const withdrawn = withdrawnOf(walk.merges.slice(walk.loopsTo));
  if (!withdrawn) throw new Error(`a cycle of checked merges from ${from}`);
  await withdrawMerge(context, withdrawn);
};

/**
 * The person a contactId stands for, as resolvePerson, but a cycle on the way is removed first
 * (its withdrawn merge deleted, the walk made again) instead of guessed through: for a merge or
 * unmerge, which moves conversations to the person answered.
 */
const settledPerson = async (context: TableContext, contactId: string, stopAt?: string): Promise<string> => {
  for (let round = 0; round < MAX_CYCLE_HOPS; round++) {
    const walk = await walkMerges(context, contactId, MAX_MERGE_DEPTH, stopAt);
    if (walk.loopsTo === undefined) return walk.people[walk.people.length - 1] as string;
    await withdrawFrom(context, walk, contactId);
  }
  throw new Error(`the cycle from ${contactId} did not settle`);
};

/** Marks this very merge checked; false when it is gone (withdrawn meanwhile) or undone. */
const markChecked = async (context: TableContext, merge: PersonMerge): Promise<boolean> => {
  try {
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(personMergeKey(merge.discardedContactId)),
        UpdateExpression: 'SET #checked = :checked',
        ConditionExpression: THIS_MERGE,
        ExpressionAttributeNames: { '#into': 'into', '#checked': 'checked' },
        ExpressionAttributeValues: marshall({ ':checked': true, ...thisMergeValues(merge) }),
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

/**
 * Deletes this very merge item (its `into` and `mergedAt`) while it is unchecked, so before it moved
 * anything: never a merge that was checked meanwhile, an item another merge of the same person
 * wrote after it, nor the record of an unmerge.
 */
const withdrawMerge = async (context: TableContext, merge: PersonMerge): Promise<void> => {
  try {
    const output = await context.client.send(
      new DeleteItemCommand({
        TableName: context.tableName,
        Key: marshall(personMergeKey(merge.discardedContactId)),
        ConditionExpression: `${THIS_MERGE} AND attribute_not_exists(#checked) AND attribute_not_exists(moved)`,
        ExpressionAttributeNames: { '#into': 'into', '#checked': 'checked' },
        ExpressionAttributeValues: marshall(thisMergeValues(merge)),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'DeleteItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

export type UnmergeOutcome =
  | {
      readonly outcome: 'unmerged';
      readonly merge: PersonMerge;
      readonly unmerge: PersonUnmerge;
      readonly conversationIds: string[];
    }
  | { readonly outcome: 'refused'; readonly reason: 'not-merged' };

/**
 * Undoes the merge of `discarded` into `surviving`: every conversation of the person they both
 * stand for whose own person (from its contact, through the merges left) is no longer that person
 * moves back, and so does every channel contact listed under that person (the recorder lists a new
 * contact of the discarded person under the survivor while they are merged), then the merge item
 * becomes the record of the unmerge (when, why, what went back), then a last pass catches a
 * conversation recorded meanwhile. Conversations of people merged into
 * the discarded one go back with it. Running it again (a retried request, a crash half-way) makes
 * the last pass again and answers the same unmerge, for as long as the record is kept.
 */
export const unmergePeople = async (
  context: TableContext,
  request: { surviving: string; discarded: string; reason: string; at: string },
): Promise<UnmergeOutcome> => {
  const record = await readMergeRecord(context, request.discarded);
  if (!record || record.merge.survivingContactId !== request.surviving)
    return { outcome: 'refused', reason: 'not-merged' };
  const { merge } = record;
  const root = await settledPerson(context, request.surviving);
  const moveBack = async (stopAt: string | undefined): Promise<Set<string>> => {
    const moved = new Set<string>();
    // The conversations and channel contacts listed under the person (merges are not moved).
    const listed = (
      await queryAll(context, {
        IndexName: 'gsi3',
        KeyConditionExpression: 'gsi3pk = :pk',
        ExpressionAttributeValues: { ':pk': contactsConversationsPartition(root) },
      })
    )
      .map(keyOf)
      .filter((key) => kindOfKey(key) === 'conversation' || kindOfKey(key) === 'contact');
    const found = await batchGetItems(context, listed);
    const items = found.filter((item) => kindOfKey(keyOf(item)) === 'conversation');
    const people = new Map<string, string>();
    const personOf = async (own: string): Promise<string> => {
      const target = people.get(own) ?? (await settledPerson(context, own, stopAt));
      people.set(own, target);
      return target;
    };
    const targets = new Map<string, string>();
    for (const item of items) {
      const view = conversationViewOf(item);
      if (!view) continue;
      const { channel, contact, conversationId } = view.state;
      targets.set(conversationId, await personOf(contactIdFor(channel, contact, conversationId)));
    }
    // A channel contact the recorder indexed under the survivor while its person was merged goes
    // back too, or an erasure or export of the survivor would take it (one known only by a
    // placeholder has no person of its own: it stays).
    for (const item of found) {
      const key = keyOf(item);
      if (kindOfKey(key) !== 'contact' || item.gsi3pk !== contactsConversationsPartition(root)) continue;
      const own = contactPersonOf(contactKeyOfItem(key), item);
      const target = own === undefined ? root : await personOf(own);
      if (target !== root) await moveContactPerson(context, contactKeyOfItem(key), root, target);
    }
    await mapConcurrently(items, MOVE_CONCURRENCY, async (item) => {
      const conversationId = conversationIdOfKey(keyOf(item));
      // An alias follows the conversation it stands for.
      const target = targets.get(typeof item.aliasOf === 'string' ? item.aliasOf : conversationId);
      if (target === undefined || target === root) return;
      if ((await setConversationPerson(context, conversationId, target)) === 'moved')
        moved.add(conversationId);
    });
    return moved;
  };
  const noteUnmerge = async (movedBack: ReadonlySet<string>, first: boolean): Promise<PersonUnmerge> => {
    const set = first
      ? ['unmergedAt = :at', 'unmergeReason = :reason', 'expiresAt = :expires', 'gsi3sk = :listed']
      : [];
    const output = await context.client.send(
      new UpdateItemCommand({
        TableName: context.tableName,
        Key: marshall(personMergeKey(request.discarded)),
        UpdateExpression: [
          set.length > 0 ? `SET ${set.join(', ')}` : '',
          movedBack.size > 0 ? 'ADD movedBack :movedBack' : '',
        ]
          .filter((clause) => clause.length > 0)
          .join(' '),
        ConditionExpression: first
          ? 'attribute_exists(pk) AND #into = :surviving AND attribute_not_exists(unmergedAt)'
          : 'attribute_exists(unmergedAt)',
        ...(first ? { ExpressionAttributeNames: { '#into': 'into' } } : {}),
        ExpressionAttributeValues: marshall({
          ...(first
            ? {
                ':at': request.at,
                ':reason': request.reason,
                ':expires': epochSeconds(new Date(request.at)) + UNMERGE_RECORD_SECONDS,
                ':listed': `${PERSON_UNMERGED_PREFIX}${request.discarded}`,
                ':surviving': request.surviving,
              }
            : {}),
          ...(movedBack.size > 0 ? { ':movedBack': movedBack } : {}),
        }),
        ReturnValues: 'ALL_NEW',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'UpdateItem', output);
    const noted = mergeRecordOf(
      request.discarded,
      output.Attributes ? unmarshall(output.Attributes) : undefined,
    );
    if (!noted?.unmerge) throw new Error('the unmerge record was not written');
    return noted.unmerge;
  };
  let unmerge = record.unmerge;
  if (!unmerge) {
    const movedBack = await moveBack(request.discarded);
    try {
      unmerge = await noteUnmerge(movedBack, true);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Undone (or merged elsewhere) meanwhile: answered as that.
      return unmergePeople(context, request);
    }
  }
  const late = await moveBack(undefined);
  if (late.size > 0) {
    try {
      unmerge = await noteUnmerge(late, false);
    } catch (error) {
      // Merged again meanwhile: the record is gone, the moves stand.
      if (!isConditionFailure(error)) throw error;
    }
  }
  return {
    outcome: 'unmerged',
    merge,
    unmerge,
    conversationIds: [...new Set([...unmerge.movedBack, ...late])].sort(),
  };
};
