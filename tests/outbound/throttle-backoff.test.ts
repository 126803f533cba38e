import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processFifoBatch } from '#shared/aws/sqs-fifo-batch.ts';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEventOf } from '#shared/contract/types.ts';
import { createSqsPoller } from '#shared/local/event-source.ts';
import type { SendOutcome } from '#shared/outbound/channel-sender.ts';
import { createRateLimiter, type EndpointTurn } from '#shared/outbound/endpoint-rate.ts';
import type { OutboxService } from '#shared/outbound/outbox-service.ts';
import { RetryLaterError } from '#shared/outbound/send-command.ts';
import { OUTBOX_QUEUE, SENDER } from '#shared/resources/definitions.ts';
import { whatsAppAnswer } from '#tests/support/meta-errors.ts';
import {
  HARNESS_LIMITS,
  openCustomerConversation,
  outcomesOf,
  receivedCommand,
  sendCommand,
  T0,
  useOutboundHarness,
} from './harness.ts';

/*
 * A provider that takes nothing (throttled, refused for now, unreachable): the command comes back
 * when its own backoff ends (the provider's stated wait plus a jittered share that grows with each
 * wait), never past its deadline or the give-up time, holding only its own conversation.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;
type Sent = HubEventOf<'switchboard.message.sent'>;

const throttled = (retryAfterMs?: number): SendOutcome => ({
  kind: 'throttled',
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  error: { code: '130429', title: 'Rate limit hit' },
});
/** WhatsApp's 131056 (pair rate). */
const pairRate = (): SendOutcome => whatsAppAnswer(131_056);
const unreachable: SendOutcome = {
  kind: 'unreachable',
  error: { code: 'ENOTFOUND', title: 'connection failed before the request was sent' },
};

/** A record of group `group` as Lambda hands it over. */
const recordOf = (id: string, group: string): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `handle-${id}`,
    body: id,
    attributes: { ApproximateReceiveCount: '1', MessageGroupId: group },
  }) as unknown as SQSRecord;

describe('the FIFO batch framework, for a record that names when it comes back', () => {
  it('makes it and those behind it in its group visible then, reports them failed, and leaves other groups alone', async () => {
    // Prepare: conversation A's first command backs off 4.2 s; A's second and B's command are fine
    const handled: string[] = [];
    const changes: { ids: string[]; seconds: number }[] = [];
    const event = { Records: [recordOf('a1', 'A'), recordOf('b1', 'B'), recordOf('a2', 'A')] };
    // Act
    const response = await processFifoBatch(event, {
      openGroups: () => () => ({
        handle: async (record) => {
          handled.push(record.messageId);
          if (record.messageId === 'a1')
            throw new RetryLaterError('throttled by the provider', undefined, 4_200);
        },
        close: () => undefined,
      }),
      comeBack: {
        afterSeconds: (error) =>
          error instanceof RetryLaterError && error.afterMs !== undefined
            ? Math.ceil(error.afterMs / 1000)
            : undefined,
        setVisibility: async (records, seconds) => {
          changes.push({ ids: records.map((record) => record.messageId), seconds });
        },
      },
    });
    // Assess
    expect(handled.sort()).toEqual(['a1', 'b1']);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['a1', 'a2']);
    expect(changes).toEqual([{ ids: ['a1', 'a2'], seconds: 5 }]);
  });
});

describe('throttled sends back off', () => {
  const hub = useOutboundHarness();
  let customer = 0;

  const openConversation = async () =>
    (await openCustomerConversation(hub, { prefix: '4915551', tag: 'bo' }, ++customer)).conversationId;

  /**
   * One receive of the outbox, leaving a failed record's visibility as the sender set it (as Lambda
   * does); `remainingMs`: the invocation's time left, as Lambda's context tells it (none by default).
   */
  const pollAsLambda = async (service: OutboxService, remainingMs?: () => number) => {
    const { queues, resources } = hub.pipeline.emulators;
    const poller = await createSqsPoller({
      sqs: queues,
      queueUrl: resources.outboxQueueUrl,
      handler: (event) => service.handleSqsEvent(event, remainingMs),
      functionName: 'sender',
      waitTimeSeconds: 0,
    });
    const messages = await poller.receive();
    const report = await poller.deliver(messages);
    const polledAt = Date.now();
    const deadlines = [
      ...hub.pipeline.emulators
        .inFlightDeadlines(
          resources.outboxQueueUrl,
          messages.map((message) => message.ReceiptHandle ?? ''),
        )
        .values(),
    ];
    // In how many milliseconds the (first) record received comes back, as the sender set it.
    const backInMs = deadlines[0] === undefined ? undefined : deadlines[0] - polledAt;
    return { report, deadlines, backInMs };
  };

  it('comes back after the provider’s stated wait plus a jittered share that grows with each wait', async () => {
    // Prepare: throttled with "retry after 3 s", then throttled with no wait named; the jitter at half
    const conversationId = await openConversation();
    const service = hub.sender(undefined, { random: () => 0.5 });
    hub.provider.script.push(throttled(3_000), throttled());
    await hub.enqueue(sendCommand(conversationId, 'backs-off'));
    // Act
    const first = await pollAsLambda(service);
    await hub.pipeline.emulators.releaseInFlight(hub.pipeline.emulators.resources.outboxQueueUrl);
    const second = await pollAsLambda(service);
    const record = await hub.sends.get(outboundHubMessageId(conversationId, 'backs-off'));
    await hub.pipeline.emulators.releaseInFlight(hub.pipeline.emulators.resources.outboxQueueUrl);
    await hub.runOutbox(service);
    // Assess: 3 s + ½ · 2 s, then ½ · 4 s (instead of the queue's 60 s both times), then sent
    expect(first.report.failed).toBe(1);
    expect(first.deadlines).toHaveLength(1);
    expect(first.backInMs).toBeGreaterThan(3_000);
    expect(first.backInMs).toBeLessThanOrEqual(4_000);
    expect(second.deadlines).toHaveLength(1);
    expect(second.backInMs).toBeGreaterThan(1_000);
    expect(second.backInMs).toBeLessThanOrEqual(2_000);
    expect(record).toMatchObject({ waits: 2, waitingSince: T0.toISOString() });
    expect(hub.provider.calls).toHaveLength(3);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
  });

  it('comes back when its endpoint’s turn is free, not after the queue’s 60 s, when that turn is further off than the sender waits', async () => {
    // Prepare: the endpoint's next turn 2.5 s off (a 10/s sender shared by 25 environments), then free
    const conversationId = await openConversation();
    const turns: EndpointTurn[] = [{ freeInMs: 2_500 }, { waitMs: 0 }];
    const service = hub.sender(undefined, { endpointTurn: () => turns.shift() ?? { waitMs: 0 } });
    await hub.enqueue(sendCommand(conversationId, 'turn-far-off'));
    // Act
    const first = await pollAsLambda(service);
    await hub.pipeline.emulators.releaseInFlight(hub.pipeline.emulators.resources.outboxQueueUrl);
    await hub.runOutbox(service);
    // Assess: back in 3 s (whole seconds), nothing noted as a wait, then sent once
    expect(first.report.failed).toBe(1);
    expect(first.deadlines).toHaveLength(1);
    expect(first.backInMs).toBeGreaterThan(2_000);
    expect(first.backInMs).toBeLessThanOrEqual(3_000);
    expect(hub.provider.calls).toHaveLength(1);
    const record = await hub.sends.get(outboundHubMessageId(conversationId, 'turn-far-off'));
    expect(record?.waits ?? 0).toBe(0);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
  });

  it('sends every message of a command in one receive when each turn is one spacing off, longer than the sender’s longest wait', async () => {
    // Prepare: 100/s shared by 25 environments, a turn every 250 ms here, against a longest wait of
    // 200 ms (as a 10/s sender's 2.5 s against the shipped 2 s); a reply of four messages
    const conversationId = await openConversation();
    const limiter = createRateLimiter({ environments: 25, maxWaitMs: 200 });
    const service = hub.sender(undefined, {
      endpointTurn: (_plan, budgetMs) => limiter.reserve('meta#whatsapp_phone_number:paced', 100, budgetMs),
    });
    const texts = ['one', 'two', 'three', 'four'];
    await hub.enqueue(
      sendCommand(
        conversationId,
        'four-turns',
        texts.map((text) => ({ type: 'text' as const, text })),
      ),
    );
    // Act
    const { report } = await pollAsLambda(service);
    // Assess: all four went, in order, in that one receive (each message after the first used to be
    // sent back, one receive each, of the 50 a command has)
    expect(report.failed).toBe(0);
    expect(hub.provider.calls.map((call) => call.message.part)).toEqual(
      texts.map((text) => expect.objectContaining({ text })),
    );
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
  });

  it('comes back in a second, not after the queue’s 60 s, when its turns used up the invocation’s time mid-reply', async () => {
    // Prepare: a 10/s sender shared by 25 environments (a turn every 2.5 s), the shipped 12 s kept
    // for a call, 300 ms a call; the waits run on the invocation's simulated clock. A reply of ten.
    const conversationId = await openConversation();
    let elapsed = 0;
    const limiter = createRateLimiter({ environments: 25, maxWaitMs: 2_000, now: () => elapsed });
    const service = hub.sender(
      async (step) => {
        if (step === 'provider-call') elapsed += 300;
      },
      {
        limits: { ...HARNESS_LIMITS, minRemainingMs: 12_000 },
        endpointTurn: (_plan, budgetMs) => {
          const turn = limiter.reserve('twilio#phone_number:+15550001', 10, budgetMs);
          if ('freeInMs' in turn) return turn;
          elapsed += turn.waitMs;
          return { waitMs: 0 };
        },
      },
    );
    const parts = Array.from({ length: 10 }, (_, n) => ({ type: 'text' as const, text: `part ${n + 1}` }));
    await hub.enqueue(sendCommand(conversationId, 'ten-turns', parts));
    // Act: an invocation with 29.6 s left at the first turn
    const { report, backInMs } = await pollAsLambda(service, () => 29_600 - elapsed);
    // Assess: some went, the rest comes back within a few seconds (the time left ran out right
    // after a call: before, that waited the outbox's 60 s)
    expect(hub.provider.calls.length).toBeGreaterThan(1);
    expect(hub.provider.calls.length).toBeLessThan(10);
    expect(report.failed).toBe(1);
    expect(backInMs).toBeLessThanOrEqual(5_000);
  });

  it('sends each message once, in order, when every invocation runs short of time after one or two of them', async () => {
    // Prepare: the shipped 12 s kept for a call, 6 s a call on the invocation's simulated clock, and
    // invocations that start with 15 s and 20 s left in turn: one message, then two, per receive. A
    // reply of seven messages: two texts split in three (as a long SMS is) around a short one. What
    // earlier tests left on the outbox (the mid-reply test's rest) is sent first: its calls would
    // take this test's invocations' time.
    const { emulators } = hub.pipeline;
    await emulators.releaseInFlight(emulators.resources.outboxQueueUrl);
    await hub.runOutbox();
    hub.provider.calls.length = 0;
    hub.provider.delivered.length = 0;
    await hub.pipeline.takeHelpdesk();
    const conversationId = await openConversation();
    let elapsed = 0;
    const service = hub.sender(
      async (step) => {
        if (step === 'provider-call') elapsed += 6_000;
      },
      { limits: { ...HARNESS_LIMITS, minRemainingMs: 12_000 } },
    );
    const parts = ['one|two|three', 'four', 'five|six|seven'].map((text) => ({
      type: 'text' as const,
      text,
    }));
    await hub.enqueue(sendCommand(conversationId, 'short-of-time', parts));
    // Act: receive after receive, each a new invocation, until the outbox holds nothing more
    const receives: { failed: number; backInMs: number | undefined; callsSoFar: number }[] = [];
    for (let n = 0; n < (OUTBOX_QUEUE.consumerGivesUpAtReceive ?? 0); n++) {
      const startedAt = elapsed;
      const leftAtStart = n % 2 === 0 ? 15_000 : 20_000;
      const { report, backInMs } = await pollAsLambda(service, () => leftAtStart - (elapsed - startedAt));
      if (report.received === 0) break;
      receives.push({ failed: report.failed, backInMs, callsSoFar: hub.provider.calls.length });
      await emulators.releaseInFlight(emulators.resources.outboxQueueUrl);
    }
    // Assess: five receives (1 + 2 + 1 + 2 + 1 messages), each return in a second (not the queue's
    // 60 s); one call per message, in order, and one sent event naming all seven
    expect(receives.map((receive) => receive.callsSoFar)).toEqual([1, 3, 4, 6, 7]);
    expect(receives.map((receive) => receive.failed)).toEqual([1, 1, 1, 1, 0]);
    for (const { backInMs } of receives.slice(0, -1)) {
      expect(backInMs).toBeGreaterThan(0);
      expect(backInMs).toBeLessThanOrEqual(1_000);
    }
    const texts = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'];
    expect(hub.provider.calls.map((call) => call.message.part)).toEqual(
      texts.map((text) => expect.objectContaining({ text })),
    );
    expect(hub.provider.calls.map((call) => call.context.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect((outcomes[0] as Sent).data.providerMessageIds).toEqual(
      hub.provider.delivered.map((message) => message.providerMessageId),
    );
  });

  it('sends the other conversations’ outcome events while one of the batch waits for its endpoint’s turn', async () => {
    // Prepare: two conversations' replies on one sender, a turn a second here: the second waits 1 s
    const first = await openConversation();
    const second = await openConversation();
    const limiter = createRateLimiter({ environments: 10, maxWaitMs: 2_000 });
    const steps: { step: string; at: number }[] = [];
    const service = hub.sender(
      async (step) => {
        steps.push({ step, at: Date.now() });
      },
      { endpointTurn: (_plan, budgetMs) => limiter.reserve('twilio#phone_number:+15550002', 10, budgetMs) },
    );
    await hub.enqueue(sendCommand(first, 'turn-now'));
    await hub.enqueue(sendCommand(second, 'turn-in-a-second'));
    // Act: one receive of both
    const { report } = await pollAsLambda(service, () => 30_000);
    // Assess: the first call's sent event recorded at once, not after the other's wait
    const firstCall = steps.find((entry) => entry.step === 'provider-call')?.at ?? 0;
    const firstRecorded = steps.find((entry) => entry.step === 'record-sent')?.at ?? Number.POSITIVE_INFINITY;
    expect(report.failed).toBe(0);
    expect(hub.provider.calls).toHaveLength(2);
    expect(firstRecorded - firstCall).toBeLessThan(500);
  });

  it('comes back at its deadline when the endpoint’s next turn is later, and ends deadline_exceeded then', async () => {
    // Prepare: the next turn 45 s off, the reply due in 10 s
    const conversationId = await openConversation();
    const service = hub.sender(undefined, { endpointTurn: () => ({ freeInMs: 45_000 }) });
    await hub.enqueue(
      sendCommand(conversationId, 'due-before-its-turn', undefined, {
        deadline: new Date(hub.now.getTime() + 10_000).toISOString(),
      }),
    );
    // Act
    const { backInMs } = await pollAsLambda(service);
    hub.now = new Date(hub.now.getTime() + 10_000);
    await hub.pipeline.emulators.releaseInFlight(hub.pipeline.emulators.resources.outboxQueueUrl);
    await hub.runOutbox(service);
    // Assess: back in 10 s, not 45; then it fails without a call
    expect(backInMs).toBeLessThanOrEqual(10_000);
    expect(backInMs).toBeGreaterThan(9_000);
    expect(hub.provider.calls).toHaveLength(0);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data.reason).toBe('deadline_exceeded');
  });

  it('waits out WhatsApp’s pair rate (131056): at least 6 s, then 24 s, plus the jittered share', async () => {
    // Prepare: the pair rate twice, then through; the jitter near its top
    const conversationId = await openConversation();
    const service = hub.sender(undefined, { random: () => 0.99 });
    hub.provider.script.push(pairRate(), pairRate());
    await hub.enqueue(sendCommand(conversationId, 'pair-rate'));
    // Act
    const first = await pollAsLambda(service);
    await hub.pipeline.emulators.releaseInFlight(hub.pipeline.emulators.resources.outboxQueueUrl);
    const second = await pollAsLambda(service);
    await hub.pipeline.emulators.releaseInFlight(hub.pipeline.emulators.resources.outboxQueueUrl);
    await hub.runOutbox(service);
    // Assess: 6 s + 0.99 · 2 s, then 24 s + 0.99 · 4 s (not 0–2 s and 0–4 s), then sent
    expect(hub.provider.calls).toHaveLength(3);
    expect(first.backInMs).toBeGreaterThan(6_000);
    expect(first.backInMs).toBeLessThanOrEqual(8_000);
    expect(second.backInMs).toBeGreaterThan(24_000);
    expect(second.backInMs).toBeLessThanOrEqual(28_000);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
    ]);
  });

  it.each([131_049, 131_048])(
    'ends WhatsApp’s %i at once, rate_limited and retryable, holding none of the conversation’s later commands',
    async (code) => {
      // Prepare: the per-user marketing limit or the spam rate limit, then the conversation's next reply
      const conversationId = await openConversation();
      hub.provider.script.push(whatsAppAnswer(code));
      await hub.enqueue(sendCommand(conversationId, `limited-${code}`));
      await hub.enqueue(sendCommand(conversationId, `next-${code}`));
      // Act
      await hub.runOutbox();
      // Assess: one call each, no wait in the hub (Meta lifts these after hours); the helpdesk may send later
      expect(hub.provider.calls).toHaveLength(2);
      const events = outcomesOf(await hub.pipeline.takeHelpdesk());
      expect(events.map((event) => event.type)).toEqual([
        'switchboard.message.send_failed',
        'switchboard.message.sent',
      ]);
      expect((events[0] as Failed).data).toMatchObject({
        reason: 'rate_limited',
        retryable: true,
        errors: [{ code: String(code) }],
      });
      const record = await hub.sends.get(outboundHubMessageId(conversationId, `limited-${code}`));
      expect(record?.waits ?? 0).toBe(0);
    },
  );

  it('never backs off past the command’s deadline', async () => {
    // Prepare: a share of up to a minute, the deadline in 5 s
    const conversationId = await openConversation();
    const service = hub.sender(undefined, {
      random: () => 0.5,
      limits: { ...HARNESS_LIMITS, backoff: { baseMs: 60_000, capMs: 300_000 } },
    });
    hub.provider.script.push(throttled());
    await hub.enqueue(
      sendCommand(conversationId, 'near-deadline', undefined, {
        deadline: new Date(T0.getTime() + 5_000).toISOString(),
      }),
    );
    // Act
    const { deadlines, backInMs } = await pollAsLambda(service);
    // Assess: back when the deadline comes (not in 30 s), where it ends without a call
    expect(deadlines).toHaveLength(1);
    expect(backInMs).toBeLessThanOrEqual(5_000);
    hub.now = new Date(T0.getTime() + 5_000);
    await hub.pipeline.emulators.releaseInFlight(hub.pipeline.emulators.resources.outboxQueueUrl);
    await hub.runOutbox(service);
    expect(hub.provider.calls).toHaveLength(1);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data.reason).toBe('deadline_exceeded');
  });

  it('ends deadline_exceeded, not retryable, when the deadline passes during a call the provider answers throttled', async () => {
    // Prepare: a reply due at T0+60s; its call takes until T0+61s and is answered throttled
    const conversationId = await openConversation();
    const service = hub.sender(
      (step) => {
        if (step === 'provider-call') hub.now = new Date(T0.getTime() + 61_000);
      },
      { random: () => 0.5 },
    );
    hub.provider.script.push(throttled());
    await hub.enqueue(
      sendCommand(conversationId, 'late-throttle', undefined, {
        deadline: new Date(T0.getTime() + 60_000).toISOString(),
      }),
    );
    // Act
    await hub.runOutbox(service);
    // Assess: one call, and the failure names the deadline, not a rate the helpdesk could retry
    expect(hub.provider.calls).toHaveLength(1);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'deadline_exceeded',
      retryable: false,
      failedField: 'deadline',
      errors: [{ code: '130429' }],
    });
    const record = await hub.sends.get(outboundHubMessageId(conversationId, 'late-throttle'));
    expect(record?.failure?.detail).toBe('the deadline passed while throttled by the provider');
  });

  it('ends rate_limited at once, with no more calls, when the provider’s stated wait is longer than what is left', async () => {
    // Prepare: Graph's "regain access in 30 minutes"; then a 2-minute wait against a 1-minute deadline
    const conversationId = await openConversation();
    hub.provider.script.push(throttled(30 * 60_000), throttled(2 * 60_000));
    await hub.enqueue(sendCommand(conversationId, 'thirty-minutes'));
    await hub.enqueue(
      sendCommand(conversationId, 'past-deadline', undefined, {
        deadline: new Date(T0.getTime() + 60_000).toISOString(),
      }),
    );
    // Act
    await hub.runOutbox();
    // Assess: one call each, both ended at once
    expect(hub.provider.calls).toHaveLength(2);
    const failed = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed.map((event) => event.data)).toMatchObject([
      { reason: 'rate_limited', retryable: true, errors: [{ code: '130429' }] },
      { reason: 'rate_limited', retryable: true },
    ]);
    // The send record says why (the event carries the provider's error).
    const detailOf = async (key: string) =>
      (await hub.sends.get(outboundHubMessageId(conversationId, key)))?.failure?.detail;
    expect(await detailOf('thirty-minutes')).toContain('longer than is left before the hub gives up');
    expect(await detailOf('past-deadline')).toContain('longer than is left before the deadline');
  });

  it('ends at its give-up receive rate_limited naming the provider’s code when it was throttled at that receive', async () => {
    // Prepare: a command whose 50th receive is throttled (its release written as usual)
    const conversationId = await openConversation();
    const command = sendCommand(conversationId, 'throttled-at-last');
    hub.provider.script.push(throttled());
    const service = hub.sender();
    // Act
    const response = await service.handleSqsEvent({
      Records: [receivedCommand(command, OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN)],
    });
    // Assess: one call, ended there with the provider's answer, as the 10-minute give-up names it
    expect(hub.provider.calls).toHaveLength(1);
    expect(response.batchItemFailures).toEqual([]);
    const failed = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed.map((event) => event.data)).toMatchObject([
      {
        reason: 'rate_limited',
        retryable: true,
        partIndex: 0,
        errors: [{ code: '130429', title: 'Rate limit hit' }],
      },
    ]);
  });

  it('tries a request that never reached the provider a few times, then ends provider_error, not rate_limited', async () => {
    // Prepare: one unreachable then through; then unreachable on every try
    const conversationId = await openConversation();
    hub.provider.script.push(unreachable);
    await hub.enqueue(sendCommand(conversationId, 'blip'));
    await hub.runOutbox();
    const afterBlip = outcomesOf(await hub.pipeline.takeHelpdesk()).map((event) => event.type);
    hub.provider.calls.length = 0;
    hub.provider.script.push(...Array.from({ length: 10 }, () => unreachable));
    await hub.enqueue(sendCommand(conversationId, 'no-route'));
    // Act
    await hub.runOutbox();
    // Assess
    expect(afterBlip).toEqual(['switchboard.message.sent']);
    expect(hub.provider.calls).toHaveLength(SENDER.unreachableTries);
    const [failed] = outcomesOf(await hub.pipeline.takeHelpdesk()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'provider_error',
      retryable: true,
      errors: [{ code: 'ENOTFOUND' }],
    });
    const record = await hub.sends.get(outboundHubMessageId(conversationId, 'no-route'));
    expect(record?.failure?.detail).toContain('could not be reached');
  });
});
