import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleMailgunEventsWebhook } from '#shared/channels/email/inbound/mailgun-events.ts';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { InMemoryReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { companionOf, EXPECTED_SUFFIX, listSampleFiles, variantOf } from '#shared/local/samples.ts';
import { expectedFor, type Fixture } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT, webhookRequest } from '#tests/support/requests.ts';

/** `event-data` of Mailgun's event webhooks, written from the documented webhook payloads. */
const DIR = join(import.meta.dirname, 'fixtures', 'mailgun-events');
const fixtures: Fixture[] = listSampleFiles(DIR, '.json').map((payloadPath) => ({
  name: `mailgun-events/${variantOf(payloadPath)}`,
  variant: variantOf(payloadPath),
  payloadPath,
  payload: readFileSync(payloadPath),
  expectedPath: companionOf(payloadPath, EXPECTED_SUFFIX),
}));
const eventData = (variant: string): unknown =>
  JSON.parse(readFileSync(join(DIR, `${variant}.json`), 'utf8'));

const SIGNING_KEY = LOCAL_DEV_SECRETS.mailgun.signingKey;
const NOW = String(Math.floor(FIXTURE_RECEIVED_AT.getTime() / 1000));
const TOKEN = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978';

const signature = (timestamp = NOW, token = TOKEN, key = SIGNING_KEY) => ({
  timestamp,
  token,
  signature: signMailgun(key, timestamp, token),
});

const post = (body: unknown, init: { method?: string; contentType?: string } = {}) =>
  webhookRequest({
    method: init.method ?? 'POST',
    path: '/webhooks/email/mailgun/events',
    headers: { 'content-type': init.contentType ?? 'application/json' },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8'),
  });

const guard = () => new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime());
const deps = (replayGuard?: InMemoryReplayGuard) => ({
  secrets: LOCAL_DEV_SECRETS,
  ...(replayGuard ? { replayGuard } : {}),
});

const eventsOf = (outcome: WebhookOutcome) => {
  if (outcome.kind !== 'accept') throw new Error(`expected accept, got ${JSON.stringify(outcome)}`);
  return outcome.events.map((event) => HubEventSchema.parse(event));
};
const statusOf = (outcome: WebhookOutcome): number =>
  outcome.kind === 'reject' ? outcome.status : outcome.kind === 'accept' ? outcome.response.statusCode : 0;

describe('Mailgun event webhook: normalization', () => {
  it.each(fixtures.map((fixture) => [fixture.variant, fixture] as const))(
    '%s normalizes to its expected events',
    async (_variant, fixture) => {
      // Prepare
      const request = post({
        signature: signature(),
        'event-data': JSON.parse(fixture.payload.toString('utf8')),
      });
      // Act
      const events = eventsOf(await handleMailgunEventsWebhook(request, deps(guard())));
      // Assess
      expect(events).toEqual(expectedFor(fixture, events));
    },
  );

  it.each([
    ['delivered', 'delivered'],
    ['failed-permanent', 'failed'],
    ['failed-temporary', 'queued'],
    ['rejected', 'failed'],
    ['accepted', 'queued'],
  ])('%s is a %s status of the hub message, in its conversation', async (variant, status) => {
    // Act
    const events = eventsOf(
      await handleMailgunEventsWebhook(
        post({ signature: signature(), 'event-data': eventData(variant) }),
        deps(),
      ),
    );
    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'switchboard.message.status_updated',
      subject: 'conv_0123456789abcdef0123456789abcdef',
      data: {
        provider: 'mailgun',
        status,
        providerMessageIds: ['20261122120000.1.ABCDEF0123@mg.switchboard.example'],
        correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
        endpoint: { id: 'support@switchboard.example' },
        contact: { identities: [{ type: 'email', value: 'maria.keller@customer.example' }] },
      },
    });
  });

  it.each(['complained', 'unsubscribed'])('takes %s as an e-mail opt-out', async (variant) => {
    // Act
    const events = eventsOf(
      await handleMailgunEventsWebhook(
        post({ signature: signature(), 'event-data': eventData(variant) }),
        deps(),
      ),
    );
    // Assess
    expect(events[0]).toMatchObject({
      type: 'switchboard.contact.consent_changed',
      data: { scope: 'email', consent: 'opted_out', trigger: variant },
    });
  });

  it.each(['opened', 'delivered-not-from-hub', 'failed-unknown-severity'])(
    'keeps %s whole',
    async (variant) => {
      // Act
      const events = eventsOf(
        await handleMailgunEventsWebhook(
          post({ signature: signature(), 'event-data': eventData(variant) }),
          deps(),
        ),
      );
      // Assess
      expect(events.map((event) => event.type)).toEqual(['switchboard.provider.unsupported']);
    },
  );
});

describe('Mailgun event webhook: verification', () => {
  const delivered = eventData('delivered');

  it.each([
    ['a GET', post({}, { method: 'GET' }), 405],
    ['a form post', post('a=b', { contentType: 'application/x-www-form-urlencoded' }), 415],
    ['a body that is no JSON', post('{"signature":'), 400],
    ['no signature', post({ 'event-data': delivered }), 401],
    [
      'a wrong signature',
      post({ signature: signature(NOW, TOKEN, 'wrong-key'), 'event-data': delivered }),
      403,
    ],
    [
      'a timestamp from the future',
      post({ signature: signature(String(Number(NOW) + 3600)), 'event-data': delivered }),
      406,
    ],
    [
      'a timestamp past the retry horizon',
      post({ signature: signature(String(Number(NOW) - 13 * 3600)), 'event-data': delivered }),
      406,
    ],
  ])('answers %s with its status', async (_name, request, status) => {
    // Act
    const outcome = await handleMailgunEventsWebhook(request, deps());
    // Assess
    expect(statusOf(outcome)).toBe(status);
  });

  it('with a replay guard, accepts a new token up to the retry horizon (a retry of an attempt that failed before its claim) and refuses one past it', async () => {
    // Prepare
    const replayGuard = guard();
    const hourOld = post({ signature: signature(String(Number(NOW) - 3600)), 'event-data': delivered });
    const pastHorizon = post({
      signature: signature(
        String(Number(NOW) - 13 * 3600),
        'another-token-of-fifty-characters-0123456789abcdef',
      ),
      'event-data': delivered,
    });
    // Act
    const outcomes = [
      await handleMailgunEventsWebhook(hourOld, deps(replayGuard)),
      await handleMailgunEventsWebhook(pastHorizon, deps(replayGuard)),
    ];
    // Assess
    expect(outcomes.map(statusOf)).toEqual([200, 406]);
  });

  it('refuses a signature reused for another event, and accepts a retry of the same one', async () => {
    // Prepare
    const replayGuard = guard();
    const body = { signature: signature(), 'event-data': delivered };
    // Act
    const first = await handleMailgunEventsWebhook(post(body), deps(replayGuard));
    const retry = await handleMailgunEventsWebhook(post(body), deps(replayGuard));
    const forged = await handleMailgunEventsWebhook(
      post({ signature: signature(), 'event-data': eventData('complained') }),
      deps(replayGuard),
    );
    // Assess
    expect([statusOf(first), statusOf(retry), statusOf(forged)]).toEqual([200, 200, 406]);
    expect(eventsOf(retry)).toEqual(eventsOf(first));
  });

  it('refuses a retry of the same event once its timestamp is past the retry horizon', async () => {
    // Prepare: an event taken, then the same post again 11 h and 13 h later
    const replayGuard = guard();
    const body = { signature: signature(), 'event-data': delivered };
    const postedAfter = (hours: number) => ({
      ...post(body),
      receivedAt: new Date(FIXTURE_RECEIVED_AT.getTime() + hours * 60 * 60 * 1000),
    });
    // Act
    const outcomes = [
      await handleMailgunEventsWebhook(post(body), deps(replayGuard)),
      await handleMailgunEventsWebhook(postedAfter(11), deps(replayGuard)),
      await handleMailgunEventsWebhook(postedAfter(13), deps(replayGuard)),
    ];
    // Assess
    expect(outcomes.map(statusOf)).toEqual([200, 200, 406]);
    expect(outcomes[2]).toMatchObject({ kind: 'reject', reason: 'timestamp is too old' });
  });
});
