import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { expectedFor, listFixtures } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';

const fixtures = listFixtures('messenger');

const ENTRY_ENVELOPE = ['id', 'time'];
const ITEM_LISTS = ['messaging', 'standby'];

/**
 * How many items Meta put in the body: every one of them must come out as (at least) one event, and
 * so must every other non-empty array of an entry (items the adapter does not read, kept whole).
 */
const itemCount = (payload: Buffer): number => {
  const body = JSON.parse(payload.toString('utf8')) as { entry?: Array<Record<string, unknown>> };
  return (body.entry ?? []).reduce((count, entry) => {
    const messaging = Array.isArray(entry.messaging) ? entry.messaging.length : 0;
    const standby = Array.isArray(entry.standby) ? entry.standby.length : 0;
    const otherArrays = Object.entries(entry).filter(
      ([key, list]) =>
        Array.isArray(list) && list.length > 0 && !ITEM_LISTS.includes(key) && !ENTRY_ENVELOPE.includes(key),
    ).length;
    return count + messaging + standby + otherArrays;
  }, 0);
};

describe('messenger golden fixtures', () => {
  it('exist, and every one has a reviewed expectation', () => {
    // Prepare
    const withoutExpectation = fixtures.filter((fixture) => !existsSync(fixture.expectedPath));
    // Assess
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
    if (process.env.UPDATE_GOLDEN !== '1') expect(withoutExpectation.map((f) => f.name)).toEqual([]);
  });

  it.each(fixtures.map((fixture) => [fixture.variant, fixture] as const))('%s', (_variant, fixture) => {
    // Prepare
    const request = webhookRequest({
      path: '/webhooks/messenger',
      headers: { 'X-Hub-Signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, fixture.payload) },
      body: fixture.payload,
    });
    // Act
    const outcome = handleMessengerWebhook(request, { secrets: LOCAL_DEV_SECRETS });
    // Assess
    expect(outcome.kind).toBe('accept');
    if (outcome.kind !== 'accept') return;
    for (const event of outcome.events) expect(HubEventSchema.safeParse(event).error).toBeUndefined();
    expect(outcome.events.length).toBeGreaterThanOrEqual(itemCount(fixture.payload));
    expect(outcome.events).toEqual(expectedFor(fixture, outcome.events));
  });
});
