import { describe, expect, it } from 'vitest';
import { outboundHubMessageId } from '#shared/contract/ids.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import { messageEvent, minute, statusEvent } from '../recorder/factories.ts';
import {
  type Keys,
  type OutboundHarness,
  openCustomerConversation,
  outcomesOf,
  receivedCommand,
  sendCommand,
  T0,
  useOutboundHarness,
} from './harness.ts';

/*
 * Two deliveries of one send command at once (one outlived its visibility timeout), in fixed
 * interleavings: a failure one decided on what it read must not land after the other moved the
 * send on (accepted the message, or learned from its status that it went). One outcome event per
 * command, one provider request per provider message.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;
type Sent = HubEventOf<'switchboard.message.sent'>;

describe('two deliveries of one send command at once', () => {
  const hub = useOutboundHarness();
  let customer = 0;

  const openConversation = () =>
    openCustomerConversation(hub, { prefix: '4915551', tag: 'race' }, ++customer);

  const outcomes = async (): Promise<HubEvent[]> => outcomesOf(await hub.pipeline.takeHelpdesk());

  const deliver = (
    service: ReturnType<OutboundHarness['sender']>,
    command: ReturnType<typeof sendCommand>,
    receiveCount: number,
  ) => service.handleSqsEvent({ Records: [receivedCommand(command, receiveCount)] });

  /**
   * Holds the first DynamoDB request that `target` matches until `meanwhile` has run: one delivery
   * stops there while another moves the send. Returns a runner of `act` with the hold armed, which
   * says whether it held.
   */
  const holdingRequest = (
    label: string,
    target: (commandName: string | undefined, input: Record<string, unknown>) => boolean,
    meanwhile: () => Promise<void>,
  ) => {
    const dynamodb = hub.pipeline.emulators.clients.dynamodb;
    const name = `hold-${label}`;
    let held = false;
    dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (held || !target(context.commandName, args.input as Record<string, unknown>)) return next(args);
        held = true;
        await meanwhile();
        return next(args);
      },
      { step: 'initialize', name },
    );
    return async <T>(act: () => Promise<T>): Promise<{ result: T; held: boolean }> => {
      try {
        return { result: await act(), held };
      } finally {
        dynamodb.middlewareStack.remove(name);
      }
    };
  };

  /** The read of an endpoint's pause: every delivery makes it before it decides anything about a message. */
  const pauseRead = (commandName: string | undefined, input: Record<string, unknown>) =>
    commandName === 'GetItemCommand' && (input.Key as Keys)?.pk?.S?.startsWith('PAUSE#') === true;
  /** The send record's failure write (`sends.fail`) of `hubMessageId`. */
  const failWriteOf =
    (hubMessageId: string) => (commandName: string | undefined, input: Record<string, unknown>) =>
      commandName === 'UpdateItemCommand' &&
      (input.Key as Keys)?.pk?.S === `MSG#${hubMessageId}` &&
      (input.Key as Keys)?.sk?.S === 'SEND' &&
      typeof input.UpdateExpression === 'string' &&
      input.UpdateExpression.includes('failure = :failure');

  /** A promise and its resolver. */
  const signal = () => {
    let resolve: () => void = () => {};
    const promise = new Promise<void>((done) => {
      resolve = done;
    });
    return { promise, resolve };
  };

  it('publishes only the sent event when a delivery finds the deadline passed after another sent the message', async () => {
    // Prepare: a one-message reply due at T0+60s, throttled once at T0 (nothing noted, nothing sent)
    const { conversationId } = await openConversation();
    const deadline = new Date(T0.getTime() + 60_000).toISOString();
    const command = sendCommand(conversationId, 'raced-deadline', undefined, { deadline });
    const hubMessageId = outboundHubMessageId(conversationId, 'raced-deadline');
    hub.provider.script.push({ kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } });
    await deliver(hub.sender(), command, 1);
    expect((await hub.sends.get(hubMessageId))?.inFlight).toBeUndefined();
    // Two deliveries at T0+30s: Y reads the send and checks the deadline, then waits (its pause read);
    // meanwhile X sends the message, has it accepted and records it (its sent event is out), and the
    // deadline passes before Y goes on; X's sent mark comes after Y is done.
    hub.now = new Date(T0.getTime() + 30_000);
    const xRecorded = signal();
    const yDone = signal();
    let xDelivery: Promise<unknown> | undefined;
    const x = hub.sender(async (step) => {
      if (step !== 'record-sent') return;
      xRecorded.resolve();
      await yDone.promise;
    });
    const run = holdingRequest('deadline', pauseRead, async () => {
      xDelivery = deliver(x, command, 3);
      await xRecorded.promise;
      hub.now = new Date(T0.getTime() + 90_000);
    });
    // Act
    const { result: y, held } = await run(() => deliver(hub.sender(), command, 2));
    yDone.resolve();
    const xResult = await xDelivery;
    // Assess: X's sent stands; Y published nothing and sends the command back, whose redelivery ends it
    expect(held).toBe(true);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect((events[0] as Sent).data.providerMessageIds).toEqual([
      hub.provider.delivered[0]?.providerMessageId,
    ]);
    expect(xResult).toEqual({ batchItemFailures: [] });
    expect(y.batchItemFailures).toHaveLength(1);
    expect(await deliver(hub.sender(), command, 4)).toEqual({ batchItemFailures: [] });
    expect(await outcomes()).toEqual([]);
    // The throttled call and the one that went: one request per answer, one message delivered
    expect(hub.provider.delivered).toHaveLength(1);
    expect(hub.provider.calls.map((call) => call.context.sequence)).toEqual([0, 0]);
    expect(await hub.sends.get(hubMessageId)).toMatchObject({ state: 'sent', published: true });
  });

  it('reports the part that failed, and the part that went, when a delivery’s deadline failure meets another’s accept', async () => {
    // Prepare: a two-message reply due at T0+60s
    const { conversationId } = await openConversation();
    const deadline = new Date(T0.getTime() + 60_000).toISOString();
    const parts = [
      { type: 'text' as const, text: 'first' },
      { type: 'text' as const, text: 'second' },
    ];
    const command = sendCommand(conversationId, 'raced-parts', parts, { deadline });
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.raced0' });
    // X claims at T0; Y reads the claimed send (nothing sent yet) and waits at its pause read while
    // X sends and accepts message 0; then the deadline passes, and Y goes on before X's message 1.
    const yWaiting = signal();
    const xAccepted = signal();
    let yRun: Promise<{ result: { batchItemFailures: unknown[] }; held: boolean }> | undefined;
    const x = hub.sender(async (step) => {
      if (step === 'claim' && yRun === undefined) {
        const run = holdingRequest('parts', pauseRead, async () => {
          yWaiting.resolve();
          await xAccepted.promise;
        });
        yRun = run(() => deliver(hub.sender(), command, 2));
        await yWaiting.promise;
      }
      if (step === 'accept' && hub.now.getTime() === T0.getTime()) {
        hub.now = new Date(T0.getTime() + 90_000);
        xAccepted.resolve();
        await yRun;
      }
    });
    // Act
    const xResult = await deliver(x, command, 1);
    const { result: yResult, held } = (await yRun) ?? { result: undefined, held: false };
    // Assess: one failure, of message 1, naming message 0's provider id
    expect(held).toBe(true);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect(events[0]?.data).toMatchObject({
      reason: 'deadline_exceeded',
      partIndex: 1,
      sentProviderMessageIds: ['wamid.raced0'],
    });
    expect(xResult).toEqual({ batchItemFailures: [] });
    expect(yResult?.batchItemFailures).toHaveLength(1);
    expect(await deliver(hub.sender(), command, 3)).toEqual({ batchItemFailures: [] });
    expect(await outcomes()).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
  });

  it('publishes only the sent event when an outcome_unknown ending meets a delivery that learned from the status that the message went', async () => {
    // Prepare: X's call goes unanswered at T0 (the provider has the message); no status for 11 minutes
    const { wa, conversationId } = await openConversation();
    const command = sendCommand(conversationId, 'raced-unknown');
    const hubMessageId = outboundHubMessageId(conversationId, 'raced-unknown');
    hub.provider.script.push({ kind: 'accepted-silently' });
    const first = await deliver(hub.sender(), command, 1);
    expect(first.batchItemFailures).toHaveLength(1);
    hub.now = new Date(T0.getTime() + 11 * 60_000);
    // Y finds no status and ends the send outcome_unknown; right before its write, the status comes
    // (linked to the send), and W, finding it, records the sent message (its event is out) and
    // has not yet written its sent mark.
    const wRecorded = signal();
    const yDone = signal();
    let wDelivery: Promise<unknown> | undefined;
    const w = hub.sender(async (step) => {
      if (step !== 'record-sent') return;
      wRecorded.resolve();
      await yDone.promise;
    });
    const run = holdingRequest('unknown', failWriteOf(hubMessageId), async () => {
      const [delivered] = hub.provider.delivered;
      const status = statusEvent(
        wa,
        delivered?.providerMessageId ?? '',
        'sent',
        minute(121),
      ) as HubEventOf<'switchboard.message.status_updated'>;
      await hub.pipeline.ingest([
        {
          ...status,
          subject: conversationId,
          data: { ...status.data, conversationId, correlationId: delivered?.correlationId },
        },
      ]);
      await hub.pipeline.drain();
      wDelivery = deliver(w, command, 3);
      await wRecorded.promise;
    });
    // Act
    const { result: y, held } = await run(() => deliver(hub.sender(), command, 2));
    yDone.resolve();
    const wResult = await wDelivery;
    // Assess: W's sent stands; Y published nothing
    expect(held).toBe(true);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect((events[0] as Sent).data.providerMessageIds).toEqual([
      hub.provider.delivered[0]?.providerMessageId,
    ]);
    expect(wResult).toEqual({ batchItemFailures: [] });
    expect(y.batchItemFailures).toHaveLength(1);
    expect(await deliver(hub.sender(), command, 4)).toEqual({ batchItemFailures: [] });
    expect(await outcomes()).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    expect(await hub.sends.get(hubMessageId)).toMatchObject({ state: 'sent', published: true });
  });

  /** The recorder's link of a status or echo to the send `hubMessageId` is waiting on (`linkIfAwaited`). */
  const linkWriteOf =
    (hubMessageId: string) => (commandName: string | undefined, input: Record<string, unknown>) =>
      commandName === 'UpdateItemCommand' &&
      (input.Key as Keys)?.pk?.S === `MSG#${hubMessageId}` &&
      input.UpdateExpression === 'SET links.#sequence = :id';

  it('records the Messenger echo of an unanswered message as sent when the outcome_unknown ending lands between the recorder’s read and its link', async () => {
    // Prepare: the call of a Messenger reply goes unanswered at T0 (the provider has the message), and
    // no status or echo comes for 11 minutes
    const { wa, conversationId } = await openCustomerConversation(
      hub,
      { prefix: '4915551', tag: 'race' },
      ++customer,
      undefined,
      'messenger',
    );
    const command = sendCommand(conversationId, 'echo-meets-ending');
    const hubMessageId = outboundHubMessageId(conversationId, 'echo-meets-ending');
    hub.provider.script.push({ kind: 'accepted-silently' });
    expect((await deliver(hub.sender(), command, 1)).batchItemFailures).toHaveLength(1);
    const [went] = hub.provider.delivered;
    if (!went) throw new Error('the message was never called');
    hub.now = new Date(T0.getTime() + 11 * 60_000);
    // The echo comes: the recorder reads the send (still sending, the message in flight); right
    // before its link, a delivery ends the send outcome_unknown and publishes that
    const echo = messageEvent(
      wa,
      went.providerMessageId,
      minute(131),
      'outbound',
      'Thanks',
      'messenger',
    ) as Sent;
    const run = holdingRequest('echo', linkWriteOf(hubMessageId), async () => {
      expect(await deliver(hub.sender(), command, 2)).toEqual({ batchItemFailures: [] });
    });
    // Act
    const { held } = await run(async () => {
      await hub.pipeline.ingest([{ ...echo, data: { ...echo.data, correlationId: went.correlationId } }]);
      await hub.pipeline.drain();
    });
    // Assess: the failure stands, and the echo that proves the message went is recorded as its own
    // message.sent, naming the provider's id
    expect(held).toBe(true);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
    expect((events[0] as Failed).data).toMatchObject({
      reason: 'outcome_unknown',
      partIndex: 0,
    });
    expect((events[1] as Sent).data).toMatchObject({
      providerMessageId: went.providerMessageId,
      conversationId,
    });
    expect(await hub.sends.get(hubMessageId)).toMatchObject({ state: 'failed', published: true });
    expect(hub.provider.calls).toHaveLength(1);
  });

  it('publishes only the sent event when an ending past the give-up receive meets a live delivery between its parts', async () => {
    // Prepare: a two-message reply; X (a receive still alive) sends message 0 and stops between the
    // two, when a receive past the give-up one (E) reads the send (message 1 next, nothing noted)
    // and ends it; right before E's write, X sends message 1 and records the sent message (its event
    // is out), its sent mark still to come.
    const { conversationId } = await openConversation();
    const parts = [
      { type: 'text' as const, text: 'first' },
      { type: 'text' as const, text: 'second' },
    ];
    const command = sendCommand(conversationId, 'raced-ending', parts);
    const hubMessageId = outboundHubMessageId(conversationId, 'raced-ending');
    const giveUpAt = OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN;
    const eHolding = signal();
    const xRecorded = signal();
    let eRun: Promise<{ result: { batchItemFailures: unknown[] }; held: boolean }> | undefined;
    const x = hub.sender(async (step) => {
      if (step === 'accept' && eRun === undefined) {
        const run = holdingRequest('ending', failWriteOf(hubMessageId), async () => {
          eHolding.resolve();
          await xRecorded.promise;
        });
        eRun = run(() => deliver(hub.sender(), command, giveUpAt + 1));
        await eHolding.promise;
      }
      if (step === 'record-sent') {
        xRecorded.resolve();
        await eRun;
      }
    });
    // Act
    const xResult = await deliver(x, command, giveUpAt - 1);
    const { held } = (await eRun) ?? { held: false };
    // Assess: X's sent stands, E published nothing; a later receive finds the send ended
    expect(held).toBe(true);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect((events[0] as Sent).data.providerMessageIds).toEqual(
      hub.provider.delivered.map((delivered) => delivered.providerMessageId),
    );
    expect(xResult).toEqual({ batchItemFailures: [] });
    expect(await deliver(hub.sender(), command, giveUpAt + 2)).toEqual({ batchItemFailures: [] });
    expect(await outcomes()).toEqual([]);
    expect(hub.provider.calls).toHaveLength(2);
    expect(await hub.sends.get(hubMessageId)).toMatchObject({ state: 'sent', published: true });
  });
  it('ends a send whose earlier message a status named as gone, at its give-up receive, naming it sent, in one event', async () => {
    // Prepare: message 0 of a two-message reply went, but its answer was lost (the call noted, nothing
    // heard); its status then linked it, and no receive got further before the give-up one
    const { conversationId } = await openConversation();
    const parts = [
      { type: 'text' as const, text: 'first' },
      { type: 'text' as const, text: 'second' },
    ];
    const command = sendCommand(conversationId, 'linked-then-given-up', parts);
    const hubMessageId = outboundHubMessageId(conversationId, 'linked-then-given-up');
    const giveUpAt = OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN;
    hub.provider.script.push({ kind: 'accepted-silently' });
    expect(await deliver(hub.sender(), command, 1)).toMatchObject({ batchItemFailures: [{}] });
    const [went] = hub.provider.delivered;
    if (!went) throw new Error('message 0 was never called');
    await hub.sends.linkIfAwaited(hubMessageId, 0, went.providerMessageId);
    hub.now = new Date(hub.now.getTime() + 60_000);
    // Act: a receive past the give-up one ends it
    const ending = await deliver(hub.sender(), command, giveUpAt + 1);
    // Assess: one send_failed that names message 0 as sent (message 1 was never tried); nothing
    // called again, the send ended
    expect(ending).toEqual({ batchItemFailures: [] });
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect((events[0] as Failed).data).toMatchObject({
      sentProviderMessageIds: [went.providerMessageId],
      reason: 'provider_error',
    });
    expect(hub.provider.calls).toHaveLength(1);
    expect(await hub.sends.get(hubMessageId)).toMatchObject({ state: 'failed', published: true });
  });
});
