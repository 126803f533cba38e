import { describe, expect, it } from 'vitest';
import { createMessengerSender } from '#shared/channels/messenger/outbound/sender.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import type { ChannelSender } from '#shared/outbound/channel-sender.ts';
import {
  HARNESS_LIMITS,
  openCustomerConversation,
  outcomesOf,
  receivedCommand,
  sendCommand,
  T0,
  useOutboundHarness,
} from './harness.ts';

/**
 * A message no status or echo can ever name once it went (a Messenger or Instagram reaction: a
 * sender action, sent without `metadata` and never echoed). If its call goes unanswered, waiting the
 * 10-minute outcome wait could learn nothing: a delivery ends it `outcome_unknown` once the delivery
 * that noted the call cannot still be making it (the function's timeout and a margin, as a give-up
 * takes over an attempt), and its conversation's later commands go on (until 2026-12-08 they waited
 * behind it 10 minutes). A delivery running beside the caller (a redelivery while the first still
 * waits for Meta) does not end it under that caller.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

const timedOut = { kind: 'ambiguous' as const, error: { code: 'TimeoutError', title: 'no answer in time' } };

const messenger = createMessengerSender({
  graphBaseUrl: 'https://graph.example',
  apiVersion: 'v23.0',
  accessTokenFor: () => 'token',
});

describe('an unanswered message no status or echo can name', () => {
  const hub = useOutboundHarness();
  let customer = 0;
  const outcomes = async (): Promise<HubEvent[]> => outcomesOf(await hub.pipeline.takeHelpdesk());

  /** A new Messenger customer's conversation, their message `wamid.in<n>` recorded. */
  const openMessengerConversation = async () => {
    const n = ++customer;
    const opened = await openCustomerConversation(
      hub,
      { prefix: '4915551', tag: 'in' },
      n,
      undefined,
      'messenger',
    );
    return { n, conversationId: opened.conversationId };
  };

  /** The harness's scripted provider, judging what is untraceable by Messenger's sender's own rule. */
  const untraceableReactions = (): ChannelSender => ({
    ...hub.provider.sender,
    untraceable: (message) => messenger.untraceable?.(message) === true,
  });

  it('ends an unanswered reaction outcome_unknown once its caller’s lifetime is over, and the conversation’s next reply goes', async () => {
    // Prepare: a Messenger customer; the reaction's call goes unanswered, the reply after it is accepted
    const { n, conversationId } = await openMessengerConversation();
    const reaction = { type: 'reaction' as const, targetProviderMessageId: `wamid.in${n}`, emoji: '👍' };
    hub.provider.script.push(timedOut);
    await hub.enqueue(sendCommand(conversationId, 'untraceable-reaction', [reaction]));
    await hub.enqueue(sendCommand(conversationId, 'reply-behind-it'));
    const service = hub.sender(undefined, { senderFor: async () => untraceableReactions() });
    // Act: deliveries within the caller's lifetime, then past it (far inside the 10-minute outcome wait)
    await hub.runOutbox(service, 3);
    const endedWithinLifetime = await outcomes();
    hub.now = new Date(T0.getTime() + HARNESS_LIMITS.attemptLifetimeMs + 1_000);
    await hub.runOutbox(service, 3);
    // Assess: one call each; the reaction ended without a second call, the reply went after it
    expect(endedWithinLifetime).toEqual([]);
    expect(hub.now.getTime() - T0.getTime()).toBeLessThan(HARNESS_LIMITS.outcomeWaitMs);
    expect(hub.provider.calls.map((call) => call.message.part.type)).toEqual(['reaction', 'text']);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
    expect((events[0] as Failed).data).toMatchObject({
      idempotencyKey: 'untraceable-reaction',
      reason: 'outcome_unknown',
      retryable: true,
      partIndex: 0,
    });
  });

  it('does not end a reaction under a delivery still making its call: that delivery’s accept ends it sent', async () => {
    // Prepare: the first delivery's call is held at the provider; the same command is redelivered 1 s later
    const { n, conversationId } = await openMessengerConversation();
    const reaction = { type: 'reaction' as const, targetProviderMessageId: `wamid.in${n}`, emoji: '👍' };
    const command = sendCommand(conversationId, 'reaction-in-two-deliveries', [reaction]);
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    let calling: () => void = () => undefined;
    const inCall = new Promise<void>((resolve) => {
      calling = resolve;
    });
    const held: ChannelSender = {
      ...untraceableReactions(),
      send: async (message, context) => {
        calling();
        await answered;
        return hub.provider.sender.send(message, context);
      },
    };
    // Act
    const first = hub
      .sender(undefined, { senderFor: async () => held })
      .handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    await inCall;
    hub.now = new Date(T0.getTime() + 1_000);
    const second = await hub
      .sender(undefined, { senderFor: async () => untraceableReactions() })
      .handleSqsEvent({ Records: [receivedCommand(command, 2)] });
    answer();
    const firstResponse = await first;
    // Assess: the second delivery waited; the first one's accept is the outcome
    expect(second.batchItemFailures).toHaveLength(1);
    expect(firstResponse.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('still waits for a traceable message’s status or echo', async () => {
    // Prepare: the same, with a text whose call goes unanswered
    const { conversationId } = await openMessengerConversation();
    hub.provider.script.push(timedOut);
    await hub.enqueue(sendCommand(conversationId, 'traceable-text'));
    await hub.enqueue(sendCommand(conversationId, 'held-behind-it'));
    const service = hub.sender(undefined, { senderFor: async () => untraceableReactions() });
    // Act
    await hub.runOutbox(service, 4);
    // Assess: nothing ended, nothing called again, the next reply held
    expect(hub.provider.calls).toHaveLength(1);
    expect(await outcomes()).toEqual([]);
  });

  it('is what Messenger’s sender says of a reaction, and of nothing else', () => {
    // Prepare
    const prepared = messenger.prepare(
      [
        { type: 'reaction', targetProviderMessageId: 'm_1', emoji: '❤️' },
        { type: 'reaction', targetProviderMessageId: 'm_1', emoji: '' },
        { type: 'text', text: 'Thanks' },
      ],
      { withinWindow: true, humanAgentTag: false },
    );
    // Act
    const untraceable = prepared.ok
      ? prepared.messages.map((message) => messenger.untraceable?.(message))
      : [];
    // Assess
    expect(untraceable).toEqual([true, true, false]);
  });
});
