import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessengerSender } from '#shared/channels/messenger/outbound/sender.ts';
import {
  correlationIdFor,
  type MessageContext,
  type PreparedMessage,
} from '#shared/outbound/channel-sender.ts';
import { closedPort, type GraphStandIn, startGraphStandIn } from '#tests/support/graph-server.ts';
import { noSuchObjectError } from '#tests/support/meta-errors.ts';

const PAGE_ID = '104728593216847';
const PSID = '8102736459921034';
const HUB_ID = `msg_${'d'.repeat(32)}`;
const TEXT: PreparedMessage = { partIndex: 0, part: { type: 'text', text: 'We have refunded your order' } };

const context: MessageContext = {
  target: {
    channel: 'messenger',
    provider: 'meta',
    endpoint: { type: 'facebook_page', id: PAGE_ID },
    recipient: { type: 'psid', value: PSID },
    conversationId: 'conv_1',
  },
  hubMessageId: HUB_ID,
  sequence: 0,
  correlationId: correlationIdFor(HUB_ID, 0),
  policy: { withinWindow: true, humanAgentTag: false },
};

describe('Messenger send against a local Graph stand-in', () => {
  let graph: GraphStandIn;
  /**
   * The stand-in answers at once, but it shares this thread: paused longer than a short deadline on a
   * loaded machine, the thread fires the timer before it reads the answer. Only the server that never
   * answers gets a short one.
   */
  const senderFor = (graphBaseUrl: string, timeoutMs = 30_000) =>
    createMessengerSender({
      graphBaseUrl,
      apiVersion: 'v23.0',
      accessTokenFor: () => 'EAAB-page',
      timeoutMs,
    });

  beforeAll(async () => {
    graph = await startGraphStandIn({
      ok: { status: 200, body: { recipient_id: PSID, message_id: 'm_Gox29NYLybPH9zWYnpORHUNDw' } },
      away: {
        status: 400,
        body: {
          error: {
            message: "This person isn't available right now.",
            type: 'OAuthException',
            code: 551,
            error_subcode: 1545041,
            fbtrace_id: 'Qw',
          },
        },
      },
      noid: { status: 200, body: { recipient_id: PSID } },
      // The token cannot reach the page: the system user's, never assigned it.
      unreachable: { status: 400, body: { error: noSuchObjectError(PAGE_ID) } },
    });
  });
  afterAll(() => graph.close());

  it('posts the message and takes the mid as accepted', async () => {
    // Prepare
    const before = graph.received.length;
    // Act
    const outcome = await senderFor(graph.baseFor('ok')).send(TEXT, context);
    // Assess
    expect(outcome).toEqual({ kind: 'accepted', providerMessageId: 'm_Gox29NYLybPH9zWYnpORHUNDw' });
    expect(graph.received[before]).toEqual({
      method: 'POST',
      path: `/ok/v23.0/${PAGE_ID}/messages`,
      headers: expect.objectContaining({
        authorization: 'Bearer EAAB-page',
        'content-type': 'application/json',
      }),
      body: {
        recipient: { id: PSID },
        messaging_type: 'RESPONSE',
        message: { text: 'We have refunded your order', metadata: `${HUB_ID}.0` },
      },
    });
  });

  it('refuses for a person who is not available (551)', async () => {
    // Act
    const outcome = await senderFor(graph.baseFor('away')).send(TEXT, context);
    // Assess
    expect(outcome).toMatchObject({
      kind: 'refused',
      reason: 'recipient_unreachable',
      retryable: false,
      error: { code: '551', message: 'type=OAuthException error_subcode=1545041 fbtrace_id=Qw' },
    });
  });

  it("takes Graph's 100/33 on the page id as the page's credentials, for messages and sender actions", async () => {
    // Act
    const sent = await senderFor(graph.baseFor('unreachable')).send(TEXT, context);
    const typing = await senderFor(graph.baseFor('unreachable')).typing?.(context.target, 'm_IN');
    // Assess: the page is paused and alarmed, the message not blamed
    expect(sent).toMatchObject({ kind: 'credentials', error: { code: '100' } });
    expect(typing).toMatchObject({ kind: 'credentials', error: { code: '100' } });
  });

  it('calls a message success without a mid ambiguous', async () => {
    // Act
    const outcome = await senderFor(graph.baseFor('noid')).send(TEXT, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { code: 'no_message_id' } });
  });

  it('calls a server that never answers ambiguous', async () => {
    // Act
    const outcome = await senderFor(graph.baseFor('hang'), 300).send(TEXT, context);
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous', error: { title: 'no answer in time' } });
  });

  it('calls a refused connection unreachable, not throttled', async () => {
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
});
