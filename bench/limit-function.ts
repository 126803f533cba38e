/**
 * The limit for cold start: what a webhook cannot do without, and nothing else. One HMAC over the
 * body, `JSON.parse`, and the items queued with one signed SendMessageBatch (shared/aws/signed/);
 * no validation library. The cold-start bench bundles it like the functions and reports every
 * bundle against it in the same run: the distance to the physical limit of this design.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';

interface LimitRequest {
  readonly body?: string;
  readonly signature?: string;
}

export const handler = async (request: LimitRequest): Promise<{ statusCode: number }> => {
  const body = request.body ?? '';
  const expected = createHmac('sha256', process.env.LIMIT_APP_SECRET ?? 'limit')
    .update(body)
    .digest();
  const given = Buffer.from(request.signature ?? '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { statusCode: 403 };
  const parsed: unknown = JSON.parse(body);
  const entries = (parsed as { entry?: Array<{ id: string; time: number }> }).entry ?? [];
  if (entries.length === 0) return { statusCode: 200 };
  await signedSqsClient().sendMessageBatch({
    QueueUrl: process.env.SWITCHBOARD_INGEST_QUEUE_URL ?? '',
    Entries: entries.slice(0, 10).map((entry, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify(entry),
      MessageGroupId: String(entry.id),
      MessageDeduplicationId: `${entry.id}:${entry.time}`,
    })),
  });
  return { statusCode: 200 };
};
