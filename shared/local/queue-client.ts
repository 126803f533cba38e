import { AwsJsonClient } from '#shared/aws/signed/aws-json.ts';
import { SQS_SERVICE } from '#shared/aws/signed/sqs.ts';
import { LOCAL_SIGNING_ENV } from './local-aws.ts';
import { placeholderSignedHeaders } from './placeholder-signing.ts';

/*
 * The SQS calls of the local Lambda service (its event sources' long polls and settling): signed
 * requests over the webhooks' caller (shared/aws/signed/), as SQS's JSON protocol has them, instead
 * of the SDK's client. They run on the hub's main thread, which also serves the
 * emulators and the HTTP API, for every batch of every function: the SDK's middleware there cost
 * about a sixth of that thread's CPU in a replay (bench, 2026-12-06).
 *
 * A message's binary attribute values stay base64, as the protocol sends them and as Lambda's
 * records carry them. The SDK's client also checks each received body's MD5; Lambda's event
 * sources are AWS's code, not the hub's, and the local ones do not.
 */

/** Binary values base64 as the protocol sends them, or bytes as the SDK's client decodes them. */
export interface ReceivedAttributeValue {
  readonly DataType?: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string | Uint8Array;
  readonly StringListValues?: readonly string[];
  readonly BinaryListValues?: readonly (string | Uint8Array)[];
}

export interface ReceivedMessage {
  readonly MessageId?: string;
  readonly ReceiptHandle?: string;
  readonly Body?: string;
  readonly MD5OfBody?: string;
  readonly MD5OfMessageAttributes?: string;
  readonly Attributes?: Readonly<Record<string, string>>;
  readonly MessageAttributes?: Readonly<Record<string, ReceivedAttributeValue>>;
}

export interface BatchResult {
  readonly Successful?: readonly { readonly Id?: string }[];
  readonly Failed?: readonly { readonly Id?: string; readonly Code?: string }[];
}

export interface ReceiveInput {
  readonly QueueUrl: string;
  readonly MaxNumberOfMessages: number;
  readonly WaitTimeSeconds: number;
  readonly MessageSystemAttributeNames?: readonly string[];
  readonly MessageAttributeNames?: readonly string[];
}

/** The calls the local Lambda service makes of SQS. */
export interface LocalQueueCalls {
  readonly region: string;
  receiveMessage(input: ReceiveInput, signal?: AbortSignal): Promise<readonly ReceivedMessage[]>;
  deleteMessageBatch(
    queueUrl: string,
    entries: readonly { readonly Id: string; readonly ReceiptHandle: string }[],
  ): Promise<BatchResult>;
  changeMessageVisibilityBatch(
    queueUrl: string,
    entries: readonly {
      readonly Id: string;
      readonly ReceiptHandle: string;
      readonly VisibilityTimeout: number;
    }[],
  ): Promise<BatchResult>;
  getQueueAttributes(queueUrl: string, names: readonly string[]): Promise<Readonly<Record<string, string>>>;
}

/** A long poll's answer may take its whole wait: this much more before the attempt counts as lost. */
const LONG_POLL_SLACK_MS = 10_000;

/**
 * The local Lambda service's SQS calls to the emulator at `endpoint` (its own, never counted as the
 * functions'); with `placeholderSigning`, unsigned as the hub's other SQS clients (placeholder-signing.ts).
 */
export const localQueueCalls = (
  endpoint: string,
  options: { readonly placeholderSigning?: boolean } = {},
): LocalQueueCalls => {
  const maxAttempts = process.env.AWS_MAX_ATTEMPTS;
  const client = new AwsJsonClient({
    service: SQS_SERVICE,
    endpoint,
    // The hub's attempts setting, as the SDK's client read it.
    env: { ...LOCAL_SIGNING_ENV, ...(maxAttempts === undefined ? {} : { AWS_MAX_ATTEMPTS: maxAttempts }) },
    announce: false,
    timeoutMs: 10_000,
    // Lambda's own calls, bound by no invocation: never by one a function in this thread is in
    // (a test running a webhook handler beside a poller; found by a review).
    deadline: () => undefined,
    ...(options.placeholderSigning ? { signer: placeholderSignedHeaders } : {}),
  });
  return {
    region: LOCAL_SIGNING_ENV.AWS_REGION,
    async receiveMessage(input, signal) {
      const output = await client.call<{ Messages?: ReceivedMessage[] }>('ReceiveMessage', input, {
        timeoutMs: input.WaitTimeSeconds * 1000 + LONG_POLL_SLACK_MS,
        ...(signal ? { signal } : {}),
      });
      return output.Messages ?? [];
    },
    deleteMessageBatch: (QueueUrl, Entries) => client.call('DeleteMessageBatch', { QueueUrl, Entries }),
    changeMessageVisibilityBatch: (QueueUrl, Entries) =>
      client.call('ChangeMessageVisibilityBatch', { QueueUrl, Entries }),
    async getQueueAttributes(QueueUrl, AttributeNames) {
      const output = await client.call<{ Attributes?: Record<string, string> }>('GetQueueAttributes', {
        QueueUrl,
        AttributeNames,
      });
      return output.Attributes ?? {};
    },
  };
};
