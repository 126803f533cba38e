import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messengerTextFrom, sampleOf } from '#shared/local/live-samples.ts';
import type { Sample } from '#shared/local/samples.ts';
import type { SimulatedProvider } from '#shared/local/simulators/types.ts';
import {
  actAsCustomer,
  type ConsoleBrowser,
  replyAsBusiness,
  startConsoleBrowser,
  waitForReplyStatus,
} from '#tests/support/console-browser.ts';

/*
 * The console on Messenger, SMS and e-mail: the developer writes as the customer, sees the
 * conversation appear, answers it from the reply box and watches the ticks reach the furthest status
 * that channel reports. What the simulators post back, as the providers do:
 *   Messenger: the echo, a delivery, and a read watermark. A read watermark is about the
 *     conversation, not a message, so the hub does not move a message to read on it: delivered.
 *   SMS (Twilio): sent, delivered (read only for WhatsApp through Twilio): delivered.
 *   E-mail: the console's customer writes through Mailgun's inbound route (the e-mail sample), so the
 *     reply leaves through Mailgun too; its simulator posts one `delivered` event: delivered.
 *     (Through SES it would be Send, then Delivery: delivered as well.)
 */

const CASES: ReadonlyArray<{
  channel: string;
  from: string;
  provider: SimulatedProvider;
  callbacks: readonly string[];
  /** What the ticks end at: Messenger's read comes as the conversation's watermark, which the page applies. */
  furthest: string;
}> = [
  {
    channel: 'messenger',
    from: '7319482765100042',
    provider: 'messenger',
    callbacks: ['echo', 'delivery', 'read'],
    furthest: 'read',
  },
  {
    channel: 'sms',
    from: '+14155550142',
    provider: 'twilio',
    callbacks: ['sent', 'delivered'],
    furthest: 'delivered',
  },
  {
    channel: 'email',
    from: 'lena.moss@customer.example',
    provider: 'mailgun',
    callbacks: ['delivered'],
    furthest: 'delivered',
  },
];

describe('local console: Messenger, SMS and e-mail both ways', () => {
  let hubConsole: ConsoleBrowser;

  beforeAll(async () => {
    hubConsole = await startConsoleBrowser();
    await hubConsole.open();
  }, 120_000);
  afterAll(async () => {
    await hubConsole?.close();
  });

  for (const { channel, from, provider, callbacks, furthest } of CASES) {
    it(`${channel}: the customer writes, the business replies, the ticks reach ${furthest} and stay there`, async () => {
      // Prepare
      const { page } = hubConsole;
      const customerText = `Hello from ${channel}, is my parcel 7731 on its way?`;
      const replyText = `Yes: parcel 7731 leaves today (${channel}).`;
      // Act: the customer writes, and the conversation appears in the inbox
      await actAsCustomer(page, channel, from, customerText);
      const row = await page.waitForSelector(`button[data-channel="${channel}"]`, { timeout: 30_000 });
      const conversationId = (await row?.evaluate((element) => element.dataset.conversation)) ?? '';
      await row?.click();
      await page.waitForSelector(`.message.inbound .text::-p-text(${JSON.stringify(customerText)})`, {
        timeout: 30_000,
      });
      // Act: the business replies; the provider's statuses come back
      await replyAsBusiness(page, replyText);
      await waitForReplyStatus(page, replyText, furthest);
      // Wait until the simulator has posted every status it will post for this send, and the hub took them
      const sendRequest = await waitForSettledSend(hubConsole, provider, callbacks.length);
      // ...and until the hub has recorded the reply's final status; then the page has a quiet moment
      // in which a late or stale status would show (the live stream is always open, so the network
      // never goes idle to wait for)
      const reply = await waitForRecordedStatus(hubConsole, conversationId, 'delivered');
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      const ticks = await page.$$eval('.message.outbound [data-status]', (elements) =>
        elements.map((element) => element.getAttribute('data-status')),
      );
      // Assess: every status was posted and accepted; the message itself is delivered (Messenger's read is
      // the conversation's watermark, which the ticks apply)
      expect(sendRequest.map((callback) => callback.event)).toEqual(callbacks);
      expect(sendRequest.every((callback) => callback.status !== undefined && callback.status < 300)).toBe(
        true,
      );
      expect(reply?.live?.status?.status).toBe('delivered');
      expect(ticks).toEqual([furthest]);
      expect(hubConsole.browserErrors).toEqual([]);
      const log = hubConsole.logLines.join('\n');
      expect(log).not.toContain(from);
      expect(log).not.toContain('parcel 7731');
    }, 120_000);
  }

  it('messenger: shows read on a reply sent from the page inbox once the read watermark covers it', async () => {
    // Prepare: a customer writes, the business answers from the page inbox (an echo the hub did not
    // send, which no status names), and the customer reads it (a watermark after it)
    const { page, session } = hubConsole;
    const customer = '7319482765100043';
    const conversationId = await session.customerWrites(messengerTextFrom(customer, 'inbox-echo-1'));
    const sentAt = Date.now();
    const messagingOf = (name: string, edit: (event: Record<string, unknown>) => void): Sample => {
      const sample = sampleOf(name);
      const json = JSON.parse(sample.payload.toString('utf8'));
      edit(json.entry[0].messaging[0]);
      return { ...sample, payload: Buffer.from(JSON.stringify(json), 'utf8') };
    };
    const echo = messagingOf('messenger/echo-from-page-inbox.json', (event) => {
      const message = {
        ...(event.message as object),
        mid: 'm_inbox-echo-2',
        text: 'Sent from the page inbox.',
      };
      Object.assign(event, { recipient: { id: customer }, timestamp: sentAt, message });
    });
    const read = messagingOf('messenger/read.json', (event) => {
      Object.assign(event, {
        sender: { id: customer },
        timestamp: sentAt + 2000,
        read: { watermark: sentAt + 1000 },
      });
    });
    for (const sample of [echo, read]) await session.post(sample);
    await session.hub.waitForRecorder();
    // Act
    await page.click(`button[data-conversation="${conversationId}"]`);
    // Assess
    await waitForReplyStatus(page, 'Sent from the page inbox.', 'read');
    expect(hubConsole.browserErrors).toEqual([]);
  }, 60_000);
});

/** How long the page is watched, once the hub has recorded everything, for a status moving back. */
const QUIET_MS = 2000;

interface ListedMessage {
  readonly message: { readonly direction: string };
  readonly live?: { readonly status?: { readonly status: string } };
}

/** The conversation's reply as the helpdesk API lists it, once its recorded status is `status` (or after 30 s, as it is then). */
const waitForRecordedStatus = async (
  hubConsole: ConsoleBrowser,
  conversationId: string,
  status: string,
): Promise<ListedMessage | undefined> => {
  const { hub } = hubConsole.session;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const api = await fetch(`${hub.urls.api}/conversations/${conversationId}/messages?from=newest&limit=5`, {
      headers: { authorization: `Bearer ${hub.apiToken}` },
    });
    const { items } = (await api.json()) as { items: ListedMessage[] };
    const reply = items.find((item) => item.message.direction === 'outbound');
    if (reply?.live?.status?.status === status || Date.now() > deadline) return reply;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** The callbacks of the provider's latest send, once `count` of them were posted and answered. */
const waitForSettledSend = async (
  hubConsole: ConsoleBrowser,
  provider: SimulatedProvider,
  count: number,
): Promise<readonly { event: string; status?: number }[]> => {
  for (;;) {
    const sends = (hubConsole.session.hub.providers?.requests() ?? []).filter(
      (request) =>
        request.provider === provider && request.method === 'POST' && request.response.status < 300,
    );
    const callbacks = sends.at(-1)?.callbacks ?? [];
    if (
      callbacks.length >= count &&
      callbacks.every((callback) => callback.status !== undefined || callback.error)
    )
      return callbacks;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
