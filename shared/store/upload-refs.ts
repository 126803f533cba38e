import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { isSendableMediaKey } from '#shared/aws/media-objects.ts';
import type { SendMessageCommand } from '#shared/contract/commands.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { epochSeconds } from './item-rules.ts';
import { type ItemKey, uploadReferenceKey, uploadReferencesPartition } from './keys.ts';
import { MESSAGE_RETENTION_SECONDS } from './messages.ts';
import { SEND_RECORD_LEAST_KEPT_SECONDS } from './sends.ts';
import { batchWriteItems, type TableContext, track } from './table.ts';

/*
 * Which conversations each file the helpdesk uploaded for sending was sent in (key catalogue:
 * `uploadReference`). One upload (`POST /v1/media`) may go to any number of customers (a price
 * list), or to one alone (an invoice naming them): an erasure deletes the file only once no other
 * conversation's send names it, which it reads here instead of searching every send record.
 */

/** Whether a payload key is a helpdesk upload for sending (media/outbound/), which sends of any conversation may name. */
export const isUploadKey = (s3Key: string): boolean =>
  s3Key.startsWith(PAYLOAD_BUCKET.prefixes.outboundMedia);

/**
 * The uploads a command's parts name (a media part's `source.s3Key`, a template header's `s3Key`,
 * under media/outbound/): what its send record names, once looked up (`plan.media`) or, for a send
 * refused before, as `files`, and what the conversation's upload references note.
 */
export const uploadsNamedBy = (parts: SendMessageCommand['data']['parts']): string[] => {
  const keys = new Set<string>();
  for (const part of parts) {
    if (part.type === 'media' && 's3Key' in part.source) keys.add(part.source.s3Key);
    const header = part.type === 'template' ? part.header : undefined;
    if (header && 's3Key' in header && typeof header.s3Key === 'string') keys.add(header.s3Key);
  }
  // Only the helpdesk's uploads for sending (POST /v1/media): a file of another conversation a
  // command names stays that conversation's. And only keys the hub could have sent: the contract
  // takes any 1–1024 characters, and a key with a control character (which S3 could never have
  // stored, and whose delete S3 refuses) would only stand in every later erasure's way.
  return [...keys].filter((key) => isUploadKey(key) && isSendableMediaKey(key));
};

/**
 * Notes that a send in `conversationId` names these uploads (one PutItem each, the same item again
 * for a repeat): written before the send record that names them, so no record names an upload
 * without its reference. A reference lives as long as that record (`retentionSeconds`, the message
 * retention the sender keeps sends by, with the send record's least): not longer, since an erasure
 * finds the references of a conversation from the keys its records name, and one outliving them would
 * outlive the erasure.
 */
export const noteUploadsSent = async (
  context: TableContext,
  conversationId: string,
  s3Keys: readonly string[],
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): Promise<void> => {
  const expiresAt = epochSeconds(context.now()) + Math.max(retentionSeconds, SEND_RECORD_LEAST_KEPT_SECONDS);
  await Promise.all(
    [...new Set(s3Keys)].filter(isUploadKey).map(async (s3Key) => {
      const output = await context.client.send(
        new PutItemCommand({
          TableName: context.tableName,
          Item: marshall({ ...uploadReferenceKey(s3Key, conversationId), expiresAt }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'PutItem', output);
    }),
  );
};

/**
 * The references `sentIn` names (per upload key, the conversations erased records name it in): what
 * an erasure deletes and an export lists (shared/store/erasure.ts).
 */
export const uploadReferenceKeysOf = (sentIn: ReadonlyMap<string, ReadonlySet<string>>): ItemKey[] =>
  [...sentIn.keys()]
    .filter(isUploadKey)
    .flatMap((s3Key) =>
      [...(sentIn.get(s3Key) ?? [])].map((conversationId) => uploadReferenceKey(s3Key, conversationId)),
    );

/**
 * For an erasure: deletes the references of the erased conversations (`sentIn`: per upload key, the
 * conversations the erased records name it in), then reads each upload's remaining references
 * (consistently: a reference a sender wrote before its record is seen). Returns the uploads some
 * other conversation still names, which stay. An upload without any reference (sent before they were
 * kept) is not among them: it goes, as it did.
 */
export const releaseUploads = async (
  context: TableContext,
  sentIn: ReadonlyMap<string, ReadonlySet<string>>,
): Promise<Set<string>> => {
  await batchWriteItems(
    context,
    uploadReferenceKeysOf(sentIn).map((key) => ({ DeleteRequest: { Key: marshall(key) } })),
  );
  const uploads = [...sentIn.keys()].filter(isUploadKey);
  const stillSent = new Set<string>();
  for (const s3Key of uploads) {
    const output = await context.client.send(
      new QueryCommand({
        TableName: context.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': uploadReferencesPartition(s3Key) }),
        ConsistentRead: true,
        Limit: 1,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'Query', output);
    // Any reference, expired or not (TTL deletes lazily): at worst a file stays until the bucket's
    // lifecycle ends it, never goes while a send still names it.
    if ((output.Count ?? 0) > 0) stillSent.add(s3Key);
  }
  return stillSent;
};
