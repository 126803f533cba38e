import * as z from 'zod/mini';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

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

const VerdictSchema = z.lazy(() => z.looseObject({ status: z.string().check(z.minLength(1)) }));

/** Loose objects: fields AWS adds later must not break parsing. */
const SesRecordSchema = z.lazy(() =>
  z.looseObject({
    ses: z.looseObject({
      mail: z.looseObject({
        timestamp: z.iso.datetime({ offset: true }),
        source: z.string(),
        messageId: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,200}$/, 'not an SES message id')),
        destination: z.array(z.string()),
      }),
      receipt: z.looseObject({
        timestamp: z.iso.datetime({ offset: true }),
        recipients: z.array(z.string()).check(z.minLength(1)),
        spfVerdict: VerdictSchema,
        dkimVerdict: VerdictSchema,
        dmarcVerdict: VerdictSchema,
        spamVerdict: VerdictSchema,
        virusVerdict: VerdictSchema,
      }),
    }),
  }),
);

const SesReceiptEventSchema = z.lazy(() =>
  z.looseObject({ Records: z.array(SesRecordSchema).check(z.minLength(1)) }),
);

/**
 * Parses the event a receipt rule's Lambda action delivers. The event comes from SES itself,
 * not from the internet: a malformed one is a deployment error, so this throws a zod error that
 * names the offending field instead of passing anything on.
 */
export const parseSesReceiptEvent = (event: unknown): SesReceipt[] =>
  SesReceiptEventSchema.parse(event).Records.map(({ ses: { mail, receipt } }) => ({
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
