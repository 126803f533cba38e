import * as v from 'valibot';
import { int, jsonNumber, lazily, looseObject, nonEmptyString, record } from '#shared/validation/schema.ts';

/*
 * Mailgun's JSON event webhooks (documentation.mailgun.com, user-manual/webhooks/webhook-payloads):
 * `{ signature: { timestamp, token, signature }, "event-data": { … } }`. Loose objects: Mailgun
 * adds fields without notice ("we do not recommend hardcoding the fields").
 */

const digits = v.pipe(v.union([v.string(), v.pipe(int(), v.minValue(0))]), v.transform(String));

export const MailgunEventsBodySchema = lazily(() =>
  looseObject({
    signature: looseObject({
      timestamp: digits,
      token: nonEmptyString(),
      signature: nonEmptyString(),
    }),
    'event-data': v.unknown(),
  }),
);

const TextOrNumber = v.pipe(v.union([v.string(), jsonNumber()]), v.transform(String));

export const MailgunEventDataSchema = lazily(() =>
  looseObject({
    event: v.string(),
    id: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
    /** Epoch seconds with a fraction. */
    timestamp: v.optional(jsonNumber()),
    recipient: v.optional(v.string()),
    severity: v.optional(v.string()),
    reason: v.optional(v.string()),
    envelope: v.optional(looseObject({ sender: v.optional(v.string()) })),
    message: v.optional(
      looseObject({
        headers: v.optional(
          looseObject({ 'message-id': v.optional(v.string()), from: v.optional(v.string()) }),
        ),
      }),
    ),
    'delivery-status': v.optional(
      looseObject({
        code: v.optional(TextOrNumber),
        message: v.optional(v.string()),
        description: v.optional(v.string()),
      }),
    ),
    reject: v.optional(looseObject({ reason: v.optional(v.string()), description: v.optional(v.string()) })),
    /** The `v:` variables the message was sent with. */
    'user-variables': v.optional(record(v.unknown())),
  }),
);
export type MailgunEventData = v.InferOutput<typeof MailgunEventDataSchema>;
