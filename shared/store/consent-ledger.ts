import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { ChannelSchema, ConsentDataSchema } from '#shared/contract/index.ts';
import { queryAll } from './contacts.ts';
import { isConditionFailure } from './item-rules.ts';
import { consentChangeKey, consentChangePrefix, contactItemKey, type ItemKey } from './keys.ts';
import { type LedgerPosition, newestFirst } from './ledger-order.ts';
import { appliedIdOf, timeOrder } from './registers.ts';
import {
  keyedSuppressionsHold,
  moveLegacySuppression,
  type PseudonymKeySource,
  readKeptSuppressions,
} from './suppressions.ts';
import { getItem, type TableContext, track } from './table.ts';

/*
 * The consent ledger's history: one item per change, in the contact's partition (so whatever reaches
 * the contact, export and erasure, reaches its history). The registers on the contact item hold the
 * latest value per scope, which is what the sender consults; these items say how it got there.
 */

export const ConsentLedgerEntrySchema = z.object({
  channel: ChannelSchema,
  scope: ConsentDataSchema.shape.scope,
  consent: ConsentDataSchema.shape.consent,
  trigger: z.string().nullable(),
  source: z.enum(['provider', 'helpdesk']),
  evidence: z.string().optional(),
  at: z.string(),
  eventId: z.string(),
});
export type ConsentLedgerEntry = z.infer<typeof ConsentLedgerEntrySchema>;

/**
 * Idempotent: a redelivered event rewrites its own entry, keyed by its id (not by when the hub
 * received it), so a provider's retry after the ingest queue's deduplication window adds nothing.
 * The entry keeps its earliest time: a Twilio retry is dated by its own receipt (Twilio sends no
 * time of its own), and a STOP retried after the START that followed it must not be listed as the
 * newer of the two (until 2026-12-04 the retry's time replaced the first one; found by a review,
 * `tests/contacts/consent-ledger.test.ts`). One conditional PutItem: written when no entry is there
 * or the one there is no earlier; otherwise the earlier one stays.
 *
 * The entry keeps the register order of that earliest receipt too (`order`: the time, the arrival
 * sequence and the event id, registers.ts), and answers it with its time: the event's registers are
 * written at that order and time, whichever delivery writes them, so a retry overtaken by a later
 * change is stale without the register remembering the events that moved it (a set that grew with
 * every keyword a number sent, past DynamoDB's 400 KB item limit), and a retry never dates a
 * register later than its change. A retry's write (its condition failed) reads the entry once (a
 * consistent GetItem) to learn them; an entry written before entries kept their order answers its
 * time with no arrival, which sorts before that time's every arrival.
 */
export const recordConsentChange = async (
  context: TableContext,
  contactKey: string,
  change: ConsentLedgerEntry,
  order: string,
): Promise<FirstReceipt> => {
  const key = consentChangeKey(contactKey, change.scope, change.eventId);
  if (await putEntry(context, key, change, order)) return { at: change.at, order };
  return firstReceiptOf(await getItem(context, key), change, order);
};

/**
 * What a helpdesk request under an `Idempotency-Key` says, as its ledger entry keeps it: a request
 * with the key is the first one's retry only with each of these the same (another value, channel or
 * evidence is another request, refused). The one home of that rule: the API compares an entry it
 * read with it, and `recordConsentRequest` replaces an entry only under it.
 */
const REQUEST_FIELDS = ['channel', 'consent', 'evidence'] as const;
type ConsentRequest = Pick<ConsentLedgerEntry, (typeof REQUEST_FIELDS)[number]>;
const ConsentRequestSchema = ConsentLedgerEntrySchema.pick({ channel: true, consent: true, evidence: true });

/** Whether a ledger entry records this very helpdesk request (its retry), by `REQUEST_FIELDS`. */
export const isSameConsentRequest = (entry: ConsentRequest, request: ConsentRequest): boolean =>
  REQUEST_FIELDS.every((field) => entry[field] === request[field]);

/** `isSameConsentRequest` as a condition on the entry there, for its rewrite alternatives. */
const sameRequestCondition = (request: ConsentRequest): EntryGuard => ({
  condition: REQUEST_FIELDS.map((field) =>
    request[field] === undefined ? `attribute_not_exists(#${field})` : `#${field} = :${field}`,
  ).join(' AND '),
  names: Object.fromEntries(REQUEST_FIELDS.map((field) => [`#${field}`, field])),
  values: Object.fromEntries(
    REQUEST_FIELDS.flatMap((field) => {
      const value = request[field];
      return value === undefined ? [] : [[`:${field}`, value]];
    }),
  ),
});

/**
 * A helpdesk change entered under a client's `Idempotency-Key` (its event id is the key's): as
 * `recordConsentChange`, but an entry is rewritten only by the same request (isSameConsentRequest),
 * and one holding another request answers `'otherRequest'`, nothing written. Two calls with one key
 * and two bodies at once both find no entry when they read the ledger; without this the one whose
 * write landed last replaced the other's entry when dated no later (the rewrite a provider's retry
 * needs), then its register, and both answered 200 (until 2026-12-05; found by a review,
 * `tests/api/helpdesk-api.test.ts`, "raced with one Idempotency-Key and two consent bodies").
 */
export const recordConsentRequest = async (
  context: TableContext,
  contactKey: string,
  change: ConsentLedgerEntry,
  order: string,
): Promise<FirstReceipt | 'otherRequest'> => {
  const key = consentChangeKey(contactKey, change.scope, change.eventId);
  if (await putEntry(context, key, change, order, sameRequestCondition(change)))
    return { at: change.at, order };
  const item = await getItem(context, key);
  // Gone since (an erasure): as recordConsentChange answers it. Unreadable as a request: not this one.
  if (item !== undefined) {
    const entered = ConsentRequestSchema.safeParse(item);
    if (!entered.success || !isSameConsentRequest(entered.data, change)) return 'otherRequest';
  }
  return firstReceiptOf(item, change, order);
};

/** A condition every rewrite of an entry must meet besides its own (`sameRequestCondition`). */
interface EntryGuard {
  readonly condition: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, string>;
}

/**
 * The entry's conditional PutItem: whether it was written (else the entry there keeps an earlier
 * receipt, or fails the guard).
 */
const putEntry = async (
  context: TableContext,
  key: ItemKey,
  change: ConsentLedgerEntry,
  order: string,
  guard?: EntryGuard,
): Promise<boolean> => {
  const also = guard ? ` AND ${guard.condition}` : '';
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({ ...key, ...change, order }, { removeUndefinedValues: true }),
        // Flat (AND binds before OR): the local emulator's parser is slow on parentheses (registers.ts).
        ConditionExpression: `attribute_not_exists(pk) OR #order >= :order${also} OR attribute_not_exists(#order) AND #at > :at${also}`,
        ExpressionAttributeNames: { '#at': 'at', '#order': 'order', ...guard?.names },
        ExpressionAttributeValues: marshall({ ':at': change.at, ':order': order, ...guard?.values }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return false;
  }
};

/** Entered earlier: the first receipt's time and order stay, and are this delivery's too. */
const firstReceiptOf = (item: unknown, change: ConsentLedgerEntry, order: string): FirstReceipt => {
  const stored = StoredOrderSchema.safeParse(item);
  if (!stored.success) return { at: change.at, order };
  const { at } = stored.data;
  // Its condition failed: the entry holds an earlier order, or (written before entries kept their
  // order) an earlier or the same time, which an identical redelivery has too.
  const later = stored.data.order !== undefined || at < change.at;
  return {
    at,
    order: stored.data.order ?? timeOrder(at, undefined, change.eventId),
    ...(later ? { laterReceipt: true as const } : {}),
  };
};

/** A consent change's earliest receipt as its ledger entry keeps it: its time and register order. */
export interface FirstReceipt {
  readonly at: string;
  readonly order: string;
  /**
   * This delivery is a later receipt of the change than the one its entry keeps (a provider's retry,
   * dated or sequenced later): that receipt forwards the change, on its own redelivery should it
   * have failed before publishing (a redelivery of one receipt has its order, and rewrites its entry).
   */
  readonly laterReceipt?: true;
}

const StoredOrderSchema = z.looseObject({ at: z.string(), order: z.string().optional() });

/**
 * Every change recorded for these channel contacts, newest first, once per event: an entry written
 * before its key was the event's id (when it held the arrival) and again by a later retry, or a
 * change entered under several keys (a WhatsApp customer's identifiers, a helpdesk change of a
 * person with several contacts on the channel), is listed once, at its earliest time.
 */
export const readConsentHistory = async (
  context: TableContext,
  contactKeys: readonly string[],
  /** Read after the latest write (a retry looking for its own entry). */
  { consistent = false }: { readonly consistent?: boolean } = {},
): Promise<ConsentLedgerEntry[]> => {
  const byEvent = new Map<string, ConsentLedgerEntry>();
  for (const contactKey of new Set(contactKeys)) {
    const items = await queryAll(context, {
      ...(consistent ? { ConsistentRead: true } : {}),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': contactItemKey(contactKey).pk, ':prefix': consentChangePrefix() },
    });
    for (const item of items) {
      const parsed = ConsentLedgerEntrySchema.safeParse(item);
      if (!parsed.success) continue;
      const seen = byEvent.get(parsed.data.eventId);
      if (!seen || parsed.data.at < seen.at) byEvent.set(parsed.data.eventId, parsed.data);
    }
  }
  return [...byEvent.values()].sort(newestFirst);
};

/**
 * One change's ledger entry under these channel contacts, read after the latest write (a retry
 * looking for its own), at its earliest time, and the contacts that hold it: where the change was
 * written. One consistent Query per contact, as readConsentHistory.
 */
export const readConsentEntry = async (
  context: TableContext,
  contactKeys: Iterable<string>,
  eventId: string,
): Promise<{ entry: ConsentLedgerEntry; holding: Set<string> } | undefined> => {
  let entry: ConsentLedgerEntry | undefined;
  const holding = new Set<string>();
  for (const contactKey of new Set(contactKeys)) {
    const found = (await readConsentHistory(context, [contactKey], { consistent: true })).find(
      (change) => change.eventId === eventId,
    );
    if (!found) continue;
    holding.add(contactKey);
    if (!entry || found.at < entry.at) entry = found;
  }
  return entry && { entry, holding };
};

/**
 * One page of a ledger read whole (`readConsentHistory`): the `limit` changes after `after` in its
 * order, and where the page ended when more follow. A change recorded between two pages is newer
 * than both, so the pages after the first neither skip nor repeat one.
 */
export const ledgerPage = (
  changes: readonly ConsentLedgerEntry[],
  { after, limit }: { readonly after?: LedgerPosition | undefined; readonly limit: number },
): { changes: ConsentLedgerEntry[]; last?: LedgerPosition } => {
  const start = after ? changes.findIndex((change) => newestFirst(change, after) > 0) : 0;
  const page = start < 0 ? [] : changes.slice(start, start + limit);
  const end = page.at(-1);
  return start >= 0 && start + limit < changes.length && end
    ? { changes: page, last: { at: end.at, eventId: end.eventId } }
    : { changes: page };
};

/**
 * Whether a consent event was already applied to a contact that has since been erased: its erasure
 * kept the hashed ids of the events that had moved its consent (with its opt-outs), so a provider's
 * late retry of an old STOP or START does not bring the contact's identifiers back. Asked of every
 * key the event writes under (consentKeysFor: a WhatsApp customer's identifiers, any of which an
 * erasure may have taken while another stayed another person's). Consistent reads of both keys a
 * kept item may be under, the legacy ones first (readKeptSuppressions: two GetItems for one contact
 * key, two BatchGetItems for more); one found under the legacy key is moved.
 */
export const wasErasedWith = async (
  context: TableContext,
  pseudonymKey: PseudonymKeySource,
  contactKeys: readonly string[],
  eventId: string,
): Promise<boolean> => {
  const key = await pseudonymKey();
  const read = await readKeptSuppressions(context, key, contactKeys);
  let erased = false;
  for (const contactKey of contactKeys) {
    const kept = read.kept(contactKey);
    await moveLegacySuppression(context, key, kept);
    const applied = kept.item?.applied;
    erased ||= applied instanceof Set && applied.has(appliedIdOf(eventId));
  }
  return erased;
};

/**
 * Whether a helpdesk consent request under an Idempotency-Key (its event id, derived from the key
 * since 2026-12-05) was erased with its contact, under any of `contactKeys` (every key the request
 * writes under): its ledger entry is gone, the erasure kept its id's hash. Asked after the ledger
 * was read without finding the entry (readConsentEntry), so an erasure that deleted the entry had
 * kept the id before (it writes what it keeps before it deletes). One read of the keyed kept items
 * (keyedSuppressionsHold): erasures kept legacy items only until 2026-12-03, before such an id.
 */
export const wasConsentRequestErased = async (
  context: TableContext,
  pseudonymKey: PseudonymKeySource,
  contactKeys: readonly string[],
  eventId: string,
): Promise<boolean> =>
  keyedSuppressionsHold(context, await pseudonymKey(), contactKeys, appliedIdOf(eventId));
