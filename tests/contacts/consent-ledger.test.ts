import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
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
import { forQueue } from '#shared/intake/event-bounds.ts';
import { readConsentHistory } from '#shared/store/consent-ledger.ts';
import { readContactConsent } from '#shared/store/contacts.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { consentChangeKey, contactItemKey, contactKeyFor, suppressionKey } from '#shared/store/keys.ts';
import {
  appliedIdOf,
  consentRegister,
  registerWrite,
  timeOrder,
  writeRegister,
} from '#shared/store/registers.ts';
import { MAX_KEPT_EVENT_IDS, readKeptSuppressions } from '#shared/store/suppressions.ts';
import { batchWriteItems } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';

/*
 * The consent ledger keeps every change, while the register the sender reads keeps the latest:
 * STOP, HELP and START in any arrival order, each redelivered, end as three entries newest first
 * and an opt-in.
 */
const phone: ChannelIdentity = { type: 'phone', value: '+306912346001' };
const endpoint = { type: 'phone_number' as const, id: '+15550000400' };

const keyword = (
  consent: 'opted_out' | 'opted_in' | 'help_requested',
  trigger: string,
  at: string,
  from: ChannelIdentity = phone,
): HubEvent =>
  buildEvent('switchboard.contact.consent_changed', eventIdFor('sms', 'consent', from.value, trigger, at), {
    channel: 'sms',
    provider: 'twilio',
    endpoint,
    contact: { identities: [from] },
    conversationId: contactConversationId('sms', endpoint, from),
    providerTimestamp: at,
    receivedAt: at,
    scope: 'sms',
    consent,
    trigger,
  });

/** A keyword as Twilio sends it: dated by its receipt (no provider time), its id from the MessageSid. */
const twilioKeyword = (
  caller: ChannelIdentity,
  consent: 'opted_out' | 'opted_in',
  trigger: string,
  sid: string,
  at: string,
): HubEvent =>
  buildEvent('switchboard.contact.consent_changed', eventIdFor('sms', 'consent', sid), {
    channel: 'sms',
    provider: 'twilio',
    endpoint,
    contact: { identities: [caller] },
    conversationId: contactConversationId('sms', endpoint, caller),
    providerTimestamp: null,
    receivedAt: at,
    scope: 'sms',
    consent,
    trigger,
  });

describe('consent ledger', () => {
  const table = useEmulatedTable();

  it('keeps every change newest first, once each, while the register holds the latest', async () => {
    // Prepare
    const stop = keyword('opted_out', 'STOP', minute(1));
    const help = keyword('help_requested', 'ΒΟΗΘΕΙΑ', minute(2));
    const start = keyword('opted_in', 'START', minute(3));
    // Act: out of order, each twice.
    for (const event of [start, stop, help, stop, start, help]) await table.recorder.recordEvent(event);
    const contactKey = contactKeyFor('sms', { identities: [phone] });
    const history = await readConsentHistory(table.context, [contactKey]);
    const latest = await readContactConsent(table.context, localPseudonymKey, contactKey);
    // Assess
    expect(history.map((change) => [change.consent, change.trigger, change.source])).toEqual([
      ['opted_in', 'START', 'provider'],
      ['help_requested', 'ΒΟΗΘΕΙΑ', 'provider'],
      ['opted_out', 'STOP', 'provider'],
    ]);
    expect(history.map((change) => change.eventId)).toEqual([start.id, help.id, stop.id]);
    expect(latest.smsConsent?.consent).toBe('opted_in');
  });

  it('keeps an opt-out that a HELP follows, in any arrival order and through erasure', async () => {
    // Prepare: STOP, then HELP a minute later (HELP asks for information, it changes no consent)
    const caller: ChannelIdentity = { type: 'phone', value: '+306912346004' };
    const stop = keyword('opted_out', 'STOP', minute(1), caller);
    const help = keyword('help_requested', 'HELP', minute(2), caller);
    const contactKey = contactKeyFor('sms', { identities: [caller] });
    const person = contactIdFor('sms', { identities: [caller] }, '');
    // Act: the HELP arrives first and again after the STOP; then the person is erased, Twilio
    // retries the HELP late, and the number writes again
    for (const event of [help, stop, help]) await table.recorder.recordEvent(event);
    const beforeErasure = await readContactConsent(table.context, localPseudonymKey, contactKey);
    const ledger = await readConsentHistory(table.context, [contactKey]);
    await erasePerson(
      { table: table.context, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      person,
    );
    await table.recorder.recordEvent(help);
    const helpAfterErasure = await readConsentHistory(table.context, [contactKey]);
    await table.recorder.recordEvent(keyword('help_requested', 'HELP', minute(9), caller));
    const afterErasure = await readContactConsent(table.context, localPseudonymKey, contactKey);
    // Assess
    expect(beforeErasure.smsConsent?.consent).toBe('opted_out');
    expect(ledger.map((change) => change.consent)).toEqual(['help_requested', 'opted_out']);
    expect(helpAfterErasure).toEqual([]);
    expect(afterErasure.smsConsent?.consent).toBe('opted_out');
  });

  it('reads a register that a HELP overwrote before it had its own as the latest other change in the ledger', async () => {
    // Prepare: STOP then HELP as the previous version left them (the HELP in the consent register),
    // and a number whose only change was a HELP
    const stopped: ChannelIdentity = { type: 'phone', value: '+306912346005' };
    const helpOnly: ChannelIdentity = { type: 'phone', value: '+306912346006' };
    const overwriteWithHelp = async (caller: ChannelIdentity, at: string) => {
      const help = keyword('help_requested', 'HELP', at, caller);
      await table.recorder.recordEvent(help);
      const contactKey = contactKeyFor('sms', { identities: [caller] });
      const written = await writeRegister(
        table.context,
        registerWrite(
          consentRegister(contactKey, 'sms', 'opted_out'),
          timeOrder(at, undefined, help.id),
          help.id,
          {
            consent: 'help_requested',
            trigger: 'HELP',
            at,
          },
        ),
      );
      expect(written).toBe('written');
      return contactKey;
    };
    await table.recorder.recordEvent(keyword('opted_out', 'STOP', minute(1), stopped));
    const stoppedKey = await overwriteWithHelp(stopped, minute(2));
    const helpOnlyKey = await overwriteWithHelp(helpOnly, minute(2));
    // Act
    const stoppedConsent = await readContactConsent(table.context, localPseudonymKey, stoppedKey);
    const helpOnlyConsent = await readContactConsent(table.context, localPseudonymKey, helpOnlyKey);
    await erasePerson(
      { table: table.context, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      contactIdFor('sms', { identities: [stopped] }, ''),
    );
    const keptThroughErasure = await readContactConsent(table.context, localPseudonymKey, stoppedKey);
    // Assess
    expect(stoppedConsent.smsConsent).toEqual({ consent: 'opted_out', trigger: 'STOP', at: minute(1) });
    expect(helpOnlyConsent.smsConsent).toBeUndefined();
    expect(keptThroughErasure.smsConsent?.consent).toBe('opted_out');
  });

  it('keeps one entry for a change the provider retried after the queue forgot it, even behind a later one', async () => {
    // Prepare: a STOP received at 10:00:01, the START after it, and Twilio's retry of the STOP
    // received at 10:10:01 (past SQS's 5-minute deduplication window: a new arrival sequence).
    const caller: ChannelIdentity = { type: 'phone', value: '+306912346002' };
    const stop = keyword('opted_out', 'STOP', minute(0), caller);
    const start = keyword('opted_in', 'START', minute(5), caller);
    const [stopFirst] = forQueue([stop], new Date(Date.parse(minute(0)) + 1_000));
    const [startQueued] = forQueue([start], new Date(Date.parse(minute(5)) + 1_000));
    const [stopRetried] = forQueue([stop], new Date(Date.parse(minute(10)) + 1_000));
    if (!stopFirst || !startQueued || !stopRetried) throw new Error('forQueue dropped an event');
    // Act
    await table.recorder.recordEvent(stopFirst);
    await table.recorder.recordEvent(stopRetried);
    await table.recorder.recordEvent(startQueued);
    await table.recorder.recordEvent(stopRetried);
    const contactKey = contactKeyFor('sms', { identities: [caller] });
    const history = await readConsentHistory(table.context, [contactKey]);
    const latest = await readContactConsent(table.context, localPseudonymKey, contactKey);
    // Assess
    expect(stopFirst.sequence).not.toBe(stopRetried.sequence);
    expect(history.map((change) => [change.eventId, change.consent, change.at])).toEqual([
      [start.id, 'opted_in', minute(5)],
      [stop.id, 'opted_out', minute(0)],
    ]);
    expect(latest.smsConsent?.consent).toBe('opted_in');
  });

  it.each([
    ['after the START', 'start-first'],
    ['before the late START', 'retry-first'],
  ])('keeps a Twilio STOP at its first receipt when Twilio retries it %s', async (_name, order) => {
    // Prepare: Twilio dates an SMS by its receipt (no provider time), and its retry keeps the
    // MessageSid, so the event id: a STOP received at 10:01, a START at 10:10, the STOP again at 10:30
    const caller: ChannelIdentity = {
      type: 'phone',
      value: order === 'start-first' ? '+306912346007' : '+306912346008',
    };
    const received = (consent: 'opted_out' | 'opted_in', trigger: string, sid: string, at: string) =>
      twilioKeyword(caller, consent, trigger, sid, at);
    const stop = received('opted_out', 'STOP', `SM-stop-${order}`, minute(1));
    const start = received('opted_in', 'START', `SM-start-${order}`, minute(10));
    const stopRetried = received('opted_out', 'STOP', `SM-stop-${order}`, minute(30));
    const arrivals = order === 'start-first' ? [stop, start, stopRetried] : [stop, stopRetried, start];
    const contactKey = contactKeyFor('sms', { identities: [caller] });
    const published: HubEvent[] = [];
    const helpdesk = { publish: async (events: readonly HubEvent[]) => void published.push(...events) };
    // Act
    for (const event of arrivals) await table.recorder.recordEvent(event, helpdesk);
    const history = await readConsentHistory(table.context, [contactKey]);
    const latest = await readContactConsent(table.context, localPseudonymKey, contactKey);
    // Assess: the helpdesk heard the STOP once (the retry is not forwarded again), then the START
    expect(stopRetried.id).toBe(stop.id);
    expect(published.map((event) => [event.id, event.time])).toEqual([
      [stop.id, minute(1)],
      [start.id, minute(10)],
    ]);
    expect(history.map((change) => [change.eventId, change.consent, change.at])).toEqual([
      [start.id, 'opted_in', minute(10)],
      [stop.id, 'opted_out', minute(1)],
    ]);
    expect(latest.smsConsent).toMatchObject({ consent: 'opted_in', at: minute(10) });
  });

  it.each([
    ['its redelivery comes before the retry', 'redelivered-first'],
    ['the retry comes before its redelivery', 'retry-before-redelivery'],
  ])('forwards once a STOP whose first receipt failed to publish, when %s', async (_name, order) => {
    // Prepare: the STOP received at 10:01 is recorded but its publish fails (a crash), so SQS
    // delivers that receipt again; Twilio retries it at 10:30; a START at 10:10 comes last
    const caller: ChannelIdentity = {
      type: 'phone',
      value: order === 'redelivered-first' ? '+306912346011' : '+306912346012',
    };
    const stop = twilioKeyword(caller, 'opted_out', 'STOP', `SM-stop-${order}`, minute(1));
    const stopRetried = twilioKeyword(caller, 'opted_out', 'STOP', `SM-stop-${order}`, minute(30));
    const start = twilioKeyword(caller, 'opted_in', 'START', `SM-start-${order}`, minute(10));
    const contactKey = contactKeyFor('sms', { identities: [caller] });
    const published: HubEvent[] = [];
    const helpdesk = { publish: async (events: readonly HubEvent[]) => void published.push(...events) };
    const down = {
      publish: async () => {
        throw new Error('helpdesk queue unreachable');
      },
    };
    // Act
    await expect(table.recorder.recordEvent(stop, down)).rejects.toThrow('helpdesk queue unreachable');
    const later = order === 'redelivered-first' ? [stop, stopRetried, start] : [stopRetried, stop, start];
    for (const event of later) await table.recorder.recordEvent(event, helpdesk);
    const latest = await readContactConsent(table.context, localPseudonymKey, contactKey);
    // Assess: the first receipt's redelivery forwarded the STOP, the retry did not
    expect(published.map((event) => [event.id, event.time])).toEqual([
      [stop.id, minute(1)],
      [start.id, minute(10)],
    ]);
    expect(latest.smsConsent).toMatchObject({ consent: 'opted_in', at: minute(10) });
  });

  it('lists an entry kept under its arrival and rewritten by a later retry once', async () => {
    // Prepare: the STOP's entry as it was keyed before (time, arrival, event id).
    const caller: ChannelIdentity = { type: 'phone', value: '+306912346003' };
    const stop = keyword('opted_out', 'STOP', minute(0), caller);
    const contactKey = contactKeyFor('sms', { identities: [caller] });
    const arrival = '1795341601000-000000';
    await table.context.client.send(
      new PutItemCommand({
        TableName: table.context.tableName,
        Item: marshall({
          pk: contactItemKey(contactKey).pk,
          sk: `CONSENT#sms#${minute(0)}#${arrival}#${stop.id}`,
          channel: 'sms',
          scope: 'sms',
          consent: 'opted_out',
          trigger: 'STOP',
          source: 'provider',
          at: minute(0),
          eventId: stop.id,
        }),
      }),
    );
    const [stopRetried] = forQueue([stop], new Date(Date.parse(minute(10)) + 1_000));
    if (!stopRetried) throw new Error('forQueue dropped the event');
    // Act
    await table.recorder.recordEvent(stopRetried);
    const history = await readConsentHistory(table.context, [contactKey]);
    // Assess
    expect(history.map((change) => [change.eventId, change.consent, change.trigger])).toEqual([
      [stop.id, 'opted_out', 'STOP'],
    ]);
  });

  /** The item as stored (its attribute values' JSON: sets as their elements), in bytes. */
  const storedBytes = async (key: { pk: string; sk: string }): Promise<number> => {
    const { Item } = await table.context.client.send(
      new GetItemCommand({ TableName: table.context.tableName, Key: marshall(key), ConsistentRead: true }),
    );
    return Buffer.byteLength(JSON.stringify(Item ?? {}), 'utf8');
  };

  const cycle = [
    ['opted_out', 'STOP'],
    ['opted_in', 'START'],
    ['help_requested', 'HELP'],
  ] as const;

  it('keeps the contact item the same size however many keywords a number sends, and a STOP after them lands', async () => {
    // Prepare: STOP, START and HELP in turn, a minute apart
    const caller: ChannelIdentity = { type: 'phone', value: '+306912346009' };
    const contactKey = contactKeyFor('sms', { identities: [caller] });
    const events = Array.from({ length: 150 }, (_, n) => {
      const [consent, trigger] = cycle[n % cycle.length] ?? cycle[0];
      return keyword(consent, trigger, minute(n), caller);
    });
    for (const event of events.slice(0, 6)) await table.recorder.recordEvent(event);
    const early = await storedBytes(contactItemKey(contactKey));
    // Act
    for (const event of events.slice(6)) await table.recorder.recordEvent(event);
    const late = await storedBytes(contactItemKey(contactKey));
    await table.recorder.recordEvent(keyword('opted_out', 'STOP', minute(200), caller));
    const consent = await readContactConsent(table.context, localPseudonymKey, contactKey);
    const history = await readConsentHistory(table.context, [contactKey]);
    // Assess
    expect(late - early).toBeLessThan(32);
    expect(late).toBeLessThan(1_024);
    expect(history).toHaveLength(151);
    expect(consent.smsConsent).toEqual({ consent: 'opted_out', trigger: 'STOP', at: minute(200) });
  });

  it('keeps at most a bound of event ids through erasure, every opt-in first, and the STOP still holds', async () => {
    // Prepare: 1,200 earlier changes in the ledger (400 each of STOP, START, HELP), then a STOP
    const caller: ChannelIdentity = { type: 'phone', value: '+306912346010' };
    const contactKey = contactKeyFor('sms', { identities: [caller] });
    const earlier = Array.from({ length: 1_200 }, (_, n) => {
      const [consent, trigger] = cycle[n % cycle.length] ?? cycle[0];
      const at = new Date(Date.parse(minute(0)) - (1_200 - n) * 60_000).toISOString();
      return { consent, trigger, at, event: keyword(consent, trigger, at, caller) };
    });
    await batchWriteItems(
      table.context,
      earlier.map(({ consent, trigger, at, event }) => ({
        PutRequest: {
          Item: marshall({
            ...consentChangeKey(contactKey, 'sms', event.id),
            channel: 'sms',
            scope: 'sms',
            consent,
            trigger,
            source: 'provider',
            at,
            eventId: event.id,
          }),
        },
      })),
    );
    await table.recorder.recordEvent(keyword('opted_out', 'STOP', minute(1), caller));
    const [oldestStart, oldestStop] = [
      earlier.find(({ consent }) => consent === 'opted_in'),
      earlier.find(({ consent }) => consent === 'opted_out'),
    ];
    if (!oldestStart || !oldestStop) throw new Error('no START or STOP among the earlier changes');
    const pseudonymKey = await localPseudonymKey();
    // Act: erased; then Twilio retries the oldest START, dated by its arrival
    await erasePerson(
      { table: table.context, pseudonymKey: localPseudonymKey, deleteObjects: async () => {} },
      contactIdFor('sms', { identities: [caller] }, ''),
    );
    const kept = (await readKeptSuppressions(table.context, pseudonymKey, [contactKey])).kept(contactKey);
    const keptBytes = await storedBytes(suppressionKey(pseudonymKey, contactKey));
    await table.recorder.recordEvent(
      buildEvent('switchboard.contact.consent_changed', oldestStart.event.id, {
        channel: 'sms',
        provider: 'twilio',
        endpoint,
        contact: { identities: [caller] },
        conversationId: contactConversationId('sms', endpoint, caller),
        providerTimestamp: null,
        receivedAt: minute(30),
        scope: 'sms',
        consent: 'opted_in',
        trigger: 'START',
      }),
    );
    const consent = await readContactConsent(table.context, localPseudonymKey, contactKey);
    // Assess
    const applied = kept.item?.applied as Set<string> | undefined;
    expect(applied?.size).toBe(MAX_KEPT_EVENT_IDS);
    expect(
      earlier
        .filter(({ consent }) => consent === 'opted_in')
        .every(({ event }) => applied?.has(appliedIdOf(event.id))),
    ).toBe(true);
    expect(applied?.has(appliedIdOf(oldestStop.event.id))).toBe(false);
    expect(keptBytes).toBeLessThan(24 * 1024);
    expect(await readConsentHistory(table.context, [contactKey])).toEqual([]);
    expect(consent.smsConsent).toMatchObject({ consent: 'opted_out', at: minute(1) });
  });
});
