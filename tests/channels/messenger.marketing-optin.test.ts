import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * A Marketing Messages opt-in (`messaging_optins`, `type: notification_messages`) names the topic
 * the person opted into and carries the token a business sends those messages with. The event
 * keeps them (review finding: only the status was kept, and the webhook stores no copy of the body).
 */

const PAGE_ID = '104728593216847';
const PSID = '6290417735582916';

const optinItem = (optin: Record<string, unknown>, timestamp = 1795167304132) => ({
  object: 'page',
  entry: [
    {
      id: PAGE_ID,
      time: timestamp,
      messaging: [{ sender: { id: PSID }, recipient: { id: PAGE_ID }, timestamp, optin }],
    },
  ],
});

const marketingOptin = (topic: string, token: string, extra: Record<string, unknown> = {}) => ({
  type: 'notification_messages',
  payload: topic,
  notification_messages_token: token,
  notification_messages_frequency: 'WEEKLY',
  notification_messages_timezone: 'Europe/Lisbon',
  token_expiry_timestamp: 1810718043000,
  user_token_status: 'NOT_REFRESHED',
  title: `${topic} title`,
  ...extra,
});

const eventsOf = (payload: unknown): readonly HubEvent[] => {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const outcome: WebhookOutcome = handleMessengerWebhook(
    webhookRequest({
      path: '/webhooks/messenger',
      headers: { 'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, body) },
      body,
    }),
    { secrets: LOCAL_DEV_SECRETS },
  );
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
  return outcome.events;
};

const consentOf = (payload: unknown) => {
  const [event] = eventsOf(payload);
  if (event?.type !== 'switchboard.contact.consent_changed') throw new Error(`got ${event?.type}`);
  return event.data;
};

describe('a Messenger Marketing Messages opt-in', () => {
  it('keeps the token, the topic and its terms on the consent event', () => {
    // Act
    const data = consentOf(optinItem(marketingOptin('WEEKLY_OFFERS', '7482937461029384756')));
    // Assess
    expect(data.consent).toBe('opted_in');
    expect(data.notificationMessages).toEqual({
      token: '7482937461029384756',
      topic: 'WEEKLY_OFFERS',
      title: 'WEEKLY_OFFERS title',
      frequency: 'WEEKLY',
      timezone: 'Europe/Lisbon',
      tokenExpiresAt: '2027-05-19T09:14:03.000Z',
      tokenStatus: 'NOT_REFRESHED',
    });
  });

  it('names the topic a STOP is about, so two topics stopped at once are told apart', () => {
    // Prepare
    const stop = { notification_messages_status: 'STOP_NOTIFICATIONS' };
    // Act
    const offers = consentOf(optinItem(marketingOptin('WEEKLY_OFFERS', 'token-offers', stop)));
    const news = consentOf(optinItem(marketingOptin('ORDER_NEWS', 'token-news', stop)));
    // Assess: the consent itself stays per page and scope; the topic travels beside it.
    expect([offers.scope, offers.consent]).toEqual(['messenger_notifications', 'opted_out']);
    expect([news.scope, news.consent]).toEqual(['messenger_notifications', 'opted_out']);
    expect(offers.notificationMessages?.topic).toBe('WEEKLY_OFFERS');
    expect(news.notificationMessages?.topic).toBe('ORDER_NEWS');
    expect(news.notificationMessages?.token).toBe('token-news');
  });

  it('leaves out what Meta did not send, and an expiry that is no plausible time', () => {
    // Act
    const data = consentOf(
      optinItem({
        type: 'notification_messages',
        notification_messages_token: 42,
        token_expiry_timestamp: 'soon',
      }),
    );
    // Assess
    expect(data.notificationMessages).toEqual({ token: '42' });
  });

  it('carries no notification object on a stop without any of its fields', () => {
    // Act
    const data = consentOf(optinItem({ notification_messages_status: 'RESUME_NOTIFICATIONS' }));
    // Assess
    expect(data.consent).toBe('opted_in');
    expect(data.notificationMessages).toBeUndefined();
  });

  it('keeps a send-to-Messenger plugin opt-in a referral, with no notification fields', () => {
    // Act
    const [event] = eventsOf(optinItem({ ref: 'landing-page' }));
    // Assess
    expect(event?.type).toBe('switchboard.contact.referred');
    expect(JSON.stringify(event?.data)).not.toContain('notificationMessages');
  });
});
