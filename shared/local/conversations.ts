import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ConversationState } from '#shared/contract/index.ts';
import { parseConversationModel, StoredStateSchema } from '#shared/store/conversations.ts';

/**
 * Every conversation state in the local table, newest version per conversation. A full scan is fine
 * for a laptop's data and keeps this reader independent of the recorder's key design: it takes any
 * item that holds a valid `ConversationState`, directly or inside a JSON `model`/`state` attribute
 * (or a `model` the store deflated).
 */

const stateCandidates = (item: Record<string, unknown>): unknown[] => {
  const candidates: unknown[] = [item, item.state];
  for (const attribute of ['model', 'state']) {
    const value = item[attribute];
    // The store keeps a conversation's model deflated: its own parser reads it.
    if (value instanceof Uint8Array) {
      try {
        candidates.push(parseConversationModel(value).state);
      } catch {
        // Not a conversation model.
      }
      continue;
    }
    if (typeof value !== 'string') continue;
    try {
      const parsed: unknown = JSON.parse(value);
      candidates.push(parsed, (parsed as { state?: unknown } | null)?.state);
    } catch {
      // Not JSON: not a conversation.
    }
  }
  return candidates;
};

const conversationStateOf = (item: Record<string, unknown>): ConversationState | undefined => {
  for (const candidate of stateCandidates(item)) {
    const parsed = StoredStateSchema.safeParse(candidate);
    if (parsed.success) return parsed.data;
  }
  return undefined;
};

export const listConversations = async (
  client: DynamoDBClient,
  tableName: string,
): Promise<ConversationState[]> => {
  const newest = new Map<string, ConversationState>();
  let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const state = conversationStateOf(unmarshall(item));
      if (!state) continue;
      const known = newest.get(state.conversationId);
      if (!known || known.version < state.version) newest.set(state.conversationId, state);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return [...newest.values()].sort(
    (a, b) =>
      a.channel.localeCompare(b.channel) || (b.lastMessageAt ?? '').localeCompare(a.lastMessageAt ?? ''),
  );
};
