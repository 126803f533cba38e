import { CONNECTORS, type WebhookConnectorId } from '#shared/channels/registry.ts';
import { RECORDER, SENDER } from '#shared/resources/definitions.ts';
import { PRICES } from './prices.ts';

/**
 * The hub's functions as the benchmark prices them (bench/aws-cost.ts) and the scale model weighs
 * them (bench/scale.ts): the memory the stack deploys each with and the time each takes in AWS.
 * One rule for cost and concurrency alike, inbound events as sends: an invocation is charged the
 * time the model's concurrency holds an environment for it, at its function's deployed memory.
 */

/**
 * Durations in AWS, stated (the local medians are measured on emulators over loopback, without
 * network round trips, and are used when larger: awsMs): a webhook is one SendMessageBatch round
 * trip plus under a millisecond of CPU for chat (bench webhook section), an e-mail adds its S3 PUT;
 * a recorder batch is about four DynamoDB round trips per conversation (run concurrently) and a
 * publish round, whatever the number of events in it; a send waits on the provider's API.
 */
export const AWS_DURATIONS = {
  webhookMs: 30,
  emailWebhookMs: 60,
  recorderBatchMs: 100,
  /**
   * One send alone, mostly the provider's answer. A batch's sends to different conversations run
   * concurrently, each business number's paced at its turns: the batch takes this plus a turn per
   * further send to the same number (senderBatchMs).
   */
  senderCommandMs: 600,
  /**
   * One attachment copied by the media fetcher: the provider's lookup and download (100–300 ms
   * each from us-east-1 for an image), one S3 PUT, three DynamoDB calls, one SQS send.
   */
  mediaFetchMs: 500,
  /**
   * One send through the helpdesk API, in its function: the two reads together, the reservation's
   * PutItem and the outbox's SendMessage, about 10 ms each in the region, and a few ms of CPU (not
   * measured: the API bench times no send).
   */
  apiSendMs: 40,
} as const;

export type AwsDurations = typeof AWS_DURATIONS;

/**
 * Deployed memory of the recorder and the sender: their settings' (shared/resources/definitions.ts),
 * which their constructs deploy. The webhooks' sizes are the channel registry's (webhookInAws), the
 * media fetcher's MEDIA_FETCHER.memoryMb, the helpdesk API's API_SEND.memoryMb
 * (tests/bench/aws-function-pricing.test.ts checks them against the synthesized stack).
 */
export const FUNCTION_MEMORY_MB = { recorder: RECORDER.memoryMb, sender: SENDER.memoryMb } as const;

/** A function's time in AWS: the stated time, or the local median when that is longer (it is a floor). */
export const awsMs = (statedMs: number, measuredMs = 0): number => Math.max(statedMs, measuredMs);

/** A connector's webhook as deployed: the registry's memory, and its time in AWS (e-mail's adds its S3 PUT). */
export const webhookInAws = (
  connector: WebhookConnectorId,
  measuredMs = 0,
  durations: AwsDurations = AWS_DURATIONS,
): { readonly memoryMb: number; readonly ms: number } => {
  const { channel, memorySizeMb } = CONNECTORS[connector];
  return {
    memoryMb: memorySizeMb,
    ms: awsMs(channel === 'email' ? durations.emailWebhookMs : durations.webhookMs, measuredMs),
  };
};

/** Lambda on Arm in $: a request per invocation and its GB-seconds, its time billed by the started ms. */
export const lambdaDollars = (invocations: number, durationMs: number, memoryMb: number): number =>
  invocations *
  (PRICES.lambdaPerRequest +
    (memoryMb / 1024) * (Math.ceil(durationMs) / 1000) * PRICES.lambdaArmPerGbSecond);
