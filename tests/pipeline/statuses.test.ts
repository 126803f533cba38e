import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERY_STATUS_RANK, type DeliveryStatus, type HubEvent } from '#shared/contract/index.ts';
import {
  consentEvent,
  conversationFor,
  messageEvent,
  minute,
  statusEvent,
} from '#tests/recorder/factories.ts';
import { type Pipeline, startPipeline } from './harness.ts';

const permutations = <T>(items: readonly T[]): T[][] =>
  items.length <= 1
    ? [[...items]]
    : items.flatMap((item, index) =>
        permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
      );

const ORDERS: DeliveryStatus[][] = [
  ...permutations<DeliveryStatus>(['sent', 'delivered', 'read']),
  ['failed', 'delivered'],
];

describe('recorder: statuses in any order', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it.each(ORDERS.map((order) => [order.join(' → '), order] as const))(
    '%s ends at the furthest status and never regresses on the helpdesk',
    async (name, order) => {
      // Prepare: a reply the helpdesk sent through the provider API, so no message record exists
      const wamid = `wamid.status-${name}`;
      const events = order.map((status, index) =>
        statusEvent('status-customer', wamid, status, minute(index)),
      );
      // Act
      await pipeline.ingest(events);
      await pipeline.drain();
      // Assess
      const furthest = order.reduce((a, b) => (DELIVERY_STATUS_RANK[b] > DELIVERY_STATUS_RANK[a] ? b : a));
      const found = await pipeline.read.findMessageByProviderId('whatsapp', wamid);
      expect(found?.live.status).toMatchObject({ status: furthest });
      const sent = (await pipeline.takeHelpdesk()).flatMap((event) =>
        event.type === 'switchboard.message.status_updated' ? [DELIVERY_STATUS_RANK[event.data.status]] : [],
      );
      expect(sent).toEqual([...sent].sort((a, b) => a - b));
      expect(sent.at(-1)).toBe(DELIVERY_STATUS_RANK[furthest]);
    },
  );

  it('keeps the newest consent when an older STOP arrives after a newer START', async () => {
    // Prepare
    const stop = consentEvent('+15551230000', 'opted_out', minute(1), 'STOP');
    const start = consentEvent('+15551230000', 'opted_in', minute(2), 'START');
    // Act
    await pipeline.ingest([start, stop]);
    await pipeline.drain();
    // Assess
    const [contact] = await pipeline.read.findContactsByIdentity({ type: 'phone', value: '+15551230000' });
    expect(contact?.consent.sms).toMatchObject({ consent: 'opted_in', trigger: 'START' });
    await pipeline.takeHelpdesk();
  });

  it('records 1000 updates of one provider POST and keeps each conversation in order on the helpdesk', async () => {
    // Prepare: 100 conversations × (5 messages + 5 statuses), interleaved as in one big webhook
    const events: HubEvent[] = [];
    for (let n = 0; n < 5; n++) {
      for (let c = 0; c < 100; c++) {
        events.push(
          messageEvent(`bulk-${c}`, `bulk-${c}-m${n}`, minute(n * 2), n % 2 === 0 ? 'inbound' : 'outbound'),
        );
        events.push(statusEvent(`bulk-${c}`, `bulk-${c}-m${n}`, 'delivered', minute(n * 2 + 1)));
      }
    }
    // Act
    await pipeline.ingest(events);
    const run = await pipeline.drain();
    // Assess
    expect(run).toEqual({ received: 1000, failed: 0 });
    const page = await pipeline.read.listConversationMessages((events[0] as HubEvent).subject);
    expect(page.items.map((view) => view.message.providerMessageId)).toEqual(
      [0, 1, 2, 3, 4].map((n) => `bulk-0-m${n}`),
    );
    const helpdesk = (await pipeline.takeHelpdesk()).filter(
      (event) => event.type !== 'switchboard.conversation.state_changed',
    );
    expect(new Set(helpdesk.map((event) => event.id))).toEqual(new Set(events.map((event) => event.id)));
    for (let c = 0; c < 100; c++) {
      const subject = conversationFor(`bulk-${c}`).conversationId;
      const expected = events.filter((event) => event.subject === subject).map((event) => event.id);
      expect(helpdesk.filter((event) => event.subject === subject).map((event) => event.id)).toEqual(
        expected,
      );
    }
  });
});
