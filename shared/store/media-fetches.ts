import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { MediaFailureReasonSchema } from '#shared/contract/events.ts';
import { epochSeconds, isConditionFailure, isLive } from './item-rules.ts';
import { mediaFetchKey, messageKey } from './keys.ts';
import { MESSAGE_RETENTION_SECONDS, type StoredMessageData, storedMessageOf } from './messages.ts';
import { batchGetItems, type TableContext, track } from './table.ts';

/*
 * One item per inbound attachment (keys.ts: `mediaFetch`), in its message's partition. It is the
 * fetcher's claim, so a part is downloaded once however often its job is delivered:
 *   absent → fetching (claimed, with a token) → stored | failed
 *                     ↘ waiting (a transient provider failure; the job comes back later) → fetching
 * A claim left `fetching` by a fetcher that died mid-download may be taken again once it is older
 * than the job's visibility timeout (the queue redelivers no sooner). The object key is written with
 * the claim, before any byte is uploaded, as `{store: 's3', key}`: erasure deletes the object
 * whenever it reaches the message, even one a crashed fetcher half wrote.
 * A write whose answer is lost is written again by the SDK and then fails its own condition: the
 * item then names the token that made it (`claimToken` while fetching, `endedBy` once ended), and a
 * refusal that finds this fetcher's own token reads as the write it is (claimed, ended).
 */

const OutcomeSchema = z.discriminatedUnion('state', [
  z.object({
    state: z.literal('stored'),
    sha256: z.string(),
    size: z.number().int().nonnegative(),
    /** As the object is stored (and served). */
    contentType: z.string(),
    /**
     * The file's type, where the object is stored neutralized (shared/media/stored-type.ts): the
     * part's `mimeType`. Absent in outcomes recorded before 2026-12-05, whose object is `contentType`.
     */
    mimeType: z.string().optional(),
    at: z.string(),
  }),
  z.object({
    state: z.literal('failed'),
    reason: MediaFailureReasonSchema,
    detail: z.string().optional(),
    at: z.string(),
  }),
]);
export type MediaOutcome = z.infer<typeof OutcomeSchema>;

export type MediaClaim =
  /** This fetcher holds the part: download it. `attempts` counts this one. */
  | { readonly kind: 'claimed'; readonly attempts: number }
  /** The part already ended: its outcome (publish it again, download nothing). */
  | { readonly kind: 'ended'; readonly outcome: MediaOutcome; readonly attempts: number }
  /** Another fetcher holds a fresh claim: try later. */
  | { readonly kind: 'busy' }
  /** The message was erased: nothing to fetch, nothing to tell. */
  | { readonly kind: 'erased' };

export interface MediaClaimRequest {
  readonly hubMessageId: string;
  readonly partIndex: number;
  readonly conversationId: string;
  /** Where the bytes go: recorded before the upload starts. */
  readonly key: string;
  /** Unique to this attempt: only its holder may end or release the claim. */
  readonly token: string;
  /** A `fetching` claim older than this is a dead fetcher's. */
  readonly staleAfterSeconds: number;
}

/**
 * What `end` did: recorded the outcome, or refused it because the claim was lost: the part's item
 * is gone (erased meanwhile), or another fetcher holds or ended it (this claim was taken over as
 * stale; the object under the key is then that fetcher's). An end refused because this token
 * already ended the part (its first write landed, its answer was lost) is 'ended'.
 */
export type MediaEnd = 'ended' | 'erased' | 'taken';

export interface MediaFetchStore {
  claim(request: MediaClaimRequest): Promise<MediaClaim>;
  end(hubMessageId: string, partIndex: number, token: string, outcome: MediaOutcome): Promise<MediaEnd>;
  /** A transient failure: the part waits for the job's next delivery. */
  release(hubMessageId: string, partIndex: number, token: string): Promise<void>;
}

const outcomeOf = (item: Record<string, unknown> | undefined): MediaOutcome | undefined => {
  if (!item || (item.state !== 'stored' && item.state !== 'failed')) return undefined;
  const parsed = OutcomeSchema.safeParse(
    typeof item.outcome === 'string' ? JSON.parse(item.outcome) : undefined,
  );
  return parsed.success ? parsed.data : undefined;
};

export const createMediaFetchStore = (
  context: TableContext,
  retentionSeconds = MESSAGE_RETENTION_SECONDS,
): MediaFetchStore => {
  const isErased = async (hubMessageId: string): Promise<boolean> => {
    const output = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(messageKey(hubMessageId)),
        ProjectionExpression: 'erased',
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'GetItem', output);
    return output.Item !== undefined && unmarshall(output.Item).erased === true;
  };

  const read = async (hubMessageId: string, partIndex: number) => {
    const output = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(mediaFetchKey(hubMessageId, partIndex)),
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    track(context, 'GetItem', output);
    return output.Item ? unmarshall(output.Item) : undefined;
  };

  /** An update of a claim this fetcher still holds (fetching, same token); how it lost it otherwise. */
  const updateHeld = async (
    hubMessageId: string,
    partIndex: number,
    token: string,
    update: string,
    values: Record<string, string>,
    names: Record<string, string> = {},
  ): Promise<MediaEnd> => {
    try {
      const output = await context.client.send(
        new UpdateItemCommand({
          TableName: context.tableName,
          Key: marshall(mediaFetchKey(hubMessageId, partIndex)),
          UpdateExpression: update,
          ConditionExpression: '#state = :fetching AND claimToken = :token',
          ExpressionAttributeNames: { ...names, '#state': 'state' },
          ExpressionAttributeValues: marshall({ ...values, ':fetching': 'fetching', ':token': token }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track(context, 'UpdateItem', output);
      return 'ended';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Erasure deletes the item; a takeover leaves it, under another token or ended.
      const old = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
      const item = old ? unmarshall(old) : await read(hubMessageId, partIndex);
      if (!item) return 'erased';
      // Ended by this very token: the SDK wrote it again after the first write's answer was lost.
      return outcomeOf(item) && item.endedBy === token ? 'ended' : 'taken';
    }
  };

  return {
    claim: async (request) => {
      // A tombstone says erasure passed here: a late job must not bring the attachment back.
      if (await isErased(request.hubMessageId)) return { kind: 'erased' };
      const now = context.now();
      try {
        const output = await context.client.send(
          new UpdateItemCommand({
            TableName: context.tableName,
            Key: marshall(mediaFetchKey(request.hubMessageId, request.partIndex)),
            UpdateExpression:
              'SET #state = :fetching, claimedAt = :now, claimToken = :token, attempts = if_not_exists(attempts, :zero) + :one, ' +
              'conversationId = :conversation, #object = :object, expiresAt = if_not_exists(expiresAt, :expires)',
            ConditionExpression:
              'attribute_not_exists(pk) OR #state = :waiting OR (#state = :fetching AND claimedAt < :stale)',
            ExpressionAttributeNames: { '#state': 'state', '#object': 'object' },
            ExpressionAttributeValues: marshall({
              ':fetching': 'fetching',
              ':waiting': 'waiting',
              ':now': now.toISOString(),
              ':stale': new Date(now.getTime() - request.staleAfterSeconds * 1000).toISOString(),
              ':token': request.token,
              ':zero': 0,
              ':one': 1,
              ':conversation': request.conversationId,
              ':object': { store: 's3', key: request.key },
              ':expires': epochSeconds(now) + retentionSeconds,
            }),
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        track(context, 'UpdateItem', output);
        return { kind: 'claimed', attempts: Number(unmarshall(output.Attributes ?? {}).attempts ?? 1) };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const old = (error as { Item?: Parameters<typeof unmarshall>[0] }).Item;
        // DynamoDB returns the item that failed the condition; a server that does not is asked.
        const item = old ? unmarshall(old) : await read(request.hubMessageId, request.partIndex);
        // Claimed by this very token: the SDK wrote it again after the first write's answer was lost.
        if (item?.state === 'fetching' && item.claimToken === request.token)
          return { kind: 'claimed', attempts: Number(item.attempts ?? 1) };
        const outcome = outcomeOf(item);
        if (outcome && isLive(item, now))
          return { kind: 'ended', outcome, attempts: Number(item?.attempts ?? 1) };
        return { kind: 'busy' };
      }
    },

    end: async (hubMessageId, partIndex, token, outcome) => {
      // An erasure that read the person's items before this claim was made does not know of it;
      // its tombstone, written after that read, still ends the part here: nothing is announced,
      // and the claim keeps neither the conversation nor the object (the fetcher deletes that).
      // A tombstone written after this read comes before the erasure lists the conversation's
      // objects, which finds what this fetcher stored.
      if (await isErased(hubMessageId)) {
        await updateHeld(
          hubMessageId,
          partIndex,
          token,
          'SET #state = :erased REMOVE claimToken, conversationId, #object',
          { ':erased': 'erased' },
          { '#object': 'object' },
        );
        return 'erased';
      }
      return updateHeld(
        hubMessageId,
        partIndex,
        token,
        'SET #state = :state, outcome = :outcome, endedBy = :token REMOVE claimToken',
        {
          ':state': outcome.state,
          ':outcome': JSON.stringify(outcome),
        },
      );
    },

    release: async (hubMessageId, partIndex, token) => {
      // Lost meanwhile (erased, or taken over as stale): the other holder decides.
      await updateHeld(hubMessageId, partIndex, token, 'SET #state = :waiting REMOVE claimToken', {
        ':waiting': 'waiting',
      });
    },
  };
};

/** Where a part's copy stands, as its claim item says: the object it names, and how it ended. */
export type MediaFetchRecord =
  | { readonly state: 'fetching' | 'waiting' }
  | { readonly state: 'stored'; readonly key: string; readonly outcome: MediaOutcome & { state: 'stored' } }
  | { readonly state: 'failed'; readonly outcome: MediaOutcome & { state: 'failed' } };

const ObjectRefSchema = z.object({ store: z.literal('s3'), key: z.string().min(1) });

const fetchRecordOf = (item: Record<string, unknown>): MediaFetchRecord | undefined => {
  if (item.state === 'fetching' || item.state === 'waiting') return { state: item.state };
  const outcome = outcomeOf(item);
  if (outcome?.state === 'failed') return { state: 'failed', outcome };
  const object = ObjectRefSchema.safeParse(item.object);
  if (outcome?.state === 'stored' && object.success)
    return { state: 'stored', key: object.data.key, outcome };
  return undefined;
};

export interface RecordedPart {
  /** The message as recorded; undefined when there is none (never recorded, expired, or erased). */
  readonly message: StoredMessageData | undefined;
  /** The part's claim item, when the media fetcher took it. */
  readonly fetch: MediaFetchRecord | undefined;
}

/**
 * A message and one part's claim item, in one consistent BatchGetItem (both are in the message's
 * partition). An erased message is a tombstone without data: it reads as no message, and erasure
 * deleted its claim items.
 */
export const readRecordedPart = async (
  context: TableContext,
  hubMessageId: string,
  partIndex: number,
): Promise<RecordedPart> => {
  const fetchKey = mediaFetchKey(hubMessageId, partIndex);
  const items = await batchGetItems(context, [messageKey(hubMessageId), fetchKey]);
  const messageItem = items.find((item) => item.sk === messageKey(hubMessageId).sk);
  const fetchItem = items.find((item) => item.sk === fetchKey.sk);
  return {
    message: messageItem ? storedMessageOf(messageItem) : undefined,
    fetch: fetchItem ? fetchRecordOf(fetchItem) : undefined,
  };
};
