import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { epochSeconds } from './item-rules.ts';
import { unreadableEmailIndexKeys, unreadableEmailKey, unreadableEmailTombstoneKey } from './keys.ts';
import { MESSAGE_RETENTION_SECONDS } from './messages.ts';
import { getItem, type TableContext, track } from './table.ts';

/*
 * Unreadable e-mail items (`CONTACT#<contactKey>` / `UNREADABLE#<hash>`): payload objects of an
 * e-mail that no message record names, filed under its sender so that erasure
 * (shared/store/erasure.ts) finds and deletes them with the item, and export lists them:
 * - the raw MIME of an e-mail the hub kept as `provider.unsupported` (too large, MIME it cannot
 *   parse, no business recipient), where the hub still knew the sender;
 * - what a skipped receipt of a recorded e-mail stored that its record does not name (SES's second
 *   raw object of one mail, the attachments Mailgun's post for a second business address stored
 *   under its own conversation: shared/recorder/unreadable-email.ts, skippedPostOf).
 * Erasure leaves a tombstone in its place (`UNREADABLE#<hash>` / `ERASED`, no address), which stops a
 * redelivery of the event from filing the deleted objects under the erased sender again.
 */

/**
 * The most objects one item names: an e-mail the hub's webhooks read names at most 100 attachments,
 * two bodies and its raw MIME; at 1,024 characters a key (the most erasure reads) the item stays far
 * below DynamoDB's 400 KB.
 */
export const MAX_OBJECTS_PER_ITEM = 128;

export interface UnreadableEmail {
  /** The sender's e-mail contact key (`email#email:<address>`). */
  readonly contactKey: string;
  /** The person of the sender's address as derived (contactIdFor), not resolved through a merge. */
  readonly contactId: string;
  /**
   * The payload objects it names (`raw/email/…`, `ses-inbound/…`, `attachments/…`, `bodies/…`): at
   * least one, at most MAX_OBJECTS_PER_ITEM, in key order (the item is filed by them: the same
   * objects, the same item).
   */
  readonly objectKeys: readonly string[];
  /** Why it is filed (`email.oversize`, `email.unparsable`, `email.duplicate_receipt`, …). */
  readonly providerType: string;
  readonly eventId: string;
  readonly receivedAt: string;
}

/**
 * What the item is filed under (its key and its tombstone's hash it): its object keys, one a line
 * (no key the hub makes holds a line break). One object's is its key alone, as items were filed
 * before they could name several, so their tombstones still stop a redelivery.
 */
const objectsRefOf = (email: UnreadableEmail): string => email.objectKeys.join('\n');

/**
 * Idempotent (a redelivery writes the same item again). Expires with the message retention, as a
 * message record naming its objects does; with the defaults, as the objects do (30 days). `erased`
 * (nothing written) when an erasure of the sender left its tombstone: the event is a redelivery
 * from before the erasure, and the item would bring the sender's address back. One consistent
 * GetItem of the tombstone first (no transaction, and the two are different items: an event recorded
 * while the erasure runs can still write it, as a message can; erasure is no lock). Each object is
 * named as a media reference (`{store: 's3', key}`), the form erasure and export read.
 */
export const keepUnreadableEmail = async (
  context: TableContext,
  email: UnreadableEmail,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): Promise<'kept' | 'erased'> => {
  if (email.objectKeys.length === 0 || email.objectKeys.length > MAX_OBJECTS_PER_ITEM)
    throw new Error(`an unreadable e-mail item names 1 to ${MAX_OBJECTS_PER_ITEM} objects`);
  const ref = objectsRefOf(email);
  if (await getItem(context, unreadableEmailTombstoneKey(ref))) return 'erased';
  const output = await context.client.send(
    new PutItemCommand({
      TableName: context.tableName,
      Item: marshall({
        ...unreadableEmailKey(email.contactKey, ref),
        ...unreadableEmailIndexKeys(email.contactId, ref),
        objects: email.objectKeys.map((key) => ({ store: 's3', key })),
        providerType: email.providerType,
        eventId: email.eventId,
        receivedAt: email.receivedAt,
        expiresAt: epochSeconds(context.now()) + retentionSeconds,
      }),
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'PutItem', output);
  return 'kept';
};
