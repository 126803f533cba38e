import { describe, expect, it } from 'vitest';
import { toWebhookRequest } from '#shared/aws/apigw.ts';
import { handleMailgunWebhook } from '#shared/channels/email/inbound/mailgun-webhook.ts';
import { InMemoryReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { toApiGatewayEvent } from '#shared/local/apigw-event.ts';
import { webhookRequest } from '#tests/support/requests.ts';

describe('what is read before a signature is checked', () => {
  it('stops at 2,048 form fields, so an unsigned body of a million fields costs next to nothing', async () => {
    // Prepare: 1.5 million tiny fields, no signature.
    const body = Buffer.from('a=1&'.repeat(1_500_000), 'utf8');
    const request = webhookRequest({
      path: '/webhooks/email/mailgun/mime',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    // Act
    const outcome = await handleMailgunWebhook(request, {
      secrets: LOCAL_DEV_SECRETS,
      replayGuard: new InMemoryReplayGuard(),
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 400, reason: 'form has more than 2048 fields' });
  });

  /** Correctly signed bytes that are not UTF-8, as a Meta webhook body. */
  const notUtf8 = Buffer.concat([
    Buffer.from('{"object":"whatsapp_business_account","entry":[],"x":"'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}'),
  ]);
  const signedRequest = (body: Buffer) =>
    webhookRequest({
      path: '/webhooks/whatsapp',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, notUtf8),
      },
      body,
    });

  it('answers invalid UTF-8 that a gateway replaced in transit with 400 for its encoding, not 403 for its signature', () => {
    // Prepare: the bytes as a gateway that reads a JSON body as text hands them on, U+FFFD for each
    // byte that was not UTF-8 (what API Gateway does then is undocumented; the hub takes either form)
    const replaced = Buffer.from(notUtf8.toString('utf8'), 'utf8');
    // Act
    const outcome = handleWhatsAppWebhook(signedRequest(replaced), { secrets: LOCAL_DEV_SECRETS });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 400 });
    if (outcome.kind === 'reject') expect(outcome.reason).toContain('UTF-8');
  });

  it('keeps invalid UTF-8 that arrives byte-exact (base64, as the local hub passes it) as unsupported, its signature checked', () => {
    // Prepare: as the local API Gateway stand-in builds the event since 2026-12-06 (base64, exact bytes)
    const event = toApiGatewayEvent(
      {
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, notUtf8),
        },
        rawHeaders: [
          'content-type',
          'application/json',
          'x-hub-signature-256',
          signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, notUtf8),
        ],
        body: notUtf8,
        sourceIp: '127.0.0.1',
      },
      { routeKey: 'POST /webhooks/whatsapp', receivedAt: new Date() },
    );
    // Act
    const outcome = handleWhatsAppWebhook(toWebhookRequest(event, new Date()), {
      secrets: LOCAL_DEV_SECRETS,
    });
    // Assess: signed, so Meta's: kept (a 4xx would only be retried, then dropped), never read with U+FFFD
    expect(event.isBase64Encoded).toBe(true);
    expect(outcome.kind).toBe('accept');
    if (outcome.kind === 'accept')
      expect(outcome.events.map((hubEvent) => hubEvent.type)).toEqual(['switchboard.provider.unsupported']);
  });

  it('still answers a wrong signature over valid UTF-8 with 403', () => {
    // Prepare
    const bytes = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
    const request = webhookRequest({
      path: '/webhooks/whatsapp',
      headers: { 'x-hub-signature-256': signMetaBody('not-the-app-secret', bytes) },
      body: bytes,
    });
    // Act
    const outcome = handleWhatsAppWebhook(request, { secrets: LOCAL_DEV_SECRETS });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });
});
