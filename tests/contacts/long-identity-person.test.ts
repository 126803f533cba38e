import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { buildEvent, contactConversationId, eventIdFor, type HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { contactPersonOf } from '#shared/store/contacts.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { contactKeyFor, kindOfKey } from '#shared/store/keys.ts';
import { tableItems, useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * An identity over 320 UTF-8 bytes is stored under `type:sha256:<hex>` (boundedIdentityKey), and the
 * person of a stored contact is derived from what is stored (contactPersonOf): the recorder must
 * derive the same person from the live address, or the contact, read back, is someone nobody is, and
 * an erasure of its person moves it away and answers 404 (found by a review, 2026-12-06). Such an
 * address is no strong identifier: its person is named by its hash.
 * The address: 3 Unicode labels (a valid IDN, 57 ü each: 63 octets as Punycode, 194 in all), 181
 * characters, 352 bytes: within the intake's 320-character bound.
 */
const domain = `${'ü'.repeat(57)}.${'ö'.repeat(57)}.${'ä'.repeat(57)}.de`;
const address = `dora@${domain}`;
const endpoint = { type: 'email_address' as const, id: 'support@acme.example' };
const contact = {
  identities: [{ type: 'email' as const, value: address }] as [{ type: 'email'; value: string }],
};
const conversationId = contactConversationId('email', endpoint, contact.identities[0]);

const complaint = (at: string): HubEvent =>
  buildEvent('switchboard.contact.consent_changed', eventIdFor('email', 'consent', 'ses-1', address, at), {
    channel: 'email',
    provider: 'ses',
    endpoint,
    contact,
    conversationId,
    providerTimestamp: at,
    receivedAt: at,
    scope: 'email',
    consent: 'opted_out',
    trigger: 'abuse',
  });

describe('a contact whose e-mail address is longer than 320 bytes', () => {
  const table = useEmulatedTable();

  it('is the same person when read back as when recorded', () => {
    // Prepare
    expect(Buffer.byteLength(address, 'utf8')).toBeGreaterThan(320);
    expect(address.length).toBeLessThanOrEqual(254);
    // Act
    const recorded = contactIdFor('email', contact, conversationId);
    const readBack = contactPersonOf(contactKeyFor('email', contact), { identities: new Set() });
    // Assess
    expect(readBack).toBe(recorded);
  });

  it('is erased with its person (a complaint after the conversation was erased, then DELETE again)', async () => {
    // Prepare: its complaint recorded (after its conversation was erased, say)
    const { recorder, context } = table;
    await recorder.recordEvent(complaint(new Date().toISOString()));
    const person = contactIdFor('email', contact, conversationId);
    const before = (await tableItems(context)).filter(
      (item) => kindOfKey({ pk: String(item.pk), sk: String(item.sk) }) === 'contact',
    );
    expect(before.map((item) => item.gsi3pk)).toEqual([`PERSON#${person}`]);

    // Act
    const report = await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      person,
    );

    // Assess
    const left = (await tableItems(context)).filter((item) => {
      const kind = kindOfKey({ pk: String(item.pk), sk: String(item.sk) });
      return kind === 'contact' || kind === 'consentChange';
    });
    // Before: the report was undefined (the API answered 404), and the contact item and its ledger
    // entry stayed, moved under gsi3 PERSON#<a contactId nobody has>, out of any later call's reach.
    expect({ report: report !== undefined, left: left.map((item) => [item.sk, item.gsi3pk]) }).toEqual({
      report: true,
      left: [],
    });
  });
});
