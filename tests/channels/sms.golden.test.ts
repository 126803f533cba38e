import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handleTwilioWebhook, signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { expectedFor, listFixtures } from '#tests/support/golden.ts';
import { webhookRequest } from '#tests/support/requests.ts';

const PUBLIC_URL = 'https://hub.example.com/webhooks/sms/twilio';
const SampleSchema = z.record(z.string(), z.string());

describe('Twilio SMS golden fixtures', () => {
  const fixtures = listFixtures('sms');

  it('has samples for every documented variant', () => {
    // Assess
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))(
    '%s normalizes to its expected events',
    (_name, fixture) => {
      // Prepare: form-encode the sample in its order and sign it as Twilio would
      const params = Object.entries(SampleSchema.parse(JSON.parse(fixture.payload.toString('utf8'))));
      const body = new URLSearchParams(params).toString();
      const request = webhookRequest({
        path: '/webhooks/sms/twilio',
        headers: {
          host: 'hub.example.com',
          'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
          'x-twilio-signature': signTwilioRequest(LOCAL_DEV_SECRETS.twilio.authToken, PUBLIC_URL, params),
        },
        body: Buffer.from(body, 'utf8'),
      });

      // Act
      const outcome = handleTwilioWebhook(request, { secrets: LOCAL_DEV_SECRETS, publicUrl: PUBLIC_URL });

      // Assess
      if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${JSON.stringify(outcome)}`);
      const events = outcome.events.map((event) => HubEventSchema.parse(event));
      expect(events).toEqual(expectedFor(fixture, events));
    },
  );
});
