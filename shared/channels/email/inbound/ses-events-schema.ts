import * as v from 'valibot';
import { lazily, looseObject, record } from '#shared/validation/schema.ts';

/*
 * SES event publishing (configuration-set event destinations), as documented in "Contents of
 * event data that Amazon SES publishes to Amazon SNS": `eventType`, `mail` and one object per
 * type. Loose objects: fields AWS adds later must not break parsing.
 */

/** The SNS notification envelope (SNS → SQS or Lambda without raw message delivery). */
export const SnsNotificationSchema = lazily(() =>
  looseObject({
    Type: v.literal('Notification'),
    MessageId: v.optional(v.string()),
    Message: v.string(),
  }),
);

export const SesMailSchema = lazily(() =>
  looseObject({
    timestamp: v.string(),
    /** The SES message id SendEmail answered with. */
    messageId: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._-]{1,200}$/, 'not an SES message id')),
    /** The envelope sender: the business address the hub sent from. */
    source: v.string(),
    destination: v.optional(v.array(v.string()), () => []),
    /** Message tags, each a list of values (SES adds its own `ses:` ones). */
    tags: v.optional(record(v.array(v.string())), () => ({})),
  }),
);
export type SesMail = v.InferOutput<typeof SesMailSchema>;

export const SesEventEnvelopeSchema = lazily(() =>
  looseObject({ eventType: v.string(), mail: SesMailSchema }),
);

const RecipientSchema = lazily(() =>
  looseObject({
    emailAddress: v.string(),
    action: v.optional(v.string()),
    status: v.optional(v.string()),
    diagnosticCode: v.optional(v.string()),
  }),
);
export type SesRecipient = v.InferOutput<typeof RecipientSchema>;

export const SesBounceSchema = lazily(() =>
  looseObject({
    bounceType: v.string(),
    bounceSubType: v.optional(v.string()),
    bouncedRecipients: v.pipe(v.array(RecipientSchema), v.minLength(1)),
    timestamp: v.optional(v.string()),
    feedbackId: v.optional(v.string()),
  }),
);

export const SesComplaintSchema = lazily(() =>
  looseObject({
    complainedRecipients: v.optional(v.array(RecipientSchema), () => []),
    timestamp: v.optional(v.string()),
    feedbackId: v.optional(v.string()),
    complaintFeedbackType: v.optional(v.string()),
    /** `OnAccountSuppressionList`: SES took the message and did not try to send it (else null). */
    complaintSubType: v.optional(v.nullable(v.string())),
  }),
);
export type SesComplaint = v.InferOutput<typeof SesComplaintSchema>;

export const SesDeliverySchema = lazily(() =>
  looseObject({
    timestamp: v.optional(v.string()),
    recipients: v.pipe(v.array(v.string()), v.minLength(1)),
    smtpResponse: v.optional(v.string()),
  }),
);

export const SesDeliveryDelaySchema = lazily(() =>
  looseObject({
    delayType: v.string(),
    delayedRecipients: v.pipe(v.array(RecipientSchema), v.minLength(1)),
    timestamp: v.optional(v.string()),
    expirationTime: v.optional(v.string()),
  }),
);

export const SesRejectSchema = lazily(() => looseObject({ reason: v.optional(v.string()) }));

export const SesRenderingFailureSchema = lazily(() =>
  looseObject({
    errorMessage: v.optional(v.string()),
    templateName: v.optional(v.string()),
  }),
);
