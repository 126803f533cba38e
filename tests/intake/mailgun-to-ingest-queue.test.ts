import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { S3BlobStore } from '#shared/aws/blob-store.ts';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { apiGatewayEvent, lambdaContext } from '#tests/support/factories.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';

const rawMime = readFileSync(join(EVENTS_DIR, 'email/plain-text.eml'), 'utf8');

/**
 * A Mailgun `forward()` to a URL ending in `mime`: the raw message plus envelope and signature fields.
 * One timestamp for every post of this file (read at import, well inside the 5-minute tolerance): a
 * retry carries its delivery's original timestamp, and a later one would be refused as moving the
 * token's expiry (before 2026-12-08 each post read the clock, and two posts either side of a
 * second's boundary failed the test).
 */
const timestamp = String(Math.floor(Date.now() / 1000));
const mailgunPost = (token: string, mime = rawMime) => {
  const form = new URLSearchParams({
    recipient: 'support@switchboard.example',
    sender: 'maria.keller@customer.example',
    'body-mime': mime,
    timestamp,
    token,
    signature: signMailgun(LOCAL_DEV_SECRETS.mailgun.signingKey, timestamp, token),
  }).toString();
  return apiGatewayEvent({
    path: '/webhooks/email/mailgun',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    base64: true,
  });
};

describe('Mailgun webhook Lambda with the DynamoDB replay guard and the payload bucket', () => {
  const hub = useEmulatedHub();

  it('stores the raw MIME, queues the e-mail once, and refuses a token reused for other content', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-email-mailgun.ts');
    const invoke = async (event: ReturnType<typeof mailgunPost>) =>
      ((await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2).statusCode;
    // Act
    const first = await invoke(mailgunPost('token-1'));
    const sameDeliveryAgain = await invoke(mailgunPost('token-1'));
    const forged = await invoke(mailgunPost('token-1', rawMime.replace('Order 4711', 'Order 9999')));
    const messages = await hub.ingestQueueMessages();
    // Assess
    expect([first, sameDeliveryAgain, forged]).toEqual([200, 200, 406]);
    const events = messages.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? '')));
    const received = events.filter((event) => event.type === 'switchboard.message.received');
    expect(received).toHaveLength(1);
    const rawMimeKey =
      received[0]?.type === 'switchboard.message.received' ? received[0].data.email?.rawMimeKey : '';
    const stored = await new S3BlobStore(hub.emulators.clients.s3, hub.emulators.resources.bucketName).get(
      rawMimeKey ?? '',
    );
    expect(Buffer.from(stored).toString('utf8')).toBe(rawMime);
  });
});
