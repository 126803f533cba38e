import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { ChannelSchema, ConsentDataSchema } from '#shared/contract/index.ts';
import { queryAll } from './contacts.ts';
import { isConditionFailure } from './item-rules.ts';
import { consentChangeKey, consentChangePrefix, contactItemKey } from './keys.ts';
import { type LedgerPosition, newestFirst } from './ledger-order.ts';
import { appliedIdOf } from './registers.ts';
import { moveLegacySuppression, type PseudonymKeySource, readKeptSuppressions } from './suppressions.ts';
import { type TableContext, track } from './table.ts';

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
 */
export const recordConsentChange = async (
  context: TableContext,
  contactKey: string,
  change: ConsentLedgerEntry,
): Promise<void> => {
  try {
    const output = await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall(
          { ...consentChangeKey(contactKey, change.scope, change.eventId), ...change },
          { removeUndefinedValues: true },
        ),
        ConditionExpression: 'attribute_not_exists(pk) OR #at >= :at',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: marshall({ ':at': change.at }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'PutItem', output);
  } catch (error) {
    // Entered earlier: the first receipt's time stays.
    if (!isConditionFailure(error)) throw error;
  }
};

/**
 * Every change recorded for these channel contacts, newest first, once per event and contact: an
 * entry written before its key was the event's id (when it held the arrival) and again by a later
 * retry is listed once, at its earliest time.
 */
export const readConsentHistory = async (
  context: TableContext,
  contactKeys: readonly string[],
  /** Read after the latest write (a retry looking for its own entry). */
  { consistent = false }: { readonly consistent?: boolean } = {},
): Promise<ConsentLedgerEntry[]> => {
  const changes: ConsentLedgerEntry[] = [];
  for (const contactKey of contactKeys) {
    const byEvent = new Map<string, ConsentLedgerEntry>();
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
    changes.push(...byEvent.values());
  }
  return changes.sort(newestFirst);
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
