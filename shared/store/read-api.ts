import { BatchGetItemCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import {
  type Channel,
  type ChannelIdentity,
  type ConversationState,
  type ConversationStatus,
  MessageSchema,
} from '#shared/contract/index.ts';
import { conversationKey, identityPartition, lastActivityOf, messageKey } from './keys.ts';
import { parseConversationModel } from './recorder-store.ts';
import { isLive, type TableContext } from './table.ts';

/** A register as stored, its value still JSON (each kind has its own shape). */
const RegisterSchema = z.object({ order: z.string(), eventId: z.string(), value: z.string() });
type StoredRegister = z.infer<typeof RegisterSchema>;

const registerValue = (register: unknown): unknown => {
  const parsed = RegisterSchema.safeParse(register);
  return parsed.success ? JSON.parse(parsed.data.value) : undefined;
};

const registersOf = (item: Record<string, unknown> | undefined): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(item ?? {})
      .filter(([, value]) => RegisterSchema.safeParse(value).success)
      .map(([name, value]) => [name, registerValue(value)]),
  );

export interface ConversationView {
  readonly state: ConversationState;
  /** Messenger watermarks: every message sent up to this time is read/delivered. */
  readonly readWatermark?: string;
  readonly deliveredWatermark?: string;
}

export interface MessageView {
  readonly hubMessageId: string;
  readonly message: z.infer<typeof MessageSchema>;
  /** Status, reactions, edit, deletion, by name (`status`, `customerReaction`, `edit`, `deletion`…). */
  readonly live: Record<string, unknown>;
  readonly omitted?: readonly string[];
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back to get the next page; absent on the last one. */
  readonly cursor?: string;
}

const StoredMessageSchema = z.object({ message: MessageSchema, omitted: z.array(z.string()).optional() });

const encodeCursor = (key: Record<string, unknown> | undefined): string | undefined =>
  key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
const decodeCursor = (cursor: string | undefined) =>
  cursor ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;

const watermarkOf = (register: unknown): string | undefined => {
  const value = registerValue(register) as { watermark?: unknown } | undefined;
  return typeof value?.watermark === 'string' ? value.watermark : undefined;
};

const toConversationView = (item: Record<string, unknown>): ConversationView | undefined => {
  if (typeof item.model !== 'string') return undefined;
  const readWatermark = watermarkOf(item.readWatermark);
  const deliveredWatermark = watermarkOf(item.deliveredWatermark);
  return {
    state: parseConversationModel(item.model).state,
    ...(readWatermark ? { readWatermark } : {}),
    ...(deliveredWatermark ? { deliveredWatermark } : {}),
  };
};

/** The small read API the local hub demo and the tests use; every read filters out expired items. */
export const createReadApi = (context: TableContext) => {
  const { client, tableName } = context;

  /** Consistent reads of up to any number of items, 100 per request; expired ones are left out. */
  const batchGet = async (keys: readonly { pk: string; sk: string }[]) => {
    const items: Record<string, unknown>[] = [];
    for (let start = 0; start < keys.length; start += 100) {
      const chunk = keys.slice(start, start + 100).map((key) => marshall(key));
      let request: Record<string, { Keys: typeof chunk; ConsistentRead: boolean }> | undefined = {
        [tableName]: { Keys: chunk, ConsistentRead: true },
      };
      while (request && Object.keys(request).length > 0) {
        const output = await client.send(new BatchGetItemCommand({ RequestItems: request }));
        for (const raw of output.Responses?.[tableName] ?? []) {
          const item = unmarshall(raw);
          if (isLive(item, context.now())) items.push(item);
        }
        request = output.UnprocessedKeys as typeof request;
      }
    }
    return items;
  };

  const messageViews = async (items: Record<string, unknown>[]): Promise<MessageView[]> => {
    const live = items.filter((item) => isLive(item, context.now()));
    if (live.length === 0) return [];
    const stateByPk = new Map<string, Record<string, unknown>>();
    for (const item of await batchGet(live.map((entry) => ({ pk: String(entry.pk), sk: 'STATE' })))) {
      stateByPk.set(String(item.pk), item);
    }
    return live.map((item) => {
      const stored = StoredMessageSchema.parse(JSON.parse(String(item.data)));
      return {
        hubMessageId: String(item.pk).slice('MSG#'.length),
        message: stored.message,
        live: registersOf(stateByPk.get(String(item.pk))),
        ...(stored.omitted ? { omitted: stored.omitted } : {}),
      };
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
      return output.Item ? toConversationView(unmarshall(output.Item)) : undefined;
    },

    /**
     * gsi1: newest activity first. The index orders by the hour of last activity and holds only keys,
     * so each page's conversations are read from the table (consistently) and ordered by their exact
     * time; one the index still lists under its old status is left out.
     */
    async listConversationsByStatus(
      status: ConversationStatus,
      options: { limit?: number; cursor?: string } = {},
    ): Promise<Page<ConversationView>> {
      const output = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': `STATUS#${status}` }),
          ScanIndexForward: false,
          Limit: options.limit ?? 50,
          ExclusiveStartKey: decodeCursor(options.cursor),
        }),
      );
      const keys = (output.Items ?? []).map((raw) => {
        const { pk, sk } = unmarshall(raw);
        return { pk: String(pk), sk: String(sk) };
      });
      const views = (await batchGet(keys))
        .map(toConversationView)
        .filter((view): view is ConversationView => view?.state.status === status);
      const newestFirst = (a: ConversationView, b: ConversationView) => {
        const [timeA, timeB] = [lastActivityOf(a.state), lastActivityOf(b.state)];
        return timeA < timeB ? 1 : timeA > timeB ? -1 : 0;
      };
      views.sort(newestFirst);
      const cursor = encodeCursor(output.LastEvaluatedKey);
      return { items: views, ...(cursor ? { cursor } : {}) };
    },

    /** gsi2, oldest first (provider time; the hub message id breaks ties). */
    async listConversationMessages(
      conversationId: string,
      options: { limit?: number; cursor?: string } = {},
    ): Promise<Page<MessageView>> {
      const output = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi2',
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': `CONVMSGS#${conversationId}` }),
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
    ): Promise<{ message?: MessageView; live: Record<string, unknown> } | undefined> {
      const { pk } = messageKey(channel, providerMessageId);
      const output = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': pk }),
          ConsistentRead: true,
        }),
      );
      const items = (output.Items ?? [])
        .map((raw) => unmarshall(raw))
        .filter((item) => isLive(item, context.now()));
      const record = items.find((item) => item.sk === 'MSG');
      const live = registersOf(items.find((item) => item.sk === 'STATE'));
      if (!record && Object.keys(live).length === 0) return undefined;
      const [message] = record ? await messageViews([record]) : [];
      return { ...(message ? { message } : {}), live };
    },

    /** Every contact (one per channel) that has this identity, with their identities and consent. */
    async findContactsByIdentity(
      identity: ChannelIdentity,
    ): Promise<
      { contactKey: string; channel: string; identities: string[]; consent: Record<string, unknown> }[]
    > {
      const output = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': identityPartition(identity) }),
        }),
      );
      const links = (output.Items ?? []).map((raw) => unmarshall(raw));
      const contacts = [];
      for (const link of links) {
        const contactKey = String(link.contactKey);
        const contact = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: marshall({ pk: `CONTACT#${contactKey}`, sk: 'CONTACT' }),
          }),
        );
        const item = contact.Item ? unmarshall(contact.Item) : {};
        contacts.push({
          contactKey,
          channel: String(link.channel),
          identities: item.identities instanceof Set ? [...(item.identities as Set<string>)].sort() : [],
          consent: Object.fromEntries(
            Object.entries(registersOf(item)).map(([name, value]) => [name.replace(/Consent$/, ''), value]),
          ),
        });
      }
      return contacts;
    },
  };
};

export type ReadApi = ReturnType<typeof createReadApi>;
export type { StoredRegister };
