import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SENDER_TABLE_ACTIONS } from '#infra/constructs/sender.ts';
import type { HubEventOf } from '#shared/contract/types.ts';
import {
  awsCommandCounts,
  countCommandsOf,
  resetAwsCommandCounts,
} from '#shared/local/aws-command-counter.ts';
import { localClients } from '#shared/local/emulators.ts';
import {
  HUB_SEND_STATUS,
  OUTBOUND_BATCH,
  OUTBOUND_SEND,
  OUTBOUND_SEND_IN_LONG_CONVERSATION,
  OUTBOUND_WRITE_UNITS,
} from '../../bench/scale-counts.ts';
import { meterWriteUnits, newWriteUnitTally, type WriteUnitTally } from '../../bench/write-units.ts';
import { type OutboundHarness, outcomesOf, sendCommand, startOutboundHarness } from '../outbound/harness.ts';
import { conversationFor, messageEvent, minute, statusEvent } from '../recorder/factories.ts';

/*
 * The scale model's outbound row (bench/scale-counts.ts) is stated from this count: one text reply on
 * an open WhatsApp conversation, through the real sender over the emulators, every AWS command of
 * the sender counted, in an environment that already sent (the per-endpoint pause item is read once
 * per 30 s, not per send), and every table write metered as AWS bills it (bench/write-units.ts:
 * item sizes and each index's writes, from the items before and after). The customer wrote at
 * 11:40 and the reply goes at 12:00: the conversation's by-status entry moves to the new hour. If
 * the sender's calls change, this fails until the row follows.
 */
describe('AWS calls of one outbound send', () => {
  let hub: OutboundHarness;
  let meter: WriteUnitTally;
  beforeAll(async () => {
    hub = await startOutboundHarness();
    meter = newWriteUnitTally();
    meterWriteUnits(
      hub.pipeline.emulators.clients.dynamodb,
      localClients(hub.pipeline.emulators.endpoints).dynamodb,
      meter,
    );
  });
  afterAll(async () => {
    await hub.stop();
  });

  it('match the scale model’s committed row', async () => {
    // Prepare: a conversation the customer opened 20 minutes ago, counters on the sender's clients
    const wa = '491555000001';
    const other = '491555000002';
    await hub.pipeline.ingest([
      messageEvent(wa, 'wamid.scale-in', minute(100)),
      messageEvent(other, 'wamid.scale-other', minute(100)),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const { clients } = hub.pipeline.emulators;
    countCommandsOf(clients.dynamodb);
    countCommandsOf(clients.sqs);
    const { conversationId } = conversationFor(wa);
    // A warm environment: the endpoint's pause item was read by an earlier send (once per 30 s),
    // here to another customer of the same business number.
    const sender = hub.sender();
    await hub.enqueue(sendCommand(conversationFor(other).conversationId, 'scale-0'));
    await hub.runOutbox(sender);
    await hub.pipeline.takeHelpdesk();
    hub.provider.calls.length = 0;
    await hub.enqueue(sendCommand(conversationId, 'scale-1'));
    resetAwsCommandCounts();
    Object.assign(meter, newWriteUnitTally());
    // Act
    const run = await hub.runOutbox(sender);
    // Assess
    const counts = awsCommandCounts();
    expect(run.failed).toBe(0);
    expect(hub.provider.calls).toHaveLength(1);
    expect({
      getItem: counts.GetItem ?? 0,
      batchGetItem: counts.BatchGetItem ?? 0,
      query: counts.Query ?? 0,
      putItem: counts.PutItem ?? 0,
      updateItem: counts.UpdateItem ?? 0,
      helpdeskSendMessageBatch: counts.SendMessageBatch ?? 0,
      tableWriteUnits: meter.tableWriteUnits,
      indexWriteUnits: meter.byIndex,
      indexPartitionWriteUnits: meter.byIndexPartition,
    }).toEqual(OUTBOUND_SEND);
    // Every item the send wrote stays within one write unit.
    expect(Math.max(...Object.values(meter.largestItemBytes))).toBeLessThanOrEqual(1024);
    // Nothing the sender's IAM policy does not allow (gsi2's Query is granted on the index).
    const dynamoActions = [
      'GetItem',
      'BatchGetItem',
      'PutItem',
      'UpdateItem',
      'Query',
      'BatchWriteItem',
      'DeleteItem',
      'Scan',
    ]
      .filter((name) => (counts[name] ?? 0) > 0)
      .map((name) => `dynamodb:${name}`);
    for (const action of dynamoActions) expect([...SENDER_TABLE_ACTIONS, 'dynamodb:Query']).toContain(action);
  });

  it('share helpdesk publishes across a full batch of conversations', async () => {
    // Prepare: ten customers of one business number wrote, none answered yet; a sender warmed by
    // a reply to an eleventh
    const customers = Array.from({ length: OUTBOUND_BATCH.commands }, (_, index) => `4915550099${index}`);
    const warm = '491555009910';
    await hub.pipeline.ingest(
      [...customers, warm].map((wa, index) => messageEvent(wa, `wamid.batch-in-${index}`, minute(100))),
    );
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    // (the clients count since the first test). No turn waits: a conversation waiting for its
    // endpoint's turn steps out of the rounds and publishes in one of its own, however its timing
    // falls, so with the real limiter the count moved with the machine's load (one CI run in six).
    const sender = hub.sender(undefined, { endpointTurn: () => ({ waitMs: 0 }) });
    await hub.enqueue(sendCommand(conversationFor(warm).conversationId, 'batch-warm'));
    await hub.runOutbox(sender);
    await hub.pipeline.takeHelpdesk();
    hub.provider.calls.length = 0;
    for (const [index, wa] of customers.entries())
      await hub.enqueue(sendCommand(conversationFor(wa).conversationId, `batch-${index}`));
    resetAwsCommandCounts();
    Object.assign(meter, newWriteUnitTally());
    // Act: one outbox batch of ten conversations
    const run = await hub.runOutbox(sender, 1);
    // Assess: every command sent, their events in the rounds' requests (one per conversation each)
    const counts = awsCommandCounts();
    expect(run).toEqual({ received: OUTBOUND_BATCH.commands, failed: 0 });
    expect(hub.provider.calls).toHaveLength(OUTBOUND_BATCH.commands);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk())).toHaveLength(OUTBOUND_BATCH.commands);
    expect({
      getItem: (counts.GetItem ?? 0) / OUTBOUND_BATCH.commands,
      batchGetItem: (counts.BatchGetItem ?? 0) / OUTBOUND_BATCH.commands,
      putItem: (counts.PutItem ?? 0) / OUTBOUND_BATCH.commands,
      updateItem: (counts.UpdateItem ?? 0) / OUTBOUND_BATCH.commands,
      writeUnits: (meter.tableWriteUnits + meter.indexWriteUnits) / OUTBOUND_BATCH.commands,
      helpdeskSendMessageBatch: counts.SendMessageBatch ?? 0,
    }).toEqual({
      getItem: OUTBOUND_SEND.getItem,
      batchGetItem: OUTBOUND_SEND.batchGetItem,
      putItem: OUTBOUND_SEND.putItem,
      updateItem: OUTBOUND_SEND.updateItem,
      writeUnits: OUTBOUND_WRITE_UNITS,
      helpdeskSendMessageBatch: OUTBOUND_BATCH.helpdeskSendMessageBatch,
    });
  });

  it('cost no more in a long conversation: its item stays under 1 KB with its recent event ids', async () => {
    // Prepare: a customer who wrote eight times and was answered twice (the conversation keeps its
    // eight most recent event ids); the next reply, within the hour of the last message
    const wa = '491555000077';
    await hub.pipeline.ingest(
      Array.from({ length: 8 }, (_, index) =>
        messageEvent(wa, `wamid.history-${index}`, minute(100 + index)),
      ),
    );
    await hub.pipeline.drain();
    const sender = hub.sender();
    const { conversationId } = conversationFor(wa);
    for (const key of ['history-reply-1', 'history-reply-2']) {
      await hub.enqueue(sendCommand(conversationId, key));
      await hub.runOutbox(sender);
    }
    await hub.pipeline.takeHelpdesk();
    await hub.enqueue(sendCommand(conversationId, 'history-reply-3'));
    Object.assign(meter, newWriteUnitTally());
    // Act
    const run = await hub.runOutbox(sender);
    // Assess: no index moves (answered already, same hour) and every item under 1 KB: 4 on the
    // table, gsi3 and gsi2 one each
    expect(run.failed).toBe(0);
    expect(meter.largestItemBytes.STATE).toBeLessThanOrEqual(1024);
    expect({ table: meter.tableWriteUnits, indexes: meter.byIndex }).toEqual(
      OUTBOUND_SEND_IN_LONG_CONVERSATION,
    );
  });

  it("read the send record once for each status of the hub's own send, and no more", async () => {
    // Prepare: a reply sent; the same message's statuses without the send's correlation id (as the
    // AWS section's samples) and with it (as the provider sends them for the hub's sends)
    const wa = '491555000088';
    await hub.pipeline.ingest([messageEvent(wa, 'wamid.status-in', minute(100))]);
    await hub.pipeline.drain();
    const { conversationId } = conversationFor(wa);
    const sender = hub.sender();
    hub.provider.delivered.length = 0;
    await hub.enqueue(sendCommand(conversationId, 'status-reply'));
    Object.assign(meter, newWriteUnitTally());
    await hub.runOutbox(sender);
    await hub.pipeline.takeHelpdesk();
    const [sent] = hub.provider.delivered;
    // Read units as DynamoDB reports them, whichever call reads (a GetItem, or a key in a batch's read)
    let readUnits = 0;
    const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand']);
    hub.pipeline.emulators.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (!READS.has(context.commandName ?? '')) return result;
        const { ConsumedCapacity: consumed } = result.output as {
          ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
        };
        for (const capacity of [consumed ?? []].flat()) readUnits += capacity.CapacityUnits ?? 0;
        return result;
      },
      { step: 'initialize', name: 'countReadUnits' },
    );
    const readsFor = async (status: 'delivered' | 'read', correlationId?: string) => {
      const event = statusEvent(
        wa,
        sent?.providerMessageId ?? '',
        status,
        minute(102),
      ) as HubEventOf<'switchboard.message.status_updated'>;
      await hub.pipeline.ingest([
        { ...event, data: { ...event.data, conversationId, ...(correlationId ? { correlationId } : {}) } },
      ]);
      resetAwsCommandCounts();
      readUnits = 0;
      await hub.pipeline.drain();
      return { calls: awsCommandCounts(), readUnits };
    };
    // Act
    const other = await readsFor('delivered');
    const own = await readsFor('read', sent?.correlationId);
    // Assess: one read unit more (an item within 4 KB), in the same calls: the batch's one read
    expect(sent).toBeDefined();
    expect(own.readUnits - other.readUnits).toBe(HUB_SEND_STATUS.readUnits);
    expect(own.calls.GetItem ?? 0).toBe(other.calls.GetItem ?? 0);
    expect(own.calls.BatchGetItem).toBe(other.calls.BatchGetItem);
    expect(meter.largestItemBytes.SEND).toBeLessThanOrEqual(4 * 1024);
  });
});
