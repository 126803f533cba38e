import { SQSClient } from '@aws-sdk/client-sqs';
import type { AllChannelSecrets } from '#shared/config/secrets.ts';
import { type EventSummary, summarizeBody } from './describe.ts';
import { fetchHubInfo, type HubInfo } from './hub-info.ts';
import { peekQueue } from './peek.ts';
import { waitUntilDrained } from './queue-depth.ts';
import { type Sample, signedRequestFor } from './samples.ts';

export interface ReplayOptions {
  readonly samples: readonly Sample[];
  readonly targetBaseUrl: string;
  readonly secrets: AllChannelSecrets;
  readonly repeat?: number;
  readonly concurrency?: number;
  readonly tamper?: boolean;
  /** Called after every response, for a progress display. */
  readonly onProgress?: (done: number, total: number) => void;
  /** How long to wait for the local recorder before reading the helpdesk queue. */
  readonly settleTimeoutMs?: number;
}

export interface ReplayResult {
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  /** `<status> <reason>` (or a network error) → how many. */
  readonly rejections: ReadonlyMap<string, number>;
  /** Answered 401 or 403: refused for their signature or credentials (what every tampered request must get). */
  readonly refusedAsUnauthorized: number;
  /** Set only against a local hub. */
  readonly hub?: HubInfo;
  /** New events on the helpdesk queue (local hub only), without message text. */
  readonly helpdeskEvents: readonly EventSummary[];
  /** Helpdesk messages that are not valid events. */
  readonly invalidHelpdeskMessages: number;
  /** False when the recorder had not drained the ingest queue in time. */
  readonly recorderSettled: boolean;
}

const MAX_REASON_LENGTH = 120;

/** The hub's refusal reason: a JSON `message`/`reason`/`error`, else the start of the body. */
const reasonOf = (status: number, body: string): string => {
  let reason = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object') {
      const fields = parsed as Record<string, unknown>;
      const named = [fields.reason, fields.message, fields.error].find((value) => typeof value === 'string');
      if (typeof named === 'string') reason = named;
    }
  } catch {
    // Plain text body.
  }
  const short = reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason;
  return `${status} ${short || '(empty body)'}`.trim();
};

const runPool = async <T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
};

/**
 * Posts every sample, signed as its provider would, to the target. Against a local hub it also
 * waits for the recorder and lists the events that reached the helpdesk queue, peeking so that a
 * real consumer still receives them.
 */
export const replaySamples = async (options: ReplayOptions): Promise<ReplayResult> => {
  const jobs = Array.from({ length: Math.max(1, options.repeat ?? 1) }, () => options.samples).flat();
  const hub = await fetchHubInfo(options.targetBaseUrl);
  const alreadyQueued = hub
    ? new Set((await peekQueue(hub.endpoints.sqs, hub.resources.helpdeskQueueUrl)).map((m) => m.messageId))
    : new Set<string>();

  const rejections = new Map<string, number>();
  let accepted = 0;
  let refusedAsUnauthorized = 0;
  let done = 0;
  await runPool(jobs, options.concurrency ?? 4, async (sample) => {
    const request = signedRequestFor(sample, {
      targetBaseUrl: options.targetBaseUrl,
      // A deployed hub has no info: its Twilio requests are signed over the target, the URL it is called on.
      hubPublicBaseUrl: hub?.publicBaseUrl,
      secrets: options.secrets,
      tamper: options.tamper ?? false,
    });
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(35_000),
      });
      const body = await response.text();
      if (response.ok) accepted += 1;
      else {
        if (response.status === 401 || response.status === 403) refusedAsUnauthorized += 1;
        const reason = reasonOf(response.status, body);
        rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
      }
    } catch (error) {
      const reason = `network error: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : 'unknown'}`;
      rejections.set(reason, (rejections.get(reason) ?? 0) + 1);
    }
    done += 1;
    options.onProgress?.(done, jobs.length);
  });

  const rejected = jobs.length - accepted;
  if (!hub) {
    return {
      sent: jobs.length,
      accepted,
      rejected,
      rejections,
      refusedAsUnauthorized,
      helpdeskEvents: [],
      invalidHelpdeskMessages: 0,
      recorderSettled: true,
    };
  }

  const sqs = new SQSClient({
    endpoint: hub.endpoints.sqs,
    region: hub.region,
    credentials: hub.credentials,
  });
  try {
    const recorderSettled = await waitUntilDrained(
      sqs,
      hub.resources.ingestQueueUrl,
      () => true,
      options.settleTimeoutMs ?? 15_000,
    );
    const fresh = (await peekQueue(hub.endpoints.sqs, hub.resources.helpdeskQueueUrl)).filter(
      (message) => !alreadyQueued.has(message.messageId),
    );
    const summaries = fresh.map((message) => summarizeBody(message.body));
    return {
      sent: jobs.length,
      accepted,
      rejected,
      rejections,
      refusedAsUnauthorized,
      hub,
      helpdeskEvents: summaries.filter((summary): summary is EventSummary => summary !== undefined),
      invalidHelpdeskMessages: summaries.filter((summary) => summary === undefined).length,
      recorderSettled,
    };
  } finally {
    sqs.destroy();
  }
};
