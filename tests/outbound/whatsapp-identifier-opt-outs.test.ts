import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  type Contact,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  type HubEventOf,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { contactItemKey, contactKeyFor } from '#shared/store/keys.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, whatsAppMessageFrom } from '../recorder/factories.ts';
import { outcomesOf, sendCommand, useOutboundHarness } from './harness.ts';

/*
 * A WhatsApp customer is named by wa_id, by BSUID, or both, and one conversation per business number
 * holds them whichever a webhook carries. A marketing opt-out (`user_preferences`) refuses marketing
 * templates in that conversation whichever of the customer's identifiers the opt-out carried and
 * whichever the conversation was opened with; a later resume under another of them still counts.
 * An erasure of the customer keeps the opt-out under every identifier the conversation knew, so the
 * customer writing again with either of them alone is refused marketing templates too; with two
 * business numbers (a BSUID each, the wa_id shared) each conversation's reading is kept apart.
 */

type Failed = HubEventOf<'switchboard.message.send_failed'>;

type Business = { readonly type: 'whatsapp_phone_number'; readonly id: string };

const endpoint: Business = { type: 'whatsapp_phone_number', id: 'phone-identifier-opt-outs' };

const contactOf = (identities: ChannelIdentity[]): Contact => ({
  identities: identities as [ChannelIdentity, ...ChannelIdentity[]],
});

const conversationOf = (identities: ChannelIdentity[], business = endpoint): string => {
  const [primary] = identities;
  if (!primary) throw new Error('no identity');
  return contactConversationId('whatsapp', business, primary);
};

const received = (identities: ChannelIdentity[], wamid: string, at: string, business = endpoint): HubEvent =>
  whatsAppMessageFrom(business, identities, wamid, at);

/** What the WhatsApp webhook makes of a `user_preferences` item naming `identities`. */
const preference = (
  identities: ChannelIdentity[],
  value: 'stop' | 'resume',
  at: string,
  business = endpoint,
): HubEvent =>
  buildEvent(
    'switchboard.contact.consent_changed',
    eventIdFor('whatsapp', 'consent', business.id, identities[0]?.value ?? '', value, at),
    {
      channel: 'whatsapp',
      provider: 'meta',
      endpoint: business,
      contact: contactOf(identities),
      conversationId: conversationOf(identities, business),
      providerTimestamp: at,
      receivedAt: at,
      scope: 'whatsapp_marketing',
      consent: value === 'stop' ? 'opted_out' : 'opted_in',
      trigger: value,
    },
  );

const marketing = [
  { type: 'template' as const, name: 'sale', language: 'en', category: 'marketing' as const },
];

describe('a WhatsApp marketing opt-out under any of the customer’s identifiers', () => {
  const hub = useOutboundHarness();

  const record = async (events: HubEvent[]): Promise<void> => {
    for (const event of events) {
      await hub.pipeline.ingest([event]);
      await hub.pipeline.drain();
    }
    await hub.pipeline.takeHelpdesk();
  };

  /** A marketing template to the conversation: its one outcome, and the provider calls it made. */
  const sendMarketing = async (conversationId: string, key: string) => {
    hub.provider.calls.length = 0;
    await hub.enqueue(sendCommand(conversationId, key, marketing));
    await hub.runOutbox();
    return { outcomes: outcomesOf(await hub.pipeline.takeHelpdesk()), calls: hub.provider.calls.length };
  };

  it.each([
    {
      name: 'opened by the BSUID, joined by wa_id and BSUID, stopped with both',
      id: 'a',
      first: 'bsuid' as const,
      joined: true,
      stoppedWith: ['wa_id', 'bsuid'] as const,
    },
    {
      name: 'opened by the wa_id, joined by wa_id and BSUID, stopped with the BSUID alone',
      id: 'b',
      first: 'wa_id' as const,
      joined: true,
      stoppedWith: ['bsuid'] as const,
    },
    {
      name: 'opened by the BSUID alone, stopped with wa_id and BSUID',
      id: 'c',
      first: 'bsuid' as const,
      joined: false,
      stoppedWith: ['wa_id', 'bsuid'] as const,
    },
  ])('refuses a marketing template at once: $name', async ({ id, first, joined, stoppedWith }) => {
    // Prepare
    const wa: ChannelIdentity = { type: 'wa_id', value: `3069123450${id.charCodeAt(0)}` };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: `GR.opt-out-${id}` };
    const byType = { wa_id: wa, bsuid };
    const opened = [byType[first]];
    await record([
      received(opened, `wamid.opt-out-${id}-1`, minute(90)),
      ...(joined ? [received([wa, bsuid], `wamid.opt-out-${id}-2`, minute(91))] : []),
      preference(
        stoppedWith.map((type) => byType[type]),
        'stop',
        minute(95),
      ),
    ]);
    // Act
    const { outcomes, calls } = await sendMarketing(conversationOf(opened), `promo-${id}`);
    // Assess
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect((outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out', failedField: 'parts.0' });
    expect(calls).toBe(0);
  });

  it('sends again after a resume under the other identifier, later than the stop', async () => {
    // Prepare: one conversation knowing both; stopped by BSUID, resumed by wa_id
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912345100' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.opt-out-resume' };
    await record([
      received([wa, bsuid], 'wamid.opt-out-resume-1', minute(90)),
      preference([bsuid], 'stop', minute(95)),
    ]);
    const stopped = await sendMarketing(conversationOf([wa]), 'promo-resume-1');
    await record([preference([wa], 'resume', minute(96))]);
    // Act
    const resumed = await sendMarketing(conversationOf([wa]), 'promo-resume-2');
    // Assess
    expect(stopped.outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect(resumed.outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(resumed.calls).toBe(1);
  });

  it('erases the identifier the stop came with, keeps its opt-out, and refuses the customer writing again', async () => {
    // Prepare: the conversation knows both; the stop carried the BSUID alone
    const { clients, resources } = hub.pipeline.emulators;
    const table: TableContext = {
      client: clients.dynamodb,
      tableName: resources.tableName,
      now: () => hub.now,
    };
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912345200' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.opt-out-erased' };
    await record([
      received([wa], 'wamid.opt-out-erased-1', minute(90)),
      received([wa, bsuid], 'wamid.opt-out-erased-2', minute(91)),
      preference([bsuid], 'stop', minute(95)),
    ]);
    const bsuidContact = contactItemKey(contactKeyFor('whatsapp', contactOf([bsuid])));
    // Act
    const report = await erasePerson(
      { table, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      contactIdFor('whatsapp', contactOf([wa]), ''),
    );
    const left = await table.client.send(
      new GetItemCommand({ TableName: table.tableName, Key: marshall(bsuidContact), ConsistentRead: true }),
    );
    await record([received([wa, bsuid], 'wamid.opt-out-erased-3', minute(100))]);
    const { outcomes, calls } = await sendMarketing(conversationOf([wa]), 'promo-erased');
    // Assess: kept under both identifiers
    expect(report).toMatchObject({ optOutsKept: 2 });
    expect(left.Item).toBeUndefined();
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
    expect((outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out' });
    expect(calls).toBe(0);
  });

  it.each([
    {
      name: 'stopped with the BSUID alone, back with the wa_id alone',
      id: 'f',
      stoppedWith: ['bsuid'] as const,
      backWith: 'wa_id' as const,
    },
    {
      name: 'stopped with the wa_id alone, back with the BSUID alone',
      id: 'g',
      stoppedWith: ['wa_id'] as const,
      backWith: 'bsuid' as const,
    },
    {
      name: 'stopped with both, back with the wa_id alone',
      id: 'h',
      stoppedWith: ['wa_id', 'bsuid'] as const,
      backWith: 'wa_id' as const,
    },
  ])(
    'keeps the opt-out under every identifier through an erasure: $name',
    async ({ id, stoppedWith, backWith }) => {
      // Prepare: the conversation knows both; the customer stops, is erased, and writes again
      const { clients, resources } = hub.pipeline.emulators;
      const table: TableContext = {
        client: clients.dynamodb,
        tableName: resources.tableName,
        now: () => hub.now,
      };
      const wa: ChannelIdentity = { type: 'wa_id', value: `3069123454${id.charCodeAt(0)}` };
      const bsuid: ChannelIdentity = { type: 'bsuid', value: `GR.opt-out-kept-${id}` };
      const byType = { wa_id: wa, bsuid };
      await record([
        received([wa], `wamid.opt-out-kept-${id}-1`, minute(90)),
        received([wa, bsuid], `wamid.opt-out-kept-${id}-2`, minute(91)),
        preference(
          stoppedWith.map((type) => byType[type]),
          'stop',
          minute(95),
        ),
      ]);
      const report = await erasePerson(
        { table, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
        contactIdFor('whatsapp', contactOf([wa]), ''),
      );
      const back = [byType[backWith]];
      await record([received(back, `wamid.opt-out-kept-${id}-3`, minute(100))]);
      // Act
      const { outcomes, calls } = await sendMarketing(conversationOf(back), `promo-kept-${id}`);
      // Assess
      expect(report).toMatchObject({ optOutsKept: 2 });
      expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
      expect((outcomes[0] as Failed).data).toMatchObject({ reason: 'opted_out', failedField: 'parts.0' });
      expect(calls).toBe(0);
    },
  );

  it('keeps no opt-out through an erasure that a resume under the other identifier ended', async () => {
    // Prepare: stopped by BSUID, resumed by wa_id later, erased; the customer writes again with both
    const { clients, resources } = hub.pipeline.emulators;
    const table: TableContext = {
      client: clients.dynamodb,
      tableName: resources.tableName,
      now: () => hub.now,
    };
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912345500' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.opt-out-resumed-erased' };
    await record([
      received([wa, bsuid], 'wamid.opt-out-resumed-erased-1', minute(90)),
      preference([bsuid], 'stop', minute(95)),
      preference([wa], 'resume', minute(96)),
    ]);
    const report = await erasePerson(
      { table, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      contactIdFor('whatsapp', contactOf([wa]), ''),
    );
    await record([received([wa, bsuid], 'wamid.opt-out-resumed-erased-2', minute(100))]);
    // Act
    const { outcomes, calls } = await sendMarketing(conversationOf([wa]), 'promo-resumed-erased');
    // Assess
    expect(report).toMatchObject({ optOutsKept: 0 });
    expect(outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
    expect(calls).toBe(1);
  });

  it.each([
    { name: 'wa_id and BSUID', id: 'i', withBsuid: true },
    { name: 'the wa_id alone', id: 'j', withBsuid: false },
  ])(
    'keeps each business’s reading of the consent through an erasure: back at the first with $name',
    async ({ id, withBsuid }) => {
      // Prepare: two business numbers, each with its own BSUID for the customer and a conversation
      // knowing the wa_id and it; a stop came to the first with its BSUID alone, a later resume to the
      // second with its BSUID alone. Before the erasure the first refuses marketing, the second sends.
      const { clients, resources } = hub.pipeline.emulators;
      const table: TableContext = {
        client: clients.dynamodb,
        tableName: resources.tableName,
        now: () => hub.now,
      };
      const first: Business = { type: 'whatsapp_phone_number', id: `phone-opt-outs-first-${id}` };
      const second: Business = { type: 'whatsapp_phone_number', id: `phone-opt-outs-second-${id}` };
      const wa: ChannelIdentity = { type: 'wa_id', value: `3069123456${id.charCodeAt(0)}` };
      const bsuid1: ChannelIdentity = { type: 'bsuid', value: `GR.opt-out-first-${id}` };
      const bsuid2: ChannelIdentity = { type: 'bsuid', value: `GR.opt-out-second-${id}` };
      await record([
        received([wa, bsuid1], `wamid.opt-out-two-${id}-1`, minute(30), first),
        received([wa, bsuid2], `wamid.opt-out-two-${id}-2`, minute(31), second),
        preference([bsuid1], 'stop', minute(35), first),
        preference([bsuid2], 'resume', minute(36), second),
      ]);
      const before = [
        await sendMarketing(conversationOf([wa], first), `promo-two-${id}-1`),
        await sendMarketing(conversationOf([wa], second), `promo-two-${id}-2`),
      ];
      const report = await erasePerson(
        { table, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
        contactIdFor('whatsapp', contactOf([wa]), ''),
      );
      const back = withBsuid ? [wa, bsuid1] : [wa];
      await record([
        received(back, `wamid.opt-out-two-${id}-3`, minute(40), first),
        received([bsuid2], `wamid.opt-out-two-${id}-4`, minute(41), second),
      ]);
      // Act
      const atFirst = await sendMarketing(conversationOf(back, first), `promo-two-${id}-3`);
      const atSecond = await sendMarketing(conversationOf([bsuid2], second), `promo-two-${id}-4`);
      // Assess: the first still refuses (under its BSUID and the wa_id), the second still sends
      expect(before.map(({ outcomes }) => outcomes.map((event) => event.type))).toEqual([
        ['switchboard.message.send_failed'],
        ['switchboard.message.sent'],
      ]);
      expect(atFirst.outcomes.map((event) => event.type)).toEqual(['switchboard.message.send_failed']);
      expect((atFirst.outcomes[0] as Failed).data).toMatchObject({
        reason: 'opted_out',
        failedField: 'parts.0',
      });
      expect(atFirst.calls).toBe(0);
      expect(atSecond.outcomes.map((event) => event.type)).toEqual(['switchboard.message.sent']);
      expect(atSecond.calls).toBe(1);
      expect(report).toMatchObject({ optOutsKept: 2 });
    },
  );

  it('a late retry of a stop naming both identifiers does not bring back the one an erasure took', async () => {
    // Prepare: the conversation knows the BSUID alone, the stop named both; the BSUID's person erased
    const { clients, resources } = hub.pipeline.emulators;
    const table: TableContext = {
      client: clients.dynamodb,
      tableName: resources.tableName,
      now: () => hub.now,
    };
    const wa: ChannelIdentity = { type: 'wa_id', value: '306912345300' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.opt-out-retried' };
    const stop = preference([wa, bsuid], 'stop', minute(95));
    await record([received([bsuid], 'wamid.opt-out-retried-1', minute(90)), stop]);
    await erasePerson(
      { table, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      contactIdFor('whatsapp', contactOf([bsuid]), ''),
    );
    const bsuidContact = contactItemKey(contactKeyFor('whatsapp', contactOf([bsuid])));
    // Act: Meta retries the stop after the ingest queue's deduplication window
    await hub.pipeline.ingest([stop], '-retried');
    await hub.pipeline.drain();
    // Assess
    const left = await table.client.send(
      new GetItemCommand({ TableName: table.tableName, Key: marshall(bsuidContact), ConsistentRead: true }),
    );
    expect(left.Item).toBeUndefined();
    expect(await hub.pipeline.takeHelpdesk()).toEqual([]);
  });
});
