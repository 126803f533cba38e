/**
 * The stack floor for cold start: the least any webhook on this project's stack must load. It
 * validates a JSON body with a valibot schema (the webhooks' validation library) and queues the
 * items with one SendMessageBatch as the webhooks send it, a signed request of our own
 * (shared/aws/signed/). The cold-start bench bundles it with the functions' own options and
 * aliases (infra/bundling/options.ts) and reports each real bundle against it: what a real bundle
 * loads beyond this is ours to cut; what this loads is the stack's.
 * No signature check, no contract, no secrets, no logging, no middleware: those are ours.
 */
import * as v from 'valibot';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';

const WebhookBodySchema = v.looseObject({
  object: v.string(),
  entry: v.pipe(v.array(v.looseObject({ id: v.string(), time: v.number() })), v.maxLength(10)),
});

interface FloorRequest {
  readonly body?: string;
}

export const handler = async (request: FloorRequest): Promise<{ statusCode: number }> => {
  const parsed = v.safeParse(WebhookBodySchema, JSON.parse(request.body ?? 'null'));
  if (!parsed.success) return { statusCode: 400 };
  if (parsed.output.entry.length === 0) return { statusCode: 200 };
  await signedSqsClient().sendMessageBatch({
    QueueUrl: process.env.SWITCHBOARD_INGEST_QUEUE_URL ?? '',
    Entries: parsed.output.entry.map((entry, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify(entry),
      MessageGroupId: entry.id,
      MessageDeduplicationId: `${entry.id}:${entry.time}`,
    })),
  });
  return { statusCode: 200 };
};
