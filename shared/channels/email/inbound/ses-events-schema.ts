import * as z from 'zod/mini';

/*
 * SES event publishing (configuration-set event destinations), as documented in "Contents of
 * event data that Amazon SES publishes to Amazon SNS": `eventType`, `mail` and one object per
 * type. Loose objects: fields AWS adds later must not break parsing.
 */

/** The SNS notification envelope (SNS → SQS or Lambda without raw message delivery). */
export const SnsNotificationSchema = z.lazy(() =>
  z.looseObject({
    Type: z.literal('Notification'),
    Message: z.string(),
  }),
);

export const SesMailSchema = z.lazy(() =>
  z.looseObject({
    timestamp: z.string(),
    /** The SES message id SendEmail answered with. */
    messageId: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,200}$/, 'not an SES message id')),
    /** The envelope sender: the business address the hub sent from. */
    source: z.string(),
    destination: z._default(z.array(z.string()), []),
    /** Message tags, each a list of values (SES adds its own `ses:` ones). */
    tags: z._default(z.record(z.string(), z.array(z.string())), {}),
  }),
);
export type SesMail = z.infer<typeof SesMailSchema>;

export const SesEventEnvelopeSchema = z.lazy(() =>
  z.looseObject({ eventType: z.string(), mail: SesMailSchema }),
);

const RecipientSchema = z.lazy(() =>
  z.looseObject({
    emailAddress: z.string(),
    action: z.optional(z.string()),
    status: z.optional(z.string()),
    diagnosticCode: z.optional(z.string()),
  }),
);
export type SesRecipient = z.infer<typeof RecipientSchema>;

export const SesBounceSchema = z.lazy(() =>
  z.looseObject({
    bounceType: z.string(),
    bounceSubType: z.optional(z.string()),
    bouncedRecipients: z.array(RecipientSchema).check(z.minLength(1)),
    timestamp: z.optional(z.string()),
    feedbackId: z.optional(z.string()),
  }),
);

export const SesComplaintSchema = z.lazy(() =>
  z.looseObject({
    complainedRecipients: z._default(z.array(RecipientSchema), []),
    timestamp: z.optional(z.string()),
    feedbackId: z.optional(z.string()),
    complaintFeedbackType: z.optional(z.string()),
  }),
);

export const SesDeliverySchema = z.lazy(() =>
  z.looseObject({
    timestamp: z.optional(z.string()),
    recipients: z.array(z.string()).check(z.minLength(1)),
    smtpResponse: z.optional(z.string()),
  }),
);

export const SesDeliveryDelaySchema = z.lazy(() =>
  z.looseObject({
    delayType: z.string(),
    delayedRecipients: z.array(RecipientSchema).check(z.minLength(1)),
    timestamp: z.optional(z.string()),
    expirationTime: z.optional(z.string()),
  }),
);

export const SesRejectSchema = z.lazy(() => z.looseObject({ reason: z.optional(z.string()) }));

export const SesRenderingFailureSchema = z.lazy(() =>
  z.looseObject({
    errorMessage: z.optional(z.string()),
    templateName: z.optional(z.string()),
  }),
);
