import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import type { HttpResponse, WebhookRequest } from '#shared/channels/inbound.ts';

/**
 * The parts of a payload format 2.0 event the webhooks rely on. HTTP APIs and function URLs both
 * send it; a function URL sends `"body": null` for a request without one (a GET handshake).
 */
const HttpApiEventSchema = z.lazy(() =>
  z.looseObject({
    rawPath: z.string().check(z.minLength(1)),
    rawQueryString: z.pipe(
      z.nullish(z.string()),
      z.transform((query) => query ?? ''),
    ),
    headers: z._default(z.record(z.string(), z.optional(z.string())), {}),
    body: z.nullish(z.string()),
    isBase64Encoded: z._default(z.boolean(), false),
    requestContext: z.looseObject({
      http: z.looseObject({ method: z.string().check(z.minLength(1)) }),
    }),
  }),
);

/**
 * The request exactly as the provider sent it: API Gateway base64-encodes bodies it considers
 * binary (form posts included), and signatures are over the original bytes.
 */
export const toWebhookRequest = (event: APIGatewayProxyEventV2, receivedAt: Date): WebhookRequest => {
  const parsed = HttpApiEventSchema.parse(event);
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
