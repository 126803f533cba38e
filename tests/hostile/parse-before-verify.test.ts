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

  it('answers invalid UTF-8 sent as JSON with 400 for its encoding, not 403 for its signature', () => {
    // Prepare: correctly signed bytes that are not UTF-8, turned into text as API Gateway does for JSON.
    const bytes = Buffer.concat([
      Buffer.from('{"object":"whatsapp_business_account","entry":[],"x":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const event = toApiGatewayEvent(
      {
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, bytes),
        },
        rawHeaders: [
          'content-type',
          'application/json',
          'x-hub-signature-256',
          signMetaBody(LOCAL_DEV_SECRETS.meta.appSecret, bytes),
        ],
        body: bytes,
        sourceIp: '127.0.0.1',
      },
      { routeKey: 'POST /webhooks/whatsapp', receivedAt: new Date() },
    );
    // Act
    const outcome = handleWhatsAppWebhook(toWebhookRequest(event, new Date()), {
      secrets: LOCAL_DEV_SECRETS,
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 400 });
    if (outcome.kind === 'reject') expect(outcome.reason).toContain('UTF-8');
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
