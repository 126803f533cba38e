import type { EmailDetails, MediaPart, Message, MessagePart } from '#shared/contract/types.ts';

/*
 * The order of the parts of an e-mail the hub took in: its text (the reply text, else the whole
 * text) when the mail has a body, then its listed attachments in the order of `email.attachments`,
 * then a note of the attachments left in the raw MIME. A record stored without its parts for size
 * keeps `email.attachments`, so this order still finds the file a part index names (the helpdesk
 * API's media route), when the record can tell whether a text part came first.
 */

export const emailPartsOf = (
  text: string | undefined,
  attachments: readonly MediaPart[],
  unlisted: number,
): MessagePart[] => [
  ...(text !== undefined ? [{ type: 'text' as const, text }] : []),
  ...attachments,
  ...(unlisted > 0
    ? [
        {
          type: 'unsupported' as const,
          providerType: 'email.attachments_omitted',
          raw: { omitted: unlisted },
        },
      ]
    : []),
];

/**
 * Whether the mail had a text part, from what its record keeps: any body, its key or the reply
 * text says it had (each comes from the text the part holds). Nothing says it had none: a body
 * kept inline goes with the bodies, the reply text too when the record is still too large.
 */
const keepsTraceOfText = (email: EmailDetails): boolean =>
  [email.textBody, email.htmlBody, email.textBodyKey, email.htmlBodyKey, email.replyText].some(
    (trace) => trace !== undefined,
  );

/** What a part index names in a record without parts, as far as the record can say. */
type RecordedEmailPart =
  | { readonly kind: 'attachment'; readonly part: MediaPart }
  | { readonly kind: 'text' }
  /** No listed attachment: the note of unlisted ones, or no part at all. */
  | { readonly kind: 'none' }
  /** A hub send (its parts are the send's, its `email.attachments` empty), or either of two parts. */
  | { readonly kind: 'unknown' };

/**
 * The part at `partIndex` of an e-mail from its record's `email.attachments`: the answer for each
 * place the text part may have had (before the attachments, or none), when those agree.
 */
export const recordedEmailPartAt = (
  message: Pick<Message, 'email' | 'sentBy'>,
  partIndex: number,
): RecordedEmailPart => {
  const { email } = message;
  if (!email || message.sentBy === 'hub') return { kind: 'unknown' };
  const textParts = keepsTraceOfText(email) ? [1] : [0, 1];
  const candidates = textParts.map((texts) =>
    partIndex < texts ? 'text' : email.attachments[partIndex - texts],
  );
  const [first] = candidates;
  if (candidates.some((candidate) => candidate !== first)) return { kind: 'unknown' };
  if (first === 'text') return { kind: 'text' };
  return first === undefined ? { kind: 'none' } : { kind: 'attachment', part: first };
};
