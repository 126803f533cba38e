import { createHash } from 'node:crypto';
// biome-ignore lint/style/noRestrictedImports: this reader runs in the recorder and the consumers, never on a webhook; the publisher's half (./claim-check-keys.ts) holds no zod
import { type ClaimCheck, ClaimCheckSchema } from '#shared/contract/claim-check.ts';
import { isNoSuchObjectError } from './object-errors.ts';

/*
 * An event too large for one SQS message travels as a pointer, the contract's `ClaimCheck`
 * (shared/contract/claim-check.ts, published in the AsyncAPI document and the JSON Schema): its JSON
 * is stored in the payload bucket (./claim-check-keys.ts) and the queue carries this small envelope
 * instead. `id`, `type` and `subject` are copied so a consumer can dedupe and route without the
 * fetch, and the event's `channel` and `provider` when it names them (pointers queued before
 * 2026-12-03 have neither), so a consumer that finds the object gone can still say which event it
 * lost and where.
 *
 * Consumers (the recorder on the ingest queue, helpdesks on the helpdesk queue) call
 * `resolveQueueMessageBody` on every message body: it returns the
 * event JSON whether the message carried the event itself or a pointer to it.
 */

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
  const pointer = ClaimCheckSchema.safeParse(json);
  if (!pointer.success) return json;
  const { bucket, key, sha256 } = pointer.data.switchboardClaimCheck;
  let bytes: Uint8Array;
  try {
    bytes = await fetchObject(bucket, key);
  } catch (error) {
    if (isMissingObject(error)) throw new ClaimCheckLostError('claim_check_missing', pointer.data);
    throw error;
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new ClaimCheckLostError('claim_check_mismatch', pointer.data);
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
};
