import MailComposer from 'nodemailer/lib/mail-composer';
import type { AttachedFile, EmailThreading } from '#shared/outbound/channel-sender.ts';
import { replySubject } from '../reply-subject.ts';
import { isPlainAddress } from './address.ts';

/*
 * The raw MIME of a reply, composed by Nodemailer's MailComposer (the library behind Nodemailer,
 * by the author of postal-mime, which reads the hub's inbound mail): it folds and encodes headers
 * (RFC 2047 for a non-ASCII subject), strips line breaks from header values, and picks the body's
 * transfer encoding. The hub only chooses the values, and refuses any that could add a header or
 * a recipient.
 */

/** What one reply needs: the threading the core worked out, the recipient and the body. */
export interface ReplyMimeInput {
  readonly email: EmailThreading;
  /** The contact's address (the conversation's primary identity). */
  readonly to: string;
  readonly text: string;
  /** The HTML alternative, when the helpdesk wrote one. */
  readonly html?: string;
  readonly date: Date;
  /** Files from the hub's bucket, attached in the order of their parts. */
  readonly attachments?: readonly AttachedFile[];
}

export type ReplyMime =
  | { readonly ok: true; readonly raw: Buffer }
  | { readonly ok: false; readonly problem: string };

/**
 * The longest Message-ID written: the composer folds In-Reply-To and References before each id, so
 * a long one stands on a line of its own, ` <id>`, which RFC 5322 (§2.1.1) holds to 998 octets.
 */
const MAX_MESSAGE_ID_LENGTH = 998 - ' <>'.length;
/** Printable ASCII without `<`, `>` or space: a line without SMTPUTF8 carries nothing else. */
const MESSAGE_ID_CHARACTERS = /^[\x21-\x3b\x3d\x3f-\x7e]+$/;

/**
 * Whether an id (without its angle brackets) can be written: `left@right`, both parts non-empty, of
 * printable ASCII, at most MAX_MESSAGE_ID_LENGTH characters. The inbound side reads ids of the same
 * shape up to 998 characters, UTF-8 too (RFC 6532), so an ASCII id of up to 995 that it kept threads
 * the answer (before 2026-12-04 each part was held to 250 characters, and a customer's longer id was
 * left out, found by a review); a longer or UTF-8 one is still left out (see referencesFor).
 */
const isWritableMessageId = (id: string): boolean => {
  if (id.length > MAX_MESSAGE_ID_LENGTH) return false;
  const at = id.lastIndexOf('@');
  return at > 0 && at < id.length - 1 && MESSAGE_ID_CHARACTERS.test(id);
};

/**
 * RFC 3834 §5: `auto-replied` marks a message sent automatically in response to another (every mail
 * the hub sends answers the customer's); responders such as an out-of-office do not answer it (§2),
 * so a bot and an auto-responder cannot mail each other without end. SES (raw content) and Mailgun
 * (messages.mime) send the MIME as built, this header with it.
 */
const AUTO_SUBMITTED = { 'Auto-Submitted': 'auto-replied' } as const;

/** Like the inbound side's thread bound: the root and the newest ids. */
const MAX_REFERENCES = 50;

const bracketed = (id: string): string => `<${id}>`;

/**
 * The thread (root first) and then the hub's own id: SES rewrites Message-ID, so References is
 * where the customer's client finds the id the hub keeps. Ids that cannot be written are left out
 * (isWritableMessageId): the others still thread the answer, and In-Reply-To is then left out
 * rather than naming another message; a long thread keeps its root and its newest ids.
 */
const referencesFor = (email: EmailThreading): string[] => {
  const thread = [...new Set(email.references)].filter(
    (id) => isWritableMessageId(id) && id !== email.messageId,
  );
  const bounded =
    thread.length < MAX_REFERENCES ? thread : [...thread.slice(0, 1), ...thread.slice(-(MAX_REFERENCES - 2))];
  return [...bounded, email.messageId];
};

const problemOf = (input: ReplyMimeInput): string | undefined => {
  const { email } = input;
  if (!isPlainAddress(email.from)) return 'the business address is not one plain address';
  if (!isPlainAddress(email.replyTo)) return 'the reply-to address is not one plain address';
  if (!isPlainAddress(input.to)) return "the contact's address is not one plain address";
  if (!isWritableMessageId(email.messageId)) return "the hub's Message-ID is malformed";
  return undefined;
};

/** A composite media type (RFC 2046 §5): a message or parts of one, not a file's own bytes. */
const COMPOSITE_TYPE = /^(?:message|multipart)\//i;

/**
 * The type a file is attached under: its own, but `application/octet-stream` for a composite one.
 * The composer writes a `message/*` part unencoded (RFC 2046 §5.2.1 allows no base64 there) and a
 * `multipart/*` one as a multipart holding no parts, so a customer's forwarded mail sent back (a
 * stored `message/rfc822` attachment) or any file named so went out as raw 8-bit lines of any
 * length, against SES's raw-message rules (7-bit content, lines of at most 1,000 characters, each
 * MIME part well formed), and a multipart-typed file was lost. As octet-stream it goes base64, byte
 * for byte, under its name (a client opens `.eml` as a mail).
 */
const attachedTypeOf = (contentType: string): string =>
  // A blank type (a command's `mimeType: ""`) would have the composer guess from the name, `.eml`
  // becoming `message/rfc822` again.
  COMPOSITE_TYPE.test(contentType) || contentType.trim() === '' ? 'application/octet-stream' : contentType;

/**
 * The reply as raw MIME (CRLF line ends): text/plain in UTF-8, in a multipart/mixed with its
 * attachments when it has any (base64, file names RFC 2231-encoded by the composer); or why the
 * threading cannot be used.
 */
export const buildReplyMime = async (input: ReplyMimeInput): Promise<ReplyMime> => {
  const problem = problemOf(input);
  if (problem !== undefined) return { ok: false, problem };
  const { email } = input;
  const inReplyTo =
    email.inReplyTo !== undefined && isWritableMessageId(email.inReplyTo) ? email.inReplyTo : undefined;
  const composer = new MailComposer({
    from: { name: '', address: email.from },
    to: { name: '', address: input.to },
    replyTo: { name: '', address: email.replyTo },
    // Bounded again: a plan stored before the bound came in may still hold a longer one.
    subject: replySubject(email.subject),
    messageId: bracketed(email.messageId),
    ...(inReplyTo !== undefined ? { inReplyTo: bracketed(inReplyTo) } : {}),
    references: referencesFor(email).map(bracketed),
    date: input.date,
    // A person's reply carries no Auto-Submitted at all (RFC 3834: its absence means `no`).
    ...(email.automatic === true ? { headers: AUTO_SUBMITTED } : {}),
    text: input.text,
    ...(input.html !== undefined ? { html: input.html } : {}),
    ...(input.attachments !== undefined && input.attachments.length > 0
      ? {
          attachments: input.attachments.map((file) => ({
            filename: file.filename,
            contentType: attachedTypeOf(file.contentType),
            content: Buffer.from(file.content.buffer, file.content.byteOffset, file.content.byteLength),
          })),
        }
      : {}),
    newline: 'win',
    xMailer: false,
    // Content is text only: never read a file or fetch a URL on the hub's behalf.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return { ok: true, raw: await composer.compile().build() };
};
