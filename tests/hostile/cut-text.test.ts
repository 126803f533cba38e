import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeMailgunEvent } from '#shared/channels/email/inbound/mailgun-events-normalize.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { normalizeSesEvent } from '#shared/channels/email/inbound/ses-events.ts';
import { cutText, redactContactDetails } from '#shared/channels/provider-text.ts';
import { handleTwilioWebhook } from '#shared/channels/sms/inbound/webhook.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { type HubEvent, HubEventSchema } from '#shared/contract/index.ts';
import { forQueue } from '#shared/intake/event-bounds.ts';
import { metaRequest, twilioRequest, whatsappText } from '#tests/support/hostile.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * A provider's text cut to a bound (a display name, a subject, an error's words) must not end in
 * half an emoji: a lone surrogate is no Unicode text, turned into U+FFFD or refused downstream.
 */

/** Half of a surrogate pair without its other half (String.prototype.isWellFormed, before ES2024 typings). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

/** 'a', then 200 emoji of two UTF-16 units each: every odd index starts a pair. */
const EMOJI_TEXT = `a${'😀'.repeat(200)}`;
const emojiText = (units: number): string => `a${'😀'.repeat(Math.ceil(units / 2))}`;

const FIXTURES = join(import.meta.dirname, '..', 'channels', 'fixtures');
// biome-ignore lint/suspicious/noExplicitAny: a test edits arbitrary fields of the provider's JSON.
const fixtureJson = (path: string): any => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));

/** Every string in the events, at any depth. */
const stringsOf = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : value !== null && typeof value === 'object'
      ? Object.values(value).flatMap(stringsOf)
      : [];

const expectWellFormed = (events: readonly HubEvent[]) => {
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    expect(HubEventSchema.safeParse(event).error).toBeUndefined();
    for (const text of stringsOf(event)) expect(isWellFormed(text), JSON.stringify(text)).toBe(true);
  }
};

describe('cutText', () => {
  it('cuts to at most the bound, one unit less where the bound falls inside a pair, never leaving half of one', () => {
    for (let bound = 0; bound <= EMOJI_TEXT.length + 1; bound += 1) {
      // Act
      const cut = cutText(EMOJI_TEXT, bound);
      // Assess
      expect(isWellFormed(cut), `bound ${bound}`).toBe(true);
      expect(EMOJI_TEXT.startsWith(cut)).toBe(true);
      expect(cut.length).toBe(Math.min(bound % 2 === 0 && bound > 0 ? bound - 1 : bound, EMOJI_TEXT.length));
    }
  });

  it('keeps a text within the bound as it is, a lone surrogate the provider sent included', () => {
    // Act
    const kept = cutText('ab\uD83D', 3);
    // Assess
    expect(kept).toBe('ab\uD83D');
  });
});

describe('provider texts cut to a bound stay well-formed', () => {
  it('a Twilio ProfileName (WhatsApp through Twilio), as queued', () => {
    // Prepare
    const request = twilioRequest({
      MessageSid: 'SM0123456789abcdef0123456789abcdef',
      AccountSid: 'AC0123456789abcdef0123456789abcdef',
      From: 'whatsapp:+14155550123',
      To: 'whatsapp:+14155550100',
      Body: 'hi',
      NumMedia: '0',
      ProfileName: EMOJI_TEXT,
    });
    // Act
    const outcome = handleTwilioWebhook(request, {
      secrets: LOCAL_DEV_SECRETS,
      publicUrl: 'https://hooks.example.com/webhooks/sms/twilio',
    });
    // Assess
    if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
    const queued = forQueue(outcome.events, FIXTURE_RECEIVED_AT);
    expectWellFormed(queued);
    const [message] = queued;
    if (message?.type !== 'switchboard.message.received') throw new Error('expected a message');
    expect(message.data.contact.displayName).toMatch(/^a😀+…\[truncated\]$/u);
  });

  it('a WhatsApp profile name, as queued', () => {
    // Act
    const outcome = handleWhatsAppWebhook(
      metaRequest('/webhooks/whatsapp', whatsappText({ name: EMOJI_TEXT })),
      {
        secrets: LOCAL_DEV_SECRETS,
      },
    );
    // Assess
    if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
    expectWellFormed(forQueue(outcome.events, FIXTURE_RECEIVED_AT));
  });

  it('an e-mail subject', async () => {
    // Prepare: a subject of 2,001 UTF-16 units, its bound (2,000) inside a pair.
    const subject = emojiText(2000);
    const mime = [
      'From: Maria <maria@customer.example>',
      'To: support@switchboard.example',
      `Subject: =?UTF-8?B?${Buffer.from(subject, 'utf8').toString('base64')}?=`,
      'Message-ID: <subject-cut@customer.example>',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Hello',
    ].join('\r\n');
    // Act
    const { events } = await normalizeInboundEmail(Buffer.from(mime, 'utf8'), {
      provider: 'ses',
      receivedAt: FIXTURE_RECEIVED_AT,
      envelopeRecipients: ['support@switchboard.example'],
    });
    // Assess
    expectWellFormed(events);
    const [message] = events;
    if (message?.type !== 'switchboard.message.received') throw new Error('expected a message');
    expect(message.data.email?.subject).toHaveLength(1999);
  });

  it("an SES bounce's diagnostic code", () => {
    // Prepare
    const event = JSON.parse(fixtureJson('ses-events/bounce-permanent.json').Message);
    event.bounce.bouncedRecipients[0].diagnosticCode = emojiText(1000);
    // Act
    const events = normalizeSesEvent(event, FIXTURE_RECEIVED_AT);
    // Assess
    expectWellFormed(events);
  });

  it("a Mailgun failure's text", () => {
    // Prepare
    const data = fixtureJson('mailgun-events/failed-permanent.json');
    data['delivery-status'].message = emojiText(1000);
    // Act
    const events = normalizeMailgunEvent(data, FIXTURE_RECEIVED_AT);
    // Assess
    expectWellFormed(events);
  });

  it("a provider's error text, masked for a send record", () => {
    // Act
    const masked = redactContactDetails(emojiText(1000));
    // Assess
    expect(isWellFormed(masked)).toBe(true);
  });
});
