import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { apiGatewayEvent, lambdaContext } from '#tests/support/factories.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';

const PUBLIC_BASE_URL = 'https://hooks.switchboard.example';
const PATH = '/webhooks/sms/twilio';

/** The sample's parameters in Twilio's order, posted as a form, signed over the public URL. */
const twilioPost = (authToken: string) => {
  const params = Object.entries(
    JSON.parse(readFileSync(join(EVENTS_DIR, 'sms/help.json'), 'utf8')) as Record<string, string>,
  );
  const form = new URLSearchParams(params).toString();
  return apiGatewayEvent({
    path: PATH,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(authToken, `${PUBLIC_BASE_URL}${PATH}`, params),
      host: 'api1234567.execute-api.eu-west-1.amazonaws.com',
    },
    body: form,
    // HTTP APIs base64-encode form posts.
    base64: true,
  });
};

describe('Twilio SMS webhook Lambda into the local ingest queue', () => {
  const hub = useEmulatedHub({ SWITCHBOARD_PUBLIC_BASE_URL: PUBLIC_BASE_URL });

  it('verifies the signature over the configured public URL, queues the events and answers TwiML', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-sms-twilio.ts');
    // Act
    const result = (await handler(
      twilioPost(LOCAL_DEV_SECRETS.twilio.authToken),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const messages = await hub.ingestQueueMessages();
    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('text/xml');
    const events = messages.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? '')));
    expect(events.map((event) => event.type)).toContain('switchboard.message.received');
    expect(events.every((event) => event.source.startsWith('switchboard:sms:'))).toBe(true);
  });

  it('answers 403 to a request signed with another token and queues nothing', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-sms-twilio.ts');
    // Act
    const result = (await handler(
      twilioPost('wrong-token'),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const messages = await hub.ingestQueueMessages();
    // Assess
    expect(result.statusCode).toBe(403);
    expect(messages).toEqual([]);
  });
});
