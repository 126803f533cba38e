import { describe, expect, it } from 'vitest';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { forQueue } from '#shared/intake/event-bounds.ts';
import { metaRequest } from '#tests/support/hostile.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/*
 * The recorder writes one status register per message a status names, one table call each, and a
 * retry makes them all again: a signed Messenger delivery naming 10,000 mids (250 KB, far within a
 * Meta body of 8 MB) took 20 s against the local DynamoDB, so two in one batch, or one of 20,000,
 * outlast the recorder's 30-second invocation on every try. What the intake queues names at most 100.
 */

const deliveryOf = (mids: readonly string[]) => ({
  object: 'page',
  entry: [
    {
      id: '104728593216847',
      time: 1795167004243,
      messaging: [
        {
          sender: { id: '6290417735582916' },
          recipient: { id: '104728593216847' },
          timestamp: 1795167004032,
          delivery: { mids, watermark: 1795167001958 },
        },
      ],
    },
  ],
});

const queuedFor = (mids: readonly string[]): HubEvent[] => {
  const outcome = handleMessengerWebhook(metaRequest('/webhooks/messenger', deliveryOf(mids)), {
    secrets: LOCAL_DEV_SECRETS,
  });
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${outcome.kind}`);
  return forQueue(outcome.events, FIXTURE_RECEIVED_AT);
};

const mids = (count: number): string[] => Array.from({ length: count }, (_, index) => `m_${index}_delivered`);

describe('a status naming more messages than any provider sends', () => {
  it('is queued as an oversize identifier with its data whole', () => {
    // Act
    const [event, ...rest] = queuedFor(mids(10_000));
    // Assess
    expect(rest).toEqual([]);
    expect(event?.type).toBe('switchboard.provider.unsupported');
    if (event?.type !== 'switchboard.provider.unsupported') return;
    expect(event.data.providerType).toBe('oversize_identifier');
    expect(event.data.raw).toMatchObject({
      type: 'switchboard.message.status_updated',
      data: { status: 'delivered', providerMessageIds: mids(10_000) },
    });
  });

  it('stays a status up to 100 messages', () => {
    // Act
    const [event] = queuedFor(mids(100));
    // Assess
    expect(event?.type).toBe('switchboard.message.status_updated');
    if (event?.type !== 'switchboard.message.status_updated') return;
    expect(event.data.providerMessageIds).toEqual(mids(100));
  });
});
