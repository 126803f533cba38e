import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, type WebhookOutcome, type WebhookRequest } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { webhookRequest } from '#tests/support/requests.ts';

const SECRET = LOCAL_DEV_SECRETS.meta.appSecret;
const signed = (bytes: Buffer): Record<string, string> => ({
  'X-Hub-Signature-256': signMetaBody(SECRET, bytes),
});
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** One request of each class a Meta webhook must tell apart, built for a given route. */
const CLASSES: ReadonlyArray<readonly [string, (path: string) => WebhookRequest]> = [
  [
    'a handshake with the right token',
    (path) =>
      webhookRequest({
        method: 'GET',
        path,
        rawQueryString: 'hub.mode=subscribe&hub.challenge=42&hub.verify_token=local-verify-token',
      }),
  ],
  [
    'a handshake with a wrong token',
    (path) =>
      webhookRequest({
        method: 'GET',
        path,
        rawQueryString: 'hub.mode=subscribe&hub.challenge=42&hub.verify_token=nope',
      }),
  ],
  ['a PUT', (path) => webhookRequest({ method: 'PUT', path, body: utf8('{}') })],
  [
    'an oversize body',
    (path) => {
      const body = Buffer.alloc(MAX_BODY_BYTES.meta + 1, 0x20);
      return webhookRequest({ path, headers: signed(body), body });
    },
  ],
  ['no signature', (path) => webhookRequest({ path, body: utf8('{"object":"page","entry":[]}') })],
  [
    'a wrong signature',
    (path) =>
      webhookRequest({
        path,
        headers: { 'X-Hub-Signature-256': signMetaBody('another-secret', utf8('{}')) },
        body: utf8('{}'),
      }),
  ],
  [
    'signed bytes that are not UTF-8',
    (path) => {
      const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
      return webhookRequest({ path, headers: signed(body), body });
    },
  ],
  [
    'signed text that is not JSON',
    (path) => webhookRequest({ path, headers: signed(utf8('nope')), body: utf8('nope') }),
  ],
  [
    'signed JSON without entries',
    (path) =>
      webhookRequest({ path, headers: signed(utf8('{"object":"page"}')), body: utf8('{"object":"page"}') }),
  ],
  [
    'a signed body of an object the channel does not know',
    (path) => {
      const body = utf8('{"object":"user","entry":[{"id":"1","changes":[]}]}');
      return webhookRequest({ path, headers: signed(body), body });
    },
  ],
  [
    'a signed body nested far deeper than any stack',
    (path) => {
      const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      const body = utf8(
        `{"object":"page","entry":[{"id":"1","messaging":[${nested}],"changes":[{"field":"x","value":${nested}}]}]}`,
      );
      return webhookRequest({ path, headers: signed(body), body });
    },
  ],
];

const statusOf = (outcome: WebhookOutcome): number =>
  outcome.kind === 'reject'
    ? outcome.status
    : outcome.kind === 'respond'
      ? outcome.response.statusCode
      : outcome.response.statusCode;

describe('Messenger and WhatsApp answer alike', () => {
  it.each(CLASSES)('give the same status to %s', (_label, build) => {
    // Act
    const messenger = handleMessengerWebhook(build('/webhooks/messenger'), { secrets: LOCAL_DEV_SECRETS });
    const whatsapp = handleWhatsAppWebhook(build('/webhooks/whatsapp'), { secrets: LOCAL_DEV_SECRETS });
    // Assess
    expect(statusOf(messenger)).toBe(statusOf(whatsapp));
    expect(messenger.kind).toBe(whatsapp.kind);
    if (messenger.kind === 'accept' && whatsapp.kind === 'accept') {
      expect(messenger.events.length).toBeGreaterThan(0);
      expect(whatsapp.events.length).toBeGreaterThan(0);
      // What the webhook then queues must serialize: a throw there would be a 503 on every retry.
      expect(() => JSON.stringify([messenger.events, whatsapp.events])).not.toThrow();
    }
  });

  it('answers every class with a 2xx or a 4xx, never a 5xx', () => {
    for (const [, build] of CLASSES) {
      // Act
      const status = statusOf(
        handleMessengerWebhook(build('/webhooks/messenger'), { secrets: LOCAL_DEV_SECRETS }),
      );
      // Assess
      expect(status).toBeLessThan(500);
    }
  });
});
