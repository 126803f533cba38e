import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_STATUS_RANK, type DeliveryStatus, type HubEvent } from '#shared/contract/index.ts';
import { stateChangedEventId } from '#shared/domain/state-changed.ts';
import { conversationFor, messageEvent, minute, statusEvent } from '#tests/recorder/factories.ts';
import { type Pipeline, startPipeline } from './harness.ts';

/** Seeded, so a failure replays exactly. */
const random = (seed: number) => () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

interface Expected {
  messageCount: number;
  unreadCount: number;
  lastMessageAt: string;
  finalStatus: Map<string, DeliveryStatus>;
}

describe('recorder soak', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('10,000 mixed events with 10% duplicates and shuffled statuses match a reference model', {
    timeout: 1_800_000,
  }, async () => {
    // Prepare: distinct events per conversation, then duplicates re-sent later in the same group
    const next = random(42);
    const byConversation = new Map<string, HubEvent[]>();
    const expected = new Map<string, Expected>();
    const helpdeskIds = new Set<string>();
    let distinct = 0;
    for (let c = 0; distinct < 9_000; c++) {
      const customer = `soak-${c}`;
      const events: HubEvent[] = [];
      const model: Expected = { messageCount: 0, unreadCount: 0, lastMessageAt: '', finalStatus: new Map() };
      const messages = 1 + Math.floor(next() * 10);
      for (let m = 0; m < messages && distinct + events.length < 9_000; m++) {
        const outbound = next() < 0.4;
        const wamid = `${customer}-m${m}`;
        const message = messageEvent(customer, wamid, minute(m * 10), outbound ? 'outbound' : 'inbound');
        events.push(message);
        helpdeskIds.add(message.id).add(stateChangedEventId(message.subject, message.id));
        model.messageCount++;
        model.unreadCount = outbound ? 0 : model.unreadCount + 1;
        model.lastMessageAt = minute(m * 10);
        if (!outbound) continue;
        const statuses: DeliveryStatus[] = ['sent', 'delivered', 'read'].filter(
          () => next() < 0.8,
        ) as DeliveryStatus[];
        statuses.sort(() => next() - 0.5);
        let furthest = -1;
        for (const status of statuses) {
          const event = statusEvent(
            customer,
            wamid,
            status,
            minute(m * 10 + 1 + DELIVERY_STATUS_RANK[status]),
          );
          events.push(event);
          // Only statuses that move forward reach the helpdesk.
          if (DELIVERY_STATUS_RANK[status] > furthest) helpdeskIds.add(event.id);
          furthest = Math.max(furthest, DELIVERY_STATUS_RANK[status]);
          if (DELIVERY_STATUS_RANK[status] === furthest) model.finalStatus.set(wamid, status);
        }
      }
      distinct += events.length;
      const conversationId = conversationFor(customer).conversationId;
      byConversation.set(conversationId, events);
      expected.set(conversationId, model);
    }
    const all = [...byConversation.values()].flat();
    // Distinct picks: two copies with the same dedup id would be dropped by SQS itself.
    const picked = new Set<number>();
    while (picked.size < 1_000) picked.add(Math.floor(next() * all.length));
    const duplicates = [...picked].sort((a, b) => a - b).map((index) => all[index] as HubEvent);
    // Act
    await pipeline.ingest(all);
    await pipeline.ingest(duplicates, '#provider-retry');
    const run = await pipeline.drain();
    // Assess
    expect(run).toEqual({ received: 10_000, failed: 0 });
    for (const [conversationId, model] of expected) {
      const conversation = await pipeline.read.getConversation(conversationId);
      expect(conversation?.state).toMatchObject({
        messageCount: model.messageCount,
        unreadCount: model.unreadCount,
        lastMessageAt: model.lastMessageAt,
      });
      for (const [wamid, status] of model.finalStatus) {
        const found = await pipeline.read.findMessageByProviderId('whatsapp', wamid);
        expect(found?.live.status).toMatchObject({ status });
      }
    }
    const published = new Set((await pipeline.takeHelpdesk()).map((event) => event.id));
    expect([...helpdeskIds].filter((id) => !published.has(id))).toEqual([]);
  });
});
