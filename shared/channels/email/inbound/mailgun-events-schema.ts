import { z } from 'zod';

/*
 * Mailgun's JSON event webhooks (documentation.mailgun.com, user-manual/webhooks/webhook-payloads):
 * `{ signature: { timestamp, token, signature }, "event-data": { … } }`. Loose objects: Mailgun
 * adds fields without notice ("we do not recommend hardcoding the fields").
 */

const digits = z.union([z.string(), z.number().int().nonnegative()]).transform(String);

export const MailgunEventsBodySchema = z.looseObject({
  signature: z.looseObject({ timestamp: digits, token: z.string().min(1), signature: z.string().min(1) }),
  'event-data': z.unknown(),
});

const TextOrNumber = z.union([z.string(), z.number()]).transform(String);

export const MailgunEventDataSchema = z.looseObject({
  event: z.string(),
  id: z.string().min(1).max(256),
  /** Epoch seconds with a fraction. */
  timestamp: z.number().optional(),
  recipient: z.string().optional(),
  severity: z.string().optional(),
  reason: z.string().optional(),
  envelope: z.looseObject({ sender: z.string().optional() }).optional(),
  message: z
    .looseObject({
      headers: z.looseObject({ 'message-id': z.string().optional(), from: z.string().optional() }).optional(),
    })
    .optional(),
  'delivery-status': z
    .looseObject({
      code: TextOrNumber.optional(),
      message: z.string().optional(),
      description: z.string().optional(),
    })
    .optional(),
  reject: z.looseObject({ reason: z.string().optional(), description: z.string().optional() }).optional(),
  /** The `v:` variables the message was sent with. */
  'user-variables': z.record(z.string(), z.unknown()).optional(),
});
export type MailgunEventData = z.infer<typeof MailgunEventDataSchema>;
