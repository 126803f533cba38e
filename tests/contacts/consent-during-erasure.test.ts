import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { readContactConsent } from '#shared/store/contacts.ts';
import { type ErasureDeps, erasePerson } from '#shared/store/erasure.ts';
import { contactKeyFor } from '#shared/store/keys.ts';
import { minute } from '#tests/recorder/factories.ts';
import { tableItems, useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * A STOP recorded while its person is erased (a customer texting STOP in the seconds the erasure
 * runs): its ledger entry, written whether or not the contact item still stands, and the contact
 * item its register writes again once the erasure deleted it, hold the phone number in their keys.
 * The erasure reads the contact's partition again once everything else is gone: the STOP is kept as
 * an opt-out, and nothing naming the number is left. Before, the ledger entry stayed for good (no
 * index a later call finds it from) and the STOP was lost (found by a review on 2026-12-05).
 */
const endpoint = { type: 'phone_number' as const, id: '+15550000911' };
const identitiesOf = (phone: string): [ChannelIdentity] => [{ type: 'phone', value: `+${phone}` }];

const textFrom = (phone: string, sid: string, at: string): HubEvent => {
  const identities = identitiesOf(phone);
  return buildEvent('switchboard.message.received', eventIdFor('sms', 'message', sid), {
    channel: 'sms',
    provider: 'twilio',
    endpoint,
    contact: { identities },
    conversationId: contactConversationId('sms', endpoint, identities[0]),
    hubMessageId: hubMessageIdFor('sms', sid),
    direction: 'inbound',
    providerMessageId: sid,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: 'hello' }],
  });
};

const stopFrom = (phone: string, at: string): HubEvent => {
  const identities = identitiesOf(phone);
  return buildEvent('switchboard.contact.consent_changed', eventIdFor('sms', 'consent', phone, 'STOP', at), {
    channel: 'sms',
    provider: 'twilio',
    endpoint,
    contact: { identities },
    conversationId: contactConversationId('sms', endpoint, identities[0]),
    providerTimestamp: at,
    receivedAt: at,
    scope: 'sms',
    consent: 'opted_out',
    trigger: 'STOP',
  });
};

/** Runs `then` once, right after the first BatchWriteItem that deletes the contact item of `phone`. */
const afterContactDeleted = (client: DynamoDBClient, phone: string, then: () => Promise<void>) => {
  let done = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const deletesContact =
        context.commandName === 'BatchWriteItemCommand' &&
        JSON.stringify(args.input).includes(`"CONTACT#sms#phone:+${phone}"},"sk":{"S":"CONTACT"`);
      if (deletesContact && !done) {
        done = true;
        await then();
      }
      return result;
    },
    { step: 'initialize', name: `afterContactDeleted-${phone}` },
  );
};

describe('a STOP recorded while its person is erased', () => {
  const table = useEmulatedTable();

  const noRedactions = {
    twilio: { messages: 0, media: 0, failed: 0 },
    whatsapp: { uploads: 0, failed: 0 },
    unfinished: [],
  };
  const erasure = (more: Partial<ErasureDeps> = {}): ErasureDeps => ({
    pseudonymKey: localPseudonymKey,
    table: table.context,
    deleteObjects: async () => {},
    ...more,
  });
  const personOf = (phone: string) => contactIdFor('sms', { identities: identitiesOf(phone) }, '');
  const naming = async (phone: string) =>
    (await tableItems(table.context)).filter((item) => JSON.stringify(item).includes(phone));
  const smsConsentOf = async (phone: string) =>
    (
      await readContactConsent(
        table.context,
        localPseudonymKey,
        contactKeyFor('sms', { identities: identitiesOf(phone) }),
      )
    ).smsConsent;

  it('is kept as an opt-out, and nothing names the number, when it comes while the providers are asked', async () => {
    // Prepare
    const phone = '306912349911';
    const { recorder } = table;
    await recorder.recordEvent(textFrom(phone, 'SMduring1', minute(1)));
    // Act: the STOP comes after the erasure read the person's items, before it deletes them
    const report = await erasePerson(
      erasure({
        redactAtProviders: async () => {
          await recorder.recordEvent(stopFrom(phone, minute(2)));
          return noRedactions;
        },
      }),
      personOf(phone),
    );
    // Assess
    expect(report).toBeDefined();
    expect(await naming(phone)).toEqual([]);
    expect((await smsConsentOf(phone))?.consent).toBe('opted_out');
  });

  it('is kept as an opt-out, and nothing names the number, when it comes after the contact item went', async () => {
    // Prepare
    const phone = '306912349922';
    const { recorder } = table;
    await recorder.recordEvent(textFrom(phone, 'SMduring2', minute(1)));
    afterContactDeleted(table.emulators.clients.dynamodb, phone, () =>
      recorder.recordEvent(stopFrom(phone, minute(2))),
    );
    // Act: the STOP indexes the contact again (its item and identifier item) and writes its register
    const report = await erasePerson(erasure(), personOf(phone));
    // Assess
    expect(report).toBeDefined();
    expect(await naming(phone)).toEqual([]);
    expect((await smsConsentOf(phone))?.consent).toBe('opted_out');
  });

  it('leaves an erasure with nothing late as it was: its contact read once more, nothing kept', async () => {
    // Prepare
    const phone = '306912349933';
    await table.recorder.recordEvent(textFrom(phone, 'SMquiet', minute(1)));
    // Act
    const report = await erasePerson(erasure(), personOf(phone));
    // Assess
    expect(report?.optOutsKept).toBe(0);
    expect(await naming(phone)).toEqual([]);
    expect(await smsConsentOf(phone)).toBeUndefined();
  });
});
