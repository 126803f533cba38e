import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMailgunSender } from '#shared/channels/email/outbound/mailgun-sender.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';

const FIXTURES = new URL('./fixtures/mailgun-errors/', import.meta.url);
const FixtureSchema = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
});
const HUB_ID = 'msg_0123456789abcdef0123456789abcdef.0@mail.switchboard.example';

const context: MessageContext = {
  target: {
    channel: 'email',
    provider: 'mailgun',
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
    replyTo: 'reply+conv_0123456789abcdef0123456789abcdef.0011223344556677@in.switchboard.example',
    subject: 'Re: Order 42',
    inReplyTo: 'CAF=2ab@mail.customer.example',
    references: ['CAF=2ab@mail.customer.example'],
    messageId: HUB_ID,
  },
};
const message = { partIndex: 0, part: { type: 'text', text: 'Your order ships today.' } } as const;

interface Received {
  readonly path: string | undefined;
  readonly authorization: string | undefined;
  readonly form: FormData;
}

const formOf = async (request: IncomingMessage): Promise<FormData> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new Request('http://local/', {
    method: 'POST',
    headers: { 'content-type': request.headers['content-type'] ?? '' },
    body: Buffer.concat(chunks),
  }).formData();
};

describe('Mailgun sender against a local server', () => {
  let server: Server;
  let base = '';
  const received: Received[] = [];
  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const path = request.url ?? '';
      received.push({ path, authorization: request.headers.authorization, form: await formOf(request) });
      if (path.startsWith('/hang/')) return; // never answers
      const fixtureName = /^\/fixture\/([\w-]+)\//.exec(path)?.[1];
      if (fixtureName) {
        const fixture = FixtureSchema.parse(
          JSON.parse(readFileSync(new URL(`${fixtureName}.json`, FIXTURES), 'utf8')),
        );
        response.writeHead(fixture.status, fixture.headers);
        response.end(typeof fixture.body === 'string' ? fixture.body : JSON.stringify(fixture.body));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: '<20261122120000.1.ABCDEF0123@mg.switchboard.example>',
          message: 'Queued. Thank you.',
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const senderAt = (apiBaseUrl: string, timeoutMs = 2000) =>
    createMailgunSender({
      apiBaseUrl,
      domain: 'mg.switchboard.example',
      apiKey: 'key-0123',
      timeoutMs,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
    });

  it('posts to, the MIME file and the variables; accepted with the id, brackets stripped', async () => {
    // Act
    const outcome = await senderAt(base).send(message, context);
    // Assess
    expect(outcome).toEqual({
      kind: 'accepted',
      providerMessageId: '20261122120000.1.ABCDEF0123@mg.switchboard.example',
    });
    const request = received.at(-1);
    expect(request?.path).toBe('/v3/mg.switchboard.example/messages.mime');
    expect(request?.authorization).toBe(`Basic ${Buffer.from('api:key-0123').toString('base64')}`);
    expect(request?.form.get('to')).toBe('maria.keller@customer.example');
    expect(request?.form.get('v:switchboard_correlation')).toBe('msg_0123456789abcdef0123456789abcdef.0');
    expect(request?.form.get('v:switchboard_conversation')).toBe('conv_0123456789abcdef0123456789abcdef');
    const file = request?.form.get('message');
    if (!(file instanceof Blob)) throw new Error('message is not a file part');
    const email = await PostalMime.parse(await file.arrayBuffer());
    expect(email.messageId).toBe(`<${HUB_ID}>`);
    expect(email.inReplyTo).toBe('<CAF=2ab@mail.customer.example>');
    expect(email.references).toBe(`<CAF=2ab@mail.customer.example> <${HUB_ID}>`);
    expect(email.to).toEqual([{ address: 'maria.keller@customer.example', name: '' }]);
  });

  it.each([
    ['400-invalid-to', { kind: 'refused', reason: 'recipient_invalid', retryable: false }],
    ['400-missing-message', { kind: 'refused', reason: 'content_invalid', retryable: false }],
    ['401-forbidden', { kind: 'credentials', error: { code: '401' } }],
    ['403-sandbox-recipient', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['404-domain-not-found', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['413-too-large', { kind: 'refused', reason: 'content_invalid', retryable: false }],
    ['429-rate-limited', { kind: 'throttled', retryAfterMs: 5000 }],
    ['500-internal', { kind: 'ambiguous' }],
  ])('classifies %s', async (name, expected) => {
    // Act
    const outcome = await senderAt(`${base}/fixture/${name}`).send(message, context);
    // Assess
    expect(outcome).toMatchObject(expected);
  });

  it('is ambiguous when the server takes the request and never answers', async () => {
    // Act
    const outcome = await senderAt(`${base}/hang`, 200).send(message, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { title: 'no answer in time' } });
  });

  it('is retry-safe (unreachable, not throttled) when the connection is refused', async () => {
    // Prepare: a port nothing listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    // Act
    const outcome = await senderAt(`http://127.0.0.1:${port}`).send(message, context);
    // Assess
    expect(outcome).toEqual({
      kind: 'unreachable',
      error: { code: 'ECONNREFUSED', title: 'connection failed before the request was sent' },
    });
  });
});
