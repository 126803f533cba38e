import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { normalizeSesEvent } from '#shared/channels/email/inbound/ses-events.ts';
import { replyTagFor } from '#shared/channels/email/reply-address.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import {
  buildEvent,
  contactConversationId,
  DELIVERY_STATUS_RANK,
  type DeliveryStatus,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { messageStateKey } from '#shared/store/keys.ts';
import {
  consentEvent,
  conversationFor,
  messageEvent,
  minute,
  statusEvent,
} from '#tests/recorder/factories.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';
import { type Pipeline, startPipeline } from './harness.ts';

const SES_EVENTS = join(import.meta.dirname, '..', 'channels', 'fixtures', 'ses-events');

/** An SES event fixture of the send `sesId`, in `conversationId` (the hub's conversation tag). */
const sesEvent = (fixture: string, sesId: string, conversationId: string): HubEvent[] => {
  const envelope = JSON.parse(readFileSync(join(SES_EVENTS, `${fixture}.json`), 'utf8'));
  const notification = JSON.parse(envelope.Message);
  notification.mail.messageId = sesId;
  notification.mail.tags.switchboard_conversation = [conversationId];
  return normalizeSesEvent({ ...envelope, Message: JSON.stringify(notification) }, FIXTURE_RECEIVED_AT);
};

/**
 * The receiving server's report of the send `sesId`, mailed to the business address: its returned
 * headers as delivered, SES's Message-ID and the hub's signed Reply-To (the conversation).
 */
const mailedBounceReport = async (sesId: string, conversationId: string): Promise<HubEvent[]> => {
  const support = 'support@switchboard.example';
  const customer = 'maria.keller@customer.example';
  const replyTagKey = LOCAL_DEV_SECRETS.email.replyTagKey;
  const raw = [
    'From: MAILER-DAEMON@amazonses.com',
    `To: ${support}`,
    'Subject: Delivery Status Notification (Failure)',
    'Date: Sun, 22 Nov 2026 12:00:03 +0000',
    `Message-ID: <dsn-${sesId}@amazonses.com>`,
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; a8-70.smtp-out.eu-west-1.amazonses.com',
    '',
    `Final-Recipient: rfc822; ${customer}`,
    'Action: failed',
    'Status: 5.1.1',
    '',
    '--b',
    'Content-Type: text/rfc822-headers',
    '',
    `From: ${support}`,
    `To: ${customer}`,
    `Reply-To: support+${replyTagFor(conversationId, replyTagKey)}@switchboard.example`,
    `Message-ID: <${sesId}@eu-west-1.amazonses.com>`,
    'References: <msg_0123456789abcdef0123456789abcdef.0@switchboard.example>',
    '',
    '--b--',
    '',
  ].join('\r\n');
  const { events } = await normalizeInboundEmail(Buffer.from(raw), {
    provider: 'ses',
    receivedAt: FIXTURE_RECEIVED_AT,
    envelopeRecipients: [support],
    replyTagKey,
  });
  return events.filter((event) => event.type === 'switchboard.message.status_updated');
};

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

  it.each([
    ['Delivery → Bounce', ['delivery', 'bounce-permanent'], ['delivered', 'failed'], 'failed'],
    ['Bounce → Delivery', ['bounce-permanent', 'delivery'], ['failed'], 'failed'],
    // A bounce report mailed to the hub (its status code as providerStatus) is anyone's to write
    ['Delivery → a mailed bounce report', ['delivery', 'bounce-report'], ['delivered'], 'delivered'],
  ])(
    'an e-mail bounced after its delivery ends failed, in either order (%s)',
    async (_name, order, expected, final) => {
      // Prepare: SES's Delivery (the receiving server accepted the mail) and its later Bounce (that
      // server then returned it) of one of the hub's sends, as SES notifies them
      const messageId = `0102019a-bounced-after-delivery-${order.join('-')}`;
      const events = order.flatMap((variant) => {
        const file = variant === 'bounce-report' ? 'bounce-permanent' : variant;
        const envelope = JSON.parse(readFileSync(join(SES_EVENTS, `${file}.json`), 'utf8'));
        const notification = JSON.parse(envelope.Message);
        notification.mail.messageId = messageId;
        return normalizeSesEvent(
          { ...envelope, Message: JSON.stringify(notification) },
          FIXTURE_RECEIVED_AT,
        ).map(
          (event): HubEvent =>
            variant === 'bounce-report' && event.type === 'switchboard.message.status_updated'
              ? { ...event, id: `${event.id}-report`, data: { ...event.data, providerStatus: '5.1.1' } }
              : event,
        );
      });
      // Act
      for (const event of events) {
        await pipeline.ingest([event]);
        await pipeline.drain();
      }
      // Assess: the bounce reaches the helpdesk and stays; a delivery after it is stale
      const forwarded = (await pipeline.takeHelpdesk()).flatMap((event) =>
        event.type === 'switchboard.message.status_updated' ? [event.data.status] : [],
      );
      const found = await pipeline.read.findMessageByProviderId('email', messageId);
      expect(
        events.map(
          (event) => event.type === 'switchboard.message.status_updated' && event.data.providerMessageIds,
        ),
      ).toEqual([[messageId], [messageId]]);
      expect(forwarded).toEqual(expected);
      expect(found?.live.status).toMatchObject({ status: final });
    },
  );

  it.each([
    ['a mailed report alone', ['bounce-report'], ['failed'], 'failed'],
    ['Delivery → a mailed report', ['delivery', 'bounce-report'], ['delivered'], 'delivered'],
    [
      'Delivery → Bounce → a mailed report',
      ['delivery', 'bounce-permanent', 'bounce-report'],
      ['delivered', 'failed'],
      'failed',
    ],
  ])(
    'a bounce report mailed back for an SES send meets SES’s own statuses of that mail (%s)',
    async (_name, order, expected, final) => {
      // Prepare: one SES send (its MessageId as SES's events name it), and the receiving server's
      // report as SES forwards it to the business: the returned headers carry the Message-ID SES
      // wrote over the hub's, `<MessageId>@eu-west-1.amazonses.com`
      const sesId = `0102019a4f5e6d7c-${order.length.toString(16).padStart(8, '0')}-9d8e-4c7b-a6f5-e4d3c2b1a098-000000`;
      const conversationId = `conv_${'5e'.repeat(16)}`;
      const events: HubEvent[] = [];
      for (const variant of order) {
        events.push(
          ...(variant === 'bounce-report'
            ? await mailedBounceReport(sesId, conversationId)
            : sesEvent(variant, sesId, conversationId)),
        );
      }
      // Act
      for (const event of events) {
        await pipeline.ingest([event]);
        await pipeline.drain();
      }
      // Assess: every status names the SES MessageId, so a mailed report (anyone's to write) is
      // stale after SES's Delivery and no second failure after its Bounce
      const forwarded = (await pipeline.takeHelpdesk()).flatMap((event) =>
        event.type === 'switchboard.message.status_updated' ? [event.data.status] : [],
      );
      const found = await pipeline.read.findMessageByProviderId('email', sesId);
      expect(forwarded).toEqual(expected);
      expect(found?.live.status).toMatchObject({ status: final });
      expect(
        events.flatMap((event) =>
          event.type === 'switchboard.message.status_updated' ? event.data.providerMessageIds : [],
        ),
      ).toEqual(order.map(() => sesId));
    },
  );

  it.each([
    ['its own conversation', '7a', ['sent', 'failed'], 'failed'],
    ['another conversation', '7b', ['sent'], 'sent'],
  ])(
    'a bounce report mailed in %s after an SES send’s Send event moves it only there, never re-homing it',
    async (_name, filedIn, expected, final) => {
      // Prepare: the hub's SES send in one conversation (SES's Send event, tagged with it), then a
      // report naming that send's Message-ID, filed in the conversation its returned original's
      // signed Reply-To names: the send's own, or another (a report anyone may write)
      const sesId = `0102019a4f5e6d7c-000000${filedIn}-9d8e-4c7b-a6f5-e4d3c2b1a098-000000`;
      const owner = `conv_${'7a'.repeat(16)}`;
      const reportedIn = `conv_${filedIn.repeat(16)}`;
      const send = sesEvent('send', sesId, owner);
      const report = await mailedBounceReport(sesId, reportedIn);
      // Act
      for (const event of [...send, ...report]) {
        await pipeline.ingest([event]);
        await pipeline.drain();
      }
      // Assess: the report named the send in the conversation it was filed in; the send's status
      // moved only there, and its state stays in the send's own conversation
      const forwarded = (await pipeline.takeHelpdesk()).flatMap((event) =>
        event.type === 'switchboard.message.status_updated' ? [event.data.status] : [],
      );
      const found = await pipeline.read.findMessageByProviderId('email', sesId);
      const state = await pipeline.emulators.clients.dynamodb.send(
        new GetItemCommand({
          TableName: pipeline.emulators.resources.tableName,
          Key: marshall(messageStateKey(hubMessageIdFor('email', sesId))),
        }),
      );
      expect(
        report.map(
          (event) => event.type === 'switchboard.message.status_updated' && event.data.conversationId,
        ),
      ).toEqual([reportedIn]);
      expect(forwarded).toEqual(expected);
      expect(found?.live.status).toMatchObject({ status: final });
      expect(unmarshall(state.Item ?? {}).conversationId).toBe(owner);
    },
  );

  it('does not forward a Messenger delivery receipt at or behind the read watermark, whatever ids it names', async () => {
    // Prepare: the customer writes on Messenger; the page answers; Meta sends the read receipt, then a
    // late delivery receipt of the same watermark (naming the answer) and an older one
    const psid = '7319482700000099';
    const endpoint = { type: 'facebook_page' as const, id: '104728593200099' };
    const identities = [{ type: 'psid' as const, value: psid }] as [{ type: 'psid'; value: string }];
    const conversationId = contactConversationId('messenger', endpoint, identities[0]);
    const common = {
      channel: 'messenger' as const,
      provider: 'meta' as const,
      endpoint,
      contact: { identities },
      conversationId,
    };
    const message = (mid: string, at: string, direction: 'inbound' | 'outbound') =>
      buildEvent(
        direction === 'inbound' ? 'switchboard.message.received' : 'switchboard.message.sent',
        eventIdFor('messenger', 'message', mid),
        {
          ...common,
          providerTimestamp: at,
          receivedAt: at,
          hubMessageId: hubMessageIdFor('messenger', mid),
          direction,
          providerMessageId: mid,
          parts: [{ type: 'text', text: direction }],
        },
      );
    const receipt = (status: 'read' | 'delivered', watermark: string, at: string, mids: string[] = []) =>
      buildEvent(
        'switchboard.message.status_updated',
        eventIdFor('messenger', 'status', status, watermark, ...mids),
        {
          ...common,
          providerTimestamp: at,
          receivedAt: at,
          status,
          providerStatus: status,
          providerMessageIds: mids,
          watermark,
        },
      );
    await pipeline.ingest([message('m_in', minute(1), 'inbound'), message('m_out', minute(2), 'outbound')]);
    await pipeline.drain();
    await pipeline.takeHelpdesk();
    // Act
    await pipeline.ingest([
      receipt('read', minute(2), minute(4)),
      receipt('delivered', minute(2), minute(5), ['m_out']),
      receipt('delivered', minute(1), minute(6)),
    ]);
    await pipeline.drain();
    // Assess: the read is forwarded; neither delivery, which tells the helpdesk nothing new
    const forwarded = (await pipeline.takeHelpdesk()).flatMap((event) =>
      event.type === 'switchboard.message.status_updated' ? [event.data.status] : [],
    );
    expect(forwarded).toEqual(['read']);
  });

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
