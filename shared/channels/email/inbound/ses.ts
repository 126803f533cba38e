import * as v from 'valibot';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { lazily, looseObject, parseOrThrow } from '#shared/validation/schema.ts';

/** One e-mail SES received, as the receipt rule's Lambda action reports it (no body). */
export interface SesReceipt {
  /** The SES message id, which is also the name of the S3 object the rule's S3 action wrote. */
  readonly messageId: string;
  /** Where the raw MIME is: `PAYLOAD_BUCKET.prefixes.sesInbound + messageId`. */
  readonly objectKey: string;
  /** The envelope recipients this rule matched (RCPT TO), the business's inbound addresses. */
  readonly recipients: string[];
  /** The envelope sender (MAIL FROM). */
  readonly source: string;
  readonly verdicts: { spf: string; dkim: string; dmarc: string; spam: string; virus: string };
  /** When SES received the message (ISO 8601). */
  readonly timestamp: string;
}

/** A leap-year-aware calendar date, `YYYY-MM-DD`. */
const DATE =
  '(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))';

/**
 * An RFC 3339 date-time with seconds and `Z` or a `±hh:mm` offset, on a day its month has
 * (valibot's `isoTimestamp` also takes a space for the `T`, `±hhmm` and `±hh` offsets and days a
 * month does not have).
 */
const ISO_DATETIME = new RegExp(
  `^${DATE}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$`,
);
const DateTimeSchema = v.pipe(v.string(), v.regex(ISO_DATETIME));

const VerdictSchema = lazily(() => looseObject({ status: v.pipe(v.string(), v.minLength(1)) }));

/** Loose objects: fields AWS adds later must not break parsing. */
const SesRecordSchema = lazily(() =>
  looseObject({
    ses: looseObject({
      mail: looseObject({
        timestamp: DateTimeSchema,
        source: v.string(),
        messageId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,200}$/, 'not an SES message id')),
        destination: v.array(v.string()),
      }),
      receipt: looseObject({
        timestamp: DateTimeSchema,
        recipients: v.pipe(v.array(v.string()), v.minLength(1)),
        spfVerdict: VerdictSchema,
        dkimVerdict: VerdictSchema,
        dmarcVerdict: VerdictSchema,
        spamVerdict: VerdictSchema,
        virusVerdict: VerdictSchema,
      }),
    }),
  }),
);

const SesReceiptEventSchema = lazily(() =>
  looseObject({ Records: v.pipe(v.array(SesRecordSchema), v.minLength(1)) }),
);

/**
 * Parses the event a receipt rule's Lambda action delivers. The event comes from SES itself,
 * not from the internet: a malformed one is a deployment error, so this throws a valibot error
 * that names the offending field instead of passing anything on.
 */
export const parseSesReceiptEvent = (event: unknown): SesReceipt[] =>
  parseOrThrow(SesReceiptEventSchema, event).Records.map(({ ses: { mail, receipt } }) => ({
    messageId: mail.messageId,
    objectKey: `${PAYLOAD_BUCKET.prefixes.sesInbound}${mail.messageId}`,
    recipients: receipt.recipients,
    source: mail.source,
    verdicts: {
      spf: receipt.spfVerdict.status,
      dkim: receipt.dkimVerdict.status,
      dmarc: receipt.dmarcVerdict.status,
      spam: receipt.spamVerdict.status,
      virus: receipt.virusVerdict.status,
    },
    timestamp: mail.timestamp,
  }));
