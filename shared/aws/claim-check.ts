import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

/**
 * An event too large for one SQS message travels as a pointer: its JSON is stored in the payload
 * bucket under `bodies/events/<sha256>.json` and the queue carries this small envelope instead.
 * `id`, `type` and `subject` are copied so a consumer can dedupe and route without the fetch.
 *
 * Consumers (the recorder on the ingest queue, helpdesks on the helpdesk queue) call
 * `resolveQueueMessageBody` on every message body: it returns the
 * event JSON whether the message carried the event itself or a pointer to it.
 */
export const ClaimCheckSchema = z.object({
  switchboardClaimCheck: z.object({
    version: z.literal(1),
    bucket: z.string().min(1),
    key: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int().positive(),
  }),
  id: z.string(),
  type: z.string(),
  subject: z.string(),
});
export type ClaimCheck = z.infer<typeof ClaimCheckSchema>;

export const CLAIM_CHECK_CONTENT_TYPE = 'application/cloudevents+json';

export const claimCheckKeyFor = (eventJson: string): { key: string; sha256: string } => {
  const sha256 = createHash('sha256').update(eventJson, 'utf8').digest('hex');
  return { key: `${PAYLOAD_BUCKET.claimCheckPrefix}${sha256}.json`, sha256 };
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
  const pointer = ClaimCheckSchema.safeParse(json);
  if (!pointer.success) return json;
  const { bucket, key, sha256 } = pointer.data.switchboardClaimCheck;
  const bytes = await fetchObject(bucket, key);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new ClaimCheckIntegrityError('claim-checked object does not match its hash');
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
};
