import { createHash } from 'node:crypto';
import { onAwsClientsReset } from '../clients.ts';
import type { SendMessageBatchResult, SqsBatchSender } from '../event-publisher.ts';
import { AwsJsonClient, type AwsJsonClientOptions, type AwsJsonService } from './aws-json.ts';
import { currentInvocationDeadline } from './signed-caller.ts';

/** SQS over its JSON protocol (awsJson1_0), as the SDK speaks it. */
export const SQS_SERVICE: AwsJsonService = {
  signingName: 'sqs',
  endpointVariable: 'SQS',
  targetPrefix: 'AmazonSQS',
  jsonVersion: '1.0',
  queryCompatibleNamespace: 'com.amazonaws.sqs',
};

type SendMessageBatchInput = Parameters<SqsBatchSender['sendMessageBatch']>[0];

interface SendMessageBatchOutput {
  readonly Successful?: {
    readonly Id?: string;
    readonly MessageId?: string;
    readonly MD5OfMessageBody?: string;
  }[];
  readonly Failed?: { readonly Id?: string; readonly SenderFault?: boolean; readonly Code?: string }[];
}

/**
 * What the SDK's SQS client checks of every answer (@aws-sdk/middleware-sdk-sqs): each accepted
 * entry's MD5OfMessageBody is the MD5 of the body sent, or the call fails as a whole (so the
 * webhook answers 5xx and the provider retries; FIFO deduplication drops what did arrive).
 */
const verifyBodyDigests = (
  input: SendMessageBatchInput,
  successful: NonNullable<SendMessageBatchOutput['Successful']>,
): void => {
  const bodies = new Map(input.Entries.map((entry) => [entry.Id, entry.MessageBody]));
  const mismatched = successful
    .filter((entry) => {
      const body = bodies.get(entry.Id ?? '');
      return (
        body !== undefined && entry.MD5OfMessageBody !== createHash('md5').update(body, 'utf8').digest('hex')
      );
    })
    .map((entry) => entry.MessageId);
  if (mismatched.length > 0) throw new Error(`Invalid MD5 checksum on messages: ${mismatched.join(', ')}`);
};

/**
 * SendMessageBatch as one signed request: the webhooks' publisher port without the SDK. The
 * endpoint is never a queue URL's host (emulators name queues after hosts that do not resolve),
 * as with the SDK client's `useQueueUrlAsEndpoint: false`.
 */
export class SignedSqsClient implements SqsBatchSender {
  private readonly client: AwsJsonClient;

  constructor(options: Omit<AwsJsonClientOptions, 'service'> = {}) {
    this.client = new AwsJsonClient({ ...options, service: SQS_SERVICE });
  }

  async sendMessageBatch(input: SendMessageBatchInput): Promise<SendMessageBatchResult> {
    const output = await this.client.call<SendMessageBatchOutput>('SendMessageBatch', input);
    const result = { Successful: output.Successful ?? [], Failed: output.Failed ?? [] };
    verifyBodyDigests(input, result.Successful);
    return result;
  }
}

const clients = new Map<number, SignedSqsClient>();

onAwsClientsReset(() => {
  clients.clear();
});

/**
 * The process's signed SQS client (endpoint, region and credentials from the environment). With
 * `reserveMs`, its attempts and waits end that much earlier than the invocation's deadline: the
 * time a spilling webhook keeps for the spill's put after the queue refused (shared/intake/spill.ts).
 */
export const signedSqsClient = (reserveMs = 0): SignedSqsClient => {
  let client = clients.get(reserveMs);
  if (!client) {
    client =
      reserveMs === 0
        ? new SignedSqsClient()
        : new SignedSqsClient({
            deadline: () => {
              const deadline = currentInvocationDeadline();
              return deadline === undefined ? undefined : deadline - reserveMs;
            },
          });
    clients.set(reserveMs, client);
  }
  return client;
};
