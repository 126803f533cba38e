import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { HubEvent } from '#shared/contract/index.ts';
import { buildStateChange, type StateChange } from '#shared/domain/state-changed.ts';
import { forgetAnnounced } from './conversations.ts';
import { isConditionFailure } from './item-rules.ts';
import { pendingAnnouncementIndexKeys, pendingAnnouncementKey } from './keys.ts';
import { type TableContext, track } from './table.ts';

/*
 * A helpdesk change is announced, whatever fails (key catalogue: `pendingAnnouncement`). The API's
 * PATCH saves its change on the conversation item together with the change's `state_changed` as it
 * will be published (`unannounced`, conversations.ts), in the one conditional write that makes the
 * new version, and forgets it once the event is on the helpdesk queue. Before that write it puts a
 * marker in the conversation's partition, in gsi4 under `ANNOUNCE`, due a minute later (past the
 * API's timeout, so the request that put it has ended): if the publish failed, or the function
 * stopped in between, whoever comes next publishes what the item still holds: a retry of the PATCH
 * or any later PATCH (they read the item anyway), else the attention sweeper once the marker is due.
 * The sweeper saves a snooze's wake the same way (the snooze timer's change), so a wake whose publish
 * failed is announced whatever writes the conversation before the next sweep (before 2026-12-05 it
 * held its `SNOOZED` index entry instead, which such a write moved: the wake went unannounced, found
 * by a review). Each change keeps its event id (its cause), so a change published twice is one
 * event downstream; a late one carries a lower `state.version` than what came after it, which
 * consumers keep anyway. No transaction: the marker only says where to look, the item says what is
 * left.
 */

/**
 * From a PATCH's or a wake's write to when the sweeper takes over: past the API function's timeout
 * (HELPDESK_API.timeoutSeconds, 29 s) and the sweeper's (ATTENTION_SWEEPER.timeoutSeconds, 50 s), so
 * the request or sweep that put it has ended (tests/infra/helpdesk-api.test.ts holds it to both).
 */
export const ANNOUNCEMENT_GRACE_SECONDS = 60;

/**
 * The marker, put (or moved later) before the write that saves a change: the sweeper looks at the
 * conversation once it is due. Returns that time, which only its own request deletes it by.
 */
export const putAnnouncementMarker = async (
  context: TableContext,
  conversationId: string,
  now: Date,
): Promise<string> => {
  const dueAt = new Date(now.getTime() + ANNOUNCEMENT_GRACE_SECONDS * 1000).toISOString();
  const output = await context.client.send(
    new PutItemCommand({
      TableName: context.tableName,
      Item: marshall({ ...pendingAnnouncementKey(conversationId), ...pendingAnnouncementIndexKeys(dueAt) }),
      ReturnConsumedCapacity: 'TOTAL',
    }),
  );
  track(context, 'PutItem', output);
  return dueAt;
};

/** Deletes the marker if it is still due at `dueAt` (a later PATCH's marker, put meanwhile, stays). */
export const deleteAnnouncementMarker = async (
  context: TableContext,
  conversationId: string,
  dueAt: string,
): Promise<void> => {
  try {
    const output = await context.client.send(
      new DeleteItemCommand({
        TableName: context.tableName,
        Key: marshall(pendingAnnouncementKey(conversationId)),
        ConditionExpression: 'gsi4sk = :due',
        ExpressionAttributeValues: marshall({ ':due': dueAt }),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'DeleteItem', output);
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

/**
 * Publishes a conversation's unpublished changes, oldest first, then forgets them on the item and,
 * given the due time of the marker the caller read or put, deletes that marker. A failed publish
 * throws with everything left in place for the next try.
 */
export const announceChanges = async (
  deps: { readonly table: TableContext; readonly publishEvent: (event: HubEvent) => Promise<void> },
  conversationId: string,
  changes: readonly StateChange[],
  markerDueAt?: string,
): Promise<void> => {
  for (const change of changes) await deps.publishEvent(buildStateChange(change));
  await forgetAnnounced(
    deps.table,
    conversationId,
    changes.map((change) => change.causedBy),
  );
  if (markerDueAt !== undefined) await deleteAnnouncementMarker(deps.table, conversationId, markerDueAt);
};
