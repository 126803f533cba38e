import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { epochSeconds, isConditionFailure } from './item-rules.ts';
import { erasureAnnouncementKey } from './keys.ts';
import { getItem, type TableContext } from './table.ts';

/*
 * An erasure's `contact.erased`, told once for one erasure however often it runs. The event's id
 * hashes the person and `erasedAt`, and its data the counts of what the run found; an erasure that
 * stops after telling (a later batch refused, the Lambda timed out) is finished by running it
 * again, which would tell a second event under a new id, with other counts. So what is told is
 * written first, under the person, and a run that finds it tells that again (the same id); the run
 * that finishes deletes it, and a later erasure of the person (who wrote again) is an erasure of
 * its own. No text, no address: the times and counts.
 */

const AnnouncedSchema = z.object({
  erasedAt: z.iso.datetime(),
  itemsDeleted: z.number().int().nonnegative(),
  objectsDeleted: z.number().int().nonnegative(),
  tombstones: z.number().int().nonnegative(),
  optOutsKept: z.number().int().nonnegative(),
});

export type ErasureAnnouncement = z.infer<typeof AnnouncedSchema>;

/**
 * How long an erasure left unfinished may still be finished as the same erasure: a helpdesk retries a
 * failed DELETE within minutes or hours; a run after this tells its own event.
 */
const ANNOUNCEMENT_SECONDS = 7 * 24 * 3_600;

/** What an unfinished run of this person's erasure told, if one did. */
export const readErasureAnnouncement = async (
  context: TableContext,
  contactId: string,
): Promise<ErasureAnnouncement | undefined> => {
  const item = await getItem(context, erasureAnnouncementKey(contactId));
  const parsed = item ? AnnouncedSchema.safeParse(item) : undefined;
  return parsed?.success ? parsed.data : undefined;
};

/**
 * Keeps what this run is about to tell, unless another run kept its own first (two DELETEs at
 * once): then that one is what both tell.
 */
export const noteErasureAnnouncement = async (
  context: TableContext,
  contactId: string,
  announcement: ErasureAnnouncement,
): Promise<ErasureAnnouncement> => {
  try {
    await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...erasureAnnouncementKey(contactId),
          ...announcement,
          expiresAt: epochSeconds(context.now()) + ANNOUNCEMENT_SECONDS,
        }),
        // One left by a run long ago (expired, TTL deletes lazily) is no longer this erasure's.
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: marshall({ ':now': epochSeconds(context.now()) }),
      }),
    );
    return announcement;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return (await readErasureAnnouncement(context, contactId)) ?? announcement;
  }
};

/** The erasure finished: the next one of this person tells its own event. */
export const clearErasureAnnouncement = async (context: TableContext, contactId: string): Promise<void> => {
  await context.client.send(
    new DeleteItemCommand({ TableName: context.tableName, Key: marshall(erasureAnnouncementKey(contactId)) }),
  );
};
