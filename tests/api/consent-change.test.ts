import { describe, expect, it } from 'vitest';
import type { ApiResponse } from '#shared/api/http.ts';
import type { HelpdeskApi } from '#shared/api/router.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  type BusinessEndpoint,
  type ChannelIdentity,
  contactConversationId,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { consentKeysFor, readContactConsent } from '#shared/store/contacts.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { minute, whatsAppMessageFrom } from '#tests/recorder/factories.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * POST /v1/contacts/{contactId}/consent writes the person's change where every reader of consent
 * looks: under each key the sender reads a conversation's consent under (consentKeysFor: a WhatsApp
 * customer's wa_id and BSUID), as the recorder writes a provider's STOP. A WhatsApp customer is
 * named by wa_id, BSUID or both, one conversation per business number, so another conversation of
 * the same person may know only one of the identifiers the change's conversation knows.
 */

const NOW = new Date('2026-11-22T12:00:00.000Z');
const first: BusinessEndpoint = { type: 'whatsapp_phone_number', id: 'consent-change-one' };
const second: BusinessEndpoint = { type: 'whatsapp_phone_number', id: 'consent-change-two' };

describe('a consent change the helpdesk records for a person', () => {
  const table = useEmulatedTable();
  const api: HelpdeskApi = (request) => quietHelpdeskApi(table.emulators, table.context, () => NOW)(request);

  /** What the sender reads for a conversation: its consent under every identifier it knows. */
  const senderReads = async (conversationId: string) => {
    const state = (await loadConversation(table.context, conversationId)).model?.state;
    if (!state) throw new Error(`no conversation ${conversationId}`);
    return readContactConsent(table.context, localPseudonymKey, consentKeysFor(state.channel, state.contact));
  };

  it('refuses marketing in a later conversation that knows the customer by the wa_id alone', async () => {
    // Prepare: opened by the BSUID alone, then a webhook naming both makes it the phone number's person
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.consent-change-1' };
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912345801' };
    await table.recorder.recordEvent(
      whatsAppMessageFrom(first, [bsuid], 'wamid.consent-change-1', minute(1)),
    );
    await table.recorder.recordEvent(
      whatsAppMessageFrom(first, [bsuid, wa], 'wamid.consent-change-2', minute(2)),
    );
    const person = contactIdFor('whatsapp', { identities: [wa] }, '');
    const opened = contactConversationId('whatsapp', first, bsuid);
    expect((await loadConversation(table.context, opened)).model?.state.contactId).toBe(person);
    // Act: the opt-out, then the customer writes to the second number naming the wa_id alone
    const answer: ApiResponse = await api(
      apiRequest('POST', `/v1/contacts/${person}/consent`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'whatsapp', consent: 'opted_out', evidence: 'phone call' }),
      }),
    );
    await table.recorder.recordEvent(whatsAppMessageFrom(second, [wa], 'wamid.consent-change-3', minute(5)));
    const later = contactConversationId('whatsapp', second, wa);
    // Assess: both conversations read the opt-out, and the ledger lists the change once
    expect(answer.status).toBe(200);
    expect((await loadConversation(table.context, later)).model?.state.contactId).toBe(person);
    expect((await senderReads(opened)).whatsapp_marketingConsent?.consent).toBe('opted_out');
    expect((await senderReads(later)).whatsapp_marketingConsent?.consent).toBe('opted_out');
    const ledger = await api(apiRequest('GET', `/v1/contacts/${person}/consent`));
    expect((ledger.body as { changes: { evidence?: string }[] }).changes.map((one) => one.evidence)).toEqual([
      'phone call',
    ]);
  });
});
