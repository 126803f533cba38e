import { describe, expect, it } from 'vitest';
import type { BlobStore } from '#shared/aws/blob-store.ts';
import { type EventPublisher, IngestPublishError } from '#shared/aws/event-publisher.ts';
import { type BlobToStore, OK_RESPONSE, type WebhookOutcome } from '#shared/channels/inbound.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { processWebhook } from '#shared/intake/process-webhook.ts';
import type { SpillObjectBody } from '#shared/intake/spill.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * A webhook whose provider does not send a request again (Twilio, Mailgun's delivery events) keeps
 * the events SQS refused in the spill and answers the provider's 2xx; only when that put fails too
 * does it answer 503, as every webhook did before.
 */

const CONVERSATION_A = `conv_${'a'.repeat(32)}`;
const CONVERSATION_B = `conv_${'b'.repeat(32)}`;

const harness = (failures: { publish?: Error; spill?: Error } = {}) => {
  const spilled = new Map<string, BlobToStore>();
  const logLines: Record<string, unknown>[] = [];
  const blobStore: BlobStore = { put: async () => undefined };
  const publisher: EventPublisher = {
    publish: async () => {
      if (failures.publish) throw failures.publish;
    },
  };
  const spill: BlobStore = {
    put: async (blob) => {
      if (failures.spill) throw failures.spill;
      spilled.set(blob.key, blob);
    },
  };
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(JSON.parse(line)) });
  return { spilled, logLines, deps: { blobStore, publisher, spill, logger } };
};

const accept = (events: HubEvent[]): WebhookOutcome => ({
  kind: 'accept',
  events,
  blobs: [],
  response: OK_RESPONSE,
});

const bodyOf = (blob: BlobToStore | undefined): SpillObjectBody =>
  JSON.parse(Buffer.from(blob?.bytes ?? []).toString('utf8')) as SpillObjectBody;

const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });

describe('a webhook whose publish fails, with a spill', () => {
  it('keeps every event in the spill and answers the adapter response', async () => {
    // Prepare
    const events = [unsupportedEvent(1, CONVERSATION_A), unsupportedEvent(2, CONVERSATION_A)];
    const { spilled, logLines, deps } = harness({ publish: throttled() });
    // Act
    const response = await processWebhook(webhookRequest({}), () => accept(events), deps);
    // Assess
    expect(response).toBe(OK_RESPONSE);
    expect([...spilled.keys()]).toEqual([
      expect.stringMatching(
        new RegExp(`^${PAYLOAD_BUCKET.prefixes.spill}${CONVERSATION_A}/[0-9a-f]{64}\\.json$`),
      ),
    ]);
    const body = bodyOf([...spilled.values()][0]);
    expect(body.version).toBe(1);
    expect(body.events.map((event) => event.id)).toEqual(events.map((event) => event.id));
    // As the publisher would have queued them: with their arrival sequence.
    expect(body.events.every((event) => typeof event.sequence === 'string')).toBe(true);
    expect(logLines.at(-1)).toMatchObject({
      level: 'warn',
      outcome: 'spill',
      statusCode: 200,
      errorName: 'ThrottlingException',
      eventCount: 2,
      spilledCount: 2,
      objectCount: 1,
    });
  });

  it('answers 503 when the spill cannot be written either', async () => {
    // Prepare
    const { logLines, deps } = harness({ publish: throttled(), spill: new Error('S3 down') });
    // Act
    const response = await processWebhook(webhookRequest({}), () => accept([unsupportedEvent(1)]), deps);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(logLines.map((line) => line.message)).toEqual([
      'events not spilled',
      'webhook not stored, provider will retry',
    ]);
  });

  it('spills only the events a partial failure names, one object per conversation', async () => {
    // Prepare
    const queued = unsupportedEvent(1, CONVERSATION_A);
    const refusedA = unsupportedEvent(2, CONVERSATION_A);
    const refusedB = unsupportedEvent(3, CONVERSATION_B);
    const failure = new IngestPublishError(
      '2 event(s) not queued',
      [refusedA.id, refusedB.id],
      ['Throttled'],
    );
    const { spilled, deps } = harness({ publish: failure });
    // Act
    const response = await processWebhook(
      webhookRequest({}),
      () => accept([queued, refusedA, refusedB]),
      deps,
    );
    // Assess
    expect(response.statusCode).toBe(200);
    const byPrefix = Object.fromEntries(
      [...spilled].map(([key, blob]) => [key.split('/').slice(0, 2).join('/'), bodyOf(blob)]),
    );
    expect(Object.keys(byPrefix).sort()).toEqual([`spill/${CONVERSATION_A}`, `spill/${CONVERSATION_B}`]);
    expect(byPrefix[`spill/${CONVERSATION_A}`]?.events.map((event) => event.id)).toEqual([refusedA.id]);
    expect(byPrefix[`spill/${CONVERSATION_B}`]?.events.map((event) => event.id)).toEqual([refusedB.id]);
  });

  it("writes a provider retry's events to the same key, not a second object", async () => {
    // Prepare
    const events = [unsupportedEvent(1, CONVERSATION_A)];
    const { spilled, deps } = harness({ publish: throttled() });
    // Act
    await processWebhook(
      webhookRequest({ receivedAt: new Date('2026-11-22T12:00:00Z') }),
      () => accept(events),
      deps,
    );
    await processWebhook(
      webhookRequest({ receivedAt: new Date('2026-11-22T12:00:09Z') }),
      () => accept(events),
      deps,
    );
    // Assess
    expect(spilled.size).toBe(1);
  });

  it('answers 503 and spills nothing when a blob could not be stored (the events would point at nothing)', async () => {
    // Prepare
    const { spilled, deps } = harness({ publish: throttled() });
    const blob: BlobToStore = { key: 'attachments/x', contentType: 'image/png', bytes: new Uint8Array([1]) };
    const failingBlobs = { ...deps, blobStore: { put: () => Promise.reject(new Error('S3 down')) } };
    // Act
    const response = await processWebhook(
      webhookRequest({}),
      () => ({ ...accept([unsupportedEvent(1)]), blobs: [blob] }),
      failingBlobs,
    );
    // Assess
    expect(response.statusCode).toBe(503);
    expect(spilled.size).toBe(0);
  });

  it('answers 503 as before when the webhook has no spill (a provider that retries)', async () => {
    // Prepare
    const { deps } = harness({ publish: throttled() });
    const { spill: _none, ...withoutSpill } = deps;
    // Act
    const response = await processWebhook(
      webhookRequest({}),
      () => accept([unsupportedEvent(1)]),
      withoutSpill,
    );
    // Assess
    expect(response.statusCode).toBe(503);
  });
});
