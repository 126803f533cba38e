import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { buildEvent, eventIdFor, hubMessageIdFor, outboundHubMessageId } from '#shared/contract/index.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';
import { tableItems, useEmulatedTable } from '#tests/support/emulated-table.ts';
import { eraseFrom, metaConversation } from '#tests/support/erased-customer.ts';

/*
 * An erasure that stops between its batches (the Lambda times out, or DynamoDB leaves part of a
 * batch unprocessed past the retries) is finished by running it again: nothing a retry finds the
 * rest from goes before what it leads to.
 */
const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-erasure-rerun' };

describe('an erasure run again after it stopped between batches', () => {
  const table = useEmulatedTable();

  const tableText = async () =>
    JSON.stringify(await tableItems(table.context), (_key, value) =>
      value instanceof Set ? [...value] : value,
    );

  /**
   * The table as an erasure that dies in the middle of a batch sees it: the first BatchWriteItem
   * holding a message record's tombstone is applied up to that tombstone, then the call fails.
   */
  const dyingAtFirstMessageTombstone = (): TableContext => {
    let died = false;
    return {
      ...table.context,
      client: {
        send: (async (command: BatchWriteItemCommand) => {
          if (died || !(command instanceof BatchWriteItemCommand))
            return table.context.client.send(command as never);
          const requests = command.input.RequestItems?.[table.context.tableName];
          const at = requests?.findIndex(
            (request) =>
              request.PutRequest?.Item?.sk?.S === 'MSG' && request.PutRequest.Item.erased !== undefined,
          );
          if (!requests || at === undefined || at < 0) return table.context.client.send(command);
          died = true;
          await table.context.client.send(
            new BatchWriteItemCommand({
              RequestItems: { [table.context.tableName]: requests.slice(0, at + 1) },
            }),
          );
          throw new Error('Task timed out');
        }) as TableContext['client']['send'],
      },
    };
  };

  it('finds, on the second run, the states, sends and provider-id states of messages whose records went first', async () => {
    // Prepare: the customer writes and edits it; the hub answers, the answer fails with the
    // provider's error and the customer reacts to it (kept under the provider message's id)
    const phone = '306912340420';
    const {
      conversationId,
      at,
      contactId: person,
    } = metaConversation('whatsapp', endpoint, { type: 'wa_id', value: phone });
    const asked = 'wamid.rerun-asks';
    const reply = 'wamid.rerun-reply';
    for (const event of [
      buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', asked), {
        ...at(1),
        hubMessageId: hubMessageIdFor('whatsapp', asked),
        direction: 'inbound',
        providerMessageId: asked,
        parts: [{ type: 'text', text: 'canary-rerun-asks' }],
      }),
      buildEvent('switchboard.message.edited', eventIdFor('whatsapp', 'edit', asked, minute(2)), {
        ...at(2),
        targetProviderMessageId: asked,
        parts: [{ type: 'text', text: 'canary-rerun-edited' }],
        actor: 'customer',
      }),
      buildEvent('switchboard.message.sent', eventIdFor('whatsapp', 'sent', reply), {
        ...at(3),
        hubMessageId: outboundHubMessageId(conversationId, 'rerun-reply-1'),
        direction: 'outbound',
        providerMessageId: reply,
        providerMessageIds: [reply],
        sentBy: 'hub',
        idempotencyKey: 'rerun-reply-1',
        parts: [{ type: 'text', text: 'canary-rerun-reply' }],
      }),
      buildEvent('switchboard.message.status_updated', eventIdFor('whatsapp', 'status', reply, 'failed'), {
        ...at(4),
        status: 'failed',
        providerStatus: 'failed',
        providerMessageIds: [reply],
        errors: [{ code: '131026', title: 'canary-rerun-provider-error' }],
      }),
    ])
      await table.recorder.recordEvent(event);
    const before = await tableText();
    // Act: the first run dies in its first batch of message records; the operator runs it again
    await expect(eraseFrom(dyingAtFirstMessageTombstone(), person)).rejects.toThrow('Task timed out');
    const retry = await eraseFrom(table.context, person);
    const after = await tableText();
    // Assess: everything was there; the retry finished; nothing of the person is left
    for (const canary of ['canary-rerun-edited', 'canary-rerun-provider-error', 'canary-rerun-reply'])
      expect(before).toContain(canary);
    expect(retry).toBeDefined();
    expect(after).not.toContain('canary-rerun');
    expect(after).not.toContain(phone);
  });
});
