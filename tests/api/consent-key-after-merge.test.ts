import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest } from '#shared/api/http.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent, minute } from '#tests/recorder/factories.ts';
import { expectDocumentedAnswer } from '#tests/support/openapi-contract.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * POST /v1/contacts/{id}/consent under an Idempotency-Key, retried (its answer lost) after the person
 * in the path was merged into another one, or unmerged from one, by another agent meanwhile. The key
 * is the caller's, for the contact its path names: a retry is recognised whoever that contact stands
 * for now, and never taken for another contact's request under the same key string. Until
 * 2026-12-06 the key was hashed with the person the path resolved to, so such a retry recorded a new
 * change at its own time (a second event; a later opt-in undone), or was refused as another body.
 * A retry writes where its first call did (completing one that failed half-way), never to the
 * contacts of a person merged with it since: until then it wrote those too, at the first call's time.
 */
describe('a keyed consent change retried after a merge or an unmerge of its person', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let clock = new Date('2026-11-22T12:00:00.000Z');
  const published: HubEvent[] = [];
  let api: ReturnType<typeof quietHelpdeskApi>;

  beforeAll(async () => {
    emulators = await startEmulators();
    table = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => clock,
    };
    api = quietHelpdeskApi(emulators, table, () => clock, {
      publishEvent: async (event) => void published.push(event),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(() => {
    published.length = 0;
  });

  /** A WhatsApp customer who wrote once: their person's contactId. */
  const customer = async (number: string) => {
    await quietRecorder(table, () => clock).recordEvent(messageEvent(number, `wamid.${number}`, minute(1)));
    const { channel, contact, conversationId } = conversationFor(number);
    return contactIdFor(channel, contact, conversationId);
  };
  const later = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  /** Every answer must be one the published OpenAPI document describes. */
  const call = async (method: string, path: string, extra: Partial<ApiRequest> = {}) => {
    const response = await api(apiRequest(method, path, extra));
    expectDocumentedAnswer(method, path, response);
    return response;
  };
  const bodyOf = (response: { body?: unknown }) => response.body as Record<string, unknown>;
  const setConsent = (contactId: string, consent: string, evidence: string, key?: string) =>
    call('POST', `/v1/contacts/${contactId}/consent`, {
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify({ channel: 'whatsapp', consent, evidence }),
    });
  const merge = (surviving: string, discarded: string, how: 'merge' | 'unmerge' = 'merge') =>
    call('POST', `/v1/contacts/${surviving}/${how}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: discarded, reason: 'same customer' }),
    });
  const ledgerOf = async (contactId: string) =>
    bodyOf(await call('GET', `/v1/contacts/${contactId}/consent`)).changes as {
      consent: string;
      evidence?: string;
      at: string;
    }[];
  /** The WhatsApp marketing consent of one number, as a read of its person shows it. */
  const consentOf = async (contactId: string, number: string) =>
    (
      bodyOf(await call('GET', `/v1/contacts/${contactId}`)).channels as {
        identities: { value: string }[];
        consent: Record<string, { consent: string; at: string }>;
      }[]
    ).find(({ identities }) => identities.some(({ value }) => value === number))?.consent.whatsapp_marketing;
  const consentEvents = () => published.filter(({ type }) => type === 'switchboard.contact.consent_changed');
  const consentEventIds = () => new Set(consentEvents().map(({ id }) => id));

  it('answers the retry after a merge as the first call, recording nothing new and keeping a later opt-in', async () => {
    // Prepare: two customers the hub could not link
    const a = await customer('306900001001');
    const b = await customer('306900001002');
    // Act: the opt-out (its answer lost), a merge of A into B, the customer's opt-in, the retry
    const first = await setConsent(a, 'opted_out', 'said so on the phone', 'ticket-9-optout');
    const merged = await merge(b, a);
    later(30_000);
    const optIn = await setConsent(b, 'opted_in', 'web form: resume');
    later(30_000);
    const retried = await setConsent(a, 'opted_out', 'said so on the phone', 'ticket-9-optout');
    // Assess: before, the retry was a new opt-out at its own time, under a second event id, which
    // undid the opt-in
    expect([first.status, merged.status, optIn.status, retried.status]).toEqual([200, 200, 200, 200]);
    expect(bodyOf(retried).at).toBe(bodyOf(first).at);
    expect(consentEventIds().size).toBe(2);
    expect((await ledgerOf(b)).map(({ consent, at }) => [consent, at])).toEqual([
      ['opted_in', bodyOf(optIn).at],
      ['opted_out', bodyOf(first).at],
    ]);
    expect(await consentOf(b, '306900001001')).toMatchObject({ consent: 'opted_in', at: bodyOf(optIn).at });
  });

  it('keeps apart the requests to two people under one key string once they are merged', async () => {
    // Prepare: each person's own request under the same key string, before anyone merged them
    const a = await customer('306900001011');
    const b = await customer('306900001012');
    const forA = await setConsent(a, 'opted_out', 'phone call: stop', 'form-7');
    later(1_000);
    const forB = await setConsent(b, 'opted_in', 'web form: resume', 'form-7');
    await merge(b, a);
    later(60_000);
    // Act: each request retried
    const retriedA = await setConsent(a, 'opted_out', 'phone call: stop', 'form-7');
    const retriedB = await setConsent(b, 'opted_in', 'web form: resume', 'form-7');
    // Assess: before, A's retry was taken for B's request and refused as another body (422)
    expect([forA.status, forB.status, retriedA.status, retriedB.status]).toEqual([200, 200, 200, 200]);
    expect([bodyOf(retriedA).at, bodyOf(retriedB).at]).toEqual([bodyOf(forA).at, bodyOf(forB).at]);
    expect((await ledgerOf(b)).map(({ consent }) => consent)).toEqual(['opted_in', 'opted_out']);
  });

  it('answers the retry after an unmerge as the first call, made while its person was merged', async () => {
    // Prepare: A merged into B before the first call, which names A
    const a = await customer('306900001021');
    const b = await customer('306900001022');
    await merge(b, a);
    const first = await setConsent(a, 'opted_out', 'said so on the phone', 'ticket-12');
    // Act: B's agent undoes the merge; the first call is retried
    later(60_000);
    const unmerged = await merge(b, a, 'unmerge');
    const retried = await setConsent(a, 'opted_out', 'said so on the phone', 'ticket-12');
    // Assess: before, the first call's key was B's and the retry's A's, so a second change was recorded
    expect([first.status, unmerged.status, retried.status]).toEqual([200, 200, 200]);
    expect(bodyOf(retried).at).toBe(bodyOf(first).at);
    expect(consentEventIds().size).toBe(1);
    expect((await ledgerOf(a)).map(({ at }) => at)).toEqual([bodyOf(first).at]);
  });
  it.each([
    ['merged into the other', 'into'],
    ['the other merged into them', 'from'],
  ] as const)(
    "writes the retry after a merge only to the first call's channel contacts (the person in the path %s)",
    async (_, direction) => {
      // Prepare: B's own number said stop; then an opt-in for A (its answer lost); then a merge
      const number = direction === 'into' ? '30690000104' : '30690000105';
      const a = await customer(`${number}1`);
      const b = await customer(`${number}2`);
      const stop = await setConsent(b, 'opted_out', 'B said stop');
      later(1_000);
      const first = await setConsent(a, 'opted_in', 'A said resume', `ticket-${direction}`);
      const firstEvents = consentEvents();
      await (direction === 'into' ? merge(b, a) : merge(a, b));
      later(60_000);
      // Act
      const retried = await setConsent(a, 'opted_in', 'A said resume', `ticket-${direction}`);
      // Assess: before, the retry opted B's number in too (at the first call's time, after B's stop),
      // and published the first call's event id again naming B's conversation
      const { contactId: _first, ...answered } = bodyOf(first);
      expect(bodyOf(retried)).toMatchObject({ ...answered, contacts: 1 });
      expect(await consentOf(b, `${number}2`)).toMatchObject({ consent: 'opted_out', at: bodyOf(stop).at });
      expect(consentEvents().slice(firstEvents.length)).toEqual([firstEvents.at(-1)]);
    },
  );

  it('completes on every channel contact of its person a first call that failed half-way, not on a person merged since', async () => {
    // Prepare: C merged into A (two WhatsApp numbers of one person); the first call dies after its
    // first ledger write (DynamoDB throttled the second one); then A is merged into B
    const a = await customer('306900001061');
    const b = await customer('306900001062');
    const c = await customer('306900001063');
    await merge(a, c);
    later(1_000);
    let ledgerWrites = 0;
    const failingSecondWrite = {
      send: async (command: { input: { Item?: { sk?: { S?: string } } } }) => {
        if (command.input.Item?.sk?.S?.startsWith('CONSENT#') && ++ledgerWrites === 2)
          throw new Error('throttled');
        return table.client.send(command as never);
      },
    } as unknown as TableContext['client'];
    const dying = quietHelpdeskApi(emulators, { ...table, client: failingSecondWrite }, () => clock);
    const request = apiRequest('POST', `/v1/contacts/${a}/consent`, {
      headers: { 'content-type': 'application/json', 'idempotency-key': 'ticket-61' },
      body: JSON.stringify({ channel: 'whatsapp', consent: 'opted_out', evidence: 'said so on the phone' }),
    });
    const failed = await dying(request);
    const at = clock.toISOString();
    later(1_000);
    await merge(b, a);
    later(60_000);
    // Act
    const retried = await call('POST', `/v1/contacts/${a}/consent`, request);
    // Assess: both of A's numbers opted out at the first call's time, B's untouched
    expect([failed.status, retried.status]).toEqual([500, 200]);
    expect(bodyOf(retried)).toMatchObject({ at, contacts: 2 });
    const consents = await Promise.all(
      ['306900001061', '306900001063', '306900001062'].map((number) => consentOf(b, number)),
    );
    expect(consents.map((consent) => consent && [consent.consent, consent.at])).toEqual([
      ['opted_out', at],
      ['opted_out', at],
      undefined,
    ]);
  });
});
