import MailComposer from 'nodemailer/lib/mail-composer';
import type { AttachedFile, EmailThreading } from '#shared/outbound/channel-sender.ts';
import { replySubject } from '../reply-subject.ts';

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

/** One plain addr-spec: no display name, no list, nothing a parser could read as two addresses. */
const ADDRESS = /^[^\s@<>()[\]",;:\\]{1,64}@[^\s@<>()[\]",;:\\]{1,255}$/u;
/** A Message-ID without its angle brackets: printable ASCII without `<`, `>` or space, one `@`. */
const MESSAGE_ID = /^[\x21-\x3b\x3d\x3f-\x7e]{1,250}@[\x21-\x3b\x3d\x3f-\x7e]{1,250}$/;
/** Like the inbound side's thread bound: the root and the newest ids. */
const MAX_REFERENCES = 50;

const bracketed = (id: string): string => `<${id}>`;

/**
 * The thread (root first) and then the hub's own id: SES rewrites Message-ID, so References is
 * where the customer's client finds the id the hub keeps. Malformed ids are left out; a long thread
 * keeps its root and its newest ids.
 */
const referencesFor = (email: EmailThreading): string[] => {
  const thread = [...new Set(email.references)].filter((id) => MESSAGE_ID.test(id) && id !== email.messageId);
  const bounded =
    thread.length < MAX_REFERENCES ? thread : [...thread.slice(0, 1), ...thread.slice(-(MAX_REFERENCES - 2))];
  return [...bounded, email.messageId];
};

const problemOf = (input: ReplyMimeInput): string | undefined => {
  const { email } = input;
  if (!ADDRESS.test(email.from)) return 'the business address is not one plain address';
  if (!ADDRESS.test(email.replyTo)) return 'the reply-to address is not one plain address';
  if (!ADDRESS.test(input.to)) return "the contact's address is not one plain address";
  if (!MESSAGE_ID.test(email.messageId)) return "the hub's Message-ID is malformed";
  return undefined;
};

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
    email.inReplyTo !== undefined && MESSAGE_ID.test(email.inReplyTo) ? email.inReplyTo : undefined;
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
    text: input.text,
    ...(input.html !== undefined ? { html: input.html } : {}),
    ...(input.attachments !== undefined && input.attachments.length > 0
      ? {
          attachments: input.attachments.map((file) => ({
            filename: file.filename,
            contentType: file.contentType,
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
