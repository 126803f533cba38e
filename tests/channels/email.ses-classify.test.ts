import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSesSender } from '#shared/channels/email/outbound/ses-sender.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';

const FIXTURES = new URL('./fixtures/ses-errors/', import.meta.url);
const FixtureSchema = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
});
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

const context: MessageContext = {
  target: {
    channel: 'email',
    provider: 'ses',
    endpoint: { type: 'email_address', id: 'support@switchboard.example' },
    recipient: { type: 'email', value: 'maria.keller@customer.example' },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
  policy: { withinWindow: true, humanAgentTag: false },
  email: {
    from: 'support@switchboard.example',
    replyTo: 'reply@in.switchboard.example',
    subject: 'Re: Order 42',
    references: [],
    messageId: 'msg_0123456789abcdef0123456789abcdef.0@mail.switchboard.example',
  },
};
const message = { partIndex: 0, part: { type: 'text', text: 'Your order ships today.' } } as const;

/** A real SES v2 client whose HTTP answer is the fixture: the SDK's own deserializer makes the error. */
const clientAnswering = (name: string) => {
  const fixture = FixtureSchema.parse(JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')));
  return new SESv2Client({
    region: 'eu-west-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: fixture.status,
          headers: fixture.headers,
          body: Readable.from([Buffer.from(JSON.stringify(fixture.body))]),
        },
      }),
    },
  });
};

describe('SES error classification', () => {
  it.each([
    ['message-rejected', { kind: 'refused', reason: 'content_invalid', retryable: false }],
    ['message-rejected-unverified', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['mail-from-domain-not-verified', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['bad-request', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['not-found', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['account-suspended', { kind: 'credentials' }],
    ['sending-paused', { kind: 'credentials' }],
    ['unrecognized-client', { kind: 'credentials' }],
    ['access-denied', { kind: 'credentials' }],
    // On the From address itself (verified as an identity of its own, which the role is not granted): the hub's permission.
    ['access-denied-own-address', { kind: 'credentials' }],
    // An account in SES's sandbox also authorizes the recipient's identity: a refused recipient.
    ['access-denied-sandbox-recipient', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['too-many-requests', { kind: 'throttled' }],
    ['throttling', { kind: 'throttled' }],
    ['limit-exceeded', { kind: 'throttled' }],
    ['internal-error', { kind: 'ambiguous' }],
  ])('%s', async (name, expected) => {
    // Prepare
    const sender = createSesSender({ client: clientAnswering(name) });
    // Act
    const outcome = await sender.send(message, context);
    // Assess
    expect(outcome).toMatchObject(expected);
  });

  it("keeps SES's error name and message, the address masked", async () => {
    // Prepare
    const sender = createSesSender({ client: clientAnswering('message-rejected-unverified') });
    // Act
    const outcome = await sender.send(message, context);
    // Assess
    expect(outcome).toEqual({
      kind: 'refused',
      reason: 'provider_error',
      retryable: false,
      error: {
        code: 'MessageRejected',
        title: 'HTTP 400',
        message:
          'Email address is not verified. The following identities failed the check in region EU-WEST-1: [email]',
      },
    });
  });
});

describe('SES over the network', () => {
  let server: Server;
  let endpoint = '';
  beforeAll(async () => {
    server = createServer(() => {
      // Takes the request and never answers.
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is ambiguous when the endpoint takes the request and never answers', async () => {
    // Prepare
    const client = new SESv2Client({
      region: 'eu-west-1',
      endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    // Act
    const outcome = await createSesSender({ client, timeoutMs: 200 }).send(message, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous' });
  });

  it('is retry-safe (unreachable, not throttled) when the connection is refused', async () => {
    // Prepare: a port nothing listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const client = new SESv2Client({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    // Act
    const outcome = await createSesSender({ client }).send(message, context);
    // Assess
    expect(outcome).toEqual({
      kind: 'unreachable',
      error: { code: 'ECONNREFUSED', title: 'connection failed before the request was sent' },
    });
  });
});
