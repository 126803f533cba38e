import { DeleteItemCommand, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { SENDER_QUERY_PARTITION_PREFIXES } from '#infra/constructs/sender.ts';
import { conversationKey } from '#shared/store/keys.ts';
import { openCustomerConversation, outcomesOf, sendCommand, useOutboundHarness } from './harness.ts';

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
    const queries: QueryCommandInput[] = [];
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries.push(args.input as QueryCommandInput);
        return next(args);
      },
      { step: 'initialize', name: 'capture-queries' },
    );
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
    try {
      await hub.enqueue(sendCommand(conversationId, 'vanished-1'));
      await hub.runOutbox(sender);
    } finally {
      dynamodb.middlewareStack.remove('capture-queries');
    }
    // Assess
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    const partitionsQueried = queries
      .filter((query) => query.IndexName === undefined)
      .map((query) => marshalledValues(query)[':pk']?.S ?? '(no :pk)');
    expect(partitionsQueried.some((pk) => pk.startsWith('IDENT#'))).toBe(true);
    for (const pk of partitionsQueried)
      expect(SENDER_QUERY_PARTITION_PREFIXES.some((prefix) => pk.startsWith(prefix))).toBe(true);
    expect(hub.provider.calls).toHaveLength(1);
  });
});

/** The Query's expression values (its partition key's is `:pk` in every Query of the store). */
const marshalledValues = (query: QueryCommandInput): Record<string, { S?: string }> =>
  (query.ExpressionAttributeValues ?? {}) as Record<string, { S?: string }>;
