import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebhookOutcome } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { signMetaBody } from '#shared/channels/meta/signature.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { listFixtures } from '#tests/support/golden.ts';
import { hostileJsonValue } from '#tests/support/hostile-json.ts';
import { webhookRequest } from '#tests/support/requests.ts';

const SECRET = LOCAL_DEV_SECRETS.meta.appSecret;
const fixtures = listFixtures('messenger');

const postSigned = (body: Buffer, signature = signMetaBody(SECRET, body)): WebhookOutcome =>
  handleMessengerWebhook(
    webhookRequest({ path: '/webhooks/messenger', headers: { 'x-hub-signature-256': signature }, body }),
    { secrets: LOCAL_DEV_SECRETS },
  );

/** What every answer to a signed body must satisfy: a client status, or contract-valid events. */
const expectWellBehaved = (outcome: WebhookOutcome): void => {
  if (outcome.kind === 'reject') {
    expect(outcome.status).toBeLessThan(500);
    return;
  }
  expect(outcome.kind).toBe('accept');
  if (outcome.kind !== 'accept') return;
  expect(outcome.response.statusCode).toBe(200);
  for (const event of outcome.events) expect(HubEventSchema.safeParse(event).error).toBeUndefined();
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = ReadonlyArray<string | number>;

const pathsOf = (value: Json, prefix: Path = []): Path[] => {
  const here: Path[] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value))
    return [...here, ...value.flatMap((child, index) => pathsOf(child, [...prefix, index]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...prefix, key]))];
  }
  return here;
};

/** Replaces (or, with `undefined`, removes) the value at `path` in a deep copy of `value`. */
const mutateAt = (value: Json, path: Path, replacement: Json | undefined): Json => {
  const copy = structuredClone(value);
  let parent: Json = copy;
  for (const step of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[step] as Json;
  const last = path.at(-1);
  if (last === undefined) return copy;
  if (Array.isArray(parent) && typeof last === 'number') {
    if (replacement === undefined) parent.splice(last, 1);
    else parent[last] = replacement;
  } else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
    if (replacement === undefined) delete parent[last];
    else parent[last] = replacement;
  }
  return copy;
};

const messagingKeys = fc.constantFrom(
  'message',
  'postback',
  'reaction',
  'read',
  'delivery',
  'message_edit',
  'referral',
  'optin',
  'pass_thread_control',
  'unknown_future_event',
);

/** Event values close to Meta's, so the normalizers (not only the fallbacks) meet odd input. */
const attachmentLike = fc.record(
  {
    type: fc.oneof(
      fc.constantFrom('image', 'video', 'audio', 'file', 'sticker', 'fallback', 'template'),
      fc.string(),
    ),
    payload: fc.oneof(
      fc.constant(null),
      fc.record(
        {
          url: fc.oneof(fc.webUrl(), fc.string()),
          sticker_id: fc.oneof(fc.nat(), fc.string()),
          title: fc.string(),
          coordinates: fc.record({ lat: fc.double(), long: fc.double() }),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: ['type'] },
);
const eventValueLike = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      mid: fc.string(),
      text: fc.string(),
      is_echo: fc.boolean(),
      app_id: fc.oneof(fc.nat(), fc.string()),
      quick_reply: fc.record({ payload: fc.oneof(fc.string(), fc.nat()) }),
      reply_to: fc.record({ mid: fc.string() }, { requiredKeys: [] }),
      attachments: fc.array(attachmentLike, { maxLength: 3 }),
      is_deleted: fc.boolean(),
      referral: fc.record({ ref: fc.string(), source: fc.string(), ad_id: fc.nat() }, { requiredKeys: [] }),
      action: fc.constantFrom('react', 'unreact'),
      emoji: fc.string(),
      watermark: fc.oneof(fc.nat(), fc.string()),
      mids: fc.array(fc.string(), { maxLength: 3 }),
      num_edit: fc.oneof(fc.nat(), fc.string()),
      payload: fc.string(),
      notification_messages_status: fc.constantFrom('STOP_NOTIFICATIONS', 'RESUME_NOTIFICATIONS'),
    },
    { requiredKeys: [] },
  ),
);

/** Items shaped like Meta's, with arbitrary values where the event goes. */
const messagingItem = fc.record(
  {
    sender: fc.oneof(fc.record({ id: fc.oneof(fc.string(), fc.nat()) }), fc.jsonValue()),
    recipient: fc.record({ id: fc.constantFrom('104728593216847', '', '17841458392017465') }),
    timestamp: fc.oneof(fc.nat(), fc.integer({ min: 946684800000, max: 7258118400000 }), fc.string()),
    event: fc.tuple(messagingKeys, eventValueLike),
  },
  { requiredKeys: ['event'] },
);

const envelope = fc.record({
  object: fc.oneof(fc.constantFrom('page', 'instagram'), fc.string()),
  entry: fc.array(
    fc.record(
      {
        id: fc.oneof(fc.constantFrom('104728593216847', '17841458392017465'), fc.jsonValue()),
        time: fc.nat(),
        messaging: fc.array(
          messagingItem.map(({ event: [key, value], ...frame }) => ({ ...frame, [key]: value })),
          { maxLength: 5 },
        ),
        standby: fc.array(fc.jsonValue(), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 4 },
  ),
});

describe('messenger adapter properties', () => {
  it('never throws nor answers 5xx for any signed JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Act
        const outcome = postSigned(Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
        // Assess
        expectWellBehaved(outcome);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts any signed Meta-shaped envelope and passes every item on as a valid event', () => {
    fc.assert(
      fc.property(envelope, (body) => {
        // Act
        const outcome = postSigned(Buffer.from(JSON.stringify(body), 'utf8'));
        // Assess
        expect(outcome.kind).toBe('accept');
        expectWellBehaved(outcome);
        const items = body.entry.reduce(
          (count, entry) => count + (entry.messaging?.length ?? 0) + (entry.standby?.length ?? 0),
          0,
        );
        if (outcome.kind === 'accept' && ['page', 'instagram'].includes(body.object)) {
          expect(outcome.events.length).toBeGreaterThanOrEqual(items);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws nor answers 5xx for signed fixtures with a value replaced or removed', () => {
    const parsed = fixtures.map((fixture) => JSON.parse(fixture.payload.toString('utf8')) as Json);
    const mutation = fc.nat({ max: parsed.length - 1 }).chain((index) =>
      fc.record({
        original: fc.constant(parsed[index] as Json),
        path: fc.constantFrom(...pathsOf(parsed[index] as Json)),
        replacement: fc.option(hostileJsonValue() as fc.Arbitrary<Json>, { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(mutation, ({ original, path, replacement }) => {
        // Prepare
        const body = Buffer.from(JSON.stringify(mutateAt(original, path, replacement)), 'utf8');
        // Act
        const outcome = postSigned(body);
        // Assess
        expectWellBehaved(outcome);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws nor answers 5xx for signed fixtures with arbitrary bytes changed', () => {
    const corruption = fc.record({
      fixture: fc.constantFrom(...fixtures),
      changes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    });
    fc.assert(
      fc.property(corruption, ({ fixture, changes }) => {
        // Prepare
        const body = Buffer.from(fixture.payload);
        for (const [position, byte] of changes) body[position % body.length] = byte;
        // Act
        const outcome = postSigned(body);
        // Assess
        expectWellBehaved(outcome);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects any single-byte change to a signed body', () => {
    const tampering = fc.record({
      fixture: fc.constantFrom(...fixtures),
      position: fc.nat(),
      delta: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(tampering, ({ fixture, position, delta }) => {
        // Prepare
        const signature = signMetaBody(SECRET, fixture.payload);
        const body = Buffer.from(fixture.payload);
        const index = position % body.length;
        body[index] = ((body[index] ?? 0) + delta) % 256;
        // Act
        const outcome = postSigned(body, signature);
        // Assess
        expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an item nested deeper than any stack as unsupported instead of failing', () => {
    // Prepare
    const depth = 200_000;
    const deep = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const item = `{"sender":{"id":"7319482765104823"},"recipient":{"id":"104728593216847"},"timestamp":1795166043512,"future_event":${deep}}`;
    const body = Buffer.from(
      `{"object":"page","entry":[{"id":"104728593216847","time":1,"messaging":[${item}]}]}`,
    );
    // Act
    const outcome = postSigned(body);
    // Assess
    expect(outcome.kind).toBe('accept');
    if (outcome.kind === 'accept') {
      expect(outcome.events).toHaveLength(1);
      expect(outcome.events[0]).toMatchObject({
        type: 'switchboard.provider.unsupported',
        data: { providerType: 'future_event' },
      });
    }
  });
});
