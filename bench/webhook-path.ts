import type { BlobStore } from '#shared/aws/blob-store.ts';
import { BatchEventPublisher, type SqsBatchSender } from '#shared/aws/event-publisher.ts';
import { handleMailgunWebhook } from '#shared/channels/email/inbound/mailgun-webhook.ts';
import type { ReplayGuard } from '#shared/channels/email/inbound/replay-guard.ts';
import type { HttpResponse, WebhookRequest } from '#shared/channels/inbound.ts';
import { handleMessengerWebhook } from '#shared/channels/messenger/inbound/webhook.ts';
import { handleTwilioWebhook } from '#shared/channels/sms/inbound/webhook.ts';
import { handleWhatsAppWebhook } from '#shared/channels/whatsapp/inbound/webhook.ts';
import { type AllChannelSecrets, LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { processWebhook, type WebhookAdapter } from '#shared/intake/process-webhook.ts';
import {
  type OutgoingRequest,
  type Sample,
  type SampleChannel,
  signedRequestFor,
} from '#shared/local/samples.ts';
import { createLogger } from '#shared/observability/logger.ts';

/** The in-process webhook path: the real adapters, processWebhook and publisher, AWS I/O stubbed. */

export const BENCH_SECRETS: AllChannelSecrets = LOCAL_DEV_SECRETS;
export const BENCH_BASE_URL = 'https://hub.example.com';
/** Fixed, so Mailgun timestamps are fresh against `receivedAt` in every iteration. */
const BENCH_RECEIVED_AT = new Date('2026-11-22T12:00:00.000Z');

/** Always a first use: stands in for the DynamoDB conditional put, whose I/O is not measured here. */
const FRESH_REPLAY_GUARD: ReplayGuard = { claim: async () => true };

export const toWebhookRequest = (
  outgoing: OutgoingRequest,
  receivedAt = BENCH_RECEIVED_AT,
): WebhookRequest => {
  const url = new URL(outgoing.url);
  return {
    method: 'POST',
    path: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers: Object.fromEntries(
      Object.entries({ ...outgoing.headers, host: url.host }).map(([name, value]) => [
        name.toLowerCase(),
        value,
      ]),
    ),
    body: outgoing.body,
    receivedAt,
  };
};

export interface SignedSample {
  readonly sample: Sample;
  readonly outgoing: OutgoingRequest;
  readonly request: WebhookRequest;
}

/** `at`: when it is signed and received; a fixed instant unless a caller needs the real clock. */
export const signSample = (
  sample: Sample,
  baseUrl = BENCH_BASE_URL,
  at = BENCH_RECEIVED_AT,
): SignedSample => {
  const outgoing = signedRequestFor(sample, { targetBaseUrl: baseUrl, secrets: BENCH_SECRETS, now: at });
  return { sample, outgoing, request: toWebhookRequest(outgoing, at) };
};

/** The adapter each route binds, with the secrets and (for Twilio) the URL that was signed. */
export const adapterFor = (
  channel: SampleChannel,
  signedUrl: string,
  replayGuard: ReplayGuard = FRESH_REPLAY_GUARD,
): WebhookAdapter => {
  const secrets = BENCH_SECRETS;
  switch (channel) {
    case 'messenger':
      return (request) => handleMessengerWebhook(request, { secrets });
    case 'whatsapp':
      return (request) => handleWhatsAppWebhook(request, { secrets });
    case 'sms':
      return (request) => handleTwilioWebhook(request, { secrets, publicUrl: signedUrl });
    case 'email':
      return (request) => handleMailgunWebhook(request, { secrets, replayGuard });
  }
};

/** A Lambda request id's shape, as the logging middleware sets it. */
const BENCH_REQUEST_ID = 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef';

const NO_BLOBS: BlobStore = { put: async () => undefined };

/**
 * Counts the SendMessageBatch requests the webhooks' publisher makes and accepts every entry;
 * SQS itself is not called, so the request's JSON body, its SigV4 signature and the answer's
 * digest check (shared/aws/signed/sqs.ts) are not in the measured path.
 */
export interface StubbedQueue extends SqsBatchSender {
  readonly sent: { requests: number; entries: number };
}

const stubbedQueue = (): StubbedQueue => {
  const sent = { requests: 0, entries: 0 };
  return {
    sent,
    sendMessageBatch: async (input) => {
      sent.requests += 1;
      sent.entries += input.Entries.length;
      return { Successful: input.Entries.map((entry) => ({ Id: entry.Id })), Failed: [] };
    },
  };
};

/**
 * processWebhook as the Lambda runs it (logger at info, writing nowhere, with the channel, route
 * and request id fields of `createWebhookHandler`), with the webhooks' own publisher
 * (`BatchEventPublisher`, as shared/intake/wiring.ts builds it) sending to a stubbed queue.
 */
export const fullWebhookPath = (channel: SampleChannel, signedUrl: string) => {
  const queue = stubbedQueue();
  const publisher = new BatchEventPublisher({
    sqs: queue,
    queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-ingest.fifo',
    overflow: { store: NO_BLOBS, bucket: 'switchboard-payloads' },
  });
  const adapter = adapterFor(channel, signedUrl);
  const channelLogger = createLogger({
    level: 'info',
    write: () => undefined,
    requestId: () => BENCH_REQUEST_ID,
  }).child({ channel });
  const run = (request: WebhookRequest): Promise<HttpResponse> =>
    processWebhook(request, adapter, {
      blobStore: NO_BLOBS,
      publisher,
      logger: channelLogger.child({ route: request.path }),
    });
  return { run, queue };
};
