import * as v from 'valibot';
import { isoFromDateString } from '#shared/channels/provider-time.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { checked, lazily, looseObject, nonEmptyString, parseOrThrow } from '#shared/validation/schema.ts';

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
  /** The first From header as SES read it (`mail.commonHeaders.from`), when it reports one. */
  readonly from?: string;
  readonly verdicts: { spf: string; dkim: string; dmarc: string; spam: string; virus: string };
  /**
   * When SES received the message (ISO 8601, UTC), which stands in for the hub's receive time; when
   * SES's time is implausible (outside provider-time.ts's window), when the hub was invoked with it.
   */
  readonly timestamp: string;
}

/**
 * An RFC 3339 date-time with seconds and `Z` or a `±hh:mm` offset (valibot's `isoTimestamp` also
 * takes a space for the `T`, `±hhmm` and `±hh` offsets). Linear: no nested repetition.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** A day its month has, leap years included (the proleptic Gregorian calendar: year 0000 is one). */
const isCalendarDay = (year: number, month: number, day: number): boolean => {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
};

const isDateTime = (value: string): boolean => {
  const match = DATE_TIME.exec(value);
  return match !== null && isCalendarDay(Number(match[1]), Number(match[2]), Number(match[3]));
};

const DateTimeSchema = () => v.pipe(v.string(), checked(isDateTime, 'an RFC 3339 date-time'));

const VerdictSchema = lazily(() => looseObject({ status: nonEmptyString() }));

/** Loose objects: fields AWS adds later must not break parsing. */
const SesRecordSchema = lazily(() =>
  looseObject({
    ses: looseObject({
      mail: looseObject({
        timestamp: DateTimeSchema(),
        source: v.string(),
        messageId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,200}$/, 'not an SES message id')),
        destination: v.array(v.string()),
        commonHeaders: v.optional(looseObject({ from: v.optional(v.array(v.string())) })),
      }),
      receipt: looseObject({
        timestamp: DateTimeSchema(),
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
 * that names the offending field instead of passing anything on. A receipt time that is a date-time
 * but an implausible one (before 2000, after 2200) is no such error: as every provider time the
 * hub cannot believe, it is not used, and `invokedAt` (the hub's own receive time) stands instead.
 */
export const parseSesReceiptEvent = (event: unknown, invokedAt: Date): SesReceipt[] =>
  parseOrThrow(SesReceiptEventSchema, event).Records.map(({ ses: { mail, receipt } }) => ({
    messageId: mail.messageId,
    objectKey: `${PAYLOAD_BUCKET.prefixes.sesInbound}${mail.messageId}`,
    recipients: receipt.recipients,
    source: mail.source,
    ...(mail.commonHeaders?.from?.[0] !== undefined ? { from: mail.commonHeaders.from[0] } : {}),
    verdicts: {
      spf: receipt.spfVerdict.status,
      dkim: receipt.dkimVerdict.status,
      dmarc: receipt.dmarcVerdict.status,
      spam: receipt.spamVerdict.status,
      virus: receipt.virusVerdict.status,
    },
    timestamp: isoFromDateString(mail.timestamp) ?? invokedAt.toISOString(),
  }));
