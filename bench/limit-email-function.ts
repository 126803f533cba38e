/**
 * The limit for the Mailgun webhook's cold start: what any Mailgun webhook of this design cannot do
 * without, and nothing else. Mailgun posts the mail as multipart/form-data and signs a timestamp and
 * a token, not the body; so the least is: find the form's fields, check the HMAC, claim the token
 * against replays (one conditional PutItem), parse the MIME (postal-mime, as the webhook does), store
 * the raw mail (one PutObject: events name it) and queue one event (one SendMessageBatch), each a
 * signed request of the project's own (shared/aws/signed/). No validation library, no normalizing,
 * no logging, no middleware, and a form "parser" that only finds the four fields it reads.
 * The cold-start bench bundles it like the functions and reports the Mailgun webhook against it in
 * the same run, as it reports the chat webhooks against the JSON limit (bench/limit-function.ts).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import PostalMime from 'postal-mime';
import { signedDynamoDbClient } from '#shared/aws/signed/dynamodb.ts';
import { signedS3BlobStore } from '#shared/aws/signed/s3.ts';
import { signedSqsClient } from '#shared/aws/signed/sqs.ts';

interface LimitEmailRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** The named fields of a multipart body, each up to its next boundary: only what this limit reads. */
const formFields = (body: Buffer, boundary: string): Map<string, Buffer> => {
  const fields = new Map<string, Buffer>();
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let at = body.indexOf(`--${boundary}`);
  while (at !== -1) {
    const headersEnd = body.indexOf(CRLF2, at);
    if (headersEnd === -1) break;
    const name = /name="([^"]*)"/.exec(body.subarray(at, headersEnd).toString('latin1'))?.[1];
    const next = body.indexOf(delimiter, headersEnd);
    if (next === -1) break;
    if (name) fields.set(name, body.subarray(headersEnd + CRLF2.length, next));
    at = next + 2;
  }
  return fields;
};

const sha256Hex = (value: string | Uint8Array): string => createHash('sha256').update(value).digest('hex');

export const handler = async (request: LimitEmailRequest): Promise<{ statusCode: number }> => {
  const env = process.env;
  const body = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  const boundary = /boundary=([^;\s]+)/.exec(request.headers?.['content-type'] ?? '')?.[1];
  if (!boundary) return { statusCode: 415 };
  const fields = formFields(body, boundary);
  const timestamp = fields.get('timestamp')?.toString('utf8') ?? '';
  const token = fields.get('token')?.toString('utf8') ?? '';
  const given = Buffer.from(fields.get('signature')?.toString('utf8') ?? '', 'hex');
  const expected = createHmac('sha256', env.LIMIT_MAILGUN_SIGNING_KEY ?? 'limit')
    .update(timestamp + token)
    .digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { statusCode: 403 };
  const mime = fields.get('body-mime');
  if (!mime) return { statusCode: 400 };
  try {
    await signedDynamoDbClient().putItem({
      TableName: env.SWITCHBOARD_TABLE_NAME ?? '',
      Item: {
        pk: { S: `LIMIT#${sha256Hex(token)}` },
        sk: { S: 'TOKEN' },
        expiresAt: { N: String(Number(timestamp) + 86_400) },
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  } catch {
    return { statusCode: 406 };
  }
  const email = await PostalMime.parse(mime);
  const key = `raw-email/${sha256Hex(mime)}.eml`;
  await signedS3BlobStore(
    env.SWITCHBOARD_PAYLOAD_BUCKET ?? '',
    env.SWITCHBOARD_S3_FORCE_PATH_STYLE === 'true',
  ).put({ key, contentType: 'message/rfc822', bytes: mime });
  const group = sha256Hex(email.messageId ?? key).slice(0, 40);
  await signedSqsClient().sendMessageBatch({
    QueueUrl: env.SWITCHBOARD_INGEST_QUEUE_URL ?? '',
    Entries: [
      {
        Id: '0',
        MessageBody: JSON.stringify({ key, subject: email.subject, text: email.text, from: email.from }),
        MessageGroupId: group,
        MessageDeduplicationId: group,
      },
    ],
  });
  return { statusCode: 200 };
};
