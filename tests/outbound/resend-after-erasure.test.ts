import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { outboundHubMessageId } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import { sendKey } from '#shared/store/keys.ts';
import { putMessage } from '#shared/store/messages.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { tableItems } from '#tests/support/emulated-table.ts';
import {
  type OutboundHarness,
  openCustomerConversation,
  outcomesOf,
  sendCommand,
  useOutboundHarness,
} from './harness.ts';

/*
 * Erasure keeps what makes a send command one send: a command the hub took before its customer was
 * erased comes back (an SQS redelivery, a dead-letter redrive, a helpdesk retry) once the customer
 * wrote again, which brings the conversation back under its id (an id derives from endpoint and
 * contact). Until 2026-12-07 the erasure deleted the send record: the command was claimed anew, went
 * to the provider a second time, and its text was recorded again over the message's tombstone
 * (found by a review).
 */
describe('a send command that comes back after its customer was erased', () => {
  const hub = useOutboundHarness();
  const customers = { prefix: '3069121', tag: 'after-erasure-' };
  const contextOf = (harness: OutboundHarness): TableContext => ({
    client: harness.pipeline.emulators.clients.dynamodb,
    tableName: harness.pipeline.emulators.resources.tableName,
    now: () => harness.now,
  });
  const personOf = (wa: string) => {
    const { contact, conversationId } = conversationFor(wa);
    return contactIdFor('whatsapp', contact, conversationId);
  };
  const erase = (wa: string) =>
    erasePerson(
      { pseudonymKey: localPseudonymKey, table: contextOf(hub), deleteObjects: async () => {} },
      personOf(wa),
    );
  /** The items of a message's partition (its record, state and send). */
  const partitionOf = async (hubMessageId: string) =>
    (await tableItems(contextOf(hub))).filter((item) => item.pk === sendKey(hubMessageId).pk);
  /** The customer writes again after the erasure: the conversation is back under its id. */
  const writesAgain = async (wa: string, n: number) => {
    await hub.pipeline.ingest([
      messageEvent(wa, `wamid.after-erasure-again-${n}`, minute(125), 'inbound', 'hi again'),
    ]);
    await hub.pipeline.drain();
    await hub.pipeline.takeHelpdesk();
  };

  it('is a repeat: no second provider call, no second outcome, and the message stays a tombstone', async () => {
    // Prepare: a reply sent and marked sent; its customer erased, and writing again
    const { wa, conversationId } = await openCustomerConversation(hub, customers, 1);
    const command = sendCommand(conversationId, 'reply-1', [
      { type: 'text', text: 'canary-reply: order 4711' },
    ]);
    const hubMessageId = outboundHubMessageId(conversationId, 'reply-1');
    await hub.enqueue(command);
    await hub.runOutbox();
    const first = outcomesOf(await hub.pipeline.takeHelpdesk());
    const record = await hub.sends.get(hubMessageId);
    const recordItem = (await partitionOf(hubMessageId)).find((item) => item.sk === 'SEND');
    await erase(wa);
    const afterErasure = await partitionOf(hubMessageId);
    await writesAgain(wa, 1);
    // Act: the same command delivered again (a redelivery, a redrive), by a sender that never saw it
    hub.now = new Date(hub.now.getTime() + 10 * 60_000);
    await hub.enqueue(command, '-again');
    await hub.runOutbox(hub.sender());
    const again = outcomesOf(await hub.pipeline.takeHelpdesk());
    const afterRepeat = await partitionOf(hubMessageId);
    // Assess: one call and one event, both before the erasure
    expect(first.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(record?.state).toBe('sent');
    expect(hub.provider.calls).toHaveLength(1);
    expect(again).toEqual([]);
    // What the erasure left in the message's partition, before and after the repeat: bare tombstones
    for (const items of [afterErasure, afterRepeat]) {
      expect(items.map((item) => item.sk).sort()).toEqual(['MSG', 'SEND', 'STATE']);
      expect(JSON.stringify(items)).not.toContain('canary');
      expect(JSON.stringify(items)).not.toContain(conversationId);
      expect(JSON.stringify(items)).not.toContain(wa);
      for (const item of items)
        expect(Object.keys(item).sort()).toEqual(
          item.sk === 'SEND'
            ? ['erased', 'erasedCommandHash', 'expiresAt', 'pk', 'sk']
            : ['erased', 'expiresAt', 'pk', 'sk'],
        );
    }
    // The send's tombstone lasts as long as its record would have
    expect(afterErasure.find((item) => item.sk === 'SEND')?.expiresAt).toBe(recordItem?.expiresAt);
    expect(await hub.sends.get(hubMessageId)).toBeUndefined();
    expect(await hub.sends.read(hubMessageId)).toMatchObject({ state: 'erased', hubMessageId });
  });

  it('refuses other content under the erased send key, as over a record, and sends nothing', async () => {
    // Prepare
    const { wa, conversationId } = await openCustomerConversation(hub, customers, 2);
    await hub.enqueue(sendCommand(conversationId, 'reply-1', [{ type: 'text', text: 'canary-first' }]));
    await hub.runOutbox();
    await hub.pipeline.takeHelpdesk();
    await erase(wa);
    await writesAgain(wa, 2);
    // Act: a new command reusing the key with other content
    const other = sendCommand(conversationId, 'reply-1', [{ type: 'text', text: 'canary-other' }]);
    await hub.enqueue(other);
    await hub.runOutbox();
    const outcomes = outcomesOf(await hub.pipeline.takeHelpdesk());
    // Assess
    expect(hub.provider.calls).toHaveLength(1);
    expect(outcomes).toEqual([
      expect.objectContaining({
        type: 'switchboard.message.send_failed',
        data: expect.objectContaining({
          commandId: other.id,
          reason: 'content_invalid',
          failedField: 'idempotencyKey',
        }),
      }),
    ]);
  });

  it('keeps a failed send a repeat too: its failure is not published again', async () => {
    // Prepare: a reply refused before any call, erased with its customer
    const { wa, conversationId } = await openCustomerConversation(hub, customers, 3);
    const refused = sendCommand(conversationId, 'reply-1', [{ type: 'text', text: 'canary <refuse>' }]);
    const hubMessageId = outboundHubMessageId(conversationId, 'reply-1');
    await hub.enqueue(refused);
    await hub.runOutbox();
    const first = outcomesOf(await hub.pipeline.takeHelpdesk());
    await erase(wa);
    const tombstone = (await partitionOf(hubMessageId)).find((item) => item.sk === 'SEND');
    await writesAgain(wa, 3);
    // Act
    await hub.enqueue(refused, '-again');
    await hub.runOutbox();
    const again = outcomesOf(await hub.pipeline.takeHelpdesk());
    // Assess: no new refusal (the helpdesk queue's deduplication would hide one published within
    // its 5 minutes: the send item shows none was decided)
    expect(first.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect(again).toEqual([]);
    expect((await partitionOf(hubMessageId)).find((item) => item.sk === 'SEND')).toEqual(tombstone);
    expect(tombstone).toMatchObject({ erased: true });
    expect(hub.provider.calls).toHaveLength(0);
  });

  it('keeps a malformed command’s refusal a repeat too, and still refuses another malformed command under its key', async () => {
    // Prepare: a malformed command (a blank text) refused, its customer erased and writing again
    const { wa, conversationId } = await openCustomerConversation(hub, customers, 5);
    const malformed = sendCommand(conversationId, 'bad-parts', [{ type: 'text', text: '' }]);
    await hub.enqueue(malformed);
    await hub.runOutbox();
    const first = outcomesOf(await hub.pipeline.takeHelpdesk());
    await erase(wa);
    await writesAgain(wa, 5);
    // Act: the same command delivered again, then another malformed command under the same key
    hub.now = new Date(hub.now.getTime() + 10 * 60_000);
    await hub.enqueue(malformed, '-again');
    await hub.runOutbox();
    const again = outcomesOf(await hub.pipeline.takeHelpdesk());
    const another = sendCommand(conversationId, 'bad-parts', [{ type: 'text', text: '' }]);
    await hub.enqueue(another);
    await hub.runOutbox();
    const other = outcomesOf(await hub.pipeline.takeHelpdesk());
    // Assess: one refusal per command, none for the redelivery
    expect(first.map((event) => [event.type, event.data.commandId])).toEqual([
      ['switchboard.message.send_failed', malformed.id],
    ]);
    expect(again).toEqual([]);
    expect(other.map((event) => [event.type, event.data.commandId])).toEqual([
      ['switchboard.message.send_failed', another.id],
    ]);
    expect(hub.provider.calls).toHaveLength(0);
  });

  it('is no send in an export, and a later erasure that reaches it keeps it as it was', async () => {
    // Prepare: a reply sent, its customer erased; its record written again after the erasure (a
    // reply being recorded at that moment: erasure is not a lock), which leads the next walk of the
    // conversation to the message's partition and its send's tombstone; the customer writes again
    const { wa, conversationId } = await openCustomerConversation(hub, customers, 4);
    const command = sendCommand(conversationId, 'reply-1', [{ type: 'text', text: 'canary-reply' }]);
    const hubMessageId = outboundHubMessageId(conversationId, 'reply-1');
    await hub.enqueue(command);
    await hub.runOutbox();
    const [sent] = outcomesOf(await hub.pipeline.takeHelpdesk());
    if (sent?.type !== 'switchboard.message.sent') throw new Error('not sent');
    await erase(wa);
    const tombstone = (await partitionOf(hubMessageId)).find((item) => item.sk === 'SEND');
    await putMessage(contextOf(hub), sent);
    await writesAgain(wa, 4);
    // Act: the person exported and erased again, then the command delivered again
    const exported = await exportPerson(
      { table: contextOf(hub), pseudonymKey: localPseudonymKey },
      personOf(wa),
    );
    await erase(wa);
    const afterSecond = await partitionOf(hubMessageId);
    await hub.enqueue(command, '-again');
    await hub.runOutbox();
    // Assess: the export reached the late record, and listed no send; the second erasure kept the
    // send's tombstone as the first left it
    expect(exported?.items.map((entry) => entry.kind)).toContain('message');
    expect(exported?.items.map((entry) => entry.kind)).not.toContain('send');
    expect(afterSecond.find((item) => item.sk === 'SEND')).toEqual(tombstone);
    expect(JSON.stringify(afterSecond)).not.toContain('canary');
    expect(hub.provider.calls).toHaveLength(1);
    expect(outcomesOf(await hub.pipeline.takeHelpdesk())).toEqual([]);
  });
});
