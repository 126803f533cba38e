import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { int, lazily, nonEmptyString, object } from '#shared/validation/schema.ts';
import { isNoSuchObjectError } from './object-errors.ts';
import { isKeyableConversationId } from './payload-keys.ts';

/**
 * An event too large for one SQS message travels as a pointer: its JSON is stored in the payload
 * bucket under `bodies/events/<conversationId>/<sha256>.json` (`claimCheckKeyFor`) and the queue
 * carries this small envelope instead. `id`, `type` and `subject` are copied so a consumer can
 * dedupe and route without the fetch, and the event's `channel` and `provider` when it names them
 * (pointers queued before 2026-12-03 have neither), so a consumer that finds the object gone can
 * still say which event it lost and where. The pointer names the key, so a consumer reads any key,
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
    channel: v.optional(v.string()),
    provider: v.optional(v.string()),
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

/**
 * The object a claim check names is gone (`claim_check_missing`: erased with its conversation, or
 * expired by the bucket's lifecycle) or is not the one queued (`claim_check_mismatch`): no retry
 * brings the event back, so a consumer settles the message with what the pointer says.
 */
export class ClaimCheckLostError extends Error {
  override readonly name = 'ClaimCheckLostError';
  constructor(
    readonly reason: 'claim_check_missing' | 'claim_check_mismatch',
    readonly pointer: ClaimCheck,
  ) {
    super(
      reason === 'claim_check_missing'
        ? 'claim-checked object is gone'
        : 'claim-checked object does not match its hash',
    );
  }
}

/**
 * Whether a read failed because the object is not there: S3's 404 (./object-errors.ts), or a
 * reader's own "not found" (`BlobNotFoundError`, which `readClaimCheck` also raises for a 403 whose
 * key listing does not find). Throttling, 5xx and access denied are not.
 */
const isMissingObject = (error: unknown): boolean =>
  isNoSuchObjectError(error) || (error instanceof Error && error.name === 'BlobNotFoundError');

/**
 * The event JSON a queue message stands for. `fetchObject(bucket, key)` reads the stored bytes;
 * their SHA-256 is checked so a consumer never applies an object that is not the one queued.
 * Throws `ClaimCheckLostError` when the object is gone or does not match; any other failure of
 * the read as it came (a retry may succeed).
 */
export const resolveQueueMessageBody = async (
  body: string,
  fetchObject: (bucket: string, key: string) => Promise<Uint8Array>,
): Promise<unknown> => {
  const json: unknown = JSON.parse(body);
  const pointer = v.safeParse(ClaimCheckSchema, json);
  if (!pointer.success) return json;
  const { bucket, key, sha256 } = pointer.output.switchboardClaimCheck;
  let bytes: Uint8Array;
  try {
    bytes = await fetchObject(bucket, key);
  } catch (error) {
    if (isMissingObject(error)) throw new ClaimCheckLostError('claim_check_missing', pointer.output);
    throw error;
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new ClaimCheckLostError('claim_check_mismatch', pointer.output);
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
};
