import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent } from '#shared/contract/index.ts';
import { toSqsRecord } from '#shared/local/event-source.ts';
import type { ChannelSender } from '#shared/outbound/channel-sender.ts';
import { conversationFor, messageEvent, minute } from '../recorder/factories.ts';
import {
  HARNESS_LIMITS,
  type OutboundHarness,
  outcomesOf,
  sendCommand,
  signalCommand,
  startOutboundHarness,
} from './harness.ts';

/*
 * A read receipt marks a customer's message read at the provider: the helpdesk names the message, so
 * one the hub recorded in another conversation is refused before any call, as a reply's `replyTo`
 * of another conversation is. Read receipts and typing indicators are best effort: they never hold
 * a batch's outcome events, nor run its invocation out.
 */

describe('mark_read commands', () => {
  let hub: OutboundHarness;

  beforeAll(async () => {
    hub = await startOutboundHarness();
  });
  afterAll(async () => {
    await hub.stop();
  });

  it('marks its own conversation’s message or one the hub never recorded, never another conversation’s', async () => {
    // Prepare: two customers of the same number, each with a message
    await hub.pipeline.ingest([
      messageEvent('491555000201', 'wamid.read-own', minute(110)),
      messageEvent('491555000202', 'wamid.read-other', minute(111)),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const { conversationId } = conversationFor('491555000201');
    // Act
    await hub.enqueue(signalCommand(conversationId, 'wamid.read-other'));
    await hub.enqueue(signalCommand(conversationId, 'wamid.read-own'));
    await hub.enqueue(signalCommand(conversationId, 'wamid.read-unrecorded'));
    await hub.runOutbox();
    // Assess
    expect(hub.provider.signals).toEqual([
      { type: 'mark_read', conversationId, providerMessageId: 'wamid.read-own' },
      { type: 'mark_read', conversationId, providerMessageId: 'wamid.read-unrecorded' },
    ]);
    expect(await hub.outboxDlq()).toEqual([]);
  });

  it('publishes a send’s outcome without waiting for slow typing indicators, and skips those the invocation has no time left for', async () => {
    // Prepare: a reply in one conversation, five typing indicators in another, in one batch of a
    // 30-second invocation; the provider answers each indicator after 8 s (the invocation's clock),
    // and, should the reply's outcome wait for the indicators, gives up holding the first after 1 s
    await hub.pipeline.ingest([
      messageEvent('491555000203', 'wamid.typing-reply', minute(112)),
      messageEvent('491555000204', 'wamid.typing-slow', minute(113)),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const reply = sendCommand(conversationFor('491555000203').conversationId, 'reply-beside-typing');
    const typings = Array.from({ length: 5 }, () =>
      signalCommand(conversationFor('491555000204').conversationId),
    );
    const records = [reply, ...typings].map((command, index) =>
      toSqsRecord(
        {
          MessageId: `typing-batch-${index}`,
          ReceiptHandle: 'r',
          Body: JSON.stringify(command),
          Attributes: { MessageGroupId: command.data.conversationId, ApproximateReceiveCount: '1' },
        },
        'arn:aws:sqs:local:000000000000:switchboard-outbox.fifo',
        'local',
      ),
    );
    let elapsedMs = 0;
    let published: () => void = () => {};
    const outcomeOut = new Promise<void>((resolve) => {
      published = resolve;
    });
    let heldUp: Promise<void> | undefined;
    let outcomeWaitedForTyping = false;
    const answered: string[] = [];
    const sender = hub.provider.sender as { typing?: ChannelSender['typing'] };
    const typing = sender.typing;
    sender.typing = async (target) => {
      heldUp ??= new Promise<void>((resolve) => setTimeout(resolve, 1_000)).then(() => {
        outcomeWaitedForTyping = true;
      });
      await Promise.race([outcomeOut, heldUp]);
      elapsedMs += 8_000;
      answered.push(target.conversationId);
      return { kind: 'accepted', providerMessageId: '' };
    };
    const service = hub.sender(
      (step) => {
        if (step === 'record-sent') published();
      },
      { limits: { ...HARNESS_LIMITS, minRemainingMs: 12_000 } },
    );
    // Act
    let response: Awaited<ReturnType<typeof service.handleSqsEvent>>;
    try {
      response = await service.handleSqsEvent({ Records: records }, () => 30_000 - elapsedMs);
    } finally {
      sender.typing = typing;
    }
    // Assess: the reply's outcome went out while the first indicator was unanswered; three
    // indicators went (30 s, 22 s and 14 s left), the two with 6 s left were skipped; the batch
    // stayed within its 30 s and nothing of it comes back
    expect(outcomeWaitedForTyping).toBe(false);
    expect(response.batchItemFailures).toEqual([]);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
    expect(answered).toHaveLength(3);
    expect(elapsedMs).toBeLessThanOrEqual(30_000);
  });

  /** A received call of `customer` at `at`, recorded as their message (a `call` part, its id the call's). */
  const callEvent = (customer: string, callId: string, at: string) => {
    const called = messageEvent(customer, callId, at);
    if (called.type !== 'switchboard.message.received') throw new Error('not a received message');
    return {
      ...called,
      data: {
        ...called.data,
        parts: [{ type: 'call' as const, callId, direction: 'user_initiated' as const }],
      },
    };
  };

  /** `at` and `seconds` more, as an ISO time. */
  const later = (at: string, seconds: number) => new Date(Date.parse(at) + seconds * 1_000).toISOString();

  /**
   * One typing command for each conversation, each by a sender of its own: the message id the
   * provider was asked to answer and the DynamoDB calls of each, by a sender whose typing answers the
   * customer's newest message (as WhatsApp's does).
   */
  const typingIn = async (conversationIds: readonly string[]) => {
    const sender = hub.provider.sender as { typingAnswersInbound?: boolean };
    sender.typingAnswersInbound = true;
    hub.provider.signals.length = 0;
    const calls: string[][] = [];
    try {
      for (const conversationId of conversationIds) {
        const operations: string[] = [];
        calls.push(operations);
        await hub.enqueue(signalCommand(conversationId));
        await hub.runOutbox(hub.sender(undefined, { onCapacity: (operation) => operations.push(operation) }));
      }
    } finally {
      delete sender.typingAnswersInbound;
    }
    return { signals: [...hub.provider.signals], calls };
  };

  it("answers a customer's call with typing on their newest written message before it, one Query more than after a written one", async () => {
    // Prepare: one customer wrote, was answered, then called (the call is their newest message);
    // another wrote and called within the same second (the call's hub id sorts after the text's, so
    // the call is listed first); a third only wrote
    await hub.pipeline.ingest([
      messageEvent('491555000205', 'wamid.typing-before-call', minute(114)),
      messageEvent('491555000205', 'wamid.typing-answer-before-call', later(minute(114), 30), 'outbound'),
      callEvent('491555000205', 'wacid.typing-call', minute(115)),
      messageEvent('491555000206', 'wamid.typing-no-call', minute(115)),
      messageEvent('491555000209', 'wamid.typing-same-second', minute(115)),
      callEvent('491555000209', 'wacid.typing-same-second', minute(115)),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const afterCall = conversationFor('491555000205').conversationId;
    const afterText = conversationFor('491555000206').conversationId;
    const sameSecond = conversationFor('491555000209').conversationId;
    // Act
    const { signals, calls } = await typingIn([afterText, afterCall, sameSecond]);
    // Assess: the written message is named, never the call or the answer; after a written message
    // the sender reads as much as before (one Query of gsi2), after a call one Query more, and none
    // more when the written message is of the call's second (the first Query read it)
    expect(signals).toEqual([
      { type: 'typing', conversationId: afterText, providerMessageId: 'wamid.typing-no-call' },
      { type: 'typing', conversationId: afterCall, providerMessageId: 'wamid.typing-before-call' },
      { type: 'typing', conversationId: sameSecond, providerMessageId: 'wamid.typing-same-second' },
    ]);
    const [textCalls = [], callCalls = [], sameSecondCalls = []] = calls;
    expect(textCalls.filter((operation) => operation === 'Query')).toHaveLength(1);
    expect(callCalls).toEqual([...textCalls, 'Query']);
    expect(sameSecondCalls).toEqual(textCalls);
  });

  it("answers typing on the customer's newest message received late in its WhatsApp second, and after a call of that second on the message before it, one Query each", async () => {
    // Prepare: Meta stamps whole seconds, the hub lists a message no later than it received it: one
    // customer wrote at 10:18:00, received at .600; another wrote and called at 10:18:00, received
    // at .200 and .700
    const second = minute(118);
    const receivedAt = (event: HubEvent, ms: number) =>
      ({ ...event, data: { ...event.data, receivedAt: later(second, ms / 1_000) } }) as HubEvent;
    await hub.pipeline.ingest([
      receivedAt(messageEvent('491555000210', 'wamid.typing-late-in-second', second), 600),
      receivedAt(messageEvent('491555000211', 'wamid.typing-text-of-call-second', second), 200),
      receivedAt(callEvent('491555000211', 'wacid.typing-call-late-in-second', second), 700),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const late = conversationFor('491555000210').conversationId;
    const afterCall = conversationFor('491555000211').conversationId;
    // Act
    const { signals, calls } = await typingIn([late, afterCall]);
    // Assess
    expect(signals).toEqual([
      { type: 'typing', conversationId: late, providerMessageId: 'wamid.typing-late-in-second' },
      { type: 'typing', conversationId: afterCall, providerMessageId: 'wamid.typing-text-of-call-second' },
    ]);
    expect(calls.map((operations) => operations.filter((operation) => operation === 'Query'))).toEqual([
      ['Query'],
      ['Query'],
    ]);
  });

  it("shows no typing after a customer's call when none of the conversation's ten messages before it is theirs", async () => {
    // Prepare: a customer wrote, was answered ten times, then called; another only ever called
    const answers = Array.from({ length: 10 }, (_, index) =>
      messageEvent(
        '491555000207',
        `wamid.typing-far-answer-${index}`,
        later(minute(116), index + 1),
        'outbound',
      ),
    );
    await hub.pipeline.ingest([
      messageEvent('491555000207', 'wamid.typing-far-before-call', minute(116)),
      ...answers,
      callEvent('491555000207', 'wacid.typing-far-call', minute(117)),
      callEvent('491555000208', 'wacid.typing-only-call-1', minute(116)),
      callEvent('491555000208', 'wacid.typing-only-call-2', minute(117)),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    const farBack = conversationFor('491555000207').conversationId;
    const onlyCalls = conversationFor('491555000208').conversationId;
    // Act
    const { signals } = await typingIn([farBack, onlyCalls]);
    // Assess: the sender is asked for no message (WhatsApp's then refuses locally, without a request)
    expect(signals).toEqual([
      { type: 'typing', conversationId: farBack, providerMessageId: undefined },
      { type: 'typing', conversationId: onlyCalls, providerMessageId: undefined },
    ]);
  });
});
