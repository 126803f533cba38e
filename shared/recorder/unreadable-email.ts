import { z } from 'zod';
import type { HubEvent } from '#shared/contract/index.ts';
import { contactIdFor, emailOf } from '#shared/domain/contact-identity.ts';
import type { MessageEvent } from '#shared/domain/conversation.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { contactKeyFor } from '#shared/store/keys.ts';
import type { UnreadableEmail } from '#shared/store/unreadable-emails.ts';

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
    rawMimeKey: parsed.data.rawMimeKey,
    providerType,
    eventId: event.id,
    receivedAt,
  };
};

/**
 * The raw object of an e-mail message as the SES receipt rule wrote it (`ses-inbound/<id>`), as the
 * item that files it under the message's contact; undefined for any other message. For a duplicate:
 * SES can receive one mail twice and write two objects, and the message record names only the
 * first. (Mailgun's raw objects are content-addressed: a retry names the same one.)
 */
export const sesReceiptOf = (event: MessageEvent): UnreadableEmail | undefined => {
  const { channel, contact, email, receivedAt } = event.data;
  const rawMimeKey = email?.rawMimeKey;
  if (channel !== 'email' || !rawMimeKey?.startsWith(PAYLOAD_BUCKET.prefixes.sesInbound)) return undefined;
  return {
    contactKey: contactKeyFor('email', contact),
    contactId: contactIdFor('email', contact, ''),
    rawMimeKey,
    providerType: 'email.duplicate_receipt',
    eventId: event.id,
    receivedAt,
  };
};
