import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { epochSeconds } from './item-rules.ts';
import { unreadableEmailIndexKeys, unreadableEmailKey, unreadableEmailTombstoneKey } from './keys.ts';
import { MESSAGE_RETENTION_SECONDS } from './messages.ts';
import { getItem, type TableContext, track } from './table.ts';

/*
 * Unreadable e-mail items (`CONTACT#<contactKey>` / `UNREADABLE#<hash>`): an e-mail the hub kept as
 * `provider.unsupported` (too large, MIME it cannot parse, no business recipient) names its raw MIME
 * object, which no message record names. Where the hub still knew the sender, this item names the
 * object under them, so erasure (shared/store/erasure.ts) finds and deletes both, and export lists them.
 * Erasure leaves a tombstone in its place (`UNREADABLE#<hash>` / `ERASED`, no address), which stops a
 * redelivery of the event from filing the deleted object under the erased sender again.
 */

export interface UnreadableEmail {
  /** The sender's e-mail contact key (`email#email:<address>`). */
  readonly contactKey: string;
  /** The person of the sender's address as derived (contactIdFor), not resolved through a merge. */
  readonly contactId: string;
  /** The payload object of the raw MIME (`raw/email/…` or `ses-inbound/…`). */
  readonly rawMimeKey: string;
  /** Why the hub could not read it (`email.oversize`, `email.unparsable`, …). */
  readonly providerType: string;
  readonly eventId: string;
  readonly receivedAt: string;
}

/**
 * Idempotent (a redelivery writes the same item again). Expires with the message retention, as a
 * message record naming its raw object does; with the defaults, as the object does (30 days).
 * `erased` (nothing written) when an erasure of the sender left its tombstone: the event is a
 * redelivery from before the erasure, and the item would bring the sender's address back. One
 * consistent GetItem of the tombstone first (no transaction, and the two are different items: an
 * event recorded while the erasure runs can still write it, as a message can; erasure is no lock).
 */
export const keepUnreadableEmail = async (
  context: TableContext,
  email: UnreadableEmail,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): Promise<'kept' | 'erased'> => {
  if (await getItem(context, unreadableEmailTombstoneKey(email.rawMimeKey))) return 'erased';
  const output = await context.client.send(
    new PutItemCommand({
      TableName: context.tableName,
      Item: marshall({
        ...unreadableEmailKey(email.contactKey, email.rawMimeKey),
        ...unreadableEmailIndexKeys(email.contactId, email.rawMimeKey),
        rawMimeKey: email.rawMimeKey,
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
