import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { uploadDisposition } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { buildEvent } from '#shared/contract/build.ts';
import {
  type OutboundPart,
  type OutboundTemplatePart,
  SendMessageDataSchema,
} from '#shared/contract/commands.ts';
import { canonicalJson, outboundHubMessageId, stableHash } from '#shared/contract/ids.ts';
import type { HubEvent, HubEventOf } from '#shared/contract/types.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import type { ChannelSender } from '#shared/outbound/channel-sender.ts';
import type { OutboxService } from '#shared/outbound/outbox-service.ts';
import { SEND_STEPS } from '#shared/outbound/send-command.ts';
import { OUTBOX_QUEUE } from '#shared/resources/definitions.ts';
import { createEndpointPauses } from '#shared/store/endpoint-pauses.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { endpointPauseKey, sendKey } from '#shared/store/keys.ts';
import { commandHashOf } from '#shared/store/sends.ts';
import { consentEvent, conversationFor, messageEvent, minute, statusEvent } from '../recorder/factories.ts';
import {
  HARNESS_LIMITS,
  type Keys,
  openCustomerConversation,
  outboxRecord,
  outcomesOf,
  putUpload,
  receivedCommand,
  sendCommand,
  T0,
  useOutboundHarness,
  type Write,
} from './harness.ts';

/*
 * The sender core against the real emulators and recorder, with a scripted provider: one provider
 * request per provider message whatever SQS and crashes do, one outcome event per command, the
 * conversation's rules (window, consent, deadline) decided before any call.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;
type Sent = HubEventOf<'switchboard.message.sent'>;
type Command = ReturnType<typeof sendCommand>;

describe('send commands', () => {
  const hub = useOutboundHarness();
  let customer = 0;

  /** A conversation whose customer wrote at `at` (default 20 minutes before T0: inside the window). */
  const openConversation = (at?: string) =>
    openCustomerConversation(hub, { prefix: '4915550', tag: 'in' }, ++customer, at);

  const outcomes = async (): Promise<HubEvent[]> => outcomesOf(await hub.pipeline.takeHelpdesk());

  const GIVE_UP_AT = OUTBOX_QUEUE.consumerGivesUpAtReceive ?? Number.NaN;
  /** The outbox's SQS record of `command` at the receive where the sender gives up on it. */
  const atLastReceive = (command: ReturnType<typeof sendCommand>) => receivedCommand(command, GIVE_UP_AT);

  /** The PutItem of the send command `key`'s message record (`MSG`) or send record (`SEND`, the claim). */
  const putOf =
    (conversationId: string, key: string, sk: 'MSG' | 'SEND') =>
    ({ commandName, input }: Write) => {
      const item = (input as { Item?: Keys }).Item;
      return (
        commandName === 'PutItemCommand' &&
        item?.pk?.S === `MSG#${outboundHubMessageId(conversationId, key)}` &&
        item?.sk?.S === sk
      );
    };
  /** A send record's attempt note (`startAttempt`) for provider message `index`. */
  const attemptNoteOf =
    (hubMessageId: string, index: number) =>
    ({ commandName, input }: Write) => {
      const update = input as {
        Key?: Keys;
        UpdateExpression?: string;
        ExpressionAttributeValues?: Record<string, unknown>;
      };
      const note = update.ExpressionAttributeValues?.[':inFlight'] as
        | { M?: { index?: { N?: string } } }
        | undefined;
      return (
        commandName === 'UpdateItemCommand' &&
        update.Key?.pk?.S === `MSG#${hubMessageId}` &&
        update.Key?.sk?.S === 'SEND' &&
        update.UpdateExpression === 'SET inFlight = :inFlight' &&
        note?.M?.index?.N === String(index)
      );
    };

  /** A send record's accept of a provider message (`accept`). */
  const acceptOf =
    (hubMessageId: string) =>
    ({ commandName, input }: Write) => {
      const update = input as { Key?: Keys; UpdateExpression?: string };
      return (
        commandName === 'UpdateItemCommand' &&
        update.Key?.pk?.S === `MSG#${hubMessageId}` &&
        update.UpdateExpression?.startsWith('SET providerIds = list_append') === true &&
        !update.UpdateExpression.includes(':sent')
      );
    };

  /**
   * Makes the first DynamoDB write that `target` matches fail once: `instead` of being written (a
   * throttled write), or `after` it was written (its answer lost inside the SDK's retry loop, which
   * writes it again). Returns a runner of `act` with the fault armed, which says whether it fired.
   */
  const failingWriteOnce = (label: string, target: (write: Write) => boolean, when: 'instead' | 'after') => {
    const dynamodb = hub.pipeline.emulators.clients.dynamodb;
    const name = `fail-${when}-${label}`;
    let fired = false;
    const matches = (commandName: string | undefined, input: unknown) =>
      !fired && target({ commandName, input });
    // A write refused reaches the caller as after the SDK's retries; a lost answer happens inside the
    // SDK's retry loop, which writes the item again as it would for a real one.
    if (when === 'instead')
      dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          if (!matches(context.commandName, args.input)) return next(args);
          fired = true;
          throw Object.assign(new Error('injected'), {
            name: 'ProvisionedThroughputExceededException',
            $metadata: {},
          });
        },
        { step: 'initialize', name },
      );
    else
      dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          if (!matches(context.commandName, args.input)) return next(args);
          fired = true;
          await next(args);
          throw Object.assign(new Error('answer lost'), {
            name: 'TimeoutError',
            $metadata: { httpStatusCode: 500 },
          });
        },
        { step: 'deserialize', name },
      );
    return async <T>(act: () => Promise<T>): Promise<{ result: T; fired: boolean }> => {
      try {
        return { result: await act(), fired };
      } finally {
        dynamodb.middlewareStack.remove(name);
      }
    };
  };

  /** The provider's status of a message the hub sent: it carries the correlation id sent with it. */
  const correlatedStatus = (
    wa: string,
    conversationId: string,
    delivered: { providerMessageId: string; correlationId: string } | undefined,
    status: 'sent' | 'delivered' = 'sent',
  ): HubEvent => {
    const event = statusEvent(
      wa,
      delivered?.providerMessageId ?? '',
      status,
      minute(121),
    ) as HubEventOf<'switchboard.message.status_updated'>;
    return {
      ...event,
      subject: conversationId,
      data: { ...event.data, conversationId, correlationId: delivered?.correlationId },
    };
  };

  it('sends once and reports once, however often the same command arrives', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const command = sendCommand(conversationId, 'reply-1');
    // Act: the helpdesk retries twice (new SQS messages, same idempotency key), and once with a new command id
    await hub.enqueue(command);
    await hub.runOutbox();
    await hub.enqueue(command, '-retry');
    await hub.enqueue({ ...command, id: 'cmd-again' }, '-retry2');
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(1);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    const sent = events[0] as Sent;
    expect(sent.data.hubMessageId).toBe(outboundHubMessageId(conversationId, 'reply-1'));
    expect(sent.data).toMatchObject({
      sentBy: 'hub',
      idempotencyKey: 'reply-1',
      providerMessageIds: ['wamid.test1'],
    });
    expect(hub.provider.calls[0]?.context.correlationId).toBe(`${sent.data.hubMessageId}.0`);
    const view = await hub.pipeline.read.getConversation(conversationId);
    expect(view?.state).toMatchObject({ messageCount: 2, unreadCount: 0, provider: 'meta' });
  });

  it('ends a command whose key already stands for other content in its own send_failed, sending nothing for it', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const first = sendCommand(conversationId, 'reply-reused');
    const other = sendCommand(conversationId, 'reply-reused', [
      { type: 'text', text: 'Something else entirely.' },
    ]);
    await hub.enqueue(first);
    await hub.runOutbox();
    // Act: the other command, then a redelivery of it
    await hub.enqueue(other);
    await hub.runOutbox();
    await hub.enqueue(other, '-again');
    await hub.runOutbox();
    // Assess: one call (the first command's), its sent event stands, and the other command is told why
    expect(hub.provider.calls).toHaveLength(1);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.sent',
      'switchboard.message.send_failed',
    ]);
    const [sent, refused] = events as [Sent, HubEventOf<'switchboard.message.send_failed'>];
    expect(refused.id).not.toBe(sent.id);
    expect(refused.data).toMatchObject({
      commandId: other.id,
      idempotencyKey: 'reply-reused',
      hubMessageId: sent.data.hubMessageId,
      reason: 'content_invalid',
      failedField: 'idempotencyKey',
      retryable: true,
    });
    expect(sent.data.commandId).toBe(first.id);
  });

  it('gives each of two commands refused under a taken key with the same other content its own send_failed', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    await hub.enqueue(sendCommand(conversationId, 'reply-twice-reused'));
    await hub.runOutbox();
    const other = [{ type: 'text' as const, text: 'Other words.' }];
    const y = sendCommand(conversationId, 'reply-twice-reused', other);
    const z = sendCommand(conversationId, 'reply-twice-reused', other);
    // Act
    await hub.enqueue(y);
    await hub.enqueue(z, '-z');
    await hub.runOutbox();
    // Assess
    const refused = (await outcomes()).filter((event) => event.type === 'switchboard.message.send_failed');
    expect(refused.map((event) => (event as Failed).data.commandId).sort()).toEqual([y.id, z.id].sort());
    expect(new Set(refused.map((event) => event.id)).size).toBe(2);
  });

  it('hashes a template without a category as the utility one the contract filled in before 2026-12-04, and a different one apart', () => {
    // Prepare: a template part as parsed before the deploy (category filled in) and after it (absent)
    const template = { type: 'template' as const, name: 'order_update', language: 'en' };
    const dataOf = (part: OutboundTemplatePart) =>
      SendMessageDataSchema.parse(sendCommand('conv-hash', 'reply-hash', [part]).data);
    // Act
    const before = commandHashOf(dataOf({ ...template, category: 'utility' }));
    const after = commandHashOf(dataOf(template));
    const marketing = commandHashOf(dataOf({ ...template, category: 'marketing' }));
    const otherName = commandHashOf(dataOf({ ...template, name: 'order_shipped' }));
    // Assess
    expect(after).toBe(before);
    expect(marketing).not.toBe(after);
    expect(otherName).not.toBe(after);
  });

  it('takes the retry of a template command claimed before the category default went as the same command', async () => {
    // Prepare: the command as parsed before the deploy (category utility filled in) was sent
    const { conversationId } = await openConversation();
    const template = { type: 'template' as const, name: 'order_update', language: 'en' };
    const before = sendCommand(conversationId, 'reply-template-retry', [
      { ...template, category: 'utility' },
    ]);
    await hub.enqueue(before);
    await hub.runOutbox();
    // Act: its retry after the deploy (a new envelope, the same key), the category absent
    await hub.enqueue(sendCommand(conversationId, 'reply-template-retry', [template]));
    await hub.runOutbox();
    // Assess: one call, one sent event, no key-reuse refusal
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => [event.type, (event as Sent).data.commandId])).toEqual([
      ['switchboard.message.sent', before.id],
    ]);
  });

  it('takes the retry of a template command without a category, claimed by the version that hashed it without one, as the same command, and another under its key as other content', async () => {
    // Prepare: the command went; its send record then holds the hash of its data as parsed (no
    // category), as the version between the two deploys of 2026-12-04 wrote it
    const { conversationId } = await openConversation();
    const key = 'reply-template-hashed-bare';
    const template = { type: 'template' as const, name: 'order_update', language: 'en' };
    const first = sendCommand(conversationId, key, [template]);
    await hub.enqueue(first);
    await hub.runOutbox();
    await outcomes();
    const { clients, resources } = hub.pipeline.emulators;
    await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: resources.tableName,
        Key: marshall(sendKey(outboundHubMessageId(conversationId, key))),
        UpdateExpression: 'SET commandHash = :hash',
        ExpressionAttributeValues: marshall({
          ':hash': stableHash('command', canonicalJson(SendMessageDataSchema.parse(first.data))),
        }),
      }),
    );
    // Act: its retry (a new envelope, the same key), on a receive and after its give-up receive died;
    // then a marketing template under the key
    await hub.enqueue(sendCommand(conversationId, key, [template]));
    await hub.runOutbox();
    const late = await hub.sender().handleSqsEvent({
      Records: [receivedCommand(sendCommand(conversationId, key, [template]), GIVE_UP_AT + 1)],
    });
    const marketing = sendCommand(conversationId, key, [{ ...template, category: 'marketing' }]);
    await hub.enqueue(marketing);
    await hub.runOutbox();
    // Assess: one call; the retries end as the first did, the marketing one alone is refused
    expect(late.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => [event.type, event.data.commandId, event.data.failedField])).toEqual([
      ['switchboard.message.send_failed', marketing.id, 'idempotencyKey'],
    ]);
  });

  it('ends a command come back under its own id with other content in nothing more than its first outcome', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const first = sendCommand(conversationId, 'reply-altered');
    await hub.enqueue(first);
    await hub.runOutbox();
    // Act: the same command id and key, its text altered
    await hub.enqueue(
      { ...first, data: { ...first.data, parts: [{ type: 'text', text: 'Altered.' }] } },
      '-altered',
    );
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(1);
    const events = await outcomes();
    expect(events.map((event) => [event.type, (event as Sent).data.commandId])).toEqual([
      ['switchboard.message.sent', first.id],
    ]);
  });

  it.each(SEND_STEPS.filter((step) => !['fail', 'publish-failed', 'start-attempt'].includes(step)))(
    'a crash after %s ends, on redelivery, with one provider call per message and one sent event',
    async (crashStep) => {
      // Prepare
      const { wa, conversationId } = await openConversation();
      let crashed = false;
      const crashing = hub.sender((step) => {
        if (step === crashStep && !crashed) {
          crashed = true;
          throw new Error(`crash after ${step}`);
        }
      });
      await hub.enqueue(
        sendCommand(conversationId, `crash-${crashStep}`, [
          { type: 'text', text: 'first' },
          { type: 'text', text: 'second' },
        ]),
      );
      // Act: the crashing delivery, then redeliveries; a message in flight at the crash waits for its status
      await hub.runOutbox(crashing, 3);
      await hub.pipeline.ingest(
        hub.provider.delivered.map((delivered) => correlatedStatus(wa, conversationId, delivered)),
      );
      await hub.pipeline.drain();
      await hub.runOutbox();
      // Assess
      expect(crashed).toBe(true);
      const texts = hub.provider.calls.map((call) => (call.message.part as { text: string }).text);
      expect(texts).toEqual(['first', 'second']);
      const events = outcomesOf(await hub.pipeline.takeHelpdesk());
      expect(new Set(events.map((event) => event.id)).size).toBe(1);
      expect(events[0]?.type).toBe('switchboard.message.sent');
      const view = await hub.pipeline.read.getConversation(conversationId);
      expect(view?.state.messageCount).toBe(2);
    },
  );

  it('sends nothing more of a command a redelivery prepares otherwise than its claim did (an upgrade moved a cut), and ends it at its last receive', async () => {
    // Prepare: a text in two provider messages; the first goes, then the delivery crashes
    const { conversationId } = await openConversation();
    let crashed = false;
    const crashing = hub.sender((step) => {
      if (step === 'accept' && !crashed) {
        crashed = true;
        throw new Error('crash after accept');
      }
    });
    const command = sendCommand(conversationId, 'moved-cut', [
      { type: 'text', text: 'Dear customer,|your order ships today.' },
    ]);
    await hub.enqueue(command);
    await hub.runOutbox(crashing, 1);
    const original = hub.provider.sender.prepare;
    // The upgrade: the same text, still two messages, cut elsewhere
    Object.assign(hub.provider.sender, {
      prepare: (parts: readonly OutboundPart[]) => ({
        ok: true,
        messages: parts.flatMap((part, partIndex) =>
          part.type === 'text'
            ? [part.text.slice(0, 5), part.text.slice(5)].map((text) => ({
                partIndex,
                part: { ...part, text },
              }))
            : [],
        ),
      }),
    });
    try {
      // Act: redeliveries, then its last receive
      await hub.runOutbox(undefined, 3);
      await hub.sender().handleSqsEvent({ Records: [atLastReceive(command)] });
    } finally {
      Object.assign(hub.provider.sender, { prepare: original });
    }
    // Assess: the first piece alone went; the command ends in one send_failed naming the part
    expect(crashed).toBe(true);
    expect(hub.provider.calls.map((call) => (call.message.part as { text: string }).text)).toEqual([
      'Dear customer,',
    ]);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => [event.type, event.data.reason])).toEqual([
      ['switchboard.message.send_failed', 'provider_error'],
    ]);
  });

  it.each(['provider-call', 'record-sent', 'mark-sent'] as const)(
    'a one-message command (attempt noted with the claim, accept with the sent mark): a crash after %s ends, on redelivery, with one provider call and one sent event',
    async (crashStep) => {
      // Prepare: one part, so its attempt is noted with the claim and its accept written with the sent mark
      const { wa, conversationId } = await openConversation();
      let crashed = false;
      const crashing = hub.sender((step) => {
        if (step === crashStep && !crashed) {
          crashed = true;
          throw new Error(`crash after ${step}`);
        }
      });
      await hub.enqueue(sendCommand(conversationId, `one-crash-${crashStep}`));
      // Act: the crashing delivery and redeliveries; the status arrives only for a crash before the recording
      await hub.runOutbox(crashing, 3);
      if (crashStep === 'provider-call') {
        await hub.pipeline.ingest(
          hub.provider.delivered.map((delivered) => correlatedStatus(wa, conversationId, delivered)),
        );
        await hub.pipeline.drain();
        await hub.runOutbox();
      }
      // Assess
      expect(crashed).toBe(true);
      expect(hub.provider.calls).toHaveLength(1);
      const events = outcomesOf(await hub.pipeline.takeHelpdesk());
      expect(new Set(events.map((event) => event.id)).size).toBe(1);
      const sent = events[0] as Sent;
      expect(sent.type).toBe('switchboard.message.sent');
      expect(sent.data.providerMessageIds).toEqual([hub.provider.delivered[0]?.providerMessageId]);
      const view = await hub.pipeline.read.getConversation(conversationId);
      expect(view?.state.messageCount).toBe(2);
      // The record is done, after a crash past the recording without any status: the recorded message said it went
      const record = await hub.sends.get(sent.data.hubMessageId);
      expect(record).toMatchObject({
        state: 'sent',
        published: true,
        next: 1,
        providerIds: sent.data.providerMessageIds,
      });
      expect(record?.inFlight).toBeUndefined();
    },
  );

  it.each([
    ['claim', [{ type: 'text', text: 'only' }]],
    [
      'start-attempt',
      [
        { type: 'text', text: 'first' },
        { type: 'text', text: 'second' },
      ],
    ],
  ] as const)(
    'never calls again after a crash between noting a call (%s) and making it: the outcome is unknown',
    async (crashStep, parts) => {
      // Prepare: the crash falls after the durable "about to send" (with the claim for one message) and before the call
      const { conversationId } = await openConversation();
      let crashed = false;
      const crashing = hub.sender((step) => {
        if (step === crashStep && !crashed) {
          crashed = true;
          throw new Error(`crash after ${step}`);
        }
      });
      await hub.enqueue(sendCommand(conversationId, `crash-before-call-${crashStep}`, [...parts]));
      // Act: redeliveries find the note and wait; no status can come; the wait runs out
      await hub.runOutbox(crashing, 3);
      hub.now = new Date(T0.getTime() + 11 * 60_000);
      await hub.runOutbox();
      // Assess: at most once means never twice, even when that costs a message that never left
      expect(crashed).toBe(true);
      expect(hub.provider.calls).toHaveLength(0);
      const [failed] = (await outcomes()) as Failed[];
      expect(failed?.data).toMatchObject({ reason: 'outcome_unknown', partIndex: 0 });
    },
  );

  it.each(['fail', 'publish-failed'] as const)(
    'a crash after %s still ends in exactly one send_failed',
    async (crashStep) => {
      // Prepare
      const { conversationId } = await openConversation();
      hub.provider.script.push({
        kind: 'refused',
        reason: 'recipient_invalid',
        retryable: false,
        error: { code: '131030', title: 'Recipient not in allowed list' },
      });
      let crashed = false;
      const crashing = hub.sender((step) => {
        if (step === crashStep && !crashed) {
          crashed = true;
          throw new Error(`crash after ${step}`);
        }
      });
      await hub.enqueue(sendCommand(conversationId, `fail-crash-${crashStep}`));
      // Act
      await hub.runOutbox(crashing, 3);
      await hub.runOutbox();
      // Assess
      expect(crashed).toBe(true);
      expect(hub.provider.calls).toHaveLength(1);
      const events = await outcomes();
      expect(new Set(events.map((event) => event.id)).size).toBe(1);
      expect((events[0] as Failed).data.reason).toBe('recipient_invalid');
    },
  );

  it('records the sent message over a conversation the customer wrote to while the provider answered', async () => {
    // Prepare: the sender applies its message to the conversation it read before the call; the
    // customer's next message is recorded in between
    const { wa, conversationId } = await openConversation();
    const writing = hub.sender(async (step) => {
      if (step !== 'provider-call') return;
      await hub.pipeline.ingest([messageEvent(wa, `wamid.meanwhile-${wa}`, minute(119))]);
      await hub.pipeline.drain();
    });
    await hub.enqueue(sendCommand(conversationId, 'meanwhile'));
    // Act
    await hub.runOutbox(writing);
    // Assess: both messages counted, the send done once
    expect(hub.provider.calls).toHaveLength(1);
    const events = outcomesOf(await hub.pipeline.takeHelpdesk());
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    const view = await hub.pipeline.read.getConversation(conversationId);
    expect(view?.state.messageCount).toBe(3);
  });

  it('reconciles an accept whose answer was lost from the status that names it', async () => {
    // Prepare
    const { wa, conversationId } = await openConversation();
    hub.provider.script.push({ kind: 'accepted-silently' });
    await hub.enqueue(sendCommand(conversationId, 'lost-answer'));
    // Act: the sender hears nothing, waits; the provider's status arrives with the correlation id
    await hub.runOutbox(undefined, 3);
    expect(await outcomes()).toEqual([]);
    const [delivered] = hub.provider.delivered;
    await hub.pipeline.ingest([correlatedStatus(wa, conversationId, delivered, 'delivered')]);
    await hub.pipeline.drain();
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(1);
    const events = await outcomes();
    expect(events).toHaveLength(1);
    expect((events[0] as Sent).data.providerMessageIds).toEqual([delivered?.providerMessageId]);
  });

  it('ends in one sent event when recording the sent message fails after its publish and no status ever comes', async () => {
    // Prepare: the message record (written after the sent event is published) fails once
    const { conversationId } = await openConversation();
    const withFault = failingWriteOnce(
      'record-fails',
      putOf(conversationId, 'record-fails', 'MSG'),
      'instead',
    );
    await hub.enqueue(sendCommand(conversationId, 'record-fails'));
    // Act: redeliveries, then past the wait for a status that never comes (a channel without callbacks)
    const { fired } = await withFault(async () => {
      await hub.runOutbox(undefined, 3);
      hub.now = new Date(T0.getTime() + 11 * 60_000);
      await hub.runOutbox();
    });
    // Assess: one call, and exactly one outcome, the sent one
    expect(fired).toBe(true);
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('ends a command at its last receive in send_failed instead of dead-lettering it, then tries the one behind it', async () => {
    // Prepare: the provider leaves the first unanswered; both are at the queue's last receive
    const { conversationId } = await openConversation();
    hub.provider.script.push({ kind: 'ambiguous', error: { code: 'TimeoutError' } });
    const records = [
      sendCommand(conversationId, 'last-receive-1'),
      sendCommand(conversationId, 'last-receive-2'),
    ].map(atLastReceive);
    // Act
    const response = await hub.sender().handleSqsEvent({ Records: records });
    // Assess: nothing left to move to the dead-letter queue unseen; the second went after the first ended
    expect(response.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(2);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
    expect((events[0] as Failed).data).toMatchObject({ reason: 'outcome_unknown', retryable: true });
  });

  it('names the command part at its last receive, not the provider message, when a split text ends unknown', async () => {
    // Prepare: a greeting, then a text split in three; the split's third piece goes unanswered
    const { conversationId } = await openConversation();
    hub.provider.script.push(
      { kind: 'accepted', providerMessageId: '' },
      { kind: 'accepted', providerMessageId: '' },
      { kind: 'accepted', providerMessageId: '' },
      { kind: 'ambiguous', error: { code: 'TimeoutError' } },
    );
    const command = sendCommand(conversationId, 'split-last-receive', [
      { type: 'text', text: 'Hello.' },
      { type: 'text', text: 'one|two|three' },
    ]);
    // Act: at its last receive, the last piece goes unanswered
    await hub.sender().handleSqsEvent({ Records: [atLastReceive(command)] });
    // Assess: part 1 (the split text), not provider message 3; the three that went are named
    const [failed] = (await outcomes()) as Failed[];
    expect(failed?.data).toMatchObject({ reason: 'outcome_unknown', partIndex: 1 });
    expect(failed?.data.sentProviderMessageIds).toHaveLength(3);
  });

  it('ends a command held at its last receive behind one that could not be ended, saying what held it', async () => {
    // Prepare: the first is past its give-up receive and its ending's write is throttled once
    const { conversationId } = await openConversation();
    const ahead = sendCommand(conversationId, 'held-ahead');
    const behind = sendCommand(conversationId, 'held-behind');
    const withFault = failingWriteOnce('held-ahead', putOf(conversationId, 'held-ahead', 'SEND'), 'instead');
    const records = [receivedCommand(ahead, GIVE_UP_AT + 1), atLastReceive(behind)];
    // Act
    const { result, fired } = await withFault(() => hub.sender().handleSqsEvent({ Records: records }));
    // Assess: the first stays on the queue; the one behind it ends without a call
    expect(fired).toBe(true);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(hub.provider.calls).toHaveLength(0);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => [event.data.idempotencyKey, event.data.reason])).toEqual([
      ['held-behind', 'provider_error'],
    ]);
    expect(events[0]?.data.errors?.[0]?.title).toContain(
      'an earlier command of its conversation was unfinished',
    );
  });

  it('ends a command held to its last receive past its deadline deadline_exceeded, not retryable', async () => {
    // Prepare: as above, the one behind with a deadline that passed while it was held
    const { conversationId } = await openConversation();
    const ahead = sendCommand(conversationId, 'held-ahead-late');
    const behind = sendCommand(conversationId, 'held-behind-late', undefined, {
      deadline: '2026-11-22T11:59:00.000Z',
    });
    const withFault = failingWriteOnce(
      'held-ahead-late',
      putOf(conversationId, 'held-ahead-late', 'SEND'),
      'instead',
    );
    const records = [receivedCommand(ahead, GIVE_UP_AT + 1), atLastReceive(behind)];
    // Act
    await withFault(() => hub.sender().handleSqsEvent({ Records: records }));
    // Assess
    expect(hub.provider.calls).toHaveLength(0);
    const events = (await outcomes()) as Failed[];
    expect(
      events.map((event) => [event.data.idempotencyKey, event.data.reason, event.data.retryable]),
    ).toEqual([['held-behind-late', 'deadline_exceeded', false]]);
  });

  it('ends a command whose give-up receive died unfinished at the next receive, without a call, and sends the one behind it', async () => {
    // Prepare: the first command's 50th receive crashed (nothing recorded); the second is on its 2nd
    const { conversationId } = await openConversation();
    expect(OUTBOX_QUEUE.maxReceiveCount).toBeGreaterThan(GIVE_UP_AT);
    const records = [
      receivedCommand(sendCommand(conversationId, 'died-1'), GIVE_UP_AT + 1),
      receivedCommand(sendCommand(conversationId, 'died-2'), 2),
    ];
    // Act
    const response = await hub.sender().handleSqsEvent({ Records: records });
    // Assess: the first ends in send_failed before anything is tried; the second goes, in order after it
    expect(response.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
    const failed = events[0] as Failed;
    expect([failed.data.idempotencyKey, failed.data.reason, failed.data.retryable]).toEqual([
      'died-1',
      'provider_error',
      true,
    ]);
    expect(failed.data.errors?.[0]?.title).toContain('crashed or timed out');
    expect((events[1] as Sent).data.idempotencyKey).toBe('died-2');
  });

  it('past the give-up ends only the command a dying receive left unfinished: the one it finished before is left, the ones behind are sent', async () => {
    // Prepare: three commands of one conversation, each received as often (SQS hands out a group's
    // messages together); the first went at an earlier receive that then died on the second
    const { conversationId } = await openConversation();
    const [done, died, behind] = ['died-after-1', 'died-on-2', 'died-behind-3'].map((key) =>
      sendCommand(conversationId, key),
    ) as [Command, Command, Command];
    await hub.sender().handleSqsEvent({ Records: [receivedCommand(done, 1)] });
    await outcomes();
    hub.provider.calls.length = 0;
    const records = [done, died, behind].map((command) => receivedCommand(command, GIVE_UP_AT + 1));
    // Act
    const response = await hub.sender().handleSqsEvent({ Records: records });
    // Assess: no second event for the first, the second ended untried, the third sent
    expect(response.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as (Failed | Sent)[];
    expect(events.map((event) => [event.type, event.data.idempotencyKey])).toEqual([
      ['switchboard.message.send_failed', 'died-on-2'],
      ['switchboard.message.sent', 'died-behind-3'],
    ]);
    expect((events[0] as Failed).data.errors?.[0]?.title).toContain('crashed or timed out');
  });

  it('past the give-up looks behind a reused key refused before for the command the receive died on, and ends that one untried', async () => {
    // Prepare: a key's command went; another command reusing the key with other content was
    // refused by a receive that then died on the command behind it
    const { conversationId } = await openConversation();
    const first = sendCommand(conversationId, 'reused-ahead');
    await hub.sender().handleSqsEvent({ Records: [receivedCommand(first, 1)] });
    const reused = sendCommand(conversationId, 'reused-ahead', [{ type: 'text', text: 'Other content.' }]);
    await hub.sender().handleSqsEvent({ Records: [receivedCommand(reused, 1)] });
    await outcomes();
    hub.provider.calls.length = 0;
    const died = sendCommand(conversationId, 'died-behind-reused');
    // Act
    await hub.sender().handleSqsEvent({
      Records: [reused, died].map((command) => receivedCommand(command, GIVE_UP_AT + 1)),
    });
    // Assess: the one the receive died on ends untried (the refusal's event, told again under its
    // own id, is the queue's duplicate)
    expect(hub.provider.calls).toHaveLength(0);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => [event.data.idempotencyKey, event.data.commandId])).toEqual([
      ['died-behind-reused', died.id],
    ]);
    expect(events[0]?.data.errors?.[0]?.title).toContain('crashed or timed out');
  });

  it('ends a malformed command past its give-up receive in send_failed, dead-letters one it cannot attribute, and sends the one behind', async () => {
    // Prepare: a malformed command that names its conversation and key, its 50th receive died; a
    // valid command behind it at its 50th; and two records of no conversation past their 50th
    const { conversationId } = await openConversation();
    const late = sendCommand(conversationId, 'malformed-late');
    const malformed = { ...late, data: { ...late.data, parts: [] } };
    const behind = sendCommand(conversationId, 'behind-malformed-late');
    const unattributable = (messageId: string, body: string) =>
      outboxRecord({ messageId, body, messageGroupId: `group-${messageId}`, receiveCount: GIVE_UP_AT + 1 });
    const records = [
      receivedCommand(malformed, GIVE_UP_AT + 1),
      atLastReceive(behind),
      unattributable('late-junk', JSON.stringify({ hello: 'world', id: 'junk', data: { conversationId } })),
      unattributable('late-not-json', '{"id": "cut off'),
    ];
    // Act
    const response = await hub.sender().handleSqsEvent({ Records: records });
    // Assess: nothing left to fail into the dead-letter queue unseen; the malformed one ended first
    expect(response.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as (Failed | Sent)[];
    expect(events.map((event) => [event.type, event.data.idempotencyKey])).toEqual([
      ['switchboard.message.send_failed', 'malformed-late'],
      ['switchboard.message.sent', 'behind-malformed-late'],
    ]);
    expect(events[0]?.data).toMatchObject({
      commandId: malformed.id,
      reason: 'content_invalid',
      failedField: 'parts',
      retryable: false,
    });
    expect((await hub.outboxDlq()).sort()).toEqual(['body is not JSON', 'not a command the hub knows']);
  });

  it('ends a command whose call went unanswered and whose give-up receive died in outcome_unknown, never calling again', async () => {
    // Prepare: the first delivery's call gets no answer
    const { conversationId } = await openConversation();
    hub.provider.script.push({ kind: 'ambiguous', error: { code: 'TimeoutError' } });
    const command = sendCommand(conversationId, 'died-in-flight');
    const first = await hub.sender().handleSqsEvent({ Records: [receivedCommand(command, 1)] });
    // Act: the receive after the give-up one, first while the noted attempt is recent enough to be
    // another delivery's call still under way (two deliveries of one command at once), then a minute on
    const whileRecent = await hub
      .sender()
      .handleSqsEvent({ Records: [receivedCommand(command, GIVE_UP_AT + 1)] });
    const eventsWhileRecent = await outcomes();
    hub.now = new Date(hub.now.getTime() + 60_000);
    const response = await hub
      .sender()
      .handleSqsEvent({ Records: [receivedCommand(command, GIVE_UP_AT + 2)] });
    // Assess: a recent attempt's outcome is left to stand; an old one's delivery is gone, so it ends
    expect(first.batchItemFailures).toHaveLength(1);
    expect(whileRecent.batchItemFailures).toHaveLength(1);
    expect(eventsWhileRecent).toEqual([]);
    expect(response.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => [event.data.reason, event.data.partIndex])).toEqual([
      ['outcome_unknown', 0],
    ]);
  });

  it('keeps a command past its give-up receive failed, with its conversation held, while it cannot be ended', async () => {
    // Prepare: the failed send record's write is throttled once
    const { conversationId } = await openConversation();
    const refused = sendCommand(conversationId, 'end-refused');
    const behind = sendCommand(conversationId, 'end-refused-2');
    const withFault = failingWriteOnce(
      'end-refused',
      putOf(conversationId, 'end-refused', 'SEND'),
      'instead',
    );
    const firstTry = [receivedCommand(refused, GIVE_UP_AT + 1), receivedCommand(behind, 2)];
    // Act: a receive past the give-up one, then the next
    const { result, fired } = await withFault(() => hub.sender().handleSqsEvent({ Records: firstTry }));
    const held = await outcomes();
    const next = await hub.sender().handleSqsEvent({
      Records: [receivedCommand(refused, GIVE_UP_AT + 2), receivedCommand(behind, 3)],
    });
    // Assess: both stayed on the queue in order, nothing went, nothing was said; the next receive ended both
    expect(fired).toBe(true);
    expect(result.batchItemFailures).toEqual(
      firstTry.map((record) => ({ itemIdentifier: record.messageId })),
    );
    expect(held).toEqual([]);
    expect(next.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
  });

  it('ends a command that went but failed to record at its last receive as sent, once', async () => {
    // Prepare: the provider accepts; the message record (written after the sent event) fails once
    const { conversationId } = await openConversation();
    const withFault = failingWriteOnce(
      'last-receive-sent',
      putOf(conversationId, 'last-receive-sent', 'MSG'),
      'instead',
    );
    const record = atLastReceive(sendCommand(conversationId, 'last-receive-sent'));
    // Act
    const { result, fired } = await withFault(() => hub.sender().handleSqsEvent({ Records: [record] }));
    // Assess
    expect(fired).toBe(true);
    expect(result.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('sends once when the claim landed but its answer was lost and the SDK wrote it again', async () => {
    // Prepare: the claim's PutItem reaches the table, then its answer is lost, so the SDK writes it
    // again and that write fails its condition
    const { conversationId } = await openConversation();
    const withFault = failingWriteOnce(
      'claim-answer-lost',
      putOf(conversationId, 'claim-answer-lost', 'SEND'),
      'after',
    );
    await hub.enqueue(sendCommand(conversationId, 'claim-answer-lost'));
    // Act
    const { fired } = await withFault(() => hub.runOutbox());
    // Assess: the SDK's second write found the claim; the delivery knew it as its own and sent
    expect(fired).toBe(true);
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('goes on at once when an accept landed but its answer was lost and the SDK wrote it again', async () => {
    // Prepare: the provider accepts; the accept's UpdateItem is written, then its answer is lost
    const { conversationId } = await openConversation();
    const hubMessageId = outboundHubMessageId(conversationId, 'accept-answer-lost');
    const withFault = failingWriteOnce('accept-answer-lost', acceptOf(hubMessageId), 'after');
    const command = sendCommand(conversationId, 'accept-answer-lost');
    // Act: one delivery
    const { result, fired } = await withFault(() =>
      hub.sender().handleSqsEvent({ Records: [receivedCommand(command, 1)] }),
    );
    // Assess: the delivery found its accept in place and finished, with no redelivery to wait for
    expect(fired).toBe(true);
    expect(result.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('sends each part once when a later part’s attempt note landed but its answer was lost', async () => {
    // Prepare: two parts; the note before the second call is written, then its answer is lost
    const { conversationId } = await openConversation();
    const hubMessageId = outboundHubMessageId(conversationId, 'note-answer-lost');
    const withFault = failingWriteOnce('note-answer-lost', attemptNoteOf(hubMessageId, 1), 'after');
    await hub.enqueue(
      sendCommand(conversationId, 'note-answer-lost', [
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
      ]),
    );
    // Act
    const { fired } = await withFault(() => hub.runOutbox());
    // Assess: the SDK's second write failed its condition; the delivery knew the note as its own
    expect(fired).toBe(true);
    expect(hub.provider.calls).toHaveLength(2);
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect((events[0] as Sent).data.providerMessageIds).toHaveLength(2);
  });

  it('reports outcome_unknown when no status ever names an unanswered message, and never sends it again', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    hub.provider.script.push({ kind: 'ambiguous', error: { code: 'TimeoutError' } });
    await hub.enqueue(sendCommand(conversationId, 'silence'));
    await hub.runOutbox(undefined, 3);
    // Act: past the wait for the provider's word
    hub.now = new Date(T0.getTime() + 11 * 60_000);
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(1);
    const [failed] = (await outcomes()) as Failed[];
    expect(failed?.data).toMatchObject({ reason: 'outcome_unknown', retryable: true, partIndex: 0 });
  });

  it('keeps trying a throttled send, then gives up with rate_limited', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const throttled = { kind: 'throttled' as const, error: { code: '130429', title: 'Rate limit hit' } };
    hub.provider.script.push(throttled, throttled);
    await hub.enqueue(sendCommand(conversationId, 'busy-then-ok'));
    // Act
    await hub.runOutbox(undefined, 10);
    // Assess: two refusals, then through
    expect(hub.provider.calls).toHaveLength(3);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);

    // Prepare: always throttled
    hub.provider.calls.length = 0;
    hub.provider.script.push(throttled, throttled, throttled);
    await hub.enqueue(sendCommand(conversationId, 'busy-forever'));
    await hub.runOutbox(undefined, 3);
    // Act
    hub.now = new Date(T0.getTime() + 11 * 60_000);
    hub.provider.script.push(throttled);
    await hub.runOutbox();
    // Assess
    const [failed] = (await outcomes()) as Failed[];
    expect(failed?.data).toMatchObject({ reason: 'rate_limited', retryable: true });
  });

  it('never calls again for a message a status named as gone though its call was answered throttled', async () => {
    // Prepare: message 0's status links it while its call is out; the call's answer is a throttle
    const { conversationId } = await openConversation();
    const hubMessageId = outboundHubMessageId(conversationId, 'throttled-yet-went');
    const throttled = { kind: 'throttled' as const, error: { code: '130429', title: 'Rate limit hit' } };
    hub.provider.script.push(throttled);
    let linked = false;
    const linking = hub.sender(async (step) => {
      if (step === 'start-attempt' && !linked) {
        linked = true;
        await hub.sends.linkIfAwaited(hubMessageId, 0, 'wamid.went-anyway');
      }
    });
    await hub.enqueue(
      sendCommand(conversationId, 'throttled-yet-went', [
        { type: 'text', text: 'first' },
        { type: 'text', text: 'second' },
      ]),
    );
    // Act
    await hub.runOutbox(linking, 1);
    await hub.runOutbox(undefined, 10);
    // Assess: message 0 called once, taken as gone; message 1 sent; one sent event naming both
    expect(linked).toBe(true);
    expect(hub.provider.calls).toHaveLength(2);
    const events = (await outcomes()) as Sent[];
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(events[0]?.data.providerMessageIds?.[0]).toBe('wamid.went-anyway');
  });

  it('measures a later part’s throttling from its own first refusal, not from an earlier part’s', async () => {
    // Prepare: part 0 goes and part 1 is throttled at T0; at T0+9m part 1 goes and part 2 is throttled
    const { conversationId } = await openConversation();
    const throttled = { kind: 'throttled' as const, error: { code: '131056', title: 'Pair rate limit hit' } };
    const hubMessageId = outboundHubMessageId(conversationId, 'three-throttled-parts');
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.wait0' }, throttled);
    await hub.enqueue(
      sendCommand(conversationId, 'three-throttled-parts', [
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
        { type: 'text', text: 'three' },
      ]),
    );
    await hub.runOutbox(undefined, 1);
    hub.now = new Date(T0.getTime() + 9 * 60_000);
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.wait1' }, throttled);
    await hub.runOutbox(undefined, 1);
    // Act: part 2 throttled again 1.5 minutes into its own wait, then through
    hub.now = new Date(T0.getTime() + 10.5 * 60_000);
    hub.provider.script.push(throttled);
    await hub.runOutbox(undefined, 1);
    const whileWaiting = await outcomes();
    const record = await hub.sends.get(hubMessageId);
    hub.now = new Date(T0.getTime() + 12 * 60_000);
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.wait2' });
    await hub.runOutbox(undefined, 1);
    // Assess: part 2's wait began at T0+9m, so it was still being tried; then the command went whole
    expect(whileWaiting).toEqual([]);
    expect(record?.waitingSince).toBe(new Date(T0.getTime() + 9 * 60_000).toISOString());
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect((events[0] as Sent).data.providerMessageIds).toEqual([
      'wamid.wait0',
      'wamid.wait1',
      'wamid.wait2',
    ]);
  });

  it('dates a command of several parts by its last, says when it was taken, and leaves a question that came in meanwhile waiting', async () => {
    // Prepare: the hub takes a reply of two parts at T0; the first goes, the second is throttled
    const { wa, conversationId } = await openConversation();
    const throttled = { kind: 'throttled' as const, error: { code: '131056', title: 'Pair rate limit hit' } };
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.taken0' }, throttled);
    await hub.enqueue(
      sendCommand(conversationId, 'taken-then-throttled', [
        { type: 'text', text: 'Your parcel left today.' },
        { type: 'text', text: 'Here is its tracking number.' },
      ]),
    );
    await hub.runOutbox(undefined, 1);
    // The customer asks about the first part at T0+1m (minute 121)
    await hub.pipeline.ingest([messageEvent(wa, `wamid.about-the-first-${wa}`, minute(121))]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    // Act: the second part goes at T0+3m
    hub.now = new Date(T0.getTime() + 3 * 60_000);
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.taken1' });
    await hub.runOutbox(undefined, 1);
    // Assess: the event keeps its time; the question came in after the reply was taken, so it waits
    // and both customer messages stay unread (which of them the reply answered is not kept); until
    // 2026-12-06 the reply's last part covered it
    const [sent] = (await outcomes()) as Sent[];
    expect(sent?.time).toBe(hub.now.toISOString());
    expect(sent?.data).toMatchObject({ receivedAt: hub.now.toISOString(), takenAt: T0.toISOString() });
    const view = await hub.pipeline.read.getConversation(conversationId);
    expect(view?.state).toMatchObject({ messageCount: 3, unreadCount: 2, waitingSince: minute(121) });
  });

  it('counts a command queued behind an earlier one of its conversation as taken when it was queued, and leaves a question that came in meanwhile waiting', async () => {
    // Prepare: the outbox's SentTimestamp on the harness's clock (the emulator's is the machine's)
    const queuedAt = new Map<string, number>();
    const enqueue = async (command: ReturnType<typeof sendCommand>) => {
      queuedAt.set(command.id, hub.now.getTime());
      await hub.enqueue(command);
    };
    const sender = (): OutboxService => {
      const service = hub.sender();
      return {
        handleSqsEvent: (event, remainingMs) =>
          service.handleSqsEvent(
            {
              Records: event.Records.map((record) => ({
                ...record,
                attributes: {
                  ...record.attributes,
                  SentTimestamp: String(queuedAt.get((JSON.parse(record.body) as { id: string }).id)),
                },
              })),
            },
            remainingMs,
          ),
      };
    };
    // at T0 the agent queues A (two parts; the second is throttled) and right after it B
    const { wa, conversationId } = await openConversation();
    const throttled = { kind: 'throttled' as const, error: { code: '131056', title: 'Pair rate limit hit' } };
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.behind-a0' }, throttled);
    await enqueue(
      sendCommand(conversationId, 'queued-first', [
        { type: 'text', text: 'Your parcel left today.' },
        { type: 'text', text: 'Here is its tracking number.' },
      ]),
    );
    await enqueue(sendCommand(conversationId, 'queued-behind', [{ type: 'text', text: 'Anything else?' }]));
    await hub.runOutbox(sender(), 1);
    // the customer asks something at T0+1m (minute 121), after B was queued
    await hub.pipeline.ingest([messageEvent(wa, `wamid.question-behind-${wa}`, minute(121))]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    // Act: at T0+3m A's second part goes, and the sender takes B
    hub.now = new Date(T0.getTime() + 3 * 60_000);
    hub.provider.script.push({ kind: 'accepted', providerMessageId: 'wamid.behind-a1' });
    await hub.runOutbox(sender());
    // Assess: B counts as taken when it was queued (until 2026-12-06, when the sender took it: T0+3m,
    // which covered the question); only B's record keeps it, A was taken as soon as it was queued
    const sent = (await outcomes()) as Sent[];
    expect(sent.map((event) => [event.data.idempotencyKey, event.data.takenAt])).toEqual([
      ['queued-first', T0.toISOString()],
      ['queued-behind', T0.toISOString()],
    ]);
    const behind = await hub.sends.get(outboundHubMessageId(conversationId, 'queued-behind'));
    expect(behind).toMatchObject({ acceptedAt: hub.now.toISOString(), queuedAt: T0.toISOString() });
    const first = await hub.sends.get(outboundHubMessageId(conversationId, 'queued-first'));
    expect(first).not.toHaveProperty('queuedAt');
    const view = await hub.pipeline.read.getConversation(conversationId);
    expect(view?.state.waitingSince).toBe(minute(121));
  });

  it('fails a later part without resending the earlier, naming what went', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    hub.provider.script.push(
      { kind: 'accepted', providerMessageId: 'wamid.part0' },
      {
        kind: 'refused',
        reason: 'recipient_unreachable',
        retryable: false,
        error: { code: '131026', title: 'Message undeliverable' },
      },
    );
    await hub.enqueue(
      sendCommand(conversationId, 'two-parts', [
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
      ]),
    );
    // Act
    await hub.runOutbox();
    // Assess
    expect(hub.provider.calls).toHaveLength(2);
    const [failed] = (await outcomes()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'recipient_unreachable',
      retryable: false,
      partIndex: 1,
      sentProviderMessageIds: ['wamid.part0'],
      errors: [{ code: '131026', title: 'Message undeliverable' }],
    });
  });

  it('fails a refusal at once with its reason when the provider words it at any length', async () => {
    // Prepare: a refusal whose error texts would make the send record larger than DynamoDB allows
    const { conversationId } = await openConversation();
    hub.provider.script.push({
      kind: 'refused',
      reason: 'content_invalid',
      retryable: false,
      error: {
        code: '100',
        title: 'Invalid parameter',
        message: 'm'.repeat(300_000),
        details: 'd'.repeat(300_000),
      },
    });
    await hub.enqueue(sendCommand(conversationId, 'wordy-refusal'));
    // Act
    const { failed } = await hub.runOutbox();
    // Assess: one call, no failed delivery, the refusal's own reason with the provider's words cut short
    expect(failed).toBe(0);
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data.reason)).toEqual(['content_invalid']);
    const [error] = events[0]?.data.errors ?? [];
    expect(error).toMatchObject({ code: '100', title: 'Invalid parameter' });
    expect(error?.message?.startsWith('mmm')).toBe(true);
    expect(error?.message?.endsWith('…[truncated]')).toBe(true);
    expect(error?.message?.length).toBeLessThan(2_000);
    expect(error?.details?.length).toBeLessThan(2_000);
  });

  it('sends nothing more for a command redelivered while its endpoint is paused', async () => {
    // Prepare: part one goes, part two is throttled, then the endpoint is paused (another command's
    // credentials were refused), past the pause reads this environment had cached
    const { conversationId } = await openConversation();
    hub.provider.script.push(
      { kind: 'accepted', providerMessageId: 'wamid.before-pause' },
      { kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } },
    );
    await hub.enqueue(
      sendCommand(conversationId, 'paused-later', [
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
      ]),
    );
    const sender = hub.sender();
    await hub.runOutbox(sender, 1);
    const plan = (await hub.sends.get(outboundHubMessageId(conversationId, 'paused-later')))?.plan;
    if (!plan) throw new Error('no send record');
    hub.now = new Date(T0.getTime() + 31_000);
    const { clients, resources } = hub.pipeline.emulators;
    const pauses = createEndpointPauses({
      client: clients.dynamodb,
      tableName: resources.tableName,
      now: () => hub.now,
    });
    const endpoint = { provider: plan.provider, endpoint: plan.endpoint };
    await pauses.pause(endpoint, new Date(T0.getTime() + 5 * 60_000), '190');
    // Act
    try {
      await hub.runOutbox(sender);
    } finally {
      // The other tests send from the same business number: the pause is lifted, as a person would.
      await clients.dynamodb.send(
        new DeleteItemCommand({
          TableName: resources.tableName,
          Key: marshall(endpointPauseKey(endpoint.provider, endpoint.endpoint)),
        }),
      );
    }
    // Assess: no third call; the command ends naming the pause and what went before it
    expect(hub.provider.calls).toHaveLength(2);
    const [failed] = (await outcomes()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'credentials',
      retryable: true,
      partIndex: 1,
      sentProviderMessageIds: ['wamid.before-pause'],
    });
  });

  it("keeps the name an upload stored with its file in the send's plan, the key holding none", async () => {
    // Prepare: a file uploaded as `POST /v1/media` has it stored (its name in its Content-Disposition)
    const { conversationId } = await openConversation();
    const { clients, resources } = hub.pipeline.emulators;
    const s3Key = 'media/outbound/0f1e2d3c4b5a69788796a5b4c3d2e1f0/file.pdf';
    const filename = 'Invoice jane.doe@example.com +49 151 12345678.pdf';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: resources.bucketName,
        Key: s3Key,
        Body: new TextEncoder().encode('%PDF-1.7 invoice'),
        ContentType: 'application/pdf',
        ContentDisposition: uploadDisposition(filename),
      }),
    );
    await hub.enqueue(
      sendCommand(conversationId, 'uploaded-file', [{ type: 'media', kind: 'file', source: { s3Key } }]),
    );
    // Act
    await hub.runOutbox();
    // Assess
    const record = await hub.sends.get(outboundHubMessageId(conversationId, 'uploaded-file'));
    // The file's key too: the command is not stored, and erasure finds a failed send's file here.
    expect(record?.plan?.media).toEqual({
      '0': { s3Key, bytes: 16, contentType: 'application/pdf', filename },
    });
    expect(hub.provider.calls).toHaveLength(1);
    expect((await outcomes()).map((event) => event.type)).toEqual(['switchboard.message.sent']);
  });

  it('keeps the upload a send refused before looking at its files names, so erasing the customer deletes it', async () => {
    // Prepare: an invoice uploaded for the customer, sent outside the 24-hour window (refused at once)
    const { wa, conversationId } = await openConversation(
      new Date(T0.getTime() - 25 * 3_600_000).toISOString(),
    );
    const { clients, resources } = hub.pipeline.emulators;
    const s3Key = 'media/outbound/2a3b4c5d6e7f80918293a4b5c6d7e8f9/invoice.pdf';
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: resources.bucketName,
        Key: s3Key,
        Body: new TextEncoder().encode('%PDF'),
      }),
    );
    await hub.enqueue(
      sendCommand(conversationId, 'refused-upload', [{ type: 'media', kind: 'file', source: { s3Key } }]),
    );
    await hub.runOutbox();
    const deleted: string[] = [];
    // Act
    await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: {
          client: clients.dynamodb,
          tableName: resources.tableName,
          now: () => hub.now,
        },
        deleteObjects: async (keys) => void deleted.push(...keys),
      },
      contactIdFor('whatsapp', { identities: [{ type: 'wa_id', value: wa }] }, conversationId),
    );
    // Assess: refused with no call; before, nothing named the file and it stayed until the bucket's lifecycle
    expect((await outcomes()).map((event) => event.data)).toEqual([
      expect.objectContaining({ reason: 'window_closed' }),
    ]);
    expect(hub.provider.calls).toHaveLength(0);
    expect(deleted).toContain(s3Key);
  });

  it('keeps out of a refused send’s files a key it could never have sent, which S3 could not take back', async () => {
    // Prepare: an upload, and beside it a key with a control character (U+0010), which the contract
    // takes (1–1024 characters) and S3's DeleteObjects cannot carry (its XML body refuses it)
    const { conversationId } = await openConversation();
    const uploaded = 'media/outbound/3b4c5d6e7f8091a2b3c4d5e6f7081920/invoice.pdf';
    await putUpload(hub, uploaded, new TextEncoder().encode('%PDF'), 'application/pdf');
    const unsafe = 'media/outbound/abc\u0010def/file.png';
    await hub.enqueue(
      sendCommand(conversationId, 'unsafe-key', [
        { type: 'media', kind: 'file', source: { s3Key: uploaded } },
        { type: 'media', kind: 'image', source: { s3Key: unsafe } },
      ]),
    );
    // Act
    await hub.runOutbox();
    // Assess: refused at the unsafe key, no call; the record names the upload alone
    const record = await hub.sends.get(outboundHubMessageId(conversationId, 'unsafe-key'));
    expect(record?.state).toBe('failed');
    expect(record?.failure).toMatchObject({ failedField: 'parts.1.source.s3Key' });
    expect(hub.provider.calls).toHaveLength(0);
    expect(record?.files).toEqual([{ s3Key: uploaded }]);
  });

  it("refuses another conversation's stored attachment before any provider call, and sends it in its own", async () => {
    // Prepare: customer B's photo, where the media fetcher stores it (under B's conversation)
    const { conversationId: customerA } = await openConversation();
    const { conversationId: customerB } = await openConversation();
    const s3Key = `attachments/${customerB}/msg_${'b'.repeat(32)}/0`;
    const { clients, resources } = hub.pipeline.emulators;
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: resources.bucketName,
        Key: s3Key,
        Body: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]),
        ContentType: 'image/jpeg',
      }),
    );
    const photo = [{ type: 'media' as const, kind: 'image' as const, source: { s3Key } }];
    // Act
    await hub.enqueue(sendCommand(customerA, 'others-photo', photo));
    await hub.runOutbox();
    const toA = await outcomes();
    const callsToA = hub.provider.calls.length;
    await hub.enqueue(sendCommand(customerB, 'own-photo', photo));
    await hub.runOutbox();
    const toB = await outcomes();
    // Assess
    expect(callsToA).toBe(0);
    expect(toA.map((event) => [event.type, event.data])).toEqual([
      [
        'switchboard.message.send_failed',
        expect.objectContaining({
          conversationId: customerA,
          reason: 'content_invalid',
          retryable: false,
          failedField: 'parts.0.source.s3Key',
        }),
      ],
    ]);
    expect(toB.map((event) => [event.type, event.data])).toEqual([
      ['switchboard.message.sent', expect.objectContaining({ conversationId: customerB })],
    ]);
    expect(hub.provider.calls).toHaveLength(1);
  });

  it('keeps the attempt another delivery noted when its own upload is throttled: the unanswered call is never made again', async () => {
    // Prepare: a file to send, and a provider that uploads it; two deliveries of the command at once
    // (the first outlived its visibility timeout), the second's upload throttled after the first noted its call
    const { conversationId } = await openConversation();
    const s3Key = 'media/outbound/1f2e3d4c5b6a79889706b5c4d3e2f1a0/photo.jpg';
    await putUpload(hub, s3Key, new TextEncoder().encode('jpeg bytes'), 'image/jpeg');
    const command = sendCommand(conversationId, 'raced-upload', [
      { type: 'media', kind: 'image', source: { s3Key } },
    ]);
    await hub.enqueue(command);
    const provider = hub.provider.sender as { -readonly [K in keyof ChannelSender]: ChannelSender[K] };
    const send = provider.send;
    let secondDelivery: Promise<unknown> | undefined;
    let secondUploading: () => void = () => {};
    let throttleSecondUpload: () => void = () => {};
    const secondUploads = new Promise<void>((resolve) => {
      secondUploading = resolve;
    });
    const uploads: string[] = [];
    provider.uploadMedia = async () => {
      uploads.push('upload');
      if (uploads.length === 1) {
        // The first delivery's upload: the second delivery starts now and reaches its own upload.
        secondDelivery = hub.sender().handleSqsEvent({ Records: [receivedCommand(command, 2)] });
        await secondUploads;
        return { mediaId: 'media-1' };
      }
      if (uploads.length === 2) {
        secondUploading();
        await new Promise<void>((resolve) => {
          throttleSecondUpload = resolve;
        });
        return { kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } };
      }
      return { mediaId: `media-${uploads.length}` };
    };
    provider.send = async (message, context) => {
      // While the first delivery's call is at the provider, the second's upload is throttled.
      throttleSecondUpload();
      await secondDelivery;
      return send(message, context);
    };
    hub.provider.script.push({ kind: 'accepted-silently' });
    try {
      // Act: the first delivery's call goes unanswered; later deliveries, then past the outcome wait
      await hub.runOutbox(undefined, 1);
      hub.now = new Date(T0.getTime() + 2 * 60_000);
      await hub.runOutbox(undefined, 3);
      hub.now = new Date(T0.getTime() + 11 * 60_000);
      await hub.runOutbox();
    } finally {
      provider.send = send;
      delete provider.uploadMedia;
    }
    // Assess: one call, which may have gone, and one outcome saying so
    expect(hub.provider.calls).toHaveLength(1);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data.reason)).toEqual(['outcome_unknown']);
  });

  it('refuses outside the 24-hour window without calling the provider, but lets a template through', async () => {
    // Prepare: the customer last wrote 25 hours before T0
    const { conversationId } = await openConversation(new Date(T0.getTime() - 25 * 3_600_000).toISOString());
    await hub.enqueue(sendCommand(conversationId, 'late-text'));
    await hub.enqueue(
      sendCommand(conversationId, 'late-template', [
        { type: 'template', name: 'order_update', language: 'en_US', category: 'utility' },
      ]),
    );
    // Act
    await hub.runOutbox();
    // Assess
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
    expect((events[0] as Failed).data).toMatchObject({
      reason: 'window_closed',
      failedField: 'parts.0',
      retryable: false,
    });
    expect(hub.provider.calls.map((call) => call.message.part.type)).toEqual(['template']);
    expect(hub.provider.calls[0]?.context.policy).toEqual({ withinWindow: false, humanAgentTag: false });
  });

  it('refuses a human agent’s Messenger reaction past the 24 hours without calling the provider, but tags their text HUMAN_AGENT', async () => {
    // Prepare: a Messenger customer who last wrote two days before T0 (inside the agent's 7 days)
    const n = ++customer;
    const { conversationId } = await openCustomerConversation(
      hub,
      { prefix: '4915550', tag: 'in' },
      n,
      new Date(T0.getTime() - 48 * 3_600_000).toISOString(),
      'messenger',
    );
    const reaction = { type: 'reaction' as const, targetProviderMessageId: `wamid.in${n}`, emoji: '👍' };
    await hub.enqueue(sendCommand(conversationId, 'late-reaction', [reaction]));
    await hub.enqueue(
      sendCommand(conversationId, 'late-text-then-reaction', [{ type: 'text', text: 'On it.' }, reaction]),
    );
    await hub.enqueue(sendCommand(conversationId, 'late-agent-text'));
    // Act
    await hub.runOutbox();
    // Assess: a sender action carries no tag, so no reaction (nor the command holding one) reached Meta
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.send_failed',
      'switchboard.message.sent',
    ]);
    expect((events[0] as Failed).data).toMatchObject({
      reason: 'window_closed',
      failedField: 'parts.0',
      retryable: false,
    });
    expect((events[1] as Failed).data).toMatchObject({ reason: 'window_closed', failedField: 'parts.1' });
    expect(hub.provider.calls.map((call) => [call.message.part.type, call.context.policy])).toEqual([
      ['text', { withinWindow: false, humanAgentTag: true }],
    ]);
  });

  it('refuses marketing templates to a customer who stopped marketing, and utility templates still go', async () => {
    // Prepare
    const { wa, conversationId } = await openConversation();
    const sms = consentEvent(
      wa,
      'opted_out',
      minute(110),
      'STOP',
    ) as HubEventOf<'switchboard.contact.consent_changed'>;
    const stop = buildEvent('switchboard.contact.consent_changed', 'evt_whatsapp_marketing_stop', {
      ...sms.data,
      ...conversationFor(wa),
      provider: 'meta',
      scope: 'whatsapp_marketing',
    });
    await hub.pipeline.ingest([stop]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
    // Act
    await hub.enqueue(
      sendCommand(conversationId, 'promo', [
        { type: 'template', name: 'sale', language: 'en', category: 'marketing' },
      ]),
    );
    await hub.enqueue(
      sendCommand(conversationId, 'receipt', [
        { type: 'template', name: 'receipt', language: 'en', category: 'utility' },
      ]),
    );
    // No category: the hub cannot tell a marketing template from another, so the opt-out refuses it.
    await hub.enqueue(
      sendCommand(conversationId, 'unsaid', [{ type: 'template', name: 'sale', language: 'en' }]),
    );
    await hub.runOutbox();
    // Assess
    const events = await outcomes();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.send_failed',
      'switchboard.message.sent',
      'switchboard.message.send_failed',
    ]);
    expect((events[0] as Failed).data).toMatchObject({ reason: 'opted_out', failedField: 'parts.0' });
    expect((events[2] as Failed).data).toMatchObject({ reason: 'opted_out', failedField: 'parts.0' });
    expect((events[2] as Failed).data.idempotencyKey).toBe('unsaid');
    expect(hub.provider.calls).toHaveLength(1);
  });

  it('ends unknown conversations, passed deadlines and refused content in send_failed, without a provider call', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    // Act
    await hub.enqueue(sendCommand('conv_00000000000000000000000000000000', 'nowhere'));
    await hub.enqueue(
      sendCommand(conversationId, 'too-late', undefined, { deadline: '2026-11-22T11:59:00.000Z' }),
    );
    await hub.enqueue(sendCommand(conversationId, 'refused', [{ type: 'text', text: 'x <refuse>' }]));
    await hub.runOutbox();
    // Assess
    const reasons = ((await outcomes()) as Failed[]).map((event) => [
      event.data.reason,
      event.data.failedField,
    ]);
    // One outcome each; order holds within a conversation (its message group), not across the two.
    expect(reasons.filter(([reason]) => reason !== 'conversation_unknown')).toEqual([
      ['deadline_exceeded', 'deadline'],
      ['content_invalid', 'parts.0.text'],
    ]);
    expect(reasons.filter(([reason]) => reason === 'conversation_unknown')).toEqual([
      ['conversation_unknown', 'conversationId'],
    ]);
    expect(reasons).toHaveLength(3);
    expect(hub.provider.calls).toHaveLength(0);
  });

  it('checks the deadline again after waiting for the endpoint’s turn, and sends nothing past it', async () => {
    // Prepare: every turn at the provider's rate takes 5 s (of the harness's clock); a one-message
    // reply and a reply with a file (whose turn comes after the claim), each due in 2 s.
    const { conversationId } = await openConversation();
    const slowTurns = hub.sender(undefined, {
      endpointTurn: () => {
        hub.now = new Date(hub.now.getTime() + 5_000);
        return { waitMs: 0 };
      },
    });
    const dueIn2s = () => ({ deadline: new Date(hub.now.getTime() + 2_000).toISOString() });
    // Act
    await hub.enqueue(sendCommand(conversationId, 'one-message-late', undefined, dueIn2s()));
    await hub.runOutbox(slowTurns);
    const oneMessage = await outcomes();
    await hub.enqueue(
      sendCommand(
        conversationId,
        'two-messages-late',
        [
          { type: 'text', text: 'first' },
          { type: 'text', text: 'second' },
        ],
        dueIn2s(),
      ),
    );
    await hub.runOutbox(slowTurns);
    const twoMessages = await outcomes();
    // Assess
    for (const events of [oneMessage, twoMessages]) {
      expect(events).toHaveLength(1);
      expect((events[0] as Failed).data).toMatchObject({
        reason: 'deadline_exceeded',
        failedField: 'deadline',
      });
    }
    expect(hub.provider.calls).toHaveLength(0);
  });

  it("hands the command's deadline to every provider call, so a provider's own queue can drop the message then", async () => {
    // Prepare: a two-message reply due in 5 minutes, and one without a deadline
    const { conversationId } = await openConversation();
    const deadline = new Date(T0.getTime() + 300_000).toISOString();
    const parts = [
      { type: 'text' as const, text: 'first' },
      { type: 'text' as const, text: 'second' },
    ];
    // Act
    await hub.enqueue(sendCommand(conversationId, 'due-in-5-minutes', parts, { deadline }));
    await hub.runOutbox();
    await hub.enqueue(sendCommand(conversationId, 'no-deadline', [{ type: 'text', text: 'third' }]));
    await hub.runOutbox();
    // Assess
    expect((await outcomes()).map((event) => event.type)).toEqual([
      'switchboard.message.sent',
      'switchboard.message.sent',
    ]);
    expect(hub.provider.calls.map((call) => call.context.deadline)).toEqual([deadline, deadline, undefined]);
  });

  it('sends a command back, nothing noted or sent, when waiting for its endpoint’s turn used up the invocation’s time', async () => {
    // Prepare: every invocation starts with 30 s and needs 12 s left to call a provider; each turn at
    // the provider's rate leaves it 1 s. A one-message reply (its turn comes before the claim) and a
    // reply of two messages (claimed first, then each message's turn).
    const { conversationId } = await openConversation();
    let remaining = 0;
    const turnsTakeTheTime = hub.sender(undefined, {
      limits: { ...HARNESS_LIMITS, minRemainingMs: 12_000 },
      endpointTurn: () => {
        remaining = 1_000;
        return { waitMs: 0 };
      },
    });
    const lowOnTime: OutboxService = {
      handleSqsEvent: (event) => {
        remaining = 30_000;
        return turnsTakeTheTime.handleSqsEvent(event, () => remaining);
      },
    };
    const twoMessages = [
      { type: 'text' as const, text: 'first' },
      { type: 'text' as const, text: 'second' },
    ];
    await hub.enqueue(sendCommand(conversationId, 'turn-took-the-time'));
    await hub.enqueue(sendCommand(conversationId, 'turns-took-the-time', twoMessages));
    // Act
    await hub.runOutbox(lowOnTime, 3);
    const callsWhileShort = hub.provider.calls.length;
    const eventsWhileShort = await outcomes();
    const oneRecord = await hub.sends.get(outboundHubMessageId(conversationId, 'turn-took-the-time'));
    const twoRecord = await hub.sends.get(outboundHubMessageId(conversationId, 'turns-took-the-time'));
    await hub.runOutbox();
    const events = await outcomes();
    // Assess: nothing went or was noted while time was short; then each went once, in order
    expect(callsWhileShort).toBe(0);
    expect(eventsWhileShort).toEqual([]);
    expect(oneRecord).toBeUndefined();
    expect(twoRecord?.inFlight).toBeUndefined();
    expect(events.map((event) => event.type)).toEqual([
      'switchboard.message.sent',
      'switchboard.message.sent',
    ]);
    expect(hub.provider.calls).toHaveLength(3);
  });

  it('answers a malformed command it can attribute with content_invalid, and dead-letters one it cannot', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const malformed = sendCommand(conversationId, 'bad-parts', [{ type: 'text', text: '' }]);
    // Act
    await hub.enqueue(malformed);
    await hub.enqueue({ hello: 'world', id: 'junk', data: { conversationId } });
    await hub.runOutbox();
    // Assess
    const [failed] = (await outcomes()) as Failed[];
    expect(failed?.data).toMatchObject({
      reason: 'content_invalid',
      failedField: 'parts.0.text',
      idempotencyKey: 'bad-parts',
    });
    expect(await hub.outboxDlq()).toEqual(['not a command the hub knows']);
    expect(hub.provider.calls).toHaveLength(0);
  });

  it('refuses an interactive part whose body is only whitespace with content_invalid naming its body', async () => {
    // Prepare: before 2026-12-06 the contract took it and the provider got a blank body beside the buttons
    const { conversationId } = await openConversation();
    const blank = sendCommand(conversationId, 'blank-body', [
      { type: 'text', text: 'Hello' },
      { type: 'interactive', body: ' \n ', buttons: [{ id: 'yes', title: 'Yes' }] },
    ]);
    // Act
    await hub.enqueue(blank);
    await hub.runOutbox();
    // Assess
    const [failed, ...others] = (await outcomes()) as Failed[];
    expect(others).toEqual([]);
    expect(failed?.data).toMatchObject({
      reason: 'content_invalid',
      failedField: 'parts.1.body',
      idempotencyKey: 'blank-body',
    });
    expect(hub.provider.calls).toHaveLength(0);
  });

  it('refuses a text holding half an emoji with content_invalid naming it, and one of only zero-width spaces alike', async () => {
    // Prepare: before 2026-12-06 both went out, the first as a `\ud83d` escape (U+FFFD through Twilio
    // or in a mail), the second as a message that showed nothing
    const { conversationId } = await openConversation();
    const halfEmoji = sendCommand(conversationId, 'half-emoji', [
      { type: 'text', text: 'Hello' },
      { type: 'text', text: 'Thanks for waiting \uD83D' },
    ]);
    const invisible = sendCommand(conversationId, 'invisible', [{ type: 'text', text: '\u200B\u2060' }]);
    // Act
    await hub.enqueue(halfEmoji);
    await hub.enqueue(invisible);
    await hub.runOutbox();
    // Assess
    const failed = (await outcomes()) as Failed[];
    expect(failed.map((event) => event.data)).toEqual([
      expect.objectContaining({
        reason: 'content_invalid',
        failedField: 'parts.1.text',
        idempotencyKey: 'half-emoji',
      }),
      expect.objectContaining({
        reason: 'content_invalid',
        failedField: 'parts.0.text',
        idempotencyKey: 'invisible',
      }),
    ]);
    expect(hub.provider.calls).toHaveLength(0);
  });

  it('answers a command larger than a command may be, up to the outbox’s 1 MiB, with content_invalid when it names its conversation and key, and dead-letters one that does not', async () => {
    // Prepare: one 300 KiB text, over the 256 KiB of a command; and a command of no key as large
    const { conversationId } = await openConversation();
    const long = 'x'.repeat(300 * 1024);
    const oversize = sendCommand(conversationId, 'oversize', [
      { type: 'text', text: 'Hello' },
      { type: 'text', text: long },
    ]);
    // Act
    await hub.enqueue(oversize);
    await hub.enqueue({ id: 'oversize-junk', type: oversize.type, data: { conversationId, note: long } });
    await hub.runOutbox();
    // Assess: the one it can attribute ends in send_failed naming the long text and the limit, nothing sent
    expect(hub.provider.calls).toHaveLength(0);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data)).toEqual([
      expect.objectContaining({
        commandId: oversize.id,
        idempotencyKey: 'oversize',
        reason: 'content_invalid',
        retryable: false,
        failedField: 'parts.1.text',
      }),
    ]);
    expect(events[0]?.data.errors?.[0]?.title).toContain(`larger than the ${256 * 1024} bytes (256 KiB)`);
    expect(await hub.outboxDlq()).toEqual([`command larger than ${256 * 1024} bytes`]);
    const record = await hub.sends.get(outboundHubMessageId(conversationId, 'oversize'));
    expect(record).toMatchObject({ state: 'failed', published: true, commandId: oversize.id });
  });

  it('names a deeply nested oversize command’s largest field no deeper than eight levels', async () => {
    // Prepare: 300 KiB of text under 40 nested arrays: each level holds all of it
    const { conversationId } = await openConversation();
    let nested: unknown = 'x'.repeat(300 * 1024);
    for (let level = 0; level < 40; level++) nested = [nested];
    const base = sendCommand(conversationId, 'deep-oversize');
    const deep = { ...base, data: { ...base.data, parts: nested } };
    // Act
    await hub.enqueue(deep);
    await hub.runOutbox();
    // Assess
    const [refused] = (await outcomes()) as Failed[];
    expect(refused?.data).toMatchObject({ reason: 'content_invalid', idempotencyKey: 'deep-oversize' });
    expect(refused?.data.failedField).toBe('parts.0.0.0.0.0.0.0');
  });

  it('answers a command with a field the contract does not name inside it with content_invalid, sending nothing', async () => {
    // Prepare: a misspelled media caption, which a loose schema would drop and send the image without it
    const { conversationId } = await openConversation();
    const image = { type: 'media', kind: 'image', source: { url: 'https://cdn.example.com/a.png' } } as const;
    const misspelled = sendCommand(conversationId, 'misspelled', [{ ...image, ...{ captoin: 'Hi' } }]);
    // Act
    await hub.enqueue(misspelled);
    await hub.runOutbox();
    // Assess
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => event.data)).toEqual([
      expect.objectContaining({
        reason: 'content_invalid',
        failedField: 'parts.0',
        idempotencyKey: 'misspelled',
      }),
    ]);
    expect(hub.provider.calls).toHaveLength(0);
  });

  /** The outbox's SQS record of `body` (as it came) at its first receive, in a message group of its own. */
  const elsewhereRaw = (body: string, messageId: string) =>
    outboxRecord({ messageId, body, messageGroupId: `group-${messageId}`, receiveCount: 1 });
  /** The outbox's SQS record of `body` at its first receive, in a message group of its own. */
  const elsewhere = (body: unknown, messageId: string) => elsewhereRaw(JSON.stringify(body), messageId);

  it('ends a malformed command under the key of a command still sending in its own send_failed; that command ends in its sent event', async () => {
    // Prepare: the command is throttled once, so its send record is still sending
    const { conversationId } = await openConversation();
    hub.provider.script.push({ kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } });
    const command = sendCommand(conversationId, 'malformed-other');
    await hub.enqueue(command);
    await hub.runOutbox(undefined, 1);
    // Act: another command under the same key, malformed and in another message group, arrives meanwhile
    const malformed = { ...command, id: 'cmd-malformed-other', data: { ...command.data, parts: [] } };
    const answer = await hub.sender().handleSqsEvent({ Records: [elsewhere(malformed, 'malformed-other')] });
    await hub.runOutbox();
    // Assess: each command ends in one event of its own, with its own command id
    expect(answer.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(2);
    const events = (await outcomes()) as (Failed | Sent)[];
    expect(events.map((event) => [event.type, event.data.commandId])).toEqual([
      ['switchboard.message.send_failed', malformed.id],
      ['switchboard.message.sent', command.id],
    ]);
    const [refused, sent] = events as [Failed, Sent];
    expect(refused.id).not.toBe(sent.id);
    const hubMessageId = outboundHubMessageId(conversationId, 'malformed-other');
    expect(refused.data).toMatchObject({ hubMessageId, reason: 'content_invalid', failedField: 'parts' });
    expect(sent.data.hubMessageId).toBe(hubMessageId);
    expect(await hub.sends.get(hubMessageId)).toMatchObject({
      commandId: command.id,
      state: 'sent',
      published: true,
    });
    expect(await hub.outboxDlq()).toEqual([]);
  });

  it('answers nothing for a malformed redelivery of a command still sending (its command id): the command ends in its one event', async () => {
    // Prepare: the command is throttled once, so its send record is still sending
    const { conversationId } = await openConversation();
    hub.provider.script.push({ kind: 'throttled', error: { code: '130429', title: 'Rate limit hit' } });
    const command = sendCommand(conversationId, 'retried-malformed');
    await hub.enqueue(command);
    await hub.runOutbox(undefined, 1);
    // Act: the same command (its id) comes again, malformed and in another message group, meanwhile
    const malformed = { ...command, data: { ...command.data, parts: [] } };
    const answer = await hub.sender().handleSqsEvent({ Records: [elsewhere(malformed, 'malformed-retry')] });
    await hub.runOutbox();
    // Assess: the command, by its id, ends in exactly one event: the sent one
    expect(answer.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(2);
    const events = (await outcomes()) as (Failed | Sent)[];
    expect(events.map((event) => [event.type, event.data.commandId])).toEqual([
      ['switchboard.message.sent', command.id],
    ]);
    expect((events[0] as Sent).data.hubMessageId).toBe(
      outboundHubMessageId(conversationId, 'retried-malformed'),
    );
  });

  it('ends a malformed command under the key of a failed command not yet published in its own send_failed, and that command in its own', async () => {
    // Prepare: the command is refused before any call and its delivery dies before the failure is published
    const { conversationId } = await openConversation();
    const command = sendCommand(conversationId, 'malformed-unpublished', [
      { type: 'text', text: '<refuse>' },
    ]);
    let crashed = false;
    const crashing = hub.sender((step) => {
      if (step === 'claim' && !crashed) {
        crashed = true;
        throw new Error('crash after claim');
      }
    });
    await hub.enqueue(command);
    await hub.runOutbox(crashing, 1);
    const hubMessageId = outboundHubMessageId(conversationId, 'malformed-unpublished');
    const before = await hub.sends.get(hubMessageId);
    // Act: another command under the key, malformed, then the first command's redelivery
    const malformed = { ...command, id: 'cmd-malformed-unpublished', data: { ...command.data, parts: [] } };
    const answer = await hub.sender().handleSqsEvent({ Records: [elsewhere(malformed, 'malformed-unpub')] });
    const after = await hub.sends.get(hubMessageId);
    await hub.runOutbox();
    // Assess: the key's record was left as it was; each command ends in its own failure, once
    expect(crashed).toBe(true);
    expect(before).toMatchObject({ state: 'failed', commandId: command.id });
    expect(before?.published).toBeUndefined();
    expect(after).toEqual(before);
    expect(answer.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(0);
    const events = (await outcomes()) as Failed[];
    expect(events.map((event) => [event.data.commandId, event.data.failedField])).toEqual([
      [malformed.id, 'parts'],
      [command.id, 'parts.0.text'],
    ]);
    expect(events[0]?.id).not.toBe(events[1]?.id);
    expect(await hub.sends.get(hubMessageId)).toMatchObject({ commandId: command.id, published: true });
  });

  it('ends two malformed commands under one key each in its own send_failed, a redelivery in none more', async () => {
    // Prepare
    const { conversationId } = await openConversation();
    const first = sendCommand(conversationId, 'malformed-twice', []);
    const second = sendCommand(conversationId, 'malformed-twice', [{ type: 'text', text: '' }]);
    // Act: both, then each again
    await hub.enqueue(first);
    await hub.enqueue(second);
    await hub.runOutbox();
    await hub.enqueue(first, '-again');
    await hub.enqueue(second, '-again');
    await hub.runOutbox();
    // Assess: one event per command (the redeliveries publish the same event ids again)
    const events = (await outcomes()) as Failed[];
    const byId = new Map(events.map((event) => [event.id, event.data]));
    expect([...byId.values()].map((data) => [data.commandId, data.failedField])).toEqual([
      [first.id, 'parts'],
      [second.id, 'parts.0.text'],
    ]);
    expect(await hub.outboxDlq()).toEqual([]);
  });

  it('ends a malformed command nested too deep to write out in its own send_failed, under another command’s key or over 256 KiB', async () => {
    // Prepare: a command is sent under a key
    const { conversationId } = await openConversation();
    const command = sendCommand(conversationId, 'deep');
    await hub.enqueue(command);
    await hub.runOutbox();
    /** A send command whose parts are arrays nested `depth` deep: more than a JSON writer's call stack takes. */
    const nested = (id: string, key: string, depth: number) =>
      `{"specversion":"1.0","id":"${id}","source":"helpdesk:test","type":"${command.type}","data":{"conversationId":"${conversationId}","idempotencyKey":"${key}","parts":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    // Act: one such command under the sent command's key, and one over 256 KiB under a key of its own
    const answer = await hub.sender().handleSqsEvent({
      Records: [
        elsewhereRaw(nested('cmd-deep', 'deep', 100_000), 'deep'),
        elsewhereRaw(nested('cmd-deep-oversize', 'deep-oversize', 150_000), 'deep-oversize'),
      ],
    });
    // Assess: each ends in its own refusal; the sent command's event stands alone
    expect(answer.batchItemFailures).toEqual([]);
    expect(hub.provider.calls).toHaveLength(1);
    const [sent, ...refused] = (await outcomes()) as [Sent, ...Failed[]];
    expect([sent.type, sent.data.commandId]).toEqual(['switchboard.message.sent', command.id]);
    const refusals = new Map(refused.map((event) => [event.data.commandId, event.data]));
    expect(refused).toHaveLength(2);
    expect(refusals.get('cmd-deep')).toMatchObject({ reason: 'content_invalid', failedField: 'parts.0' });
    expect(refusals.get('cmd-deep-oversize')).toMatchObject({
      reason: 'content_invalid',
      failedField: 'parts',
    });
    expect(refusals.get('cmd-deep-oversize')?.errors?.[0]?.title).toContain('larger than');
    expect(await hub.outboxDlq()).toEqual([]);
  });

  it('records the echo of a failed send’s unknown message as a message, and never the echo of one it reported sent', async () => {
    // Prepare: part 0 goes, part 1's call goes unanswered and the send ends outcome_unknown naming part 0
    const { wa, conversationId } = await openConversation();
    hub.provider.script.push(
      { kind: 'accepted', providerMessageId: 'mid.known0' },
      { kind: 'ambiguous', error: { code: 'TimeoutError' } },
    );
    await hub.enqueue(
      sendCommand(conversationId, 'half-known', [
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two' },
      ]),
    );
    await hub.runOutbox(undefined, 1);
    hub.now = new Date(T0.getTime() + 11 * 60_000);
    await hub.runOutbox(undefined, 1);
    const [failed] = (await outcomes()) as Failed[];
    const before = await hub.pipeline.read.getConversation(conversationId);
    const echoOf = (providerMessageId: string, sequence: number) => {
      const echo = messageEvent(wa, providerMessageId, minute(122), 'outbound') as Sent;
      return { ...echo, data: { ...echo.data, correlationId: `${failed?.data.hubMessageId}.${sequence}` } };
    };
    // Act: Messenger echoes both messages
    await hub.pipeline.ingest([echoOf('mid.known0', 0), echoOf('mid.unknown1', 1)]);
    await hub.pipeline.drain();
    // Assess: only the message the failure could not name becomes a message of the conversation
    expect(failed?.data).toMatchObject({ reason: 'outcome_unknown', sentProviderMessageIds: ['mid.known0'] });
    const sent = outcomesOf(await hub.pipeline.takeHelpdesk()) as Sent[];
    expect(sent.map((event) => event.data.providerMessageId)).toEqual(['mid.unknown1']);
    const after = await hub.pipeline.read.getConversation(conversationId);
    expect(after?.state.messageCount).toBe((before?.state.messageCount ?? 0) + 1);
  });

  it('records the echo of its own send once: the correlation id marks it as the hub message', async () => {
    // Prepare
    const { wa, conversationId } = await openConversation();
    await hub.enqueue(sendCommand(conversationId, 'echoed'));
    await hub.runOutbox();
    const [sent] = (await outcomes()) as Sent[];
    // Act: the provider echoes the message back (Messenger does, with the metadata the hub sent)
    const echo = messageEvent(wa, sent?.data.providerMessageId ?? '', minute(121), 'outbound') as Sent;
    await hub.pipeline.ingest([
      { ...echo, data: { ...echo.data, correlationId: `${sent?.data.hubMessageId}.0` } },
    ]);
    await hub.pipeline.drain();
    // Assess
    expect(await hub.pipeline.takeHelpdesk()).toEqual([]);
    const view = await hub.pipeline.read.getConversation(conversationId);
    expect(view?.state.messageCount).toBe(2);
  });

  it('knows the echo of its own send by the provider id when the provider drops the correlation id', async () => {
    // Prepare: a Messenger conversation, one reply sent
    const { wa, conversationId } = await openCustomerConversation(
      hub,
      { prefix: '4915551', tag: 'ms' },
      ++customer,
      undefined,
      'messenger',
    );
    await hub.enqueue(sendCommand(conversationId, 'echoed-bare'));
    await hub.runOutbox();
    const [sent] = (await outcomes()) as Sent[];
    const echo = (
      providerMessageId: string,
      app: { sentBy?: 'hub' | 'external'; senderAppId?: string },
    ): HubEvent => {
      const built = messageEvent(
        wa,
        providerMessageId,
        minute(121),
        'outbound',
        'hello',
        'messenger',
      ) as Sent;
      return { ...built, data: { ...built.data, ...app } };
    };
    // Act: echoed without the metadata the hub sent: the reply without even an app id (as Instagram's
    // may come), a message of the hub's app that is no send of the hub's, one of the page inbox's
    await hub.pipeline.ingest([
      echo(sent?.data.providerMessageId ?? '', {}),
      echo('mid.not-a-send', { sentBy: 'hub', senderAppId: '100000000000001' }),
      echo('mid.page-inbox', { sentBy: 'external', senderAppId: '263902037430900' }),
    ]);
    await hub.pipeline.drain();
    // Assess: the reply is not recorded a second time; the other two are
    const published = (await hub.pipeline.takeHelpdesk()).filter(
      (event) => event.type === 'switchboard.message.sent',
    ) as Sent[];
    expect(published.map((event) => event.data.providerMessageId).sort()).toEqual([
      'mid.not-a-send',
      'mid.page-inbox',
    ]);
    const view = await hub.pipeline.read.getConversation(conversationId);
    expect(view?.state.messageCount).toBe(4);
  });
});
