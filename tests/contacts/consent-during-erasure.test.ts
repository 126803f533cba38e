import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { indexContact, readContactConsent } from '#shared/store/contacts.ts';
import { type ErasureDeps, erasePerson } from '#shared/store/erasure.ts';
import { contactKeyFor } from '#shared/store/keys.ts';
import { keepUnreadableEmail } from '#shared/store/unreadable-emails.ts';
import { minute, smsReceived, whatsAppMessageFrom } from '#tests/recorder/factories.ts';
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

const textFrom = (phone: string, sid: string, at: string): HubEvent =>
  smsReceived(`+${phone}`, sid, at, { endpointId: endpoint.id });

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

const whatsappEndpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-late-consent' };
const whatsappConversationOf = (identities: readonly ChannelIdentity[]) =>
  contactConversationId('whatsapp', whatsappEndpoint, identities[0] ?? { type: 'wa_id', value: '' });

const whatsappFrom = (
  identities: [ChannelIdentity, ...ChannelIdentity[]],
  wamid: string,
  at: string,
): HubEvent => whatsAppMessageFrom(whatsappEndpoint, identities, wamid, at);

const whatsappStopFrom = (identities: [ChannelIdentity, ...ChannelIdentity[]], at: string): HubEvent =>
  buildEvent(
    'switchboard.contact.consent_changed',
    eventIdFor('whatsapp', 'consent', whatsappEndpoint.id, identities[0].value, 'stop', at),
    {
      channel: 'whatsapp',
      provider: 'meta',
      endpoint: whatsappEndpoint,
      contact: { identities },
      conversationId: whatsappConversationOf(identities),
      providerTimestamp: at,
      receivedAt: at,
      scope: 'whatsapp_marketing',
      consent: 'opted_out',
      trigger: 'stop',
    },
  );

/** Runs `then` once, right after the first BatchWriteItem that deletes the contact item `contactPk`. */
const afterContactDeleted = (client: DynamoDBClient, contactPk: string, then: () => Promise<void>) => {
  let done = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const deletesContact =
        context.commandName === 'BatchWriteItemCommand' &&
        JSON.stringify(args.input).includes(`"${contactPk}"},"sk":{"S":"CONTACT"`);
      if (deletesContact && !done) {
        done = true;
        await then();
      }
      return result;
    },
    { step: 'initialize', name: `afterContactDeleted-${contactPk}` },
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
  const marketingUnder = async (identity: ChannelIdentity) =>
    (
      await readContactConsent(
        table.context,
        localPseudonymKey,
        contactKeyFor('whatsapp', { identities: [identity] }),
      )
    ).whatsapp_marketingConsent?.consent;
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

  it('is kept as an opt-out when it comes after the contact item went, and the next call finds the contact it indexed again', async () => {
    // Prepare
    const phone = '306912349922';
    const { recorder } = table;
    await recorder.recordEvent(textFrom(phone, 'SMduring2', minute(1)));
    afterContactDeleted(table.emulators.clients.dynamodb, `CONTACT#sms#phone:+${phone}`, () =>
      recorder.recordEvent(stopFrom(phone, minute(2))),
    );
    // Act: the STOP indexes the contact again (its item, listed under the person, and its identifier
    // item) and writes its register; then the erasure is called again, as after anything in flight
    const report = await erasePerson(erasure(), personOf(phone));
    const keptAtOnce = (await smsConsentOf(phone))?.consent;
    const again = await erasePerson(erasure(), personOf(phone));
    // Assess
    expect(report).toBeDefined();
    expect(keptAtOnce).toBe('opted_out');
    expect(again).toBeDefined();
    expect(await naming(phone)).toEqual([]);
    expect((await smsConsentOf(phone))?.consent).toBe('opted_out');
  });

  it('keeps a WhatsApp STOP that named the BSUID alone under the wa_id too, as for a STOP before the erasure', async () => {
    // Prepare: a customer known by wa_id and BSUID in one conversation
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912349944' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.late-stop' };
    const { recorder } = table;
    await recorder.recordEvent(whatsappFrom([wa], 'wamid.late-1', minute(1)));
    await recorder.recordEvent(whatsappFrom([wa, bsuid], 'wamid.late-2', minute(2)));
    // Act: the STOP, with the BSUID alone, comes while the providers are asked (it indexes a contact
    // under the BSUID, listed under a person of its own, derived from the BSUID: erased with that person)
    const person = contactIdFor('whatsapp', { identities: [wa] }, '');
    const bsuidPerson = contactIdFor('whatsapp', { identities: [bsuid] }, '');
    await erasePerson(
      erasure({
        redactAtProviders: async () => {
          await recorder.recordEvent(whatsappStopFrom([bsuid], minute(3)));
          return noRedactions;
        },
      }),
      person,
    );
    const keptAtOnce = [await marketingUnder(bsuid), await marketingUnder(wa)];
    await erasePerson(erasure(), bsuidPerson);
    // Assess
    expect(keptAtOnce).toEqual(['opted_out', 'opted_out']);
    expect(await marketingUnder(bsuid)).toBe('opted_out');
    expect(await marketingUnder(wa)).toBe('opted_out');
    expect(await naming(wa.value)).toEqual([]);
    expect(await naming(bsuid.value)).toEqual([]);
  });

  it('leaves a message that came after the contact item went to the next call, which finds all of it', async () => {
    // Prepare
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912349955' };
    const { recorder } = table;
    await recorder.recordEvent(whatsappFrom([wa], 'wamid.after-1', minute(1)));
    afterContactDeleted(table.emulators.clients.dynamodb, `CONTACT#whatsapp#wa_id:${wa.value}`, () =>
      recorder.recordEvent(whatsappFrom([wa], 'wamid.after-2', minute(2))),
    );
    const person = contactIdFor('whatsapp', { identities: [wa] }, '');
    // Act
    await erasePerson(erasure(), person);
    const again = await erasePerson(erasure(), person);
    // Assess: the second call found the new conversation, its contact and its identifier's claim
    expect(again).toBeDefined();
    expect(await naming(wa.value)).toEqual([]);
  });

  it('leaves a message that named the BSUID alone, after the contact item went, to the erasure of its own person', async () => {
    // Prepare: a customer known by wa_id and BSUID in one conversation
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912349966' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.late-message' };
    const { recorder } = table;
    await recorder.recordEvent(whatsappFrom([wa], 'wamid.bsuid-1', minute(1)));
    await recorder.recordEvent(whatsappFrom([wa, bsuid], 'wamid.bsuid-2', minute(2)));
    afterContactDeleted(table.emulators.clients.dynamodb, `CONTACT#whatsapp#wa_id:${wa.value}`, () =>
      recorder.recordEvent(whatsappFrom([bsuid], 'wamid.bsuid-3', minute(3))),
    );
    // Act: the message opens a conversation of the BSUID's own person; that person is erased after
    await erasePerson(erasure(), contactIdFor('whatsapp', { identities: [wa] }, ''));
    const itsOwn = await erasePerson(erasure(), contactIdFor('whatsapp', { identities: [bsuid] }, ''));
    // Assess: its contact, its identifier's claim and its conversation were found from that person
    expect(itsOwn).toBeDefined();
    expect(await naming(bsuid.value)).toEqual([]);
    expect(await naming(wa.value)).toEqual([]);
  });

  it('leaves an unreadable e-mail filed after the contact item went to the next call, which deletes its raw object', async () => {
    // Prepare: a customer known by e-mail alone; their unreadable mail is filed in the erasure's seconds
    const identity: ChannelIdentity = { type: 'email', value: 'late.sender@example.org' };
    const contactKey = contactKeyFor('email', { identities: [identity] });
    const person = contactIdFor('email', { identities: [identity] }, '');
    await indexContact(table.context, 'email', contactKey, [identity], person);
    const rawMimeKey = 'raw/email/late-sender.eml';
    afterContactDeleted(table.emulators.clients.dynamodb, `CONTACT#${contactKey}`, async () => {
      await keepUnreadableEmail(table.context, {
        contactKey,
        contactId: person,
        objectKeys: [rawMimeKey],
        providerType: 'email.too_many_lines',
        eventId: 'evt_late_unreadable',
        receivedAt: minute(2),
      });
    });
    const deleted: string[] = [];
    const deps = erasure({ deleteObjects: async (keys) => void deleted.push(...keys) });
    // Act
    await erasePerson(deps, person);
    const again = await erasePerson(deps, person);
    // Assess
    expect(again).toBeDefined();
    expect(deleted).toContain(rawMimeKey);
    expect(await naming(identity.value)).toEqual([]);
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
