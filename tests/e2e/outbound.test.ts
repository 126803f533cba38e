import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessagePageSchema } from '#shared/api/responses.ts';
import { freshSample, type HubSession, startHubSession } from '#tests/support/hub-session.ts';

/*
 * Two-way, end to end on the local hub: a customer's message arrives through a signed webhook, the
 * helpdesk answers on the outbox, the real sender calls the simulated provider over HTTP, and the
 * provider's statuses come back through the hub's own webhooks, carrying the hub message.
 */

describe('outbound end to end', () => {
  let session: HubSession;

  beforeAll(async () => {
    session = await startHubSession();
  }, 120_000);
  afterAll(async () => {
    await session?.stop();
  });

  it.each([
    {
      channel: 'whatsapp',
      sample: 'whatsapp/text.json',
      provider: 'whatsapp',
      path: /^\/v\d+\.\d+\/\d+\/messages$/,
      statuses: ['sent', 'delivered', 'read'],
      liveStatus: 'read',
      correlated: true,
    },
    {
      channel: 'messenger',
      sample: 'messenger/text.json',
      provider: 'messenger',
      path: /^\/v\d+\.\d+\/\d+\/messages$/,
      statuses: ['delivered', 'read'],
      // Messenger's reads are a watermark of the conversation, not a status of the message.
      liveStatus: 'delivered',
      // Messenger's deliveries and reads are watermarks: they name no message.
      correlated: false,
    },
    {
      // An Instagram account's replies go to /me/messages with its linked page's token (the local
      // defaults hold one for the samples' account): the simulator resolves `me` from the token.
      channel: 'instagram',
      sample: 'messenger/instagram-message.json',
      provider: 'messenger',
      path: /^\/v\d+\.\d+\/me\/messages$/,
      // Instagram reports no delivery; its read (messaging_seen) names the message read.
      statuses: ['read'],
      liveStatus: 'read',
      correlated: false,
    },
    {
      channel: 'sms',
      sample: 'sms/sms-inbound.json',
      provider: 'twilio',
      path: /^\/2010-04-01\/Accounts\/AC\w+\/Messages\.json$/,
      statuses: ['sent', 'delivered'],
      liveStatus: 'delivered',
      correlated: true,
    },
  ])(
    '$channel: one provider request, one message.sent, and statuses that name the hub message',
    async ({ sample, provider, path, statuses, liveStatus, correlated }) => {
      // Prepare
      const conversationId = await session.customerWrites(freshSample(sample));
      const before = session.hub.providers?.requests().length ?? 0;
      // Act
      const hubMessageId = await session.sendCommand(conversationId, `reply-${sample}`, [
        { type: 'text', text: 'Thanks for writing, we are on it.' },
      ]);
      const events = await session.collectUntil(
        (seen) =>
          seen.some((event) => event.type === 'switchboard.message.sent') &&
          statuses.every((status) =>
            seen.some(
              (event) => event.type === 'switchboard.message.status_updated' && event.data.status === status,
            ),
          ),
      );
      // Assess
      const calls = (session.hub.providers?.requests() ?? [])
        .slice(before)
        .filter((request) => request.provider === provider && path.test(request.path));
      expect(calls).toHaveLength(1);
      const sent = events.filter((event) => event.type === 'switchboard.message.sent');
      expect(sent).toHaveLength(1);
      expect(sent[0]?.data).toMatchObject({ hubMessageId, sentBy: 'hub', conversationId });
      const updates = events.filter((event) => event.type === 'switchboard.message.status_updated');
      for (const status of statuses) {
        const update = updates.find(
          (event) => event.type === 'switchboard.message.status_updated' && event.data.status === status,
        );
        expect(update, status).toBeDefined();
        if (correlated && update?.type === 'switchboard.message.status_updated') {
          expect(update.data.correlationId).toBe(`${hubMessageId}.0`);
        }
      }
      // The helpdesk API shows the hub's message with the provider's newest status for it.
      const hub = session.hub;
      const page = await fetch(
        `${hub.urls.api}/conversations/${conversationId}/messages?from=newest&limit=5`,
        {
          headers: { authorization: `Bearer ${hub.apiToken}` },
        },
      );
      const listed = MessagePageSchema.parse(await page.json()).items.find(
        (item) => item.hubMessageId === hubMessageId,
      );
      expect(listed?.live.status?.status).toBe(liveStatus);
      // The echo of a Messenger send is the hub's own message: never a second message.sent.
      expect(events.filter((event) => event.type === 'switchboard.message.sent')).toHaveLength(1);
    },
    60_000,
  );

  it('e-mail through Mailgun: one provider request, threaded to the customer message', async () => {
    // Prepare
    const conversationId = await session.customerWrites(freshSample('email/plain-text.eml'));
    const before = session.hub.providers?.requests().length ?? 0;
    // Act
    const hubMessageId = await session.sendCommand(conversationId, 'reply-email', [
      { type: 'text', text: 'Hello again.' },
    ]);
    const events = await session.collectUntil((seen) =>
      seen.some((event) => event.type === 'switchboard.message.sent'),
    );
    // Assess
    const calls = (session.hub.providers?.requests() ?? [])
      .slice(before)
      .filter((request) => request.provider === 'mailgun');
    expect(calls).toHaveLength(1);
    const sent = events.find((event) => event.type === 'switchboard.message.sent');
    expect(sent?.data).toMatchObject({ hubMessageId, sentBy: 'hub', provider: 'mailgun' });
    if (sent?.type === 'switchboard.message.sent') {
      expect(sent.data.email?.subject).toMatch(/^Re: /);
      expect(sent.data.email?.inReplyTo).toBeDefined();
      expect(sent.data.email?.replyTo[0]?.address).toMatch(/\+conv_[0-9a-f]{32}\.[0-9a-f]{16}@/);
    }
  }, 60_000);
});
