import { describe, expect, it } from 'vitest';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { expectedFor, listFixtures } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';

const ITEM_ARRAYS = [
  'messages',
  'statuses',
  'errors',
  'user_preferences',
  'message_echoes',
  'calls',
] as const;
const ENVELOPE_ARRAYS = ['contacts'];

/**
 * How many items the payload holds: each must yield at least one event, and so must each other
 * non-empty array beside them (items the adapter does not read, kept as one unsupported event).
 */
const countItems = (body: unknown): number => {
  const entries = (body as { entry?: unknown }).entry;
  if (!Array.isArray(entries)) return 1;
  let count = 0;
  for (const entry of entries) {
    const changes = (entry as { changes?: unknown }).changes;
    for (const change of Array.isArray(changes) ? changes : []) {
      const value = (change as { value?: Record<string, unknown> }).value ?? {};
      const items = ITEM_ARRAYS.map((key) => value[key]).filter(Array.isArray);
      const otherArrays = Object.entries(value).filter(
        ([key, list]) =>
          Array.isArray(list) &&
          list.length > 0 &&
          !(ITEM_ARRAYS as readonly string[]).includes(key) &&
          !ENVELOPE_ARRAYS.includes(key),
      ).length;
      // A field without item arrays (account_update, templates…) is one item in itself.
      count += items.length === 0 ? 1 : items.reduce((sum, list) => sum + list.length, otherArrays);
    }
  }
  return count;
};

describe('WhatsApp golden fixtures', () => {
  const fixtures = listFixtures('whatsapp');

  it('exist', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures.map((fixture) => [fixture.variant, fixture] as const))('%s', (_variant, fixture) => {
    // Prepare
    const request = webhookRequest({
      path: '/webhooks/whatsapp',
      headers: { 'X-Hub-Signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, fixture.payload) },
      body: fixture.payload,
    });
    // Act
    const outcome = handleWhatsAppWebhook(request, { secrets: LOCAL_DEV_SECRETS });
    // Assess
    expect(outcome.kind).toBe('accept');
    if (outcome.kind !== 'accept') return;
    expect(outcome.response.statusCode).toBe(200);
    for (const event of outcome.events) expect(HubEventSchema.safeParse(event).error).toBeUndefined();
    expect(outcome.events.length).toBeGreaterThanOrEqual(
      countItems(JSON.parse(fixture.payload.toString('utf8'))),
    );
    const actual: unknown = JSON.parse(JSON.stringify(outcome.events));
    expect(actual).toEqual(expectedFor(fixture, actual));
  });
});
