import { DeleteItemCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { SENDER_QUERY_INDEXES, SENDER_QUERY_PARTITION_PREFIXES } from '#infra/constructs/sender.ts';
import { type ChannelIdentity, contactConversationId, type HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { conversationKey } from '#shared/store/keys.ts';
import { mergePeople } from '#shared/store/person-merges.ts';
import { minute, whatsAppMessageFrom } from '#tests/recorder/factories.ts';
import {
  type OutboundHarness,
  openCustomerConversation,
  outcomesOf,
  sendCommand,
  useOutboundHarness,
} from './harness.ts';

/*
 * A WhatsApp reply whose conversation is deleted (an erasure) between the sender's read of it and
 * its recording of the sent message: the recording reads the conversation again, finds it gone, and
 * looks for the customer's conversation under their identifiers, as the recorder does. Every Query
 * that makes of the table itself names a partition the sender's role may query (before 2026-12-05
 * the role allowed contacts' partitions only, and AWS would have refused this one; found by a review).
 */

describe('recording a reply whose conversation vanished meanwhile', () => {
  const hub = useOutboundHarness();

  it("queries only partitions the sender's role allows, and ends the command in one message.sent", async () => {
    // Prepare: the customer wrote; the conversation is deleted right after the provider accepted the reply
    const { conversationId } = await openCustomerConversation(hub, { prefix: '4915551', tag: 'vanish' }, 1);
    const dynamodb = hub.pipeline.emulators.clients.dynamodb;
    const sender = hub.sender(async (step) => {
      if (step !== 'accept') return;
      await dynamodb.send(
        new DeleteItemCommand({
          TableName: hub.pipeline.emulators.resources.tableName,
          Key: marshall(conversationKey(conversationId)),
        }),
      );
    });
    // Act
    const queries = await queriesDuring(hub, async () => {
      await hub.enqueue(sendCommand(conversationId, 'vanished-1'));
      await hub.runOutbox(sender);
    });
    // Assess
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    const partitionsQueried = queries
      .filter((query) => query.IndexName === undefined)
      .map((query) => marshalledValues(query)[':pk']?.S ?? '(no :pk)');
    expect(partitionsQueried.some((pk) => pk.startsWith('IDENT#'))).toBe(true);
    for (const pk of partitionsQueried)
      expect(SENDER_QUERY_PARTITION_PREFIXES.some((prefix) => pk.startsWith(prefix))).toBe(true);
    expect(queries.filter((query) => !allowed(query))).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
  });
});

/** Every Query the sender's DynamoDB client sends while `act` runs. */
const queriesDuring = async (
  hub: OutboundHarness,
  act: () => Promise<void>,
): Promise<QueryCommandInput[]> => {
  const dynamodb = hub.pipeline.emulators.clients.dynamodb;
  const queries: QueryCommandInput[] = [];
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand') queries.push(args.input as QueryCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'capture-queries' },
  );
  try {
    await act();
  } finally {
    dynamodb.middlewareStack.remove('capture-queries');
  }
  return queries;
};

/** Whether the sender's role allows the Query: one of its indexes, or a partition of the table it may query. */
const allowed = (query: QueryCommandInput): boolean =>
  query.IndexName !== undefined
    ? (SENDER_QUERY_INDEXES as readonly string[]).includes(query.IndexName)
    : SENDER_QUERY_PARTITION_PREFIXES.some((prefix) =>
        (marshalledValues(query)[':pk']?.S ?? '').startsWith(prefix),
      );

const ENDPOINT = { type: 'whatsapp_phone_number' as const, id: 'phone-vanish-merge' };

/** A WhatsApp customer's message to this test's business number. */
const whatsAppMessage = (identities: readonly ChannelIdentity[], wamid: string, at: string): HubEvent =>
  whatsAppMessageFrom(ENDPOINT, identities, wamid, at);

describe('recording a reply whose conversation vanished, its customer merged into another person', () => {
  const hub = useOutboundHarness();

  it("follows the customer into their conversation filed under the merged person with Queries the sender's role allows, and ends in one message.sent", async () => {
    // Prepare: a conversation under a BSUID alone (Y), a wa_id conversation (X) that later learned the same BSUID,
    // and the BSUID's person merged into a third one's; X is deleted right after the provider accepted the reply
    const bsuid = { type: 'bsuid' as const, value: 'GR.vanishmerge' };
    const waId = { type: 'wa_id' as const, value: '306900000071' };
    const other = { type: 'wa_id' as const, value: '306900000079' };
    const y = whatsAppMessage([bsuid], 'wamid.vanishmerge-y', minute(90));
    for (const event of [
      y,
      whatsAppMessage([other], 'wamid.vanishmerge-z', minute(91)),
      whatsAppMessage([waId], 'wamid.vanishmerge-x1', minute(92)),
      whatsAppMessage([waId, bsuid], 'wamid.vanishmerge-x2', minute(93)),
    ]) {
      await hub.pipeline.ingest([event]);
      await hub.pipeline.drain();
    }
    await hub.pipeline.takeHelpdesk();
    const emulators = hub.pipeline.emulators;
    const context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    const personOf = (identity: ChannelIdentity) => contactIdFor('whatsapp', { identities: [identity] }, '');
    await mergePeople(context, {
      surviving: personOf(other),
      discarded: personOf(bsuid),
      reason: 'same',
      at: minute(94),
    });
    const conversationId = contactConversationId('whatsapp', ENDPOINT, waId);
    const sender = hub.sender(async (step) => {
      if (step !== 'accept') return;
      await emulators.clients.dynamodb.send(
        new DeleteItemCommand({
          TableName: emulators.resources.tableName,
          Key: marshall(conversationKey(conversationId)),
        }),
      );
    });
    // Act
    const queries = await queriesDuring(hub, async () => {
      await hub.enqueue(sendCommand(conversationId, 'vanish-merge-1'));
      await hub.runOutbox(sender);
    });
    // Assess: the recording queried the merged person's index entries, each Query one the role allows
    expect(queries.some((query) => query.IndexName === 'gsi3')).toBe(true);
    expect(queries.filter((query) => !allowed(query))).toEqual([]);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(hub.provider.calls).toHaveLength(1);
  });
});

/** The Query's expression values (its partition key's is `:pk` in every Query of the store). */
const marshalledValues = (query: QueryCommandInput): Record<string, { S?: string }> =>
  (query.ExpressionAttributeValues ?? {}) as Record<string, { S?: string }>;
