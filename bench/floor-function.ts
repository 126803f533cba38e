/**
 * The stack floor for cold start: the least any webhook on this project's mandated stack must
 * load. It parses a JSON body with a zod schema and queues the items with one SendMessageBatch
 * through a module-singleton SQS client, as the webhooks did until they sent it as a signed
 * request of their own (shared/aws/signed/; the floor keeps the SDK so runs stay comparable). The cold-start bench bundles it with the functions' own options and
 * aliases (infra/bundling/options.ts) and reports each real bundle against it: what a real bundle
 * loads beyond this is ours to cut; what this loads is the stack's.
 * No signature check, no contract, no secrets, no logging, no middleware: those are ours.
 */
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';

const WebhookBodySchema = z.looseObject({
  object: z.string(),
  entry: z.array(z.looseObject({ id: z.string(), time: z.number() })).max(10),
});

let client: SQSClient | undefined;
const sqs = (): SQSClient => {
  client ??= new SQSClient({ useQueueUrlAsEndpoint: false });
  return client;
};

interface FloorRequest {
  readonly body?: string;
}

export const handler = async (request: FloorRequest): Promise<{ statusCode: number }> => {
  const parsed = WebhookBodySchema.safeParse(JSON.parse(request.body ?? 'null'));
  if (!parsed.success) return { statusCode: 400 };
  if (parsed.data.entry.length === 0) return { statusCode: 200 };
  await sqs().send(
    new SendMessageBatchCommand({
      QueueUrl: process.env.SWITCHBOARD_INGEST_QUEUE_URL,
      Entries: parsed.data.entry.map((entry, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify(entry),
        MessageGroupId: entry.id,
        MessageDeduplicationId: `${entry.id}:${entry.time}`,
      })),
    }),
  );
  return { statusCode: 200 };
};
