import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { normalizeInboundEmail } from '#shared/channels/email/inbound/normalize.ts';
import { replyTagFor } from '#shared/channels/email/reply-address.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import type { HubEvent, Message } from '#shared/contract/index.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { emailThreadFor } from '#shared/outbound/email-thread.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { createReadApi, type ReadApi } from '#shared/store/read-api.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';

/*
 * The hub's reply address is `<local>+<tag>@<domain>`, or `reply+<tag>@<domain>` when the local
 * part would pass 64 octets. Whichever the customer answers, the answer joins the conversation the
 * hub wrote from, under its own endpoint. Before 2026-12-03 an endpoint over 9 characters
 * (`customercare@`) had its answers re-homed under `reply@`, and one with a `+` of its own
 * (`hi+eu@`) had its tag missed, each answer opening a new conversation (found by a review).
 */

const KEY = LOCAL_DEV_SECRETS.email.replyTagKey;

const mail = (input: {
  readonly from: string;
  readonly to: string;
  readonly messageId: string;
  readonly subject: string;
  readonly inReplyTo?: string;
}): Buffer =>
  Buffer.from(
    [
      `From: ${input.from}`,
      `To: ${input.to}`,
      `Subject: ${input.subject}`,
      `Message-ID: <${input.messageId}>`,
      ...(input.inReplyTo ? [`In-Reply-To: <${input.inReplyTo}>`, `References: <${input.inReplyTo}>`] : []),
      '',
      'hello',
    ].join('\r\n'),
  );

const received = async (
  raw: Buffer,
  envelopeRecipient: string | readonly string[],
  replyTagKey = KEY,
): Promise<HubEvent> => {
  const { events } = await normalizeInboundEmail(raw, {
    provider: 'mailgun',
    receivedAt: new Date('2026-11-22T12:00:00.000Z'),
    envelopeRecipients: typeof envelopeRecipient === 'string' ? [envelopeRecipient] : [...envelopeRecipient],
    replyTagKey,
  });
  const [event] = events;
  if (event === undefined) throw new Error('no event');
  return event;
};

describe('a customer answering the reply address of an e-mail the hub sent', () => {
  let emulators: RunningEmulators;
  let recorder: RecorderService;
  let read: ReadApi;
  const published: HubEvent[] = [];
  beforeAll(async () => {
    emulators = await startEmulators();
    const context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date('2026-11-22T12:00:00.000Z'),
    };
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async (events) => void published.push(...events) },
      clock: context.now,
      logger: createLogger({ level: 'error', write: () => {} }),
    });
    read = createReadApi(context);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** The customer writes to the endpoint: their first mail, and the thread of the hub's answer to it (its Reply-To). */
  const answeredThread = async (endpoint: string, customer: string, subject = 'Order 42') => {
    const first = await received(
      mail({ from: customer, to: endpoint, messageId: `first@${customer}`, subject }),
      endpoint,
    );
    await recorder.recordEvent(first);
    const conversation = await read.getConversation(first.subject);
    if (conversation === undefined) throw new Error('no conversation');
    const thread = emailThreadFor({
      conversation: conversation.state,
      answered: first.data as Message,
      subject: undefined,
      replyTagKey: KEY,
    });
    return { first, thread };
  };

  /** The customer writes to the endpoint, the hub answers, the customer answers the hub's Reply-To. */
  const roundTrip = async (endpoint: string, customer: string) => {
    const { first, thread } = await answeredThread(endpoint, customer);
    const answer = await received(
      mail({
        from: customer,
        to: thread.replyTo,
        messageId: `answer@${customer}`,
        subject: thread.subject,
        inReplyTo: `hub-1@${endpoint.split('@')[1]}`,
      }),
      thread.replyTo,
    );
    await recorder.recordEvent(answer);
    const recorded = published.find(
      (event) => event.type === 'switchboard.message.received' && event.id === answer.id,
    );
    return { conversationId: first.subject, replyTo: thread.replyTo, recorded };
  };

  it('lands in the conversation under its endpoint when the reply address is the fallback', async () => {
    // Prepare & Act: `customercare+<tag>` is 67 octets, so the hub answers from `reply+<tag>@`
    const trip = await roundTrip('customercare@acme.example', 'ann@customer.example');
    // Assess
    expect(trip.replyTo).toBe(`reply+${replyTagFor(trip.conversationId, KEY)}@acme.example`);
    expect(trip.recorded?.subject).toBe(trip.conversationId);
    expect(trip.recorded?.data).toMatchObject({ endpoint: { id: 'customercare@acme.example' } });
    // Its source names that endpoint too (until 2026-12-06 the fallback address; found by a review)
    expect(trip.recorded?.source).toBe('switchboard:email:customercare@acme.example');
    const conversation = await read.getConversation(trip.conversationId);
    expect(conversation?.state).toMatchObject({
      endpoint: { id: 'customercare@acme.example' },
      messageCount: 2,
    });
  });

  it('lands in the conversation its reply address names when the answer names another business address first', async () => {
    // Prepare: the hub answered a support@ conversation from its signed reply address
    const {
      first,
      thread: { replyTo, subject },
    } = await answeredThread('support@acme.example', 'cleo@customer.example', 'Order 7');
    // Act: the customer answers To sales@ and Cc the reply address (the envelope lists sales@ first)
    const raw = mail({
      from: 'cleo@customer.example',
      to: 'sales@acme.example',
      messageId: 'c2@customer.example',
      subject,
    });
    const answer = await received(
      Buffer.from(
        raw.toString('utf8').replace('To: sales@acme.example', `To: sales@acme.example\r\nCc: ${replyTo}`),
      ),
      ['sales@acme.example', replyTo],
    );
    await recorder.recordEvent(answer);
    // Assess: until 2026-12-06 its endpoint was sales@, and the recorder re-homed it apart from the thread
    expect(answer.data).toMatchObject({ endpoint: { id: 'support@acme.example' } });
    const recorded = published.find((event) => event.id === answer.id);
    expect(recorded?.subject).toBe(first.subject);
    expect((await read.getConversation(first.subject))?.state.messageCount).toBe(2);
  });

  it('lands in the conversation when the endpoint has a `+` of its own', async () => {
    // Prepare & Act
    const trip = await roundTrip('hi+eu@acme.example', 'bob@customer.example');
    // Assess
    expect(trip.replyTo).toBe(`hi+eu+${replyTagFor(trip.conversationId, KEY)}@acme.example`);
    expect(trip.recorded?.subject).toBe(trip.conversationId);
    expect(trip.recorded?.data).toMatchObject({ endpoint: { id: 'hi+eu@acme.example' } });
    const conversation = await read.getConversation(trip.conversationId);
    expect(conversation?.state).toMatchObject({ endpoint: { id: 'hi+eu@acme.example' }, messageCount: 2 });
  });

  it("never places a tag at another domain's fallback address in the tagged conversation", async () => {
    // Prepare: a conversation at customercare@acme.example, and its signed tag taken to other.example
    const first = await received(
      mail({
        from: 'cid@customer.example',
        to: 'customercare@acme.example',
        messageId: 'first@cid',
        subject: 'hi',
      }),
      'customercare@acme.example',
    );
    await recorder.recordEvent(first);
    const before = await read.getConversation(first.subject);
    const elsewhere = `reply+${replyTagFor(first.subject, KEY)}@other.example`;
    const moved = await received(
      mail({ from: 'cid@customer.example', to: elsewhere, messageId: 'moved@cid', subject: 'hi' }),
      elsewhere,
    );
    // Act
    await recorder.recordEvent(moved);
    // Assess: the conversation is unchanged; the message is kept in one of its own under reply@other.example
    expect((await read.getConversation(first.subject))?.state).toEqual(before?.state);
    const recorded = published.find((event) => event.id === moved.id);
    expect(recorded?.subject).not.toBe(first.subject);
    expect(recorded?.data).toMatchObject({ endpoint: { id: 'reply@other.example' } });
  });

  it('keeps a bare or forged tag on the fallback address out of the conversation', async () => {
    // Prepare
    const first = await received(
      mail({
        from: 'dee@customer.example',
        to: 'customercare@acme.example',
        messageId: 'first@dee',
        subject: 'hi',
      }),
      'customercare@acme.example',
    );
    await recorder.recordEvent(first);
    const before = await read.getConversation(first.subject);
    const forged = `reply+${first.subject}.0123456789abcdef@acme.example`;
    const attempt = await received(
      mail({ from: 'mallory@attacker.example', to: forged, messageId: 'forged@mallory', subject: 'hi' }),
      forged,
    );
    // Act
    await recorder.recordEvent(attempt);
    // Assess
    expect(attempt.subject).not.toBe(first.subject);
    expect((await read.getConversation(first.subject))?.state).toEqual(before?.state);
  });
});
