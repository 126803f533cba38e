import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { z } from 'zod';
import { isConditionFailure } from './item-rules.ts';
import {
  type ItemKey,
  kindOfKey,
  legacySuppressionKey,
  type PseudonymKey,
  SUPPRESSION_PARTITION_PREFIX,
  suppressionKey,
  suppressionKeyOfLegacy,
} from './keys.ts';
import { appliedIdOf, CONTACT_REGISTERS, HELP_REGISTERS, StoredRegisterSchema } from './registers.ts';
import {
  batchGetItems,
  getItem,
  itemsByKey,
  scanPages,
  type TableContext,
  type TableKey,
  track,
} from './table.ts';

/*
 * Kept opt-outs (`SUPPRESS#HMAC#<keyed hash>` / `SUPPRESS`): what an erasure keeps of a contact's
 * consent, with no identifier, so a STOP outlives erasure (keys.ts). Filed under a keyed hash of the
 * contact key; items kept before the pseudonym key sit under its plain SHA-256 (`legacySuppression`).
 * Every reader reads both keys (`readKeptSuppressions`: the legacy key first, the keyed one after),
 * goes by the two merged, and moves a legacy item it finds to the keyed key
 * (`moveLegacySuppression`), so nothing kept is lost and the unkeyed pseudonyms go as their contacts
 * come up again; `npm run rekey-opt-outs` moves the rest at once.
 * The one read of the keyed key alone looks for an id no legacy item can hold
 * (`keyedSuppressionsHold`).
 */

export interface PseudonymKeyReadOptions {
  /**
   * Read the secret again instead of answering the copy kept: asked after the key was refused by
   * the table's check item (shared/store/pseudonym-key-check.ts), so a secret set back to its value
   * is taken up without a new execution environment.
   */
  readonly fresh?: boolean;
}

/** The deployment's pseudonym key, fetched once per process (shared/aws/pseudonym-key.ts). */
export type PseudonymKeySource = (options?: PseudonymKeyReadOptions) => Promise<PseudonymKey>;

type Item = Record<string, unknown>;

/** What was kept for one contact, under either key, as one read found it. */
export interface KeptSuppression {
  readonly keyed?: Item;
  readonly legacy?: Item;
  /** The two merged (per scope the later change, every applied id): what readers go by. */
  readonly item?: Item;
}

/** The keys that hold what was kept for a contact: the keyed one and the legacy one. */
export const suppressionReadKeys = (pseudonymKey: PseudonymKey, contactKey: string): ItemKey[] => [
  suppressionKey(pseudonymKey, contactKey),
  legacySuppressionKey(contactKey),
];

/** Consistent reads of `keys`: a GetItem for one, else BatchGetItem (batchGetItems). */
const readItems = async (context: TableContext, keys: readonly TableKey[]): Promise<Item[]> => {
  const [only] = keys;
  if (keys.length !== 1 || !only) return keys.length === 0 ? [] : batchGetItems(context, keys);
  const item = await getItem(context, only);
  return item ? [item] : [];
};

/** What `readKeptSuppressions` found: the items asked `alongside`, and what was kept per contact. */
export interface KeptSuppressionRead {
  readonly items: Item[];
  readonly kept: (contactKey: string) => KeptSuppression;
}

/**
 * What was kept for each of `contactKeys`, read consistently with the items of `alongside` (keys
 * the caller needs anyway): first the legacy keys, with `alongside` (one BatchGetItem, or a GetItem
 * for a single key), then the keyed keys, once that read has answered. The one rule every reader
 * follows, because a move (a reader's, an erasure's, the rekey's) puts the keyed item before it
 * deletes the legacy one and nothing deletes a keyed item: a legacy item this read misses was
 * deleted before it, so its keyed item was put before it too, and the keyed read after finds it.
 * Both keys in one BatchGetItem would not do: DynamoDB reads its keys independently and in no
 * stated order (and unprocessed keys are asked again later), so a move between the keyed read and
 * the legacy one hides the item from both. The same read units as one BatchGetItem of all of them.
 */
export const readKeptSuppressions = async (
  context: TableContext,
  pseudonymKey: PseudonymKey,
  contactKeys: readonly string[],
  alongside: readonly TableKey[] = [],
): Promise<KeptSuppressionRead> => {
  const legacy = await readItems(context, [...alongside, ...contactKeys.map(legacySuppressionKey)]);
  const keyed = await readItems(
    context,
    contactKeys.map((contactKey) => suppressionKey(pseudonymKey, contactKey)),
  );
  const found = [...legacy, ...keyed];
  return {
    items: legacy.filter((item) =>
      alongside.some((itemKey) => itemKey.pk === item.pk && itemKey.sk === item.sk),
    ),
    kept: (contactKey) => keptSuppressionOf(found, pseudonymKey, contactKey),
  };
};

/**
 * Whether an erasure kept `appliedId` (appliedIdOf) under one of `contactKeys`, from the keyed items
 * alone (one consistent GetItem, or a BatchGetItem for several keys), moving nothing: for the ids of
 * events no legacy item can hold, those first recorded after erasures stopped writing legacy items
 * on 2026-12-03 (a keyed helpdesk consent request's, consent-ledger.ts). Nothing deletes a keyed
 * item, and a move only adds to one, so no race with a move hides such an id from this read.
 */
export const keyedSuppressionsHold = async (
  context: TableContext,
  pseudonymKey: PseudonymKey,
  contactKeys: readonly string[],
  appliedId: string,
): Promise<boolean> =>
  (
    await readItems(
      context,
      [...new Set(contactKeys)].map((contactKey) => suppressionKey(pseudonymKey, contactKey)),
    )
  ).some((item) => item.applied instanceof Set && item.applied.has(appliedId));

type StoredRegister = z.infer<typeof StoredRegisterSchema>;

/** Of two values of one register, the later change (as consent reads them); either may be absent. */
const laterRegister = (mine: unknown, other: unknown): StoredRegister | undefined => {
  const current = StoredRegisterSchema.safeParse(mine);
  const earlier = StoredRegisterSchema.safeParse(other);
  if (!current.success) return earlier.success ? earlier.data : undefined;
  if (!earlier.success) return current.data;
  return earlier.data.order > current.data.order ? earlier.data : current.data;
};

const appliedOf = (item: Item | undefined): string[] =>
  item?.applied instanceof Set ? [...item.applied].map(String) : [];

/** A kept item's content, no key: per register the later of the two, and every applied id. */
const mergeKept = (a: Item | undefined, b: Item | undefined): Item => {
  const registers = Object.fromEntries(
    Object.keys(CONTACT_REGISTERS).flatMap((name) => {
      const register = laterRegister(a?.[name], b?.[name]);
      return register ? [[name, register]] : [];
    }),
  );
  const applied = new Set([...appliedOf(a), ...appliedOf(b)]);
  return { ...registers, ...(applied.size > 0 ? { applied } : {}) };
};

/** A contact's kept items among `items` (read by `readKeptSuppressions`, or any read of its keys). */
export const keptSuppressionOf = (
  items: readonly Item[],
  pseudonymKey: PseudonymKey,
  contactKey: string,
): KeptSuppression => {
  const [keyedKey, legacyKey] = suppressionReadKeys(pseudonymKey, contactKey);
  const itemAt = itemsByKey(items);
  const keyed = keyedKey && itemAt(keyedKey);
  const legacy = legacyKey && itemAt(legacyKey);
  return {
    ...(keyed ? { keyed } : {}),
    ...(legacy ? { legacy } : {}),
    ...(keyed || legacy ? { item: mergeKept(keyed, legacy) } : {}),
  };
};

/** A consent event in the erased contact's ledger, as an erasure keeps its id. */
export interface LedgerEvent {
  readonly eventId: string;
  readonly at: string;
  readonly consent: string;
}

/**
 * How many consent event ids a kept item holds at most (16 bytes each: 1,000 are about 17 KB, well
 * within DynamoDB's 400 KB item limit, however many keywords a number sent before its erasure).
 */
export const MAX_KEPT_EVENT_IDS = 1_000;

/**
 * What an erasure keeps of a contact item (`contact`, if it is still there) over what earlier
 * erasures kept (`kept`): per scope the later of the two if it is an opt-out (a STOP kept still
 * holds unless a later START says otherwise), and the hashed ids of the consent events in the
 * contact's ledger (`ledger`: one stale on arrival moved no register, so only the ledger names it),
 * of those an earlier version's registers remembered, and of those kept before, so a late retry of
 * one is not recorded again. Undefined when there is nothing to keep.
 *
 * At most MAX_KEPT_EVENT_IDS ids, chosen for what a retry could undo: the ledger's opt-ins first,
 * newest first (a Twilio retry of an old START is dated by its arrival, so recorded again it would
 * be the latest change and undo the kept STOP), then its other changes newest first (a retried STOP
 * or HELP only brings the contact's number back), then the ids without a time (an earlier version's
 * register sets, then earlier erasures', all older than the ledger's). Until 2026-12-04 every id
 * was kept, and a number with some 23,000 consent events made the item too large to write: its
 * erasure failed (found by a review, `tests/contacts/consent-ledger.test.ts`). A contact with more
 * opt-ins than that in its ledger keeps the newest: providers retry for days, not for
 * a thousand changes.
 */
export const erasureKeeps = (
  contact: Item | undefined,
  { item: kept }: KeptSuppression,
  ledger: readonly LedgerEvent[] = [],
): Item | undefined => {
  const optOuts = Object.fromEntries(
    Object.keys(CONTACT_REGISTERS).flatMap((name) => {
      const register = laterRegister(contact?.[name], kept?.[name]);
      return register?.value.includes('"opted_out"') ? [[name, register]] : [];
    }),
  );
  const newestFirst = (events: readonly LedgerEvent[]): string[] =>
    [...events].sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? 1 : -1)).map((event) => event.eventId);
  const ranked = [
    ...newestFirst(ledger.filter((event) => event.consent === 'opted_in')),
    ...newestFirst(ledger.filter((event) => event.consent !== 'opted_in')),
  ].map(appliedIdOf);
  // The ids of the consent events applied to it, HELPs' too: a late retry of one is not recorded again.
  const applied = new Set<string>();
  for (const id of [
    ...ranked,
    ...Object.keys({ ...CONTACT_REGISTERS, ...HELP_REGISTERS }).flatMap((name) => {
      const ids = contact?.[`${name}Applied`];
      return ids instanceof Set ? [...ids].map(String) : [];
    }),
    ...appliedOf(kept),
  ]) {
    if (applied.size >= MAX_KEPT_EVENT_IDS) break;
    applied.add(id);
  }
  if (Object.keys(optOuts).length === 0 && applied.size === 0) return undefined;
  return { ...optOuts, ...(applied.size > 0 ? { applied } : {}) };
};

/** Whether `keyed` already holds everything `legacy` does (a move that put it and then stopped). */
const covers = (keyed: Item | undefined, legacy: Item): boolean => {
  if (!keyed) return false;
  const applied = new Set(appliedOf(keyed));
  return (
    Object.keys(CONTACT_REGISTERS).every((name) => {
      const theirs = StoredRegisterSchema.safeParse(legacy[name]);
      if (!theirs.success) return true;
      const mine = StoredRegisterSchema.safeParse(keyed[name]);
      return mine.success && mine.data.order >= theirs.data.order;
    }) && appliedOf(legacy).every((id) => applied.has(id))
  );
};

/** The write count a kept item carries (`version`); none on an item written before it did. */
const versionOf = (item: Item | undefined): number | undefined =>
  typeof item?.version === 'number' ? item.version : undefined;

/** The version of a kept item written over `item` (as read; absent if it was). */
const nextVersion = (item: Item | undefined): number => (versionOf(item) ?? 0) + 1;

/**
 * A condition that holds while an item is as it was read: absent, or at the same version (every
 * write of a kept item counts one more, `nextVersion`). An item written before kept items carried a
 * version (a legacy item, or a keyed one no write has reached since) is still without one, each
 * register at the same order and event and the same number of applied ids. The number alone missed
 * a change at the cap (MAX_KEPT_EVENT_IDS): an erasure that kept a new START's id in the place of an
 * old one left the size as it was, and another erasure that had read the item before overwrote it,
 * dropping that id, until 2026-12-04 (found by a review, `tests/contacts/kept-opt-out-races.test.ts`).
 * A flat conjunction: the local emulator's parser is slow on nested parentheses (registers.ts).
 */
const unchangedCondition = (item: Item | undefined) => {
  if (!item) return { ConditionExpression: 'attribute_not_exists(pk)' };
  const version = versionOf(item);
  if (version !== undefined)
    return {
      ConditionExpression: 'attribute_exists(pk) AND #version = :version',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: marshall({ ':version': version }),
    };
  const names: Record<string, string> = { '#applied': 'applied', '#version': 'version' };
  const values: Record<string, unknown> = {};
  const terms = ['attribute_exists(pk)', 'attribute_not_exists(#version)'];
  for (const [index, name] of Object.keys(CONTACT_REGISTERS).entries()) {
    names[`#r${index}`] = name;
    const register = StoredRegisterSchema.safeParse(item[name]);
    if (register.success) {
      names['#order'] = 'order';
      names['#eventId'] = 'eventId';
      terms.push(`#r${index}.#order = :o${index}`, `#r${index}.#eventId = :e${index}`);
      values[`:o${index}`] = register.data.order;
      values[`:e${index}`] = register.data.eventId;
    } else
      terms.push(`${item[name] === undefined ? 'attribute_not_exists' : 'attribute_exists'}(#r${index})`);
  }
  const applied = appliedOf(item);
  if (applied.length > 0) {
    terms.push('size(#applied) = :applied');
    values[':applied'] = applied.length;
  } else terms.push('attribute_not_exists(#applied)');
  return {
    ConditionExpression: terms.join(' AND '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: marshall(values) } : {}),
  };
};

/** Reads and puts of one erasure's kept item before it gives up (another writer each time). */
const KEEP_ATTEMPTS = 5;

class KeptSuppressionConflictError extends Error {
  override readonly name = 'KeptSuppressionConflictError';
}

/**
 * Writes what an erasure keeps for a contact under the keyed key: `contentOf` what was kept (as
 * `readKeptSuppressions` found it) merged with what the erasure adds, or undefined when it adds
 * nothing (then what was kept is only moved). The put holds only while the keyed item is as read
 * (absent if it was): when another writer changed it in between (a reader moving a legacy item
 * there, another erasure), what was kept is read again and merged again, at most KEEP_ATTEMPTS
 * times, so nothing another writer kept is overwritten. Then the legacy item merged in is deleted,
 * if it has not changed since. What was written, if anything.
 */
export const keepSuppression = async (
  context: TableContext,
  pseudonymKey: PseudonymKey,
  contactKey: string,
  read: KeptSuppression,
  contentOf: (kept: KeptSuppression) => Item | undefined,
): Promise<Item | undefined> => {
  let kept = read;
  for (let attempt = 1; ; attempt++) {
    const content = contentOf(kept);
    if (!content) {
      await moveLegacySuppression(context, pseudonymKey, kept);
      return undefined;
    }
    try {
      const output = await context.client.send(
        new PutItemCommand({
          TableName: context.tableName,
          Item: marshall({
            ...content,
            ...suppressionKey(pseudonymKey, contactKey),
            version: nextVersion(kept.keyed),
          }),
          ...unchangedCondition(kept.keyed),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'PutItem', output);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (attempt >= KEEP_ATTEMPTS)
        throw new KeptSuppressionConflictError(
          `kept opt-out changed by another writer ${KEEP_ATTEMPTS} times while being written`,
        );
      kept = (await readKeptSuppressions(context, pseudonymKey, [contactKey])).kept(contactKey);
      continue;
    }
    if (kept.legacy) await deleteLegacy(context, kept.legacy);
    return content;
  }
};

/** Deletes a legacy item as it was read; false when it changed meanwhile (it stays, and is read). */
const deleteLegacy = async (context: TableContext, legacy: Item): Promise<boolean> => {
  try {
    const output = await context.client.send(
      new DeleteItemCommand({
        TableName: context.tableName,
        Key: marshall({ pk: legacy.pk, sk: legacy.sk }),
        ...unchangedCondition(legacy),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'DeleteItem', output);
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
};

/**
 * Moves a legacy item found by a read to the keyed key: puts the two merged there unless the keyed
 * item already holds it all, then deletes the legacy one. Each write is conditioned on its item
 * being as read, so a move racing another (or an erasure writing the keyed item) never drops what
 * the other wrote: the loser stops, both items stay readable, and the next read moves it. Idempotent:
 * a move that stopped after its put finds the keyed item covering the legacy one and only deletes.
 * Whether the legacy item is gone. The legacy item alone names the keyed key, so the rekey script
 * moves items whose contact key nobody knows.
 */
export const moveLegacySuppression = async (
  context: TableContext,
  pseudonymKey: PseudonymKey,
  kept: Pick<KeptSuppression, 'keyed' | 'legacy'>,
): Promise<boolean> => {
  const { keyed, legacy } = kept;
  if (!legacy) return false;
  if (!covers(keyed, legacy)) {
    const target = suppressionKeyOfLegacy(pseudonymKey, { pk: String(legacy.pk), sk: String(legacy.sk) });
    try {
      const output = await context.client.send(
        new PutItemCommand({
          TableName: context.tableName,
          Item: marshall({ ...mergeKept(keyed, legacy), ...target, version: nextVersion(keyed) }),
          ...unchangedCondition(keyed),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'PutItem', output);
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
  return deleteLegacy(context, legacy);
};

export interface RekeyReport {
  /** Legacy items the scan found. */
  readonly found: number;
  /** Moved to the keyed key, by this run or meanwhile by a reader (0 in a dry run). */
  readonly moved: number;
  /** Changed while being moved (another writer): left for the next read or run. */
  readonly left: number;
}

/**
 * The operator's one-off (`npm run rekey-opt-outs`): every legacy item in the table moved to the
 * keyed key, as a reader would move it. A Scan of the whole table (kept opt-outs have no index), a
 * page at a time, and one BatchGetItem of the keyed items of each page's legacy ones. Idempotent:
 * running it again moves what is left. `dryRun` only counts.
 */
export const rekeyLegacySuppressions = async (
  context: TableContext,
  pseudonymKey: PseudonymKey,
  { dryRun = false }: { readonly dryRun?: boolean } = {},
): Promise<RekeyReport> => {
  let found = 0;
  let moved = 0;
  let left = 0;
  const pages = scanPages(context, {
    expression: 'begins_with(pk, :prefix)',
    values: { ':prefix': SUPPRESSION_PARTITION_PREFIX },
  });
  for await (const page of pages) {
    const legacy = page.filter(
      (item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }) === 'legacySuppression',
    );
    found += legacy.length;
    if (dryRun || legacy.length === 0) continue;
    const targets = legacy.map((item) =>
      suppressionKeyOfLegacy(pseudonymKey, { pk: String(item.pk), sk: String(item.sk) }),
    );
    const keyedItems = await batchGetItems(context, targets);
    for (const [index, item] of legacy.entries()) {
      const keyed = keyedItems.find((candidate) => candidate.pk === targets[index]?.pk);
      if (await moveLegacySuppression(context, pseudonymKey, { ...(keyed ? { keyed } : {}), legacy: item }))
        moved++;
      // A reader that came upon it since the scan moved it (the legacy item is gone): moved too.
      else if ((await readItems(context, [{ pk: String(item.pk), sk: String(item.sk) }])).length === 0)
        moved++;
      else left++;
    }
  }
  return { found, moved, left };
};
