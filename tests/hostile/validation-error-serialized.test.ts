import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { toWebhookRequest } from '#shared/aws/apigw.ts';
import { parseSesReceiptEvent } from '#shared/channels/email/inbound/ses.ts';
import { ChannelSecretsSchema } from '#shared/config/secrets.ts';
import { checked, object, parseOrThrow, url } from '#shared/validation/schema.ts';

/*
 * A Lambda handler that throws has its error logged by the Node.js runtime as JSON of the error's
 * name, message, stack and every enumerable own property ("Invoke Error"). zod's errors kept their
 * issues out of that (non-enumerable, and without the input); valibot's ValiError carries `issues`
 * as an own enumerable field holding the input and messages that quote it.
 */

/** What the Lambda Node.js runtime writes for an uncaught error (its `toFormatted`). */
const asLambdaLogsIt = (error: unknown): string =>
  JSON.stringify(error, (_key, value: unknown) =>
    value instanceof Error
      ? { errorType: value.name, errorMessage: value.message, ...value, stack: value.stack?.split('\n') }
      : value,
  );

const thrownBy = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('errors of parseOrThrow, as the Lambda runtime logs them', () => {
  it('carry no value of the input, only paths and what was expected', () => {
    // Prepare
    const secrets = {
      meta: { appSecret: 'sk_live_SECRET', verifyToken: 'VERIFY_SECRET', hubAppIds: 'APP_SECRET' },
    };
    // Act
    const logged = asLambdaLogsIt(thrownBy(() => parseOrThrow(ChannelSecretsSchema, secrets)));
    // Assess
    expect(logged).toContain('meta.hubAppIds: expected Array');
    expect(logged).not.toMatch(/SECRET/);
  });

  it('keep a malformed HTTP API event (headers, body) out of the log', () => {
    // Prepare
    const event = {
      rawPath: '',
      headers: { authorization: 'Bearer TOKEN_SECRET' },
      body: 'customer says PRIVATE_TEXT',
      requestContext: { http: { method: 'POST' } },
    };
    // Act
    const logged = asLambdaLogsIt(thrownBy(() => toWebhookRequest(event as never, new Date(0))));
    // Assess
    expect(logged).toContain('rawPath');
    expect(logged).not.toMatch(/TOKEN_SECRET|PRIVATE_TEXT/);
  });

  it('keep a malformed SES receipt (addresses) out of the log', () => {
    // Prepare
    const event = { Records: [{ ses: { mail: { source: 'maria@customer.example' }, receipt: {} } }] };
    // Act
    const logged = asLambdaLogsIt(thrownBy(() => parseSesReceiptEvent(event, new Date())));
    // Assess
    expect(logged).toContain('Records.0.ses.mail.timestamp');
    expect(logged).not.toContain('maria@customer.example');
  });

  it("say what the hub's own checks expect, and nothing of a check that says nothing", () => {
    // Prepare
    const schema = object({
      callback: url(),
      sent: v.pipe(
        v.string(),
        checked((value: string) => value.endsWith('Z'), 'a UTC time'),
      ),
      ratio: v.pipe(
        v.number(),
        v.check((value) => value < 1),
      ),
      page: object({}),
    });
    const input = { callback: 'no url at all', sent: '2026-12-02 PRIVATE', ratio: 42, page: ['PRIVATE'] };
    // Act
    const message = (thrownBy(() => parseOrThrow(schema, input)) as Error).message;
    // Assess
    expect(message).toBe(
      'callback: expected a URL; sent: expected a UTC time; ratio: expected a valid value; page: expected Object',
    );
  });
});
