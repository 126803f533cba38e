import { describe, expect, it } from 'vitest';
import { deliveredToPipeline, messengerText, metaRequest, whatsappText } from '#tests/support/hostile.ts';

/*
 * Fields a provider fills that no bound at the intake covers (an echo's app id, an enquiry's catalog
 * ids), each longer than a table item: the message still reaches the helpdesk whole and is recorded
 * at the first attempt, its record without them. Before, the record kept them through every
 * trimming step, DynamoDB refused it on every receive, and the event ended on the dead-letter queue.
 */

const HUGE = '1'.repeat(420_000);

const echoWithHugeAppId = () =>
  messengerText({
    mid: 'm_customer_asks',
    extra: {
      sender: { id: '104331798255117' },
      recipient: { id: '6783425123045219' },
      timestamp: 1795166044000,
      message: { mid: 'm_echo_huge_app_id', is_echo: true, app_id: HUGE, text: 'Thanks, sent.' },
    },
  });

const enquiryWithHugeCatalogId = () => {
  const body = whatsappText({ id: 'wamid.HUGEPRODUCT' });
  const [message] = body.entry[0]?.changes[0]?.value.messages ?? [];
  if (!message) throw new Error('whatsappText has no message');
  Object.assign(message, {
    context: { referred_product: { catalog_id: HUGE, product_retailer_id: 'sku-1' } },
  });
  return body;
};

describe('provider fields longer than a table item', () => {
  const run = deliveredToPipeline(() => [
    metaRequest('/webhooks/messenger', echoWithHugeAppId()),
    metaRequest('/webhooks/whatsapp', enquiryWithHugeCatalogId()),
  ]);
  const messagesDelivered = () => {
    const messageOf = (providerMessageId: string) =>
      run.delivered.flatMap((event) =>
        (event.type === 'switchboard.message.sent' || event.type === 'switchboard.message.received') &&
        event.data.providerMessageId === providerMessageId
          ? [event]
          : [],
      )[0];
    return { echo: messageOf('m_echo_huge_app_id'), enquiry: messageOf('wamid.HUGEPRODUCT') };
  };

  it('are answered 2xx and recorded at the first attempt', () => {
    // Assess
    expect(run.statuses).toEqual([200, 200]);
    expect(run.drained.failed).toBe(0);
  });

  it('reach the helpdesk whole', () => {
    // Act
    const { echo, enquiry } = messagesDelivered();
    // Assess
    expect(echo?.data.senderAppId).toBe(HUGE);
    expect(enquiry?.data.referredProduct?.catalogId).toBe(HUGE);
  });

  it('are left out of the message records, which keep the messages', async () => {
    // Prepare
    const { echo, enquiry } = messagesDelivered();
    if (!echo || !enquiry) throw new Error('the messages did not reach the helpdesk');
    // Act
    const [enquiries, echoes] = await Promise.all([
      run.pipeline.read.listConversationMessages(enquiry.data.conversationId),
      run.pipeline.read.listConversationMessages(echo.data.conversationId),
    ]);
    const stored = [...enquiries.items, ...echoes.items].map((view) => view.message);
    // Assess
    expect(stored.map((message) => message.providerMessageId)).toEqual(
      expect.arrayContaining(['m_echo_huge_app_id', 'wamid.HUGEPRODUCT']),
    );
    for (const message of stored) {
      expect(message.senderAppId).toBeUndefined();
      expect(message.referredProduct).toBeUndefined();
    }
  });
});
