import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioSender } from '#shared/channels/sms/outbound/sender.ts';
import type { MessageContext } from '#shared/outbound/channel-sender.ts';

const ACCOUNT = 'AC0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SID = 'SM0123456789abcdef0123456789abcdef';

const context: MessageContext = {
  target: {
    channel: 'sms',
    provider: 'twilio',
    endpoint: { type: 'phone_number', id: '+14155550100', accountId: ACCOUNT },
    recipient: { type: 'phone', value: '+447700900123' },
    conversationId: 'conv_0123456789abcdef0123456789abcdef',
  },
  hubMessageId: 'msg_0123456789abcdef0123456789abcdef',
  sequence: 0,
  correlationId: 'msg_0123456789abcdef0123456789abcdef.0',
  policy: { withinWindow: true, humanAgentTag: false },
};
const message = { partIndex: 0, part: { type: 'text', text: 'Your table is ready.' } } as const;

const bodyOf = async (request: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

describe('Twilio send against a local server', () => {
  let server: Server;
  let base = '';
  const received: Array<{ path: string | undefined; form: URLSearchParams }> = [];
  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const form = new URLSearchParams(await bodyOf(request));
      received.push({ path: request.url, form });
      if (request.url?.startsWith('/hang/')) return; // never answers
      if (request.url?.startsWith('/busy/')) {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
        response.end(JSON.stringify({ code: 20429, message: 'Too Many Requests', status: 429 }));
        return;
      }
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ sid: SID, status: 'queued', body: form.get('Body') }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const senderAt = (apiBaseUrl: string, timeoutMs = 2000) =>
    createTwilioSender({ channel: 'sms', apiBaseUrl, accountSid: ACCOUNT, authToken: 'token', timeoutMs });

  it('is accepted with the message SID Twilio answers 201 with', async () => {
    // Act
    const outcome = await senderAt(base).send(message, context);
    // Assess
    expect(outcome).toEqual({ kind: 'accepted', providerMessageId: SID });
    expect(received.at(-1)?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    expect(received.at(-1)?.form.get('Body')).toBe('Your table is ready.');
  });

  it('is throttled, with the wait Twilio asks for, on a 429', async () => {
    // Act
    const outcome = await senderAt(`${base}/busy`).send(message, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'throttled', retryAfterMs: 3000, error: { code: '20429' } });
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
