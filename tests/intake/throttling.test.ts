import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '#shared/aws/blob-store.ts';
import { SignedDynamoDbClient } from '#shared/aws/signed/dynamodb.ts';
import { SqsEventPublisher } from '#shared/aws/sqs-event-publisher.ts';
import { OK_RESPONSE, type WebhookOutcome } from '#shared/channels/inbound.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { processWebhook, type WebhookAdapter } from '#shared/intake/process-webhook.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { DynamoReplayGuard } from '#shared/store/replay-guard.ts';
import { unsupportedEvent } from '#tests/support/factories.ts';
import { webhookRequest } from '#tests/support/requests.ts';

/*
 * AWS throttles the webhook path at each of its calls in turn. The webhook must answer so the
 * provider retries (5xx), and the provider's retry must leave every event queued exactly once:
 * whatever SQS accepted before the throttle comes again with the same message group and
 * deduplication id (SQS, deduplicating per group, drops it), and whatever it refused comes now.
 */

const EVENTS = 25;
const CONVERSATIONS = 5;
/** One provider POST of 25 items over 5 conversations: three SendMessageBatch requests of 10, 10, 5. */
const providerBatch: HubEvent[] = Array.from({ length: EVENTS }, (_, index) =>
  unsupportedEvent(index, `conv_${String(index % CONVERSATIONS).padStart(32, '0')}`),
);
const adapter: WebhookAdapter = (): WebhookOutcome => ({
  kind: 'accept',
  events: providerBatch,
  blobs: [],
  response: OK_RESPONSE,
});
const noBlobs: BlobStore = { put: async () => undefined };
const logger = createLogger({ level: 'error', write: () => undefined });

type Throttle = 'throws' | 'partial' | 'none';

/**
 * SQS as far as the webhook sees it: a high-throughput FIFO queue that deduplicates per message
 * group, and throttles request number `throttledCall` (and, for a partial failure, every retry of
 * the entries it refused). `accepted` is what the queue keeps (the first body per key); `sent` is
 * every body the webhook sent per key, refused or dropped ones included, so a test can see what a
 * deduplicating queue hides.
 */
const fakeQueue = () => {
  const sqs = mockClient(SQSClient);
  const accepted = new Map<string, string>(); // `${group} ${dedupId}` → body
  const sent = new Map<string, string[]>(); // `${group} ${dedupId}` → every body sent, in order
  let calls = 0;
  let throttle: Throttle = 'none';
  let throttledCall = 0;
  const refused = new Set<string>();
  sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
    calls += 1;
    const entries = input.Entries ?? [];
    for (const entry of entries) {
      const key = `${entry.MessageGroupId} ${entry.MessageDeduplicationId}`;
      sent.set(key, [...(sent.get(key) ?? []), entry.MessageBody ?? '']);
    }
    if (throttle === 'throws' && calls === throttledCall) {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
    }
    const output: Pick<SendMessageBatchCommandOutput, 'Successful' | 'Failed'> = {
      Successful: [],
      Failed: [],
    };
    entries.forEach((entry, position) => {
      const key = `${entry.MessageGroupId} ${entry.MessageDeduplicationId}`;
      // The throttled request refuses every other entry; their retries keep being refused.
      if (throttle === 'partial' && (refused.has(key) || (calls === throttledCall && position % 2 === 1))) {
        refused.add(key);
        output.Failed?.push({ Id: entry.Id, Code: 'ThrottlingException', SenderFault: false });
        return;
      }
      if (!accepted.has(key)) accepted.set(key, entry.MessageBody ?? '');
      output.Successful?.push({ Id: entry.Id ?? '', MessageId: key, MD5OfMessageBody: '' });
    });
    return output as SendMessageBatchCommandOutput;
  });
  const publisher = new SqsEventPublisher({
    client: new SQSClient({ region: 'us-east-1' }),
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/switchboard-ingest.fifo',
    overflow: { store: noBlobs, bucket: 'payloads' },
    sleep: async () => undefined,
  });
  return {
    sqs,
    publisher,
    accepted,
    sent,
    calls: () => calls,
    throttleCall(kind: Throttle, call: number) {
      throttle = kind;
      throttledCall = call;
      calls = 0;
    },
    stopThrottling() {
      throttle = 'none';
      refused.clear();
      calls = 0;
    },
  };
};

const post = (publisher: SqsEventPublisher, webhookAdapter: WebhookAdapter = adapter) =>
  processWebhook(webhookRequest({ path: '/webhooks/messenger' }), webhookAdapter, {
    blobStore: noBlobs,
    publisher,
    logger,
  });

describe('throttling on the webhook path', () => {
  let queue: ReturnType<typeof fakeQueue> | undefined;
  afterEach(() => {
    queue?.sqs.restore();
  });

  it.each([
    ['throws', 1],
    ['throws', 2],
    ['throws', 3],
    ['partial', 1],
    ['partial', 2],
    ['partial', 3],
  ] as const)(
    'SendMessageBatch %s at request %i: 503, and the retry queues every event exactly once',
    async (kind, call) => {
      // Prepare
      queue = fakeQueue();
      queue.throttleCall(kind, call);
      // Act: the throttled delivery, then the provider's retry of the same POST
      const first = await post(queue.publisher);
      const acceptedBeforeRetry = new Map(queue.accepted);
      const callsWhileThrottled = queue.calls();
      queue.stopThrottling();
      const retry = await post(queue.publisher);
      // Assess
      expect(first.statusCode).toBe(503);
      // Nothing after the throttled request was sent: a later batch cannot overtake it.
      expect(callsWhileThrottled).toBe(kind === 'throws' ? call : call + 2);
      expect(acceptedBeforeRetry.size).toBeLessThan(EVENTS);
      expect(retry.statusCode).toBe(200);
      expect([...queue.accepted.keys()].sort()).toEqual(
        providerBatch.map((event) => `${event.subject} ${event.id}`).sort(),
      );
      // What SQS took before the throttle came again (same group and id), so SQS dropped it rather than
      // doubling it, and came identical: every body sent under one key is the same. Both posts here are
      // the same request (same receivedAt), so a send that re-stamped a body would show as a second body.
      for (const key of acceptedBeforeRetry.keys())
        expect(queue.sent.get(key)?.length, key).toBeGreaterThan(1);
      for (const [key, bodies] of queue.sent) expect(new Set(bodies).size, key).toBe(1);
    },
  );

  it('DynamoDB throttling the replay guard answers 503 before anything is queued', async () => {
    // Prepare: the Mailgun replay guard's conditional put (a signed request), throttled every time
    queue = fakeQueue();
    let attempts = 0;
    const dynamodb = new SignedDynamoDbClient({
      env: { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' },
      sleep: async () => undefined,
      transport: async () => {
        attempts++;
        return {
          statusCode: 400,
          headers: {},
          body: JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'Rate exceeded',
          }),
        };
      },
    });
    const guard = new DynamoReplayGuard({
      putItem: (input) => dynamodb.putItem(input),
      tableName: 'switchboard-hub',
      now: () => new Date('2026-11-22T12:00:00Z'),
    });
    const guarded: WebhookAdapter = async (request) => {
      await guard.claim('token-1', 'digest-1', new Date('2026-11-23T12:00:00Z'));
      return adapter(request);
    };
    // Act
    const response = await post(queue.publisher, guarded);
    // Assess: retried as the SDK would (3 attempts), then the provider is told to retry
    expect(attempts).toBe(3);
    expect(response.statusCode).toBe(503);
    expect(queue.calls()).toBe(0);
    expect(queue.accepted.size).toBe(0);
  });
});
