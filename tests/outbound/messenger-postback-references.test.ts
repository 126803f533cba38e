import { describe, expect, it } from 'vitest';
import { normalizeMessengerPayload } from '#shared/channels/messenger/inbound/normalize.ts';
import { openCustomerConversation, referToMessage, useOutboundHarness } from './harness.ts';

/*
 * A Messenger postback Meta sends without `mid` (Get Started, a persistent-menu tap) is recorded
 * under the hub's own id, `postback.<hash>`, which names no message at Meta. A reply quoting it, a
 * reaction to it or a read receipt for it is refused before any provider call, as a WhatsApp call's
 * id is (before 2026-12-06 the id went to Meta as `reply_to.mid` or a reaction's `message_id`,
 * found by a review).
 */

const PAGE = '104728593216847';
const PSID = '8102736459921034';

/** The id the Messenger webhook gives a Get Started tap that came without `mid`. */
const postbackWithoutMidId = (): string => {
  const body = {
    object: 'page',
    entry: [
      {
        id: PAGE,
        time: 1795166764363,
        messaging: [
          {
            sender: { id: PSID },
            recipient: { id: PAGE },
            timestamp: 1795166764152,
            postback: { title: 'Get Started', payload: 'GET_STARTED' },
          },
        ],
      },
    ],
  };
  const [event] = normalizeMessengerPayload(body as never, body, {
    receivedAt: '2026-11-22T12:00:00.000Z',
    hubAppIds: new Set(),
    bodyDigest: () => 'digest',
  });
  if (event?.type !== 'switchboard.message.received') throw new Error('no postback message');
  return event.data.providerMessageId;
};

describe('a Messenger postback without mid', () => {
  const hub = useOutboundHarness();

  it('is quoted, reacted to or marked read by nothing that reaches the provider', async () => {
    // Prepare: a customer of the page; the id of their Get Started tap
    const { conversationId } = await openCustomerConversation(
      hub,
      { prefix: '81027364', tag: 'pb' },
      1,
      undefined,
      'messenger',
    );
    const postbackId = postbackWithoutMidId();
    expect(postbackId.startsWith('postback.')).toBe(true);
    // Act
    const failed = await referToMessage(hub, conversationId, postbackId, 'pb');
    // Assess: each send ends content_invalid naming its field; nothing reached the provider
    expect(failed.map((event) => [event.type, event.data.reason, event.data.failedField])).toEqual([
      ['switchboard.message.send_failed', 'content_invalid', 'replyTo'],
      ['switchboard.message.send_failed', 'content_invalid', 'parts.0.targetProviderMessageId'],
    ]);
    expect(hub.provider.calls).toHaveLength(0);
    expect(hub.provider.signals).toEqual([]);
  });
});
