import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWhatsAppSender } from '#shared/channels/whatsapp/outbound/sender.ts';
import type { OutboundPart } from '#shared/contract/commands.ts';
import {
  correlationIdFor,
  type MessageContext,
  type PreparedMessage,
} from '#shared/outbound/channel-sender.ts';
import { closedPort, type GraphStandIn, startGraphStandIn } from '#tests/support/graph-server.ts';
import { noSuchObjectError } from '#tests/support/meta-errors.ts';

const PHONE_NUMBER_ID = '109384756201938';
const HUB_ID = `msg_${'b'.repeat(32)}`;
const TEXT: PreparedMessage = { partIndex: 0, part: { type: 'text', text: 'Your order has shipped' } };

const context: MessageContext = {
  target: {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint: { type: 'whatsapp_phone_number', id: PHONE_NUMBER_ID },
    recipient: { type: 'wa_id', value: '4915112345678' },
    conversationId: 'conv_1',
  },
  hubMessageId: HUB_ID,
  sequence: 2,
  correlationId: correlationIdFor(HUB_ID, 2),
  replyTo: 'wamid.IN',
  policy: { withinWindow: true, humanAgentTag: false },
};

describe('WhatsApp send against a local Graph stand-in', () => {
  let graph: GraphStandIn;
  /**
   * `null`: no token for the endpoint. The stand-in answers at once, but it shares this thread:
   * paused longer than a short deadline on a loaded machine, the thread fires the timer before it
   * reads the answer. Only the server that never answers gets a short one.
   */
  const senderFor = (graphBaseUrl: string, token: string | null = 'EAAG-token', timeoutMs = 30_000) =>
    createWhatsAppSender({
      graphBaseUrl,
      apiVersion: 'v23.0',
      accessTokenFor: () => token ?? undefined,
      timeoutMs,
    });

  beforeAll(async () => {
    graph = await startGraphStandIn({
      ok: {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: '4915112345678', wa_id: '4915112345678' }],
          messages: [{ id: 'wamid.HBgMNDkxNTExMjM0NTY3OBUCABEYEjQ', message_status: 'accepted' }],
        },
      },
      window: {
        status: 400,
        body: {
          error: {
            message: '(#131047) Re-engagement message',
            type: 'OAuthException',
            code: 131047,
            error_data: { messaging_product: 'whatsapp', details: 'More than 24 hours have passed.' },
            fbtrace_id: 'AbCdEf',
          },
        },
      },
      noid: { status: 200, body: { messaging_product: 'whatsapp', contacts: [] } },
      // The token was never given this phone number's business account (a system user not assigned it).
      unreachable: { status: 400, body: { error: noSuchObjectError(PHONE_NUMBER_ID) } },
    });
  });
  afterAll(() => graph.close());

  it('posts the message and takes the wamid as accepted', async () => {
    // Prepare
    const before = graph.received.length;
    // Act
    const outcome = await senderFor(graph.baseFor('ok')).send(TEXT, context);
    // Assess
    expect(outcome).toEqual({ kind: 'accepted', providerMessageId: 'wamid.HBgMNDkxNTExMjM0NTY3OBUCABEYEjQ' });
    const request = graph.received[before];
    expect(request).toMatchObject({
      method: 'POST',
      path: `/ok/v23.0/${PHONE_NUMBER_ID}/messages`,
      headers: { authorization: 'Bearer EAAG-token', 'content-type': 'application/json' },
    });
    expect(request?.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '4915112345678',
      type: 'text',
      text: { body: 'Your order has shipped' },
      context: { message_id: 'wamid.IN' },
      biz_opaque_callback_data: `${HUB_ID}.2`,
    });
  });

  it('turns a Graph error into a refusal that keeps the code and details', async () => {
    // Act
    const outcome = await senderFor(graph.baseFor('window')).send(TEXT, context);
    // Assess
    expect(outcome).toEqual({
      kind: 'refused',
      reason: 'window_closed',
      retryable: false,
      error: {
        code: '131047',
        title: '(#131047) Re-engagement message',
        message: 'type=OAuthException fbtrace_id=AbCdEf',
        details: 'More than 24 hours have passed.',
      },
    });
  });

  it("takes Graph's 100/33 on the phone number id as the number's credentials, for sends and reads", async () => {
    // Act
    const sent = await senderFor(graph.baseFor('unreachable')).send(TEXT, context);
    const read = await senderFor(graph.baseFor('unreachable')).markRead?.(context.target, 'wamid.IN');
    // Assess: the number is paused and alarmed, the message not blamed
    expect(sent).toMatchObject({ kind: 'credentials', error: { code: '100' } });
    expect(read).toMatchObject({ kind: 'credentials', error: { code: '100' } });
  });

  it('calls a success without a message id ambiguous', async () => {
    // Act
    const outcome = await senderFor(graph.baseFor('noid')).send(TEXT, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'no_message_id' } });
  });

  it('calls a server that never answers ambiguous: the message may have gone', async () => {
    // Act
    const outcome = await senderFor(graph.baseFor('hang'), 'EAAG-token', 300).send(TEXT, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { title: 'no answer in time' } });
  });

  it('calls a refused connection unreachable: nothing left, a later try is safe', async () => {
    // Prepare
    const port = await closedPort();
    // Act
    const outcome = await senderFor(`http://127.0.0.1:${port}`).send(TEXT, context);
    // Assess
    expect(outcome).toEqual({
      kind: 'unreachable',
      error: { code: 'ECONNREFUSED', title: 'connection failed before the request was sent' },
    });
  });

  it('makes no call without a token, nor for media not yet resolved to a URL', async () => {
    // Prepare
    const before = graph.received.length;
    const bucketMedia: OutboundPart = { type: 'media', kind: 'image', source: { s3Key: 'out/a.jpg' } };
    // Act
    const noToken = await senderFor(graph.baseFor('ok'), null).send(TEXT, context);
    const unresolved = await senderFor(graph.baseFor('ok')).send(
      { partIndex: 0, part: bucketMedia },
      context,
    );
    // Assess
    expect(noToken).toMatchObject({ kind: 'credentials', error: { code: 'no_token' } });
    expect(unresolved).toMatchObject({ kind: 'refused', reason: 'content_invalid', retryable: false });
    expect(graph.received.length).toBe(before);
  });
});
