import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as v from 'valibot';
import type { HttpResponse, WebhookRequest } from '#shared/channels/inbound.ts';
import { lazily, looseObject, nonEmptyString, parseOrThrow, record } from '#shared/validation/schema.ts';

/**
 * The parts of a payload format 2.0 event the webhooks rely on. HTTP APIs and function URLs both
 * send it; a function URL sends `"body": null` for a request without one (a GET handshake).
 */
const HttpApiEventSchema = lazily(() =>
  looseObject({
    rawPath: nonEmptyString(),
    /** Absent or null without a query: '' (a default, which valibot applies to a missing key too). */
    rawQueryString: v.nullish(v.string(), ''),
    headers: v.optional(record(v.optional(v.string())), {}),
    body: v.nullish(v.string()),
    isBase64Encoded: v.optional(v.boolean(), false),
    requestContext: looseObject({
      http: looseObject({ method: nonEmptyString() }),
    }),
  }),
);

/**
 * The request exactly as the provider sent it: API Gateway base64-encodes bodies it considers
 * binary (form posts included), and signatures are over the original bytes.
 */
export const toWebhookRequest = (event: APIGatewayProxyEventV2, receivedAt: Date): WebhookRequest => {
  const parsed = parseOrThrow(HttpApiEventSchema, event);
  const body = parsed.body ?? '';
  return {
    method: parsed.requestContext.http.method.toUpperCase(),
    path: parsed.rawPath,
    rawQueryString: parsed.rawQueryString,
    headers: Object.fromEntries(
      Object.entries(parsed.headers).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    body: parsed.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    receivedAt,
  };
};

export const toApiGatewayResult = (response: HttpResponse): APIGatewayProxyStructuredResultV2 => ({
  statusCode: response.statusCode,
  headers: { ...response.headers },
  body: response.body,
  isBase64Encoded: false,
});
