import { BatchWriteItemCommand, DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type ErasureReport, erasePerson } from '#shared/store/erasure.ts';
import { noteErasureAnnouncement, readErasureAnnouncement } from '#shared/store/erasure-announcement.ts';
import { pendingRedactionKey } from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * `contact.erased` is told before the person's contact items go (what a retry finds the person
 * from). An erasure that stops after telling (a later batch refused, the Lambda timed out) is
 * finished by running it again: that run tells the same event (same time, same counts, so the same
 * id), and a later erasure of the person is told as an erasure of its own.
 */
const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-erasure-told' };

describe('an erasure told once however often it runs', () => {
  const table = useEmulatedTable();

  /** The table as an erasure sees it whose batch deleting the contact items is refused, once. */
  const refusingContactDeletes = (): TableContext => {
    let refused = false;
    return {
      ...table.context,
      client: {
        send: (async (command: BatchWriteItemCommand) => {
          const requests =
            command instanceof BatchWriteItemCommand
              ? command.input.RequestItems?.[table.context.tableName]
              : undefined;
          if (!refused && requests?.some((request) => request.DeleteRequest?.Key?.sk?.S === 'CONTACT')) {
            refused = true;
            throw new Error('ProvisionedThroughputExceededException');
          }
          return table.context.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    };
  };

  /** Erases `person` as the helpdesk API does, on `context` at `at`; `told`, every event it told. */
  const erasing = (person: string) => {
    const told: ErasureReport[] = [];
    const erase = (context: TableContext, at: string) =>
      erasePerson(
        {
          pseudonymKey: localPseudonymKey,
          table: { ...context, now: () => new Date(at) },
          deleteObjects: async () => {},
          announce: async (report) => {
            told.push(report);
          },
        },
        person,
      );
    return { told, erase };
  };

  const customerWrites = async (phone: string, providerMessageId: string, at: number) => {
    const identities: [ChannelIdentity] = [{ type: 'wa_id', value: phone }];
    const conversationId = contactConversationId('whatsapp', endpoint, identities[0]);
    await table.recorder.recordEvent(
      buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', providerMessageId), {
        channel: 'whatsapp',
        provider: 'meta',
        endpoint,
        contact: { identities },
        conversationId,
        providerTimestamp: minute(at),
        receivedAt: minute(at),
        hubMessageId: hubMessageIdFor('whatsapp', providerMessageId),
        direction: 'inbound',
        providerMessageId,
        parts: [{ type: 'text', text: 'please forget me' }],
      }),
    );
    return contactIdFor('whatsapp', { identities }, conversationId);
  };

  it('tells the event again and answers with it when a run deleted everything but stopped before forgetting it', async () => {
    // Prepare: the table refuses, once, the delete of what the erasure told (its last step)
    const person = await customerWrites('306912340778', 'wamid.told-3', 1);
    let refused = false;
    const refusingTheClear: TableContext = {
      ...table.context,
      client: {
        send: (async (command: DeleteItemCommand) => {
          if (!refused && command instanceof DeleteItemCommand && command.input.Key?.sk?.S === 'ERASURE') {
            refused = true;
            throw new Error('ProvisionedThroughputExceededException');
          }
          return table.context.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    };
    const { told, erase } = erasing(person);
    // Act
    await expect(erase(refusingTheClear, minute(10))).rejects.toThrow('ProvisionedThroughput');
    const retry = await erase(table.context, minute(11));
    const again = await erase(table.context, minute(12));
    // Assess: the retry tells the same event and answers with it; once forgotten, nothing is left to erase
    expect(told).toHaveLength(2);
    expect(told[1]).toEqual(told[0]);
    expect(retry).toMatchObject({ erasedAt: minute(10), itemsDeleted: told[0]?.itemsDeleted });
    expect(await readErasureAnnouncement(table.context, person)).toBeUndefined();
    expect(again).toBeUndefined();
  });

  it('tells the noted event when only pending provider redactions are left and its publish had failed (found by a review)', async () => {
    // Prepare: a person erased, then a later run that kept a Twilio redaction to retry, noted its event and failed
    // to publish it: what is left is that pending redaction and the note
    const person = await customerWrites('306912340779', 'wamid.told-4', 1);
    await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: table.context,
        deleteObjects: async () => {},
        announce: async () => {},
      },
      person,
    );
    const sid = 'SM0123456789abcdef0123456789abcdef';
    await table.context.client.send(
      new PutItemCommand({
        TableName: table.context.tableName,
        Item: marshall({
          ...pendingRedactionKey(person, sid),
          provider: 'twilio',
          providerMessageId: sid,
          endpoint: { type: 'phone_number', id: '+14155550100' },
          code: '20500',
          attempts: 1,
          firstFailedAt: minute(20),
          expiresAt: Math.floor(Date.parse(minute(20)) / 1000) + 30 * 24 * 3_600,
        }),
      }),
    );
    const noted = { erasedAt: minute(20), itemsDeleted: 2, objectsDeleted: 0, tombstones: 1, optOutsKept: 0 };
    await noteErasureAnnouncement({ ...table.context, now: () => new Date(minute(20)) }, person, noted);
    const { told, erase } = erasing(person);
    // Act: the helpdesk retries the DELETE
    await erase(table.context, minute(21));
    // Assess: the noted event is told (before, a person with only pending redactions was taken as already told)
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ contactId: person, ...noted });
    expect(await readErasureAnnouncement(table.context, person)).toBeUndefined();
  });

  it('tells the stopped erasure’s event again when a retry finishes it, and a later erasure its own', async () => {
    // Prepare
    const person = await customerWrites('306912340777', 'wamid.told-1', 1);
    const { told, erase } = erasing(person);
    // Act: the first run tells, then its contact batch is refused; the helpdesk retries a minute later
    await expect(erase(refusingContactDeletes(), minute(10))).rejects.toThrow('ProvisionedThroughput');
    const retry = await erase(table.context, minute(11));
    const leftAfterRetry = await readErasureAnnouncement(table.context, person);
    // The customer writes again a day later and is erased again
    await customerWrites('306912340777', 'wamid.told-2', 1500);
    await erase(table.context, minute(1510));
    // Assess
    const [first, second, third] = told;
    expect(told).toHaveLength(3);
    expect(second).toEqual(first);
    expect(first?.erasedAt).toBe(minute(10));
    expect(retry).toMatchObject({ erasedAt: minute(10), itemsDeleted: first?.itemsDeleted });
    expect(leftAfterRetry).toBeUndefined();
    expect(third?.erasedAt).toBe(minute(1510));
  });
});
