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
import { correlationIdFor } from '#shared/outbound/channel-sender.ts';
import { twilioMessagesIn } from '#shared/outbound/provider-erasure.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { createSendStore } from '#shared/store/sends.ts';
import { minute } from '#tests/recorder/factories.ts';
import { tableItems, useEmulatedTable } from '#tests/support/emulated-table.ts';
import { eraseFrom, metaConversation } from '#tests/support/erased-customer.ts';

/*
 * A send that failed after its first part was delivered is never a message record, but that
 * part's statuses and the customer's reactions to it are kept under its provider message's id:
 * erasure finds them from the send's bookkeeping and leaves a bare tombstone there.
 */
const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-failed-send-erasure' };

describe("erasure of a failed send's delivered parts", () => {
  const table = useEmulatedTable();

  it('tombstones the state of each part the provider accepted, and refuses a late reaction to it', async () => {
    // Prepare: the customer writes; a two-part send fails after part 1 went out; part 1 is
    // reported failed with the provider's error text, and the customer reacts to it
    const phone = '306912340620';
    const { identities, conversationId, at, contactId } = metaConversation('whatsapp', endpoint, {
      type: 'wa_id',
      value: phone,
    });
    const part = 'wamid.failed-send-part-1';
    await table.recorder.recordEvent(
      buildEvent(
        'switchboard.message.received',
        eventIdFor('whatsapp', 'message', 'wamid.failed-send-asks'),
        {
          ...at(1),
          hubMessageId: hubMessageIdFor('whatsapp', 'wamid.failed-send-asks'),
          direction: 'inbound',
          providerMessageId: 'wamid.failed-send-asks',
          parts: [{ type: 'text', text: 'canary-failed-send-asks' }],
        },
      ),
    );
    await createSendStore(table.context).claim({
      hubMessageId: 'msg_failed_send_erasure',
      conversationId,
      commandId: 'cmd-failed-send-erasure',
      commandHash: 'h',
      state: 'failed',
      acceptedAt: minute(2),
      messageCount: 2,
      next: 1,
      providerIds: [part],
      links: {},
      plan: {
        channel: 'whatsapp',
        provider: 'meta',
        endpoint,
        recipient: identities[0],
        withinWindow: true,
        humanAgentTag: false,
      },
    });
    const reaction = (n: number, emoji: string) =>
      buildEvent(
        'switchboard.message.reaction_changed',
        eventIdFor('whatsapp', 'reaction', part, minute(n)),
        {
          ...at(n),
          action: 'added' as const,
          emoji,
          targetProviderMessageId: part,
          actor: 'customer' as const,
        },
      );
    await table.recorder.recordEvent(
      buildEvent('switchboard.message.status_updated', eventIdFor('whatsapp', 'status', part, 'failed'), {
        ...at(3),
        status: 'failed',
        providerStatus: 'failed',
        providerMessageIds: [part],
        errors: [{ code: '131026', title: 'canary-failed-send-error' }],
      }),
    );
    await table.recorder.recordEvent(reaction(4, '🙏'));
    const state = `MSG#${hubMessageIdFor('whatsapp', part)}`;
    const stateItems = async () => (await tableItems(table.context)).filter((item) => item.pk === state);
    const before = await stateItems();
    // Act
    await eraseFrom(table.context, contactId);
    const afterErasure = await stateItems();
    await table.recorder.recordEvent(reaction(20, '👍'));
    const afterLate = await stateItems();
    // Assess: the part's state held the error and the reaction; then only a bare tombstone
    expect(JSON.stringify(before)).toContain('canary-failed-send-error');
    for (const items of [afterErasure, afterLate]) {
      // The state's tombstone, and the record's (a late echo of the part reads as recorded)
      expect(items.map((item) => item.sk).sort()).toEqual(['MSG', 'STATE']);
      for (const item of items) expect(Object.keys(item).sort()).toEqual(['erased', 'expiresAt', 'pk', 'sk']);
    }
  });
  it('redacts at Twilio a reply that went after its send ended outcome_unknown, and reaches its statuses', async () => {
    // Prepare: the customer texts; the reply's call goes unanswered and its send ends
    // outcome_unknown; Twilio sends it after all, and its status callback (carrying the hub's
    // correlation id) reports it failed with the carrier's error text
    const twilioEndpoint = { type: 'phone_number' as const, id: '+14155550188' };
    const phone: ChannelIdentity = { type: 'phone', value: '+306912340621' };
    const conversationId = contactConversationId('sms', twilioEndpoint, phone);
    const contact = { identities: [phone] };
    const at = (n: number) => ({
      channel: 'sms' as const,
      provider: 'twilio' as const,
      endpoint: twilioEndpoint,
      contact,
      conversationId,
      providerTimestamp: minute(n),
      receivedAt: minute(n),
    });
    const asks = `SM${'a'.repeat(32)}`;
    await table.recorder.recordEvent(
      buildEvent('switchboard.message.received', eventIdFor('sms', 'message', asks), {
        ...at(1),
        hubMessageId: hubMessageIdFor('sms', asks),
        direction: 'inbound',
        providerMessageId: asks,
        parts: [{ type: 'text', text: 'canary-late-send-asks' }],
      }),
    );
    const hubMessageId = hubMessageIdFor('sms', 'late-send-reply');
    const sends = createSendStore(table.context);
    await sends.claim({
      hubMessageId,
      conversationId,
      commandId: 'cmd-late-send-erasure',
      commandHash: 'h',
      state: 'failed',
      acceptedAt: minute(2),
      messageCount: 1,
      next: 0,
      providerIds: [],
      links: {},
      failure: { reason: 'outcome_unknown', retryable: true, decidedAt: minute(12) },
      plan: {
        channel: 'sms',
        provider: 'twilio',
        endpoint: twilioEndpoint,
        recipient: phone,
        withinWindow: true,
        humanAgentTag: false,
      },
    });
    const wentLate = `SM${'b'.repeat(32)}`;
    await table.recorder.recordEvent(
      buildEvent('switchboard.message.status_updated', eventIdFor('sms', 'status', wentLate, 'failed'), {
        ...at(90),
        status: 'failed',
        providerStatus: 'undelivered',
        providerMessageIds: [wentLate],
        correlationId: correlationIdFor(hubMessageId, 0),
        errors: [{ code: '30005', title: 'canary-late-send-error' }],
      }),
    );
    const state = `MSG#${hubMessageIdFor('sms', wentLate)}`;
    const stateItems = async () => (await tableItems(table.context)).filter((item) => item.pk === state);
    const before = await stateItems();
    const send = await sends.get(hubMessageId);
    let asked: ReturnType<typeof twilioMessagesIn> = [];
    // Act
    await erasePerson(
      {
        pseudonymKey: localPseudonymKey,
        table: table.context,
        deleteObjects: async () => {},
        redactAtProviders: async (items) => {
          asked = twilioMessagesIn(items);
          return {
            twilio: { messages: asked.length, media: 0, failed: 0 },
            whatsapp: { uploads: 0, failed: 0 },
            unfinished: [],
          };
        },
      },
      contactIdFor('sms', contact, conversationId),
    );
    // Assess: the send's outcome stands; the late message is asked to be redacted with the
    // customer's own, and its state (the carrier's error text) is left a bare tombstone
    expect(send).toMatchObject({ state: 'failed', providerIds: [], links: { '0': wentLate } });
    expect(asked.map(({ sid }) => sid).sort()).toEqual([asks, wentLate]);
    expect(JSON.stringify(before)).toContain('canary-late-send-error');
    const after = await stateItems();
    expect(JSON.stringify(after)).not.toContain('canary');
    for (const item of after) expect(Object.keys(item).sort()).toEqual(['erased', 'expiresAt', 'pk', 'sk']);
  });
});
