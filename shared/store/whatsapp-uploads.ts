import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { WhatsAppMediaIdSchema } from '#shared/channels/whatsapp/media-id.ts';
import { BusinessEndpointSchema } from '#shared/contract/common.ts';
import type { BusinessEndpoint } from '#shared/contract/types.ts';
import { epochSeconds } from './item-rules.ts';
import { kindOfKey, whatsappUploadKey } from './keys.ts';
import { type TableContext, track } from './table.ts';

/*
 * Files the sender uploaded to WhatsApp (`POST /{phone-number-id}/media`) for its sends (key
 * catalogue: `whatsappUpload`). Meta keeps an upload 30 days; the hub remembers its media id in the
 * send's partition for as long, so an erasure of the person reaches it with the send and deletes
 * the upload at Meta (`DELETE /{media-id}`, shared/outbound/provider-erasure.ts).
 */

/** Meta keeps an upload 30 days (outbound.md 1.1): after that there is nothing left to delete. */
const WHATSAPP_UPLOAD_SECONDS = 30 * 24 * 3_600;

const WhatsAppUploadSchema = z.object({
  mediaId: WhatsAppMediaIdSchema,
  endpoint: BusinessEndpointSchema,
  uploadedAt: z.string(),
});
export type WhatsAppUpload = z.infer<typeof WhatsAppUploadSchema>;

/**
 * How old an upload may be for a later try of its message to name it again instead of uploading
 * the file anew: a day short of Meta's 30. A try comes seconds to hours after the upload, and a
 * command lives at most OUTBOX_LONGEST_WAIT_SECONDS (28 days) from its queueing, so the day is the
 * margin for clocks and for Meta's "30 days" being counted otherwise than the hub counts it. One
 * Meta dropped early anyway is refused by name and uploaded again (shared/outbound/send-command.ts).
 */
export const UPLOAD_REUSE_SECONDS = 29 * 24 * 3_600;

/**
 * The upload the send's next message names, kept on its send record (`upload`) with the attempt
 * that names it (SendStore.startAttempt: the same write), so that a later try of that message
 * (after a throttle, an unreachable provider) names it again, read with the record it reads anyway.
 * Which file it is of (`partIndex`, `s3Key`, `bytes` as the plan recorded them) and where it was
 * uploaded (`endpoint`) are kept with it: another file or number is never named by it.
 */
export const SendUploadSchema = z.object({
  /** The provider message (its sequence) that names it. */
  index: z.int().nonnegative(),
  partIndex: z.int().nonnegative(),
  s3Key: z.string(),
  bytes: z.int().nonnegative(),
  mediaId: WhatsAppMediaIdSchema,
  endpoint: BusinessEndpointSchema,
  uploadedAt: z.string(),
});
export type SendUpload = z.infer<typeof SendUploadSchema>;

/**
 * The media id a try of provider message `wanted.index` may name instead of uploading its file
 * again: the send's kept upload, when it is of that message, that part, that file (key and size)
 * and that endpoint, and younger than UPLOAD_REUSE_SECONDS. Pure.
 */
export const reusableUpload = (
  kept: SendUpload | undefined,
  wanted: {
    readonly index: number;
    readonly partIndex: number;
    readonly s3Key: string;
    readonly bytes: number;
    readonly endpoint: BusinessEndpoint;
  },
  now: Date,
): string | undefined => {
  if (kept === undefined) return undefined;
  const same =
    kept.index === wanted.index &&
    kept.partIndex === wanted.partIndex &&
    kept.s3Key === wanted.s3Key &&
    kept.bytes === wanted.bytes &&
    kept.endpoint.type === wanted.endpoint.type &&
    kept.endpoint.id === wanted.endpoint.id;
  const age = (now.getTime() - Date.parse(kept.uploadedAt)) / 1000;
  // A little negative when another environment's clock is behind: still the same young upload.
  return same && age < UPLOAD_REUSE_SECONDS ? kept.mediaId : undefined;
};

/** A stored upload, or undefined for any other item (or a malformed one). */
export const whatsappUploadOf = (item: Record<string, unknown>): WhatsAppUpload | undefined =>
  kindOfKey({ pk: String(item.pk), sk: String(item.sk) }) === 'whatsappUpload'
    ? WhatsAppUploadSchema.safeParse(item).data
    : undefined;

/** The item for one upload of a send, expiring when Meta expires the upload. */
export const whatsappUploadItem = (
  hubMessageId: string,
  mediaId: string,
  endpoint: BusinessEndpoint,
  now: Date,
): Record<string, unknown> => ({
  ...whatsappUploadKey(hubMessageId, WhatsAppMediaIdSchema.parse(mediaId)),
  mediaId,
  endpoint,
  uploadedAt: now.toISOString(),
  expiresAt: epochSeconds(now) + WHATSAPP_UPLOAD_SECONDS,
});

/** Remembers an upload (one PutItem; a redelivery's new upload is another item of the same send). */
export const rememberWhatsAppUpload = async (
  context: TableContext,
  upload: { readonly hubMessageId: string; readonly mediaId: string; readonly endpoint: BusinessEndpoint },
): Promise<void> => {
  const output = await context.client.send(
    new PutItemCommand({
      TableName: context.tableName,
      Item: marshall(whatsappUploadItem(upload.hubMessageId, upload.mediaId, upload.endpoint, context.now())),
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'PutItem', output);
};
