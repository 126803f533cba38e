import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { listFixtures } from '#tests/support/golden.ts';
import { hostileJsonValue } from '#tests/support/hostile-json.ts';
import { webhookRequest } from '#tests/support/requests.ts';

const secrets = LOCAL_DEV_SECRETS;
const fixtures = listFixtures('whatsapp');

const postSigned = (body: Buffer, signature = signMetaBody(secrets.meta.appSecret, body)): WebhookOutcome =>
  handleWhatsAppWebhook(
    webhookRequest({ path: '/webhooks/whatsapp', headers: { 'X-Hub-Signature-256': signature }, body }),
    { secrets },
  );

/** What must hold for any signed body: a client-error rejection or valid events, never a crash. */
const assertWellBehaved = (outcome: WebhookOutcome): void => {
  if (outcome.kind === 'reject') {
    expect(outcome.status).toBeGreaterThanOrEqual(400);
    expect(outcome.status).toBeLessThan(500);
    return;
  }
  expect(outcome.kind).toBe('accept');
  if (outcome.kind !== 'accept') return;
  expect(outcome.response.statusCode).toBe(200);
  for (const event of outcome.events) expect(HubEventSchema.safeParse(event).success).toBe(true);
};

/** Replaces the value at a random path of a JSON document with an arbitrary JSON value. */
const mutateAt = (document: unknown, path: readonly number[], replacement: unknown): unknown => {
  if (path.length === 0 || document === null || typeof document !== 'object') return replacement;
  const [step = 0, ...rest] = path;
  if (Array.isArray(document)) {
    if (document.length === 0) return [replacement];
    const index = step % document.length;
    return document.map((item, i) => (i === index ? mutateAt(item, rest, replacement) : item));
  }
  const keys = Object.keys(document);
  if (keys.length === 0) return { extra: replacement };
  const key = keys[step % keys.length] ?? '';
  return {
    ...(document as Record<string, unknown>),
    [key]: mutateAt((document as Record<string, unknown>)[key], rest, replacement),
  };
};

describe('WhatsApp adapter properties', () => {
  it('never throws nor answers 5xx for arbitrary signed JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Act
        const outcome = postSigned(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
        // Assess
        assertWellBehaved(outcome);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws nor answers 5xx for signed envelopes holding arbitrary entries', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), (entry) => {
        // Act
        const body = JSON.stringify({ object: 'whatsapp_business_account', entry });
        const outcome = postSigned(Buffer.from(body, 'utf8'));
        // Assess
        assertWellBehaved(outcome);
        expect(outcome.kind).toBe('accept');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws nor answers 5xx for mutated fixture bodies, and keeps every event valid', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(fc.nat(), { minLength: 1, maxLength: 9 }),
        hostileJsonValue(),
        (fixture, path, replacement) => {
          // Prepare
          const document: unknown = JSON.parse(fixture.payload.toString('utf8'));
          const body = Buffer.from(JSON.stringify(mutateAt(document, path, replacement)), 'utf8');
          // Act
          const outcome = postSigned(body);
          // Assess
          assertWellBehaved(outcome);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects any single-byte change to a signed body', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (fixture, position, flip) => {
          // Prepare
          const signature = signMetaBody(secrets.meta.appSecret, fixture.payload);
          const tampered = Buffer.from(fixture.payload);
          const index = position % tampered.length;
          tampered[index] = (tampered[index] ?? 0) ^ flip;
          // Act
          const outcome = postSigned(tampered, signature);
          // Assess
          expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
        },
      ),
      { numRuns: 300 },
    );
  });
});
