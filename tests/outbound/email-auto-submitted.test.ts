import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { composeEmail, isComposed } from '#shared/channels/email/outbound/compose.ts';
import { isMessageEvent } from '#shared/domain/conversation.ts';
import { HARNESS_LIMITS, type ProviderCall, sendCommand, T0, useOutboundHarness } from './harness.ts';

/*
 * RFC 3834 §5: a message sent automatically in response to another says so with
 * `Auto-Submitted: auto-replied`, and §2 asks responders (out-of-office, a customer's own helpdesk)
 * never to answer such a message, which is what keeps a bot and an auto-responder from mailing each
 * other without end. A bot's or the system's answer (the command's `sender.kind`) is such a
 * response; an agent's is a person's and carries no such header. Before this header came in, the
 * sender kind never reached the MIME and no answer carried it.
 */

const REPLY_TAG_KEY = 'test-reply-tag-key-of-at-least-32-characters';

/** Ann's mail to support@, as the Mailgun route reads it: the conversation an answer goes to. */
const annWrites = async () => {
  const receivedAt = new Date(T0.getTime() - 10 * 60_000);
  const raw = Buffer.from(
    [
      'From: Ann <ann@customer.example>',
      'To: support@acme.example',
      'Subject: Order 42',
      'Message-ID: <ann-1@customer.example>',
      `Date: ${receivedAt.toUTCString()}`,
      '',
      'still waiting',
    ].join('\r\n'),
  );
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt,
    envelopeRecipients: ['support@acme.example'],
    replyTagKey: REPLY_TAG_KEY,
  });
  const [event] = events;
  if (event === undefined || !isMessageEvent(event)) throw new Error('no message event');
  return event;
};

/** The MIME the e-mail sender builds for one call the core made, parsed back. */
const mimeOf = async (call: ProviderCall | undefined) => {
  if (call === undefined) throw new Error('no provider call');
  const { provider } = call.context.target;
  if (provider !== 'ses' && provider !== 'mailgun') throw new Error(`not an e-mail provider: ${provider}`);
  const composed = await composeEmail(provider, call.message, call.context, () => T0);
  if (!isComposed(composed)) throw new Error(`not composed: ${JSON.stringify(composed)}`);
  return PostalMime.parse(composed.raw);
};

const autoSubmittedOf = (headers: readonly { key: string; value: string }[]): string[] =>
  headers.filter((header) => header.key === 'auto-submitted').map((header) => header.value);

describe('the Auto-Submitted header of an e-mail answer', () => {
  const hub = useOutboundHarness();

  const answer = async (kind: 'agent' | 'bot' | 'system', key: string) => {
    const mail = await annWrites();
    await hub.pipeline.ingest([mail]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    await hub.enqueue(sendCommand(mail.subject, key, undefined, { sender: { kind, id: `${kind}-1` } }));
  };

  it.each([
    ['bot', ['auto-replied']],
    ['system', ['auto-replied']],
    ['agent', []],
  ] as const)('on an answer by a %s sender: %j', async (kind, expected) => {
    // Prepare
    await answer(kind, `answer-${kind}`);
    // Act
    await hub.runOutbox();
    const email = await mimeOf(hub.provider.calls[0]);
    // Assess
    expect(hub.provider.calls).toHaveLength(1);
    expect(autoSubmittedOf(email.headers)).toEqual(expected);
  });

  it("stays on a bot's answer sent again after a throttle, whatever the time", async () => {
    // Prepare: the first call is throttled; the command is delivered again after the backoff
    hub.provider.script.push({ kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } });
    await answer('bot', 'answer-bot-again');
    await hub.runOutbox(hub.sender(), 5);
    // Act
    hub.now = new Date(T0.getTime() + HARNESS_LIMITS.outcomeWaitMs + 60_000);
    await hub.runOutbox(undefined, 5);
    // Assess: both calls build the same header
    expect(hub.provider.calls).toHaveLength(2);
    const [first, again] = await Promise.all(hub.provider.calls.map(mimeOf));
    expect(autoSubmittedOf(first?.headers ?? [])).toEqual(['auto-replied']);
    expect(autoSubmittedOf(again?.headers ?? [])).toEqual(['auto-replied']);
  });
});
