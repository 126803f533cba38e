import { z } from 'zod';

/*
 * SES event publishing (configuration-set event destinations), as documented in "Contents of
 * event data that Amazon SES publishes to Amazon SNS": `eventType`, `mail` and one object per
 * type. Loose objects: fields AWS adds later must not break parsing.
 */

/** The SNS notification envelope (SNS → SQS or Lambda without raw message delivery). */
export const SnsNotificationSchema = z.looseObject({
  Type: z.literal('Notification'),
  Message: z.string(),
});

export const SesMailSchema = z.looseObject({
  timestamp: z.string(),
  /** The SES message id SendEmail answered with. */
  messageId: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'not an SES message id'),
  /** The envelope sender: the business address the hub sent from. */
  source: z.string(),
  destination: z.array(z.string()).default([]),
  /** Message tags, each a list of values (SES adds its own `ses:` ones). */
  tags: z.record(z.string(), z.array(z.string())).default({}),
});
export type SesMail = z.infer<typeof SesMailSchema>;

export const SesEventEnvelopeSchema = z.looseObject({ eventType: z.string(), mail: SesMailSchema });

const RecipientSchema = z.looseObject({
  emailAddress: z.string(),
  action: z.string().optional(),
  status: z.string().optional(),
  diagnosticCode: z.string().optional(),
});
export type SesRecipient = z.infer<typeof RecipientSchema>;

export const SesBounceSchema = z.looseObject({
  bounceType: z.string(),
  bounceSubType: z.string().optional(),
  bouncedRecipients: z.array(RecipientSchema).min(1),
  timestamp: z.string().optional(),
  feedbackId: z.string().optional(),
});

export const SesComplaintSchema = z.looseObject({
  complainedRecipients: z.array(RecipientSchema).default([]),
  timestamp: z.string().optional(),
  feedbackId: z.string().optional(),
  complaintFeedbackType: z.string().optional(),
});

export const SesDeliverySchema = z.looseObject({
  timestamp: z.string().optional(),
  recipients: z.array(z.string()).min(1),
  smtpResponse: z.string().optional(),
});

export const SesDeliveryDelaySchema = z.looseObject({
  delayType: z.string(),
  delayedRecipients: z.array(RecipientSchema).min(1),
  timestamp: z.string().optional(),
  expirationTime: z.string().optional(),
});

export const SesRejectSchema = z.looseObject({ reason: z.string().optional() });

export const SesRenderingFailureSchema = z.looseObject({
  errorMessage: z.string().optional(),
  templateName: z.string().optional(),
});
