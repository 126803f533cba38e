import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { metaRequest } from '#tests/support/hostile.ts';

const secrets = LOCAL_DEV_SECRETS;

/** Any JSON value, or an array of them: what a provider might put where an item list belongs. */
const listOrNot = fc.oneof(
  fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
  fc.jsonValue({ maxDepth: 3 }),
);

const itemCount = (value: unknown): number => (Array.isArray(value) ? value.length : 1);

const eventsOrReject = (outcome: WebhookOutcome): number | 'rejected' => {
  if (outcome.kind === 'reject') return outcome.status < 500 ? 'rejected' : Number.NaN;
  if (outcome.kind === 'respond') return 0;
  return outcome.events.length;
};

/** Keys an adapter reads or takes as envelope: what an unknown array must not be called. */
const READ_KEYS = new Set([
  'messaging_product',
  'metadata',
  'contacts',
  'messages',
  'statuses',
  'errors',
  'id',
  'time',
  'messaging',
  'standby',
  'changes',
]);

/** Names and values for keys Meta might add beside the ones read: arrays (items) and not (envelope). */
const unknownKeys = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !READ_KEYS.has(key) && key !== '__proto__'),
  fc.oneof(
    fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 3 }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  { maxKeys: 4 },
);

/** What JSON carries of a value (`-0` as `0`…), as the adapter parses it. */
const asSent = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** The unsupported events' raw values by provider type. */
const unsupportedByType = (outcome: WebhookOutcome): Map<string, unknown> => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
  return new Map(
    outcome.events.flatMap((event) =>
      event.type === 'switchboard.provider.unsupported' ? [[event.data.providerType, event.data.raw]] : [],
    ),
  );
};

describe('every item of a signed body becomes an event, or the body is refused with a 4xx', () => {
  it('holds for WhatsApp changes whose item keys hold any shape (property)', () => {
    fc.assert(
      fc.property(listOrNot, listOrNot, listOrNot, (messages, statuses, errors) => {
        // Prepare
        const value = {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '302105550142', phone_number_id: '106540352242922' },
          messages,
          statuses,
          errors,
        };
        const body = {
          object: 'whatsapp_business_account',
          entry: [{ id: '1', changes: [{ field: 'messages', value }] }],
        };
        // Act
        const outcome = eventsOrReject(
          handleWhatsAppWebhook(metaRequest('/webhooks/whatsapp', body), { secrets }),
        );
        // Assess
        if (outcome === 'rejected') return;
        expect(outcome).toBeGreaterThanOrEqual(itemCount(messages) + itemCount(statuses) + itemCount(errors));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a messages object next to valid statuses (the case an outside review found dropped)', () => {
    // Prepare
    const value = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '302105550142', phone_number_id: '106540352242922' },
      messages: { id: 'wamid.OBJECT', type: 'text', text: { body: 'hi' } },
      statuses: [{ id: 'wamid.S1', status: 'read', timestamp: '1795166043', recipient_id: '306912345678' }],
    };
    const body = {
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value }] }],
    };
    // Act
    const outcome = handleWhatsAppWebhook(metaRequest('/webhooks/whatsapp', body), { secrets });
    // Assess
    if (outcome.kind !== 'accept') throw new Error('expected accept');
    expect(outcome.events.map((event) => event.type)).toEqual([
      'switchboard.provider.unsupported',
      'switchboard.message.status_updated',
    ]);
  });

  it('keeps every unknown array beside WhatsApp messages as unsupported, and no other key (property)', () => {
    fc.assert(
      fc.property(unknownKeys, (extra) => {
        // Prepare
        const value = {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '302105550142', phone_number_id: '106540352242922' },
          contacts: [{ wa_id: '306912345678', profile: { name: 'Νίκος' } }],
          messages: [
            {
              from: '306912345678',
              id: 'wamid.P1',
              timestamp: '1795330000',
              type: 'text',
              text: { body: 'Γεια' },
            },
          ],
          ...extra,
        };
        const body = {
          object: 'whatsapp_business_account',
          entry: [{ id: '1', changes: [{ field: 'messages', value }] }],
        };
        // Act
        const kept = unsupportedByType(
          handleWhatsAppWebhook(metaRequest('/webhooks/whatsapp', body), { secrets }),
        );
        // Assess
        const expected = new Map(
          Object.entries(extra).flatMap(([key, items]) =>
            Array.isArray(items) && items.length > 0 ? [[`messages.${key}`, asSent(items)] as const] : [],
          ),
        );
        expect(kept).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps every unknown array beside Messenger messaging as unsupported, and no other key (property)', () => {
    fc.assert(
      fc.property(unknownKeys, (extra) => {
        // Prepare
        const item = {
          sender: { id: '7319482765104823' },
          recipient: { id: '104331798255117' },
          timestamp: 1795166043512,
          message: { mid: 'm_P1', text: 'Ahoj' },
        };
        const body = {
          object: 'page',
          entry: [{ id: '104331798255117', time: 1795166043723, messaging: [item], ...extra }],
        };
        // Act
        const kept = unsupportedByType(
          handleMessengerWebhook(metaRequest('/webhooks/messenger', body), { secrets }),
        );
        // Assess
        const expected = new Map(
          Object.entries(extra).flatMap(([key, items]) =>
            Array.isArray(items) && items.length > 0 ? [[`entry.${key}`, asSent(items)] as const] : [],
          ),
        );
        expect(kept).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('holds for Messenger entries whose item lists hold any shape (property)', () => {
    fc.assert(
      fc.property(listOrNot, listOrNot, (messaging, standby) => {
        // Prepare
        const body = { object: 'page', entry: [{ id: '104331798255117', time: 1, messaging, standby }] };
        // Act
        const outcome = eventsOrReject(
          handleMessengerWebhook(metaRequest('/webhooks/messenger', body), { secrets }),
        );
        // Assess
        if (outcome === 'rejected') return;
        expect(outcome).toBeGreaterThanOrEqual(itemCount(messaging) + itemCount(standby));
      }),
      { numRuns: 300 },
    );
  });
});
