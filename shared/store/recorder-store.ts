import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import {
  type Channel,
  type ChannelIdentity,
  ConversationStateSchema,
  type ConversationStatus,
  ConversationStatusSchema,
  identityKey,
} from '#shared/contract/index.ts';
import type { ConversationModel, MessageEvent } from '#shared/domain/conversation.ts';
import type { Register } from '#shared/domain/register.ts';
import { occurredAt } from '#shared/domain/time.ts';
import {
  contactItemKey,
  conversationKey,
  conversationMessagesKeys,
  identityItemKey,
  messageKey,
  statusIndexKeys,
} from './keys.ts';
import { hubMessageIdOf, storedMessageData } from './message-record.ts';
import { epochSeconds, isConditionFailure, isLive, type TableContext } from './table.ts';

/** The cause of the last state change, so a redelivery can re-publish the same state_changed event. */
export interface LastChange {
  readonly eventId: string;
  readonly previousStatus: ConversationStatus | null;
}

export interface StoredConversation {
  readonly model: ConversationModel | undefined;
  /** Short hashes of the most recently applied events, newest last. */
  readonly recentEventIds: readonly string[];
  readonly lastChange: LastChange | undefined;
}

export interface ConversationWrite {
  readonly model: ConversationModel;
  /** The model this write replaces, as loaded (undefined when the conversation is new). */
  readonly previous: ConversationModel | undefined;
  readonly recentEventIds: readonly string[];
  readonly lastChange: LastChange;
}

/** Where a register lives: an item and one of its attributes. */
export interface RegisterTarget {
  readonly key: { readonly pk: string; readonly sk: string };
  readonly attribute: string;
  /** Items that are not kept forever (message state) refresh their expiry on every write. */
  readonly expiresAt?: number;
  /** Extra plain attributes set with the register (e.g. the conversation a message belongs to). */
  readonly with?: Readonly<Record<string, string>>;
}

export interface StoredRegister extends Register {
  /** JSON of what the register holds (a status with its errors, an emoji, an edit's parts…). */
  readonly value: string;
}

/** What the recorder needs from storage; tests wrap it to inject crashes between the calls. */
export interface RecorderStore {
  /** Consistent read of the done-marker; an expired one counts as absent. */
  hasMessage(event: MessageEvent): Promise<boolean>;
  loadConversation(conversationId: string): Promise<StoredConversation>;
  /** Optimistic concurrency on `version`; `conflict` when someone else wrote first. */
  saveConversation(write: ConversationWrite): Promise<'saved' | 'conflict'>;
  /** Idempotent: set union of identities, one lookup item per identity. */
  indexContact(channel: Channel, contactKey: string, identities: readonly ChannelIdentity[]): Promise<void>;
  /** The durable "done" marker, written last. */
  putMessage(event: MessageEvent): Promise<void>;
  /** Forward-only write; `stale` when the stored value is ahead (or equal, from another event). */
  writeRegister(target: RegisterTarget, register: StoredRegister): Promise<'written' | 'stale'>;
}

export const RECENT_EVENT_LIMIT = 8;

/** Message records and message state live this long; at least the dedup horizon (8 days). */
export const MESSAGE_RETENTION_SECONDS = 30 * 24 * 60 * 60;

const ModelExtrasSchema = z.looseObject({
  state: ConversationStateSchema,
  firstInboundAt: z.string().nullable(),
  lastOutboundAt: z.string().nullable(),
});
const LastChangeSchema = z.object({
  eventId: z.string(),
  previousStatus: ConversationStatusSchema.nullable(),
});
const ConversationItemSchema = z.looseObject({
  model: z.string().optional(),
  recent: z.string().optional(),
  lastChange: z.string().optional(),
});

export const parseConversationModel = (json: string): ConversationModel =>
  ModelExtrasSchema.parse(JSON.parse(json));

export const createRecorderStore = (context: TableContext, retentionSeconds = MESSAGE_RETENTION_SECONDS) => {
  const { client, tableName } = context;
  const track = (
    operation: string,
    output: { ConsumedCapacity?: import('@aws-sdk/client-dynamodb').ConsumedCapacity },
  ) => context.onCapacity?.(operation, output.ConsumedCapacity);
  const expiry = (): number => epochSeconds(context.now()) + retentionSeconds;

  const store: RecorderStore = {
    async hasMessage(event) {
      const output = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: marshall(messageKey(event.data.channel, event.data.providerMessageId)),
          ConsistentRead: true,
          ProjectionExpression: 'expiresAt',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track('GetItem', output);
      return isLive(output.Item ? unmarshall(output.Item) : undefined, context.now());
    },

    async loadConversation(conversationId) {
      const output = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: marshall(conversationKey(conversationId)),
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track('GetItem', output);
      const item = ConversationItemSchema.parse(output.Item ? unmarshall(output.Item) : {});
      return {
        model: item.model ? parseConversationModel(item.model) : undefined,
        recentEventIds: item.recent ? item.recent.split(' ') : [],
        lastChange: item.lastChange ? LastChangeSchema.parse(JSON.parse(item.lastChange)) : undefined,
      };
    },

    async saveConversation(write) {
      const { state } = write.model;
      const expectedVersion = write.previous?.state.version ?? 0;
      const indexKeys = statusIndexKeys(write.model.state);
      const previousIndexKeys = write.previous ? statusIndexKeys(write.previous.state) : undefined;
      // Setting unchanged keys would be free too, but leaving them out says so.
      const indexMoved =
        previousIndexKeys?.gsi1pk !== indexKeys.gsi1pk || previousIndexKeys.gsi1sk !== indexKeys.gsi1sk;
      try {
        const output = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall(conversationKey(state.conversationId)),
            // UpdateItem, not PutItem: watermarks written on the same item by status events stay.
            UpdateExpression: `SET #model = :model, #version = :version, #recent = :recent, #lastChange = :lastChange${
              indexMoved ? ', gsi1pk = :gsi1pk, gsi1sk = :gsi1sk' : ''
            }`,
            ConditionExpression:
              expectedVersion === 0 ? 'attribute_not_exists(#version)' : '#version = :expected',
            ExpressionAttributeNames: {
              '#model': 'model',
              '#version': 'version',
              '#recent': 'recent',
              '#lastChange': 'lastChange',
            },
            ExpressionAttributeValues: marshall({
              ':model': JSON.stringify(write.model),
              ':version': state.version,
              ':recent': write.recentEventIds.join(' '),
              ':lastChange': JSON.stringify(write.lastChange),
              ...(indexMoved ? { ':gsi1pk': indexKeys.gsi1pk, ':gsi1sk': indexKeys.gsi1sk } : {}),
              ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
            }),
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        track('UpdateItem', output);
        return 'saved';
      } catch (error) {
        if (isConditionFailure(error)) return 'conflict';
        throw error;
      }
    },

    async indexContact(channel, contactKey, identities) {
      const output = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: marshall(contactItemKey(contactKey)),
          UpdateExpression: 'SET #channel = :channel ADD #identities :identities',
          ExpressionAttributeNames: { '#channel': 'channel', '#identities': 'identities' },
          ExpressionAttributeValues: marshall({
            ':channel': channel,
            ':identities': new Set(identities.map(identityKey)),
          }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track('UpdateItem', output);
      for (const identity of identities) {
        const put = await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall({ ...identityItemKey(identity, contactKey), contactKey, channel }),
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        track('PutItem', put);
      }
    },

    async putMessage(event) {
      const hubMessageId = hubMessageIdOf(event);
      const output = await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall({
            ...messageKey(event.data.channel, event.data.providerMessageId),
            ...conversationMessagesKeys(event.data.conversationId, occurredAt(event), hubMessageId),
            eventId: event.id,
            data: JSON.stringify(storedMessageData(event)),
            expiresAt: expiry(),
          }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      track('PutItem', output);
    },

    async writeRegister(target, register) {
      const withNames = Object.keys(target.with ?? {});
      const sets = [
        '#register = :register',
        ...(target.expiresAt !== undefined ? ['expiresAt = :expiresAt'] : []),
        ...withNames.map((_, index) => `#with${index} = :with${index}`),
      ];
      try {
        const output = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: marshall(target.key),
            UpdateExpression: `SET ${sets.join(', ')}`,
            // Same rule as advanceRegister(): forward, or a rewrite by the same event.
            ConditionExpression:
              'attribute_not_exists(#register) OR #register.#order < :order OR #register.#eventId = :eventId',
            ExpressionAttributeNames: {
              '#register': target.attribute,
              '#order': 'order',
              '#eventId': 'eventId',
              ...Object.fromEntries(withNames.map((name, index) => [`#with${index}`, name])),
            },
            ExpressionAttributeValues: marshall({
              ':register': { order: register.order, eventId: register.eventId, value: register.value },
              ':order': register.order,
              ':eventId': register.eventId,
              ...(target.expiresAt !== undefined ? { ':expiresAt': target.expiresAt } : {}),
              ...Object.fromEntries(
                Object.values(target.with ?? {}).map((value, index) => [`:with${index}`, value]),
              ),
            }),
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        track('UpdateItem', output);
        return 'written';
      } catch (error) {
        if (isConditionFailure(error)) return 'stale';
        throw error;
      }
    },
  };
  return { store, expiry };
};
