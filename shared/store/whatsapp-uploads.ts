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
