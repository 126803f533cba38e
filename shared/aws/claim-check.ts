import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { int, lazily, nonEmptyString, object } from '#shared/validation/schema.ts';
import { isKeyableConversationId } from './payload-keys.ts';

/**
 * An event too large for one SQS message travels as a pointer: its JSON is stored in the payload
 * bucket under `bodies/events/<conversationId>/<sha256>.json` (`claimCheckKeyFor`) and the queue
 * carries this small envelope instead. `id`, `type` and `subject` are copied so a consumer can
 * dedupe and route without the fetch. The pointer names the key, so a consumer reads any key,
 * the older `bodies/events/<sha256>.json` too.
 *
 * Consumers (the recorder on the ingest queue, helpdesks on the helpdesk queue) call
 * `resolveQueueMessageBody` on every message body: it returns the
 * event JSON whether the message carried the event itself or a pointer to it.
 */
export const ClaimCheckSchema = lazily(() =>
  object({
    switchboardClaimCheck: object({
      version: v.literal(1),
      bucket: nonEmptyString(),
      key: nonEmptyString(),
      sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
      bytes: v.pipe(int(), v.gtValue(0)),
    }),
    id: v.string(),
    type: v.string(),
    subject: v.string(),
  }),
);
export type ClaimCheck = v.InferOutput<typeof ClaimCheckSchema>;

export const CLAIM_CHECK_CONTENT_TYPE = 'application/cloudevents+json';

/** Claim checks of events about no conversation (an endpoint's notices): a fixed segment, no identifier. */
const UNSCOPED_SEGMENT = 'unscoped/';

/**
 * Where a conversation's claim checks are kept, so erasing the conversation finds them all with
 * one listing; undefined for anything but a conversation id (no other string becomes a key).
 */
export const claimCheckPrefixFor = (conversationId: string): string | undefined =>
  isKeyableConversationId(conversationId)
    ? `${PAYLOAD_BUCKET.claimCheckPrefix}${conversationId}/`
    : undefined;

/** The key of an event's claim check: under its conversation (its subject), content-addressed within it. */
export const claimCheckKeyFor = (eventJson: string, subject: string): { key: string; sha256: string } => {
  const sha256 = createHash('sha256').update(eventJson, 'utf8').digest('hex');
  const prefix = claimCheckPrefixFor(subject) ?? `${PAYLOAD_BUCKET.claimCheckPrefix}${UNSCOPED_SEGMENT}`;
  return { key: `${prefix}${sha256}.json`, sha256 };
};

class ClaimCheckIntegrityError extends Error {
  override readonly name = 'ClaimCheckIntegrityError';
}

/**
 * The event JSON a queue message stands for. `fetchObject(bucket, key)` reads the stored bytes;
 * their SHA-256 is checked so a consumer never applies an object that is not the one queued.
 */
export const resolveQueueMessageBody = async (
  body: string,
  fetchObject: (bucket: string, key: string) => Promise<Uint8Array>,
): Promise<unknown> => {
  const json: unknown = JSON.parse(body);
  const pointer = v.safeParse(ClaimCheckSchema, json);
  if (!pointer.success) return json;
  const { bucket, key, sha256 } = pointer.output.switchboardClaimCheck;
  const bytes = await fetchObject(bucket, key);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new ClaimCheckIntegrityError('claim-checked object does not match its hash');
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
};
