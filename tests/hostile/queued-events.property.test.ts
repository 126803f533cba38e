import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toSqsSafeJson } from '#shared/aws/event-publisher.ts';
import { handleMailgunEventsWebhook } from '#shared/channels/email/inbound/mailgun-events.ts';
import { signMailgun } from '#shared/channels/email/inbound/mailgun-signature.ts';
import { InMemoryReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { encodeForm } from '#shared/channels/sms/inbound/form.ts';
import { handleTwilioWebhook, signTwilioRequest } from '#shared/channels/sms/inbound/webhook.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { applyEvent, isMessageEvent } from '#shared/domain/conversation.ts';
import { forQueue } from '#shared/intake/event-bounds.ts';
import { mediaJobsFor } from '#shared/media/job.ts';
import { registerWritesFor } from '#shared/recorder/register-writes.ts';
import { listFixtures } from '#tests/support/golden.ts';
import { metaRequest } from '#tests/support/hostile.ts';
import { FIXTURE_RECEIVED_AT, webhookRequest } from '#tests/support/requests.ts';

/*
 * What a webhook queues must never be poison for the recorder, whatever a signed body holds. The
 * golden samples of each provider, with a few values deep inside replaced by hostile ones (other
 * types, huge numbers, lone surrogates, U+FFFF, strings of 100 KB, nesting past the depth bound,
 * repeated items), must be answered 2xx or 4xx, and every event queued must:
 * - still be a hub event after the queue's JSON (the recorder parses it so);
 * - leave what the recorder keeps within bounds: registers, the conversation a message opens, the
 *   media jobs it enqueues (each a DynamoDB item or an SQS message with a hard size limit), and at
 *   most 100 registers per status (one table call each).
 * Each finding of this property so far was a poison message (edit ids, reaction emoji, click ids,
 * media job captions, statuses of 10,000 mids).
 */

const secrets = LOCAL_DEV_SECRETS;
const SEED = 20_261_202;
const MAX_REGISTER_BYTES = 24 * 1024;
const MAX_MODEL_BYTES = 32 * 1024;
const MAX_JOB_BYTES = 64 * 1024;
const MAX_STATUS_IDS = 100;

const HOSTILE_SCALARS: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53 + 2,
  1e21,
  -1e308,
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\uffff\ufffe',
  '\u202e',
  '👍🏽',
  'x'.repeat(100_000),
  '9'.repeat(400),
  '1e3',
  '-1',
  '__proto__',
  'constructor',
  'text',
  'image',
  'reaction',
  'edit',
  'delivered',
  'read',
  'ad',
  'STOP',
];

type Json = unknown;
type Path = readonly (string | number)[];

const pathsOf = (value: Json, prefix: Path = [], out: Path[] = []): Path[] => {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [index, child] of value.entries()) pathsOf(child, [...prefix, index], out);
  } else if (value !== null && typeof value === 'object')
    for (const [key, child] of Object.entries(value)) pathsOf(child, [...prefix, key], out);
  return out;
};

const valueAt = (root: Json, path: Path): Json =>
  path.reduce<Json>((value, step) => (value as Record<string | number, Json> | null)?.[step], root);

/** Replaces the value at `path` in place (the root itself when the path is empty). */
const replaceAt = (root: Json, path: Path, replacement: Json): Json => {
  const parent = valueAt(root, path.slice(0, -1));
  const last = path.at(-1);
  if (last === undefined) return replacement;
  if (parent !== null && typeof parent === 'object')
    (parent as Record<string | number, Json>)[last] = replacement;
  return root;
};

const nested = (levels: number, leaf: Json): Json => {
  let value = leaf;
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
};

const mutation = fc.record({
  pick: fc.nat(),
  how: fc.nat({ max: 5 }),
  scalar: fc.oneof(fc.constantFrom(...HOSTILE_SCALARS), fc.string({ unit: 'binary', maxLength: 12 })),
  times: fc.integer({ min: 2, max: 70 }),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** One mutation at a value deep in the document (a leaf's neighbourhood far more often than the root). */
const mutate = (root: Json, { pick, how, scalar, times }: Mutation): Json => {
  const all = pathsOf(root);
  const deep = all.filter((path) => path.length >= 4);
  const candidates = deep.length > 0 && pick % 5 !== 0 ? deep : all;
  const path = candidates[pick % candidates.length] as Path;
  const current = valueAt(root, path);
  switch (how) {
    case 0:
      return replaceAt(root, path, scalar);
    case 1:
      return replaceAt(root, path, Array.isArray(current) ? current[0] : [current]);
    case 2:
      return replaceAt(root, path, typeof current === 'string' ? current.repeat(times * 20) : scalar);
    case 3:
      return replaceAt(root, path, Array.isArray(current) ? Array(times).fill(current[0] ?? null) : scalar);
    case 4:
      return replaceAt(root, path, nested(times, current));
    default:
      return replaceAt(root, path, typeof current === 'string' ? Number(current) : String(current));
  }
};

const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** What must hold for every answer and every event it queues. */
const expectNoPoison = (outcome: WebhookOutcome): void => {
  if (outcome.kind === 'reject') {
    expect(outcome.status).toBeGreaterThanOrEqual(400);
    expect(outcome.status).toBeLessThan(500);
    return;
  }
  if (outcome.kind === 'respond') return;
  expect(outcome.response.statusCode).toBe(200);
  for (const queued of forQueue(outcome.events, FIXTURE_RECEIVED_AT)) {
    const event = HubEventSchema.parse(JSON.parse(toSqsSafeJson(queued)));
    const writes = registerWritesFor(event, 0) ?? [];
    expect(writes.length).toBeLessThanOrEqual(MAX_STATUS_IDS + 1);
    for (const write of writes) expect(bytesOf(write.value)).toBeLessThanOrEqual(MAX_REGISTER_BYTES);
    if (!isMessageEvent(event)) continue;
    expect(bytesOf(applyEvent(undefined, event).model)).toBeLessThanOrEqual(MAX_MODEL_BYTES);
    if (event.type !== 'switchboard.message.received' && event.type !== 'switchboard.message.sent') continue;
    for (const job of mediaJobsFor(event)) {
      expect(Buffer.byteLength(toSqsSafeJson(job), 'utf8')).toBeLessThanOrEqual(MAX_JOB_BYTES);
    }
  }
};

const jsonFixtures = (channel: string): Json[] =>
  listFixtures(channel).map((fixture) => JSON.parse(fixture.payload.toString('utf8')) as Json);

/**
 * Where a value sits, with the `type` of each object on the way (`messages.0[edit].id`): samples
 * share most of their paths, and one value per place and kind of item is enough.
 */
const placeOf = (root: Json, path: Path): string =>
  path
    .map((step, index) => {
      const holder = valueAt(root, path.slice(0, index + 1));
      const type = (holder as { type?: unknown } | null)?.type;
      return typeof type === 'string' ? `${step}[${type}]` : String(step);
    })
    .join('.');

/** Each sample with one value changed, once per place: `change` answers undefined where it does not apply. */
const eachPlaceChanged = (samples: readonly Json[], change: (value: Json) => Json | undefined): Json[] => {
  const seen = new Set<string>();
  return samples.flatMap((sample) =>
    pathsOf(sample).flatMap((path) => {
      const changed = change(valueAt(sample, path));
      const place = placeOf(sample, path);
      if (changed === undefined || seen.has(place)) return [];
      seen.add(place);
      return [replaceAt(structuredClone(sample), path, changed)];
    }),
  );
};

/** A string made about `length` characters long (its own text repeated). */
const inflated =
  (length: number) =>
  (value: Json): Json | undefined =>
    typeof value === 'string'
      ? (value || 'x').repeat(Math.ceil(length / Math.max(value.length, 1)))
      : undefined;

/** A list with its first item `count` times. */
const repeated =
  (count: number) =>
  (value: Json): Json | undefined =>
    Array.isArray(value) && value.length > 0
      ? Array.from({ length: count }, () => structuredClone(value[0]))
      : undefined;

const META_CHANNELS = [
  ['WhatsApp', '/webhooks/whatsapp', jsonFixtures('whatsapp'), handleWhatsAppWebhook],
  ['Messenger', '/webhooks/messenger', jsonFixtures('messenger'), handleMessengerWebhook],
] as const;

describe('events queued from signed samples with one value inflated are never poison for the recorder', () => {
  it.each(META_CHANNELS)('%s: each string made 100 KB long', (_channel, path, samples, handle) => {
    for (const body of eachPlaceChanged(samples, inflated(100_000))) {
      // Act
      const outcome = handle(metaRequest(path, body), { secrets });
      // Assess
      expectNoPoison(outcome);
    }
  });

  it.each(META_CHANNELS)('%s: each list with its first item 150 times', (_channel, path, samples, handle) => {
    for (const body of eachPlaceChanged(samples, repeated(150))) {
      // Act
      const outcome = handle(metaRequest(path, body), { secrets });
      // Assess
      expectNoPoison(outcome);
    }
  });
});

describe('events queued from mutated signed samples are never poison for the recorder', () => {
  it.each(META_CHANNELS)('%s', (_channel, path, samples, handle) => {
    fc.assert(
      fc.property(fc.nat(), mutations, (sample, changes) => {
        // Prepare
        const body = changes.reduce(mutate, structuredClone(samples[sample % samples.length]));
        // Act
        const outcome = handle(metaRequest(path, body), { secrets });
        // Assess
        expectNoPoison(outcome);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('Twilio', () => {
    // Prepare
    const publicUrl = 'https://hub.example.com/webhooks/sms/twilio';
    const samples = listFixtures('sms').map((fixture) =>
      Object.entries(JSON.parse(fixture.payload.toString('utf8')) as Record<string, string>),
    );
    const change = fc.record({
      pick: fc.nat(),
      how: fc.nat({ max: 2 }),
      name: fc.constantFrom('NumMedia', 'MediaUrl0', 'MediaContentType0', 'Latitude', 'Body', 'ProfileName'),
      value: fc.oneof(
        fc.constantFrom(...HOSTILE_SCALARS.filter((value): value is string => typeof value === 'string')),
        fc.string({ unit: 'binary', maxLength: 12 }),
      ),
    });
    fc.assert(
      fc.property(fc.nat(), fc.array(change, { minLength: 1, maxLength: 3 }), (sample, changes) => {
        const params = [...(samples[sample % samples.length] ?? [])];
        for (const { pick, how, name, value } of changes) {
          const index = pick % params.length;
          const [existing] = params[index] ?? [name];
          if (how === 0) params[index] = [existing, value.slice(0, 60_000)];
          else if (how === 1) params.push([name, value.slice(0, 60_000)]);
          else params.splice(index, 1);
        }
        const request = webhookRequest({
          path: '/webhooks/sms/twilio',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'x-twilio-signature': signTwilioRequest(secrets.twilio.authToken, publicUrl, params),
          },
          body: Buffer.from(encodeForm(params), 'utf8'),
        });
        // Act
        const outcome = handleTwilioWebhook(request, { secrets, publicUrl });
        // Assess
        expectNoPoison(outcome);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('Mailgun delivery events', async () => {
    // Prepare
    const directory = 'tests/channels/fixtures/mailgun-events';
    const samples = readdirSync(directory)
      .filter((name) => name.endsWith('.json') && !name.endsWith('.expected.json'))
      .map((name) => JSON.parse(readFileSync(join(directory, name), 'utf8')) as Json);
    const timestamp = String(Math.floor(FIXTURE_RECEIVED_AT.getTime() / 1000));
    let tokens = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutations, async (sample, changes) => {
        tokens += 1;
        const token = `token-${tokens}`;
        const body = JSON.stringify({
          signature: {
            timestamp,
            token,
            signature: signMailgun(secrets.mailgun.signingKey, timestamp, token),
          },
          'event-data': changes.reduce(mutate, structuredClone(samples[sample % samples.length])),
        });
        const request = webhookRequest({
          path: '/webhooks/email/mailgun/events',
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(body, 'utf8'),
        });
        // Act
        const outcome = await handleMailgunEventsWebhook(request, {
          secrets,
          replayGuard: new InMemoryReplayGuard(() => FIXTURE_RECEIVED_AT.getTime()),
        });
        // Assess
        expectNoPoison(outcome);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
