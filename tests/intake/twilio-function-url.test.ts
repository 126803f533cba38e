import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toWebhookRequest } from '#shared/aws/apigw.ts';
import {
  handleTwilioWebhook,
  signTwilioRequest,
  twilioPublicUrl,
} from '#shared/channels/sms/inbound/webhook.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { HubEventSchema } from '#shared/contract/index.ts';
import { useEmulatedHub } from '#tests/support/emulated-hub.ts';
import { lambdaContext } from '#tests/support/factories.ts';
import { EVENTS_DIR } from '#tests/support/golden.ts';
import { FIXTURE_RECEIVED_AT } from '#tests/support/requests.ts';

/**
 * With `ingress: 'function-urls'` no public base URL is configured: the SMS webhook rebuilds the
 * URL Twilio called from the function URL event, and Twilio signed exactly the URL registered with
 * it, the stack output `<function URL>webhooks/sms/twilio`.
 */
const URL_ID = 'abcdefghijklmnopqrstuvwxyz234567';
const HOST = `${URL_ID}.lambda-url.eu-west-1.on.aws`;
/** The AWS::Lambda::Url FunctionUrl attribute ends in a slash. */
const FUNCTION_URL = `https://${HOST}/`;
const ROUTE = 'webhooks/sms/twilio';
const REGISTERED_URL = `${FUNCTION_URL}${ROUTE}`;
const TOKEN = LOCAL_DEV_SECRETS.twilio.authToken;

interface FunctionUrlEventInput {
  readonly path: string;
  readonly rawQueryString?: string;
  readonly headers?: Record<string, string>;
  readonly form: string;
}

/**
 * A POST as a function URL with auth NONE delivers it (payload format 2.0): the URL's own host,
 * x-forwarded-* headers, `$default` placeholders, the whole path in rawPath, and a form body
 * base64-encoded.
 */
const functionUrlEvent = (input: FunctionUrlEventInput): APIGatewayProxyEventV2 => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: input.path,
  rawQueryString: input.rawQueryString ?? '',
  headers: {
    host: HOST,
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    'x-forwarded-for': '198.51.100.7',
    'x-amzn-trace-id': 'Root=1-00000000-000000000000000000000000',
    'content-type': 'application/x-www-form-urlencoded',
    'user-agent': 'TwilioProxy/1.1',
    ...input.headers,
  },
  requestContext: {
    accountId: 'anonymous',
    apiId: URL_ID,
    domainName: HOST,
    domainPrefix: URL_ID,
    http: {
      method: 'POST',
      path: input.path,
      protocol: 'HTTP/1.1',
      sourceIp: '198.51.100.7',
      userAgent: 'TwilioProxy/1.1',
    },
    requestId: 'function-url-request-id',
    routeKey: '$default',
    stage: '$default',
    time: '22/Nov/2026:12:00:00 +0000',
    timeEpoch: FIXTURE_RECEIVED_AT.getTime(),
  },
  body: Buffer.from(input.form, 'utf8').toString('base64'),
  isBase64Encoded: true,
});

const helpParams = (): Array<[string, string]> =>
  Object.entries(
    JSON.parse(readFileSync(join(EVENTS_DIR, 'sms/help.json'), 'utf8')) as Record<string, string>,
  );

/** Twilio's request to `url`, signed with `authToken` over `signedUrl` (normally the same URL). */
const twilioPost = (url: URL, authToken = TOKEN, signedUrl = url.href): APIGatewayProxyEventV2 => {
  const params = helpParams();
  return functionUrlEvent({
    path: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers: { 'x-twilio-signature': signTwilioRequest(authToken, signedUrl, params) },
    form: new URLSearchParams(params).toString(),
  });
};

describe('twilioPublicUrl behind a Lambda function URL', () => {
  it('rebuilds the URL registered with Twilio from the function URL event', () => {
    // Prepare
    const request = toWebhookRequest(twilioPost(new URL(REGISTERED_URL)), FIXTURE_RECEIVED_AT);
    // Act
    const url = twilioPublicUrl(request);
    // Assess
    expect(url).toBe(`https://${HOST}/webhooks/sms/twilio`);
    expect(url).toBe(REGISTERED_URL);
  });

  it('keeps a query string registered with the URL, byte for byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (pairs) => {
          // Prepare
          const registered = new URL(REGISTERED_URL);
          registered.search = new URLSearchParams(pairs).toString();
          const request = toWebhookRequest(twilioPost(registered), FIXTURE_RECEIVED_AT);
          // Act
          const url = twilioPublicUrl(request);
          // Assess
          expect(url).toBe(registered.href);
        },
      ),
    );
  });

  it('accepts a message Twilio signed over the registered function URL, with no base URL configured', () => {
    // Prepare
    const request = toWebhookRequest(twilioPost(new URL(REGISTERED_URL)), FIXTURE_RECEIVED_AT);
    // Act
    const outcome = handleTwilioWebhook(request, {
      secrets: LOCAL_DEV_SECRETS,
      publicUrl: twilioPublicUrl(request),
    });
    // Assess
    expect(outcome.kind).toBe('accept');
    if (outcome.kind === 'accept') expect(outcome.events.length).toBeGreaterThan(0);
  });

  it('refuses a signature over another host: the host header is what makes the URL', () => {
    // Prepare
    const elsewhere = `https://api1234567.execute-api.eu-west-1.amazonaws.com/${ROUTE}`;
    const request = toWebhookRequest(
      twilioPost(new URL(REGISTERED_URL), TOKEN, elsewhere),
      FIXTURE_RECEIVED_AT,
    );
    // Act
    const outcome = handleTwilioWebhook(request, {
      secrets: LOCAL_DEV_SECRETS,
      publicUrl: twilioPublicUrl(request),
    });
    // Assess
    expect(outcome).toMatchObject({ kind: 'reject', status: 403 });
  });
});

describe('Twilio SMS webhook Lambda behind a function URL, into the local ingest queue', () => {
  const hub = useEmulatedHub();

  it('verifies the signature over the function URL without SWITCHBOARD_PUBLIC_BASE_URL and queues the events', async () => {
    // Prepare
    expect(process.env.SWITCHBOARD_PUBLIC_BASE_URL).toBeUndefined();
    const { handler } = await import('#functions/webhook-sms-twilio.ts');
    // Act
    const result = (await handler(
      twilioPost(new URL(REGISTERED_URL)),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const messages = await hub.ingestQueueMessages();
    // Assess
    expect(result.statusCode).toBe(200);
    const events = messages.map((message) => HubEventSchema.parse(JSON.parse(message.Body ?? '')));
    expect(events.map((event) => event.type)).toContain('switchboard.message.received');
  });

  it('answers 403 and queues nothing when the signature covers another URL', async () => {
    // Prepare
    const { handler } = await import('#functions/webhook-sms-twilio.ts');
    // Act
    const result = (await handler(
      twilioPost(new URL(REGISTERED_URL), TOKEN, `${FUNCTION_URL}webhooks/sms/other`),
      lambdaContext(),
    )) as APIGatewayProxyStructuredResultV2;
    const messages = await hub.ingestQueueMessages();
    // Assess
    expect(result.statusCode).toBe(403);
    expect(messages).toEqual([]);
  });
});
