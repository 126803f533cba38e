import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import { type ChannelIdentity, contactConversationId, type HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { loadConversation, putConversationAlias } from '#shared/store/conversations.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, whatsAppMessageFrom } from '#tests/recorder/factories.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * A WhatsApp conversation id made an alias of another (a second identifier of the customer) is
 * filed under the person of the identifier that opened it, which need not be the person of the
 * conversation it stands for: erasing that conversation's person deletes the alias too (until
 * 2026-12-03 it stayed, with the hashed ids and the link between them, until the other person was
 * erased; found by a review), and nothing else of the other person.
 */
const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-alias-erasure' };

const messageFrom = (identities: ChannelIdentity[], wamid: string, at: string, text: string): HubEvent =>
  whatsAppMessageFrom(endpoint, identities, wamid, at, text);

const phonePerson = (waId: string): string =>
  contactIdFor('sms', { identities: [{ type: 'phone', value: `+${waId}` }] }, '');

describe('erasure of a WhatsApp customer reaches the aliases of their conversations', () => {
  const table = useEmulatedTable();

  const tableItems = async () =>
    (
      (await table.context.client.send(new ScanCommand({ TableName: table.context.tableName }))).Items ?? []
    ).map((raw) => unmarshall(raw));
  const erase = (contactId: string, on: TableContext = table.context) =>
    erasePerson({ pseudonymKey: localPseudonymKey, table: on, deleteObjects: async () => {} }, contactId);

  it('deletes the alias a BSUID-only message opened (filed under the BSUID person) and an alias of it; a conversation of its own stays', async () => {
    // Prepare: wa_id and BSUID first (the phone number person's conversation), then the BSUID alone
    // (a new id, made an alias and filed under the BSUID's own person); an alias of that alias, as
    // two racing first messages leave one; another customer's pair, which must stay.
    const waId = '306912340401';
    const both = messageFrom(
      [
        { type: 'wa_id', value: waId },
        { type: 'bsuid', value: 'GR.alias-erasure-1' },
        { type: 'bsuid', value: 'GR.alias-erasure-1b' },
      ],
      'wamid.alias-erasure-1a',
      minute(1),
      'canary-alias-Kp3 hello',
    );
    const bsuidOnly = messageFrom(
      [{ type: 'bsuid', value: 'GR.alias-erasure-1' }],
      'wamid.alias-erasure-1b',
      minute(2),
      'canary-alias-Kp3 again',
    );
    const aliasOfAlias = contactConversationId('whatsapp', endpoint, {
      type: 'bsuid',
      value: 'GR.alias-erasure-1b',
    });
    const other = messageFrom(
      [
        { type: 'wa_id', value: '306912340402' },
        { type: 'bsuid', value: 'GR.alias-erasure-2' },
      ],
      'wamid.alias-erasure-2a',
      minute(1),
      'another customer',
    );
    const othersAlias = messageFrom(
      [{ type: 'bsuid', value: 'GR.alias-erasure-2' }],
      'wamid.alias-erasure-2b',
      minute(2),
      'another customer again',
    );
    // Under a second BSUID of the customer, a conversation of its own (recorded before a message
    // carrying both linked them): another person until a merge, it stays.
    const apart = messageFrom(
      [{ type: 'bsuid', value: 'GR.alias-erasure-1c' }],
      'wamid.alias-erasure-1c',
      minute(1),
      'kept apart',
    );
    const linking = messageFrom(
      [
        { type: 'wa_id', value: waId },
        { type: 'bsuid', value: 'GR.alias-erasure-1c' },
      ],
      'wamid.alias-erasure-1d',
      minute(3),
      'canary-alias-Kp3 linked',
    );
    for (const event of [both, bsuidOnly, other, othersAlias, apart, linking])
      await table.recorder.recordEvent(event);
    await putConversationAlias(table.context, aliasOfAlias, bsuidOnly.subject ?? '', 'ct_someone-else');
    const bsuidPerson = contactIdFor(
      'whatsapp',
      { identities: [{ type: 'bsuid', value: 'GR.alias-erasure-1' }] },
      '',
    );
    expect((await loadConversation(table.context, bsuidOnly.subject ?? '')).aliasOf).toBe(both.subject);
    expect(bsuidPerson).not.toBe(phonePerson(waId));
    expect(
      (await loadConversation(table.context, both.subject ?? '')).model?.state.contact.identities,
    ).toContainEqual({
      type: 'bsuid',
      value: 'GR.alias-erasure-1c',
    });
    const calls = new Set<string>();
    const counting = {
      ...table.context,
      client: {
        send: ((command: { constructor: { name: string } }) => {
          calls.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
          return table.context.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    };
    // Act
    const exported = await exportPerson(
      { table: table.context, pseudonymKey: localPseudonymKey },
      phonePerson(waId),
    );
    await erase(phonePerson(waId), counting);
    const after = await tableItems();
    // Assess: the export shows both aliases; after erasure no item names any of the person's
    // conversation ids; the other customer's conversation and alias, and the conversation of its
    // own under the second BSUID, stay.
    const aliases = exported?.items.flatMap((entry) => {
      const item = entry.item as { pk: string; aliasOf?: string };
      return item.aliasOf ? [item.pk] : [];
    });
    expect(new Set(aliases)).toEqual(new Set([`CONV#${bsuidOnly.subject}`, `CONV#${aliasOfAlias}`]));
    const text = JSON.stringify(after, (_key, value) => (value instanceof Set ? [...value] : value));
    for (const id of [both.subject, bsuidOnly.subject, aliasOfAlias]) expect(text).not.toContain(id);
    expect(text).not.toContain('canary-alias-Kp3');
    expect(text).not.toContain(waId);
    expect((await loadConversation(table.context, bsuidOnly.subject ?? '')).aliasOf).toBeUndefined();
    expect((await loadConversation(table.context, othersAlias.subject ?? '')).aliasOf).toBe(other.subject);
    expect((await loadConversation(table.context, other.subject ?? '')).model?.state.messageCount).toBe(2);
    const kept = await loadConversation(table.context, apart.subject ?? '');
    expect(kept.model?.state.messageCount).toBe(1);
    expect(kept.aliasOf).toBeUndefined();
    for (const action of calls) expect(HELPDESK_API_TABLE_ACTIONS as readonly string[]).toContain(action);
  });
});
