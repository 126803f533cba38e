import { z } from 'zod';
import type { HubEvent, Message } from '#shared/contract/index.ts';
import { contactIdFor, emailOf } from '#shared/domain/contact-identity.ts';
import type { MessageEvent } from '#shared/domain/conversation.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { contactKeyFor } from '#shared/store/keys.ts';
import { MAX_OBJECTS_PER_ITEM, type UnreadableEmail } from '#shared/store/unreadable-emails.ts';

/** Where a raw e-mail is kept: Mailgun's copy, or the object the SES receipt rule wrote. */
const RAW_MIME_PREFIXES = [PAYLOAD_BUCKET.prefixes.rawEmail, PAYLOAD_BUCKET.prefixes.sesInbound];

const UnreadableRawSchema = z.looseObject({
  rawMimeKey: z
    .string()
    .max(1024)
    .refine((key) => RAW_MIME_PREFIXES.some((prefix) => key.startsWith(prefix))),
});

/**
 * An e-mail the hub could not read whose sender the webhook still knew (the event's contact, one
 * e-mail address: shared/channels/email/inbound/unsupported.ts), as the item that files its raw
 * object under that sender; undefined for any other event, and for such mail without a sender.
 */
export const unreadableEmailOf = (event: HubEvent): UnreadableEmail | undefined => {
  if (event.type !== 'switchboard.provider.unsupported' || event.data.channel !== 'email') return undefined;
  const { contact, raw, providerType, receivedAt } = event.data;
  const [sender] = contact?.identities ?? [];
  if (!contact || !sender || sender.type !== 'email' || emailOf(sender) === undefined) return undefined;
  const parsed = UnreadableRawSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  return {
    contactKey: contactKeyFor('email', contact),
    contactId: contactIdFor('email', contact, ''),
    objectKeys: [parsed.data.rawMimeKey],
    providerType,
    eventId: event.id,
    receivedAt,
  };
};

const PAYLOAD_PREFIXES = Object.values(PAYLOAD_BUCKET.prefixes);

/**
 * A key an item may file: in the payload bucket, at most 1,024 characters (S3's bound, and the
 * most erasure reads) and on one line (an item is filed under its keys one a line).
 */
const isFilableKey = (key: string | undefined): key is string =>
  key !== undefined &&
  key.length <= 1024 &&
  !/[\r\n]/.test(key) &&
  PAYLOAD_PREFIXES.some((prefix) => key.startsWith(prefix));

/**
 * Every payload object a message names, in key order: an e-mail's raw MIME and the bodies too large
 * for the event, and the objects of its attachments and media parts (`{store: 's3', key}`).
 */
export const objectKeysOf = (message: Message): string[] => {
  const { email, parts } = message;
  const media = [...(email?.attachments ?? []), ...parts].flatMap((part) =>
    part.type === 'media' && part.ref.store === 's3' ? [part.ref.key] : [],
  );
  const keys = [email?.rawMimeKey, email?.textBodyKey, email?.htmlBodyKey, ...media].filter(isFilableKey);
  return [...new Set(keys)].sort();
};

/** A skipped receipt's objects as filed, and how many it names past what one item lists. */
export interface SecondReceipt {
  readonly filed: UnreadableEmail;
  readonly leftUnfiled: number;
}

/**
 * A receipt of an e-mail the recorder skips, another receipt of it recorded or claimed by another
 * conversation (Mailgun posts one mail once per business address it was sent to, with the same ids;
 * SES can receive one mail twice, under two raw objects), as the item that files under its contact
 * what it stored that the recorded message (`recorded`) does not name: each post's attachments and
 * bodies sit under its own conversation, and SES's raw objects under their receipt, so nothing else
 * would name them. Undefined when nothing is left (a redelivery of the recorded receipt). While the
 * conversation that claimed the mail has not recorded it (`recorded` undefined), everything it names
 * but Mailgun's raw MIME: that object is content-addressed (one mail, one key, whichever post stored
 * it), so the record will name it, and filing it under this post's contact would let an erasure of
 * that contact delete the object another person's record names (an agent's mail read as the
 * business's own copy at one address and as inbound at another has two contacts). Past MAX_OBJECTS_PER_ITEM (no webhook of the hub names that
 * many: it lists 100 attachments) the first in key order are filed and the rest counted, left to the
 * bucket's lifecycle.
 */
export const secondReceiptOf = (
  event: MessageEvent,
  recorded: Message | undefined,
): SecondReceipt | undefined => {
  const named = new Set(recorded ? objectKeysOf(recorded) : []);
  const own = objectKeysOf(event.data).filter(
    (key) => !named.has(key) && (recorded !== undefined || !key.startsWith(PAYLOAD_BUCKET.prefixes.rawEmail)),
  );
  if (own.length === 0) return undefined;
  const { contact, receivedAt } = event.data;
  return {
    filed: {
      contactKey: contactKeyFor('email', contact),
      contactId: contactIdFor('email', contact, ''),
      objectKeys: own.slice(0, MAX_OBJECTS_PER_ITEM),
      providerType: 'email.duplicate_receipt',
      eventId: event.id,
      receivedAt,
    },
    leftUnfiled: Math.max(0, own.length - MAX_OBJECTS_PER_ITEM),
  };
};
