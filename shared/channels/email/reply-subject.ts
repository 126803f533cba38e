import { cutText } from '#shared/channels/provider-text.ts';

/**
 * The longest subject a reply carries: RFC 5322 (§2.1.1) limits a line to 998 octets (CRLF aside),
 * and the composer (Nodemailer's MailComposer) folds a header only at spaces and RFC 2047-encodes
 * only text that is not ASCII, in short words: an ASCII word of the subject stays whole on one line,
 * after `Subject: ` or a fold's space. Within 998 less `Subject: `, even the whole subject unfolded
 * fits one line. Inbound subjects are kept up to 2,000 characters and a helpdesk's up to 998, so
 * before 2026-12-04 `Re: ` and a long unbroken one made a header line of up to 2,013 octets, which
 * a receiving server may refuse or break (found by a review).
 */
const MAX_REPLY_SUBJECT_LENGTH = 998 - 'Subject: '.length;

/** The subject of a reply, cut to MAX_REPLY_SUBJECT_LENGTH, never inside a character (cutText). */
export const replySubject = (subject: string): string => cutText(subject, MAX_REPLY_SUBJECT_LENGTH);
