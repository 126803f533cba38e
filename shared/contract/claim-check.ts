import { z } from 'zod';
import { HubEventSchema } from './events.ts';

/*
 * The claim check: what the hub's queues carry in place of an event too large for one message.
 * Published with the events (the AsyncAPI helpdesk channel and the JSON Schema's root) because a
 * helpdesk receives it on the same queue; read by `resolveQueueMessageBody`
 * (shared/aws/claim-check.ts) in the recorder and the example consumer. The publisher, on a
 * webhook's path, takes only its type (types.ts): a value import would put zod in the webhook bundles.
 */

/** How a consumer resolves a claim check: the AsyncAPI message's description and the schema's. */
export const CLAIM_CHECK_DESCRIPTION = [
  'An event larger than a queue message (1 MiB; in practice only e-mail with very large bodies) is queued as this',
  'pointer instead. The event itself, the full CloudEvent exactly as it would have been queued (a HubEvent,',
  'stored as application/cloudevents+json), is the S3 object `switchboardClaimCheck.key` in the bucket',
  '`switchboardClaimCheck.bucket` (the payload bucket, stack output PayloadBucketName). The helpdesk consumer',
  'policy (stack output HelpdeskConsumerPolicyArn) allows reading it. Check that the SHA-256 of its bytes is',
  '`switchboardClaimCheck.sha256`, then handle it as the event. Use the key as given, never build one.',
  "`id`, `type` and `subject` are the event's, so it can be deduplicated and ordered without the fetch.",
  'An object that is gone (erased with its conversation) stands for an event that no longer exists: drop the',
  'pointer. S3 may answer such a read 403 rather than 404; the same policy may list claim checks, so a 403 for',
  'a key the listing does not find means gone. `resolveQueueMessageBody` in shared/aws/claim-check.ts does all',
  'of this.',
].join(' ');

export const ClaimCheckSchema = z
  .object({
    switchboardClaimCheck: z.object({
      version: z.literal(1).describe('Version of the pointer format.'),
      bucket: z.string().min(1).describe('The S3 bucket holding the event.'),
      key: z
        .string()
        .min(1)
        .describe('The S3 key of the event: use it as given (its layout has changed before).'),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .describe("SHA-256 (hex) of the object's bytes; check it before using the event."),
      bytes: z.number().int().positive().describe("The object's size in bytes."),
    }),
    id: z.string().describe("The event's CloudEvents `id`."),
    type: z.string().describe("The event's CloudEvents `type`."),
    subject: z.string().describe("The event's CloudEvents `subject` (its conversation, the message group)."),
    channel: z
      .string()
      .optional()
      .describe("The event's `data.channel`, when it names one (not on pointers queued before 2026-12-03)."),
    provider: z
      .string()
      .optional()
      .describe("The event's `data.provider`, when it names one (not on pointers queued before 2026-12-03)."),
  })
  .meta({ id: 'ClaimCheck', title: 'Switchboard claim check', description: CLAIM_CHECK_DESCRIPTION });
export type ClaimCheck = z.infer<typeof ClaimCheckSchema>;

/** A message body on the helpdesk (and ingest) queue: an event, or the claim check of one. */
export const QueueMessageBodySchema = z.union([HubEventSchema, ClaimCheckSchema]).meta({
  description:
    'A helpdesk queue message body: a Switchboard event (HubEvent), or for an event larger than a queue message its claim check (ClaimCheck).',
});
