import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalHub } from '#shared/local/hub.ts';
import type { OutgoingRequest } from '#shared/local/samples.ts';

/** Load generation against the local hub: timed posts, and a helpdesk consumer noting arrivals. */

export interface PostTiming {
  readonly sentAt: number;
  readonly ackedAt: number;
  readonly status: number;
}

const post = async (request: OutgoingRequest): Promise<PostTiming> => {
  const sentAt = performance.now();
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    return { sentAt, ackedAt: performance.now(), status: response.status };
  } catch {
    return { sentAt, ackedAt: performance.now(), status: 0 };
  }
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Posts at a fixed rate, not waiting for answers (an open-loop load, as providers send). */
export const postAtRate = async (
  requests: readonly OutgoingRequest[],
  perSecond: number,
): Promise<PostTiming[]> => {
  const start = performance.now();
  const pending: Promise<PostTiming>[] = [];
  for (const [index, request] of requests.entries()) {
    await sleep(start + (index * 1000) / perSecond - performance.now());
    pending.push(post(request));
  }
  return Promise.all(pending);
};

/** Posts as fast as the hub answers, with at most `concurrency` requests in flight. */
export const postFlatOut = async (
  requests: readonly OutgoingRequest[],
  concurrency: number,
): Promise<PostTiming[]> => {
  const timings: PostTiming[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      timings[index] = await post(requests[index] as OutgoingRequest);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return timings;
};

/** Consumes the helpdesk queue (as a helpdesk would) and notes when each event id arrived. */
export const startHelpdeskConsumer = (hub: LocalHub, consumers = 2) => {
  const sqs = new SQSClient({
    endpoint: hub.endpoints.sqs,
    region: hub.region,
    credentials: hub.credentials,
  });
  const arrivals = new Map<string, number>();
  let running = true;
  const queueUrl = hub.resources.helpdeskQueueUrl;
  const loop = async () => {
    while (running) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = received.Messages ?? [];
      const now = performance.now();
      for (const message of messages) {
        try {
          const id = (JSON.parse(message.Body ?? '{}') as { id?: unknown }).id;
          if (typeof id === 'string' && !arrivals.has(id)) arrivals.set(id, now);
        } catch {
          // Not an event: nothing to time.
        }
      }
      if (messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle ?? '',
            })),
          }),
        );
      }
    }
  };
  const loops = Array.from({ length: consumers }, loop);
  return {
    arrivals,
    stop: async () => {
      running = false;
      await Promise.allSettled(loops);
      sqs.destroy();
    },
  };
};

/**
 * Until every id arrived, or nothing new arrived for `quietMs` (about 3 % of replayed events never
 * come by design: repeated watermarks, stale statuses), or the timeout. `onArrival` runs, within
 * 100 ms, after each poll that saw new arrivals (a caller reads the CPU spent up to the last one).
 */
export const waitForArrivals = async (
  arrivals: ReadonlyMap<string, number>,
  ids: readonly string[],
  timeoutMs: number,
  quietMs = 10_000,
  onArrival?: () => void,
): Promise<boolean> => {
  const deadline = performance.now() + timeoutMs;
  let seen = -1;
  let changedAt = performance.now();
  while (performance.now() < deadline) {
    const arrived = ids.filter((id) => arrivals.has(id)).length;
    if (arrived !== seen) {
      seen = arrived;
      changedAt = performance.now();
      onArrival?.();
    }
    if (arrived === ids.length) return true;
    if (performance.now() - changedAt > quietMs) return false;
    await sleep(100);
  }
  return false;
};
