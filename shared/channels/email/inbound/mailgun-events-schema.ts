import * as z from 'zod/mini';

/*
 * Mailgun's JSON event webhooks (documentation.mailgun.com, user-manual/webhooks/webhook-payloads):
 * `{ signature: { timestamp, token, signature }, "event-data": { … } }`. Loose objects: Mailgun
 * adds fields without notice ("we do not recommend hardcoding the fields").
 */

const digits = z.pipe(z.union([z.string(), z.number().check(z.int(), z.nonnegative())]), z.transform(String));

export const MailgunEventsBodySchema = z.lazy(() =>
  z.looseObject({
    signature: z.looseObject({
      timestamp: digits,
      token: z.string().check(z.minLength(1)),
      signature: z.string().check(z.minLength(1)),
    }),
    'event-data': z.unknown(),
  }),
);

const TextOrNumber = z.pipe(z.union([z.string(), z.number()]), z.transform(String));

export const MailgunEventDataSchema = z.lazy(() =>
  z.looseObject({
    event: z.string(),
    id: z.string().check(z.minLength(1), z.maxLength(256)),
    /** Epoch seconds with a fraction. */
    timestamp: z.optional(z.number()),
    recipient: z.optional(z.string()),
    severity: z.optional(z.string()),
    reason: z.optional(z.string()),
    envelope: z.optional(z.looseObject({ sender: z.optional(z.string()) })),
    message: z.optional(
      z.looseObject({
        headers: z.optional(
          z.looseObject({ 'message-id': z.optional(z.string()), from: z.optional(z.string()) }),
        ),
      }),
    ),
    'delivery-status': z.optional(
      z.looseObject({
        code: z.optional(TextOrNumber),
        message: z.optional(z.string()),
        description: z.optional(z.string()),
      }),
    ),
    reject: z.optional(
      z.looseObject({ reason: z.optional(z.string()), description: z.optional(z.string()) }),
    ),
    /** The `v:` variables the message was sent with. */
    'user-variables': z.optional(z.record(z.string(), z.unknown())),
  }),
);
export type MailgunEventData = z.infer<typeof MailgunEventDataSchema>;
