import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  type Channel,
  type ChannelIdentity,
  type ConversationStatus,
  hubMessageIdFor,
  type Message,
} from '#shared/contract/index.ts';
import { findContactsByIdentity } from './contacts.ts';
import { byActivity, type ConversationView, conversationViewOf } from './conversations.ts';
import { conversationPage } from './helpdesk-queries.ts';
import { isLive } from './item-rules.ts';
import {
  conversationKey,
  conversationMessagesPartition,
  hubMessageIdOfKey,
  messageKey,
  messageStateKey,
} from './keys.ts';
import { readLiveStates } from './message-live.ts';
import { storedMessageOf } from './messages.ts';
import { MESSAGE_STATE_REGISTERS, type MessageLiveState, readRegisters } from './registers.ts';
import type { TableContext } from './table.ts';

export type { ConversationView } from './conversations.ts';

export interface MessageView {
  readonly hubMessageId: string;
  readonly message: Message;
  /** Status, reactions, edit, deletion, by name (`status`, `customerReaction`, `edit`, `deletion`…). */
  readonly live: MessageLiveState;
  readonly omitted?: readonly string[];
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back to get the next page; absent on the last one. */
  readonly cursor?: string;
}

const encodeCursor = (key: Record<string, unknown> | undefined): string | undefined =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
const decodeCursor = (cursor: string | undefined) =>
  cursor ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;

/** The small read API the local hub demo and the tests use; every read filters out expired items. */
export const createReadApi = (context: TableContext) => {
  const { client, tableName } = context;

  /** Message items with the live state of each (one BatchGetItem for the states). */
  const messageViews = async (items: Record<string, unknown>[]): Promise<MessageView[]> => {
    const live = items.filter((item) => isLive(item, context.now()));
    if (live.length === 0) return [];
    const ids = live.map((item) => hubMessageIdOfKey({ pk: String(item.pk), sk: String(item.sk) }));
    const stored = live.map(storedMessageOf);
    const liveStates = await readLiveStates(
      context,
      stored.map((one, index) => one && { hubMessageId: ids[index] ?? '', message: one.message }),
    );
    return live.flatMap((_item, index) => {
      const one = stored[index];
      const hubMessageId = ids[index] ?? '';
      if (!one) return [];
      return [
        {
          hubMessageId,
          message: one.message,
          live: liveStates[index] ?? {},
          ...(one.omitted ? { omitted: one.omitted } : {}),
        },
      ];
    });
  };

  return {
    async getConversation(conversationId: string): Promise<ConversationView | undefined> {
      const output = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: marshall(conversationKey(conversationId)),
          ConsistentRead: true,
        }),
      );
      return output.Item ? conversationViewOf(unmarshall(output.Item)) : undefined;
    },

    /**
     * gsi1: newest activity first, over every shard of the status (conversationPage). The index
     * orders by the hour of last activity and holds only keys, so each page's conversations are
     * read from the table and ordered by their exact time.
     */
    async listConversationsByStatus(
      status: ConversationStatus,
      options: { limit?: number; cursor?: string } = {},
    ): Promise<Page<ConversationView>> {
      const from = decodeCursor(options.cursor);
      const page = await conversationPage(
        context,
        { index: 'gsi1', status },
        { limit: options.limit ?? 50, ascending: false, ...(from ? { from } : {}) },
      );
      const cursor = encodeCursor(page.last);
      return { items: [...page.items].sort(byActivity), ...(cursor ? { cursor } : {}) };
    },

    /** gsi2, oldest first, as the helpdesk API lists them (shared/store/keys.ts conversationMessagesKeys). */
    async listConversationMessages(
      conversationId: string,
      options: { limit?: number; cursor?: string } = {},
    ): Promise<Page<MessageView>> {
      const output = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': conversationMessagesPartition(conversationId) }),
          ScanIndexForward: true,
          Limit: options.limit ?? 100,
          ExclusiveStartKey: decodeCursor(options.cursor),
        }),
      );
      const items = await messageViews((output.Items ?? []).map((raw) => unmarshall(raw)));
      const cursor = encodeCursor(output.LastEvaluatedKey);
      return { items, ...(cursor ? { cursor } : {}) };
    },

    /**
     * The message and its live state by provider id (one consistent Query on its partition). A
     * status can exist without the message (a reply sent straight through the provider's API).
     */
    async findMessageByProviderId(
      channel: Channel,
      providerMessageId: string,
    ): Promise<{ message?: MessageView; live: MessageLiveState } | undefined> {
      const hubMessageId = hubMessageIdFor(channel, providerMessageId);
      const output = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': messageKey(hubMessageId).pk }),
          ConsistentRead: true,
        }),
      );
      const items = (output.Items ?? [])
        .map((raw) => unmarshall(raw))
        .filter((item) => isLive(item, context.now()));
      const record = items.find((item) => item.sk === messageKey(hubMessageId).sk);
      const live = readRegisters(
        items.find((item) => item.sk === messageStateKey(hubMessageId).sk),
        MESSAGE_STATE_REGISTERS,
      );
      if (!record && Object.keys(live).length === 0) return undefined;
      const [message] = record ? await messageViews([record]) : [];
      return { ...(message ? { message } : {}), live };
    },

    /** Every contact (one per channel) that has this identity, with their identities and consent. */
    findContactsByIdentity: (identity: ChannelIdentity) => findContactsByIdentity(context, identity),
  };
};

export type ReadApi = ReturnType<typeof createReadApi>;
