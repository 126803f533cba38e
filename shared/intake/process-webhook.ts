import type { BlobStore } from '#shared/aws/blob-store.ts';
import { type EventPublisher, IngestPublishError } from '#shared/aws/event-publisher.ts';
import { CredentialsProviderError } from '#shared/aws/signed/credentials.ts';
import { isRetryable } from '#shared/aws/signed/signed-caller.ts';
import type { HttpResponse, WebhookOutcome, WebhookRequest } from '#shared/channels/inbound.ts';
import { RuntimeConfigError } from '#shared/config/runtime.ts';
import type { HubEvent } from '#shared/contract/types.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import { forQueue } from './event-bounds.ts';
import { eventsNotQueued, spillObjectsFor } from './spill.ts';

/** An adapter with its dependencies already bound. */
export type WebhookAdapter = (request: WebhookRequest) => WebhookOutcome | Promise<WebhookOutcome>;

export interface ProcessWebhookDeps {
  readonly blobStore: BlobStore;
  readonly publisher: EventPublisher;
  /**
   * Where events go that the publisher could not queue, for the spill drain to queue later
   * (./spill.ts): given for a channel whose provider does not send a request again (the registry's
   * `spillOnPublishFailure`), so its request is answered 2xx once they are kept there. Absent: such
   * a request is answered 503 and the provider's retry publishes again.
   */
  readonly spill?: BlobStore;
  /** Should already carry the channel (`logger.child({ channel })`). */
  readonly logger: Logger;
  /** Monotonic milliseconds, for durations. */
  readonly clock?: () => number;
}

const jsonResponse = (statusCode: number, body: unknown): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Our infrastructure failed: the provider retries, and deterministic event ids make that safe. */
export const UNAVAILABLE_RESPONSE = jsonResponse(503, { error: 'temporarily unavailable, retry later' });

/**
 * The adapter itself threw: a bug, not the provider's fault. 500 keeps the provider retrying on its
 * own bounded schedule (Meta 36 h, Mailgun about 8 h, Twilio its fallback URL), so a fix deployed in
 * that time recovers every request; answering 2xx would drop them for good.
 */
const ADAPTER_FAILURE_RESPONSE = jsonResponse(500, { error: 'internal error' });

export const countByType = (events: readonly HubEvent[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
  return counts;
};

/**
 * Adapters with I/O dependencies (the Mailgun replay guard) can fail because AWS did: service
 * errors carry `$metadata`; a signed request's timeout or dropped connection (after its retries)
 * and missing credentials carry none. Those are outages, answered like any other (503), not adapter
 * bugs.
 */
const isInfrastructureError = (error: unknown): boolean =>
  (typeof error === 'object' && error !== null && '$metadata' in error) ||
  error instanceof RuntimeConfigError ||
  error instanceof CredentialsProviderError ||
  isRetryable(error);

const runAdapter = async (
  adapter: WebhookAdapter,
  request: WebhookRequest,
): Promise<{ ok: true; outcome: WebhookOutcome } | { ok: false; error: unknown }> => {
  try {
    return { ok: true, outcome: await adapter(request) };
  } catch (error) {
    return { ok: false, error };
  }
};

/**
 * Milliseconds on a monotonic clock. Not `performance.now()`: the global `performance` loads Node's
 * perf_hooks on first touch, about 1.5 ms of a webhook's cold start for a duration in a log line.
 */
const monotonicMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

/**
 * Keeps the events a failed publish left unqueued in the spill (./spill.ts): how many events in how
 * many objects once every object is stored; undefined (logged) when a put failed.
 */
const spillNotQueued = async (
  spill: BlobStore,
  events: readonly HubEvent[],
  publishError: unknown,
  log: Logger,
): Promise<{ spilledCount: number; objectCount: number } | undefined> => {
  const notQueued = eventsNotQueued(events, publishError);
  const objects = spillObjectsFor(notQueued);
  try {
    await Promise.all(objects.map((object) => spill.put(object)));
    return { spilledCount: notQueued.length, objectCount: objects.length };
  } catch (error) {
    log.error('events not spilled', { outcome: 'failed', errorName: errorNameOf(error) });
    return undefined;
  }
};

/**
 * Runs a verified-and-normalize adapter and makes its outcome durable: blobs first (events point at
 * them), then events, and the adapter's 2xx only once every event is queued, or (`deps.spill`) the
 * events the queue refused are kept in the spill for the drain. Logs carry counts, types, ids and
 * durations, never content.
 */
export const processWebhook = async (
  request: WebhookRequest,
  adapter: WebhookAdapter,
  deps: ProcessWebhookDeps,
): Promise<HttpResponse> => {
  const clock = deps.clock ?? monotonicMs;
  const startedAt = clock();
  const elapsed = () => Math.round(clock() - startedAt);
  const log = deps.logger;

  const run = await runAdapter(adapter, request);
  if (!run.ok) {
    if (isInfrastructureError(run.error)) {
      log.error('adapter dependency failed, provider will retry', {
        outcome: 'failed',
        errorName: errorNameOf(run.error),
        statusCode: UNAVAILABLE_RESPONSE.statusCode,
      });
      return UNAVAILABLE_RESPONSE;
    }
    log.error('adapter threw', { outcome: 'failed', errorName: errorNameOf(run.error), statusCode: 500 });
    return ADAPTER_FAILURE_RESPONSE;
  }
  const { outcome } = run;

  if (outcome.kind === 'respond') {
    log.info('webhook answered', {
      outcome: 'respond',
      statusCode: outcome.response.statusCode,
      durationMs: elapsed(),
    });
    return outcome.response;
  }

  if (outcome.kind === 'reject') {
    log.warn('webhook rejected', {
      outcome: 'reject',
      statusCode: outcome.status,
      reason: outcome.reason,
      durationMs: elapsed(),
    });
    return jsonResponse(outcome.status, { error: outcome.reason });
  }

  let queued: HubEvent[] = [];
  let stage: 'blobs' | 'events' = 'blobs';
  try {
    queued = forQueue(outcome.events, request.receivedAt);
    if (outcome.blobs.length > 0) await Promise.all(outcome.blobs.map((blob) => deps.blobStore.put(blob)));
    stage = 'events';
    if (queued.length > 0) await deps.publisher.publish(queued);
  } catch (error) {
    // The blobs are stored and only the queue refused: the events not queued are kept for the drain.
    const spilled =
      stage === 'events' && deps.spill ? await spillNotQueued(deps.spill, queued, error, log) : undefined;
    if (spilled) {
      log.warn('webhook accepted, events spilled for the drain', {
        outcome: 'spill',
        statusCode: outcome.response.statusCode,
        errorName: errorNameOf(error),
        ...(error instanceof IngestPublishError ? { errorCodes: error.errorCodes } : {}),
        eventCount: outcome.events.length,
        ...spilled,
        eventCounts: countByType(outcome.events),
        blobCount: outcome.blobs.length,
        durationMs: elapsed(),
      });
      return outcome.response;
    }
    log.error('webhook not stored, provider will retry', {
      outcome: 'failed',
      statusCode: UNAVAILABLE_RESPONSE.statusCode,
      errorName: errorNameOf(error),
      ...(error instanceof IngestPublishError
        ? { errorCodes: error.errorCodes, eventIds: error.failedEventIds }
        : {}),
      eventCount: outcome.events.length,
      blobCount: outcome.blobs.length,
      durationMs: elapsed(),
    });
    return UNAVAILABLE_RESPONSE;
  }

  log.info('webhook accepted', {
    outcome: 'accept',
    statusCode: outcome.response.statusCode,
    eventCount: outcome.events.length,
    eventCounts: countByType(outcome.events),
    blobCount: outcome.blobs.length,
    durationMs: elapsed(),
  });
  return outcome.response;
};
