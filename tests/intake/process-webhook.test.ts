import { describe, expect, it } from 'vitest';
import type { BlobStore } from '#shared/aws/blob-store.ts';
import { CredentialsProviderError } from '#shared/aws/signed/credentials.ts';
import { type EventPublisher, IngestPublishError } from '#shared/aws/sqs-event-publisher.ts';
import {
  type BlobToStore,
  OK_RESPONSE,
  reject,
  textResponse,
  type WebhookOutcome,
} from '#shared/channels/inbound.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { processWebhook } from '#shared/intake/process-webhook.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/** Records every side effect in one journal, so tests can assert their order. */
const harness = (failures: { blob?: Error; publish?: Error } = {}) => {
  const journal: string[] = [];
  const logLines: Record<string, unknown>[] = [];
  const blobStore: BlobStore = {
    put: async (blob: BlobToStore) => {
      if (failures.blob) throw failures.blob;
      journal.push(`blob:${blob.key}`);
    },
  };
  const publisher: EventPublisher = {
    publish: async (events: readonly HubEvent[]) => {
      if (failures.publish) throw failures.publish;
      journal.push(...events.map((event) => `event:${event.id}`));
    },
  };
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(JSON.parse(line)) });
  return { journal, logLines, deps: { blobStore, publisher, logger } };
};

const BLOB: BlobToStore = { key: 'attachments/abc', contentType: 'image/png', bytes: new Uint8Array([1, 2]) };

const accept = (events: HubEvent[], blobs: BlobToStore[] = []): WebhookOutcome => ({
  kind: 'accept',
  events,
  blobs,
  response: OK_RESPONSE,
});

describe('processWebhook', () => {
  it('answers a reject with its 4xx and reason, queues nothing and logs the reason only', async () => {
    // Prepare
    const { journal, logLines, deps } = harness();
    const request = webhookRequest({ body: Buffer.from('{"text":"call me on +14155550100"}') });
    // Act
    const response = await processWebhook(request, () => reject(403, 'signature does not match'), deps);
    // Assess
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({ error: 'signature does not match' });
    expect(journal).toEqual([]);
    expect(logLines).toEqual([
      expect.objectContaining({ level: 'warn', reason: 'signature does not match', statusCode: 403 }),
    ]);
    expect(JSON.stringify(logLines)).not.toContain('call me');
  });

  it('answers a respond outcome as it is', async () => {
    // Prepare
    const { journal, deps } = harness();
    // Act
    const response = await processWebhook(
      webhookRequest({ method: 'GET' }),
      () => ({ kind: 'respond', response: textResponse(200, '1158201444') }),
      deps,
    );
    // Assess
    expect(response).toEqual(textResponse(200, '1158201444'));
    expect(journal).toEqual([]);
  });

  it('stores every blob before publishing any event, then answers the adapter response', async () => {
    // Prepare
    const { journal, logLines, deps } = harness();
    const events = [unsupportedEvent(1), unsupportedEvent(2)];
    // Act
    const response = await processWebhook(webhookRequest({}), async () => accept(events, [BLOB]), deps);
    // Assess
    expect(response).toBe(OK_RESPONSE);
    expect(journal).toEqual([`blob:${BLOB.key}`, ...events.map((event) => `event:${event.id}`)]);
    expect(logLines.at(-1)).toMatchObject({
      level: 'info',
      eventCount: 2,
      blobCount: 1,
      eventCounts: { 'switchboard.provider.unsupported': 2 },
    });
  });

  it('answers 503 and queues nothing when a blob cannot be stored', async () => {
    // Prepare
    const { journal, deps } = harness({ blob: new Error('S3 down') });
    // Act
    const response = await processWebhook(
      webhookRequest({}),
      () => accept([unsupportedEvent(1)], [BLOB]),
      deps,
    );
    // Assess
    expect(response.statusCode).toBe(503);
    expect(journal).toEqual([]);
  });

  it('answers 503 when the publisher fails, logging event ids and codes but not the error message', async () => {
    // Prepare
    const event = unsupportedEvent(1);
    const failure = new IngestPublishError('jane@example.com not queued', [event.id], ['ServiceUnavailable']);
    const { logLines, deps } = harness({ publish: failure });
    // Act
    const response = await processWebhook(webhookRequest({}), () => accept([event]), deps);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(logLines.at(-1)).toMatchObject({
      level: 'error',
      errorName: 'IngestPublishError',
      eventIds: [event.id],
      errorCodes: ['ServiceUnavailable'],
    });
    expect(JSON.stringify(logLines)).not.toContain('jane');
  });

  it('answers 500 when the adapter throws, logging only the error name', async () => {
    // Prepare
    const { journal, logLines, deps } = harness();
    const adapter = (): WebhookOutcome => {
      throw new TypeError('cannot read text of +14155550100');
    };
    // Act
    const response = await processWebhook(webhookRequest({}), adapter, deps);
    // Assess
    expect(response.statusCode).toBe(500);
    expect(journal).toEqual([]);
    expect(logLines).toEqual([expect.objectContaining({ level: 'error', errorName: 'TypeError' })]);
    expect(JSON.stringify(logLines)).not.toContain('cannot read');
  });

  it('answers 503 when an adapter dependency fails with an AWS error', async () => {
    // Prepare
    const { logLines, deps } = harness();
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    // Act
    const response = await processWebhook(webhookRequest({}), () => Promise.reject(throttled), deps);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(logLines.at(-1)).toMatchObject({ errorName: 'ProvisionedThroughputExceededException' });
  });

  it.each([
    [
      'a signed request that timed out',
      Object.assign(new Error('no response within 3000 ms'), { name: 'TimeoutError' }),
    ],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    [
      'missing credentials',
      new CredentialsProviderError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set'),
    ],
  ])('answers 503, not 500, when an adapter dependency fails with %s', async (_, failure) => {
    // Prepare: errors of the webhooks' own signed requests carry no `$metadata`
    const { logLines, deps } = harness();
    // Act
    const response = await processWebhook(webhookRequest({}), () => Promise.reject(failure), deps);
    // Assess
    expect(response.statusCode).toBe(503);
    expect(logLines.at(-1)).toMatchObject({ errorName: failure.name });
  });

  it('answers an accept without events with the adapter response and publishes nothing', async () => {
    // Prepare
    const { journal, deps } = harness({ publish: new Error('must not be called') });
    // Act
    const response = await processWebhook(webhookRequest({}), () => accept([]), deps);
    // Assess
    expect(response).toBe(OK_RESPONSE);
    expect(journal).toEqual([]);
  });
});
