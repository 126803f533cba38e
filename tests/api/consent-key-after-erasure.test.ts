import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiRequest } from '#shared/api/http.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import type { HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { consentKeysFor, readContactConsent } from '#shared/store/contacts.ts';
import { PseudonymKeyMismatchError } from '#shared/store/pseudonym-key-check.ts';
import type { TableContext } from '#shared/store/table.ts';
import { conversationFor, messageEvent } from '#tests/recorder/factories.ts';
import { expectDocumentedAnswer } from '#tests/support/openapi-contract.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * POST /v1/contacts/{id}/consent under an Idempotency-Key, retried (its answer lost, a helpdesk's
 * queue replayed) after the person was erased and wrote again. The erasure deleted the ledger entry
 * that made the retry a retry and kept the customer's STOP, with the hashes of their ledger's event
 * ids. Until 2026-12-07 the API looked for the key in the ledger alone: the retried opt-in was
 * recorded at its own time, after the kept STOP, and undid it (marketing went out again), published
 * under the first call's event id, which a helpdesk deduplicating by id drops. Now it is refused
 * with 409 idempotency-key-erased and records nothing; a new key records the change anew.
 */
describe('a keyed consent change retried after its person was erased', () => {
  let emulators: RunningEmulators;
  let table: TableContext;
  let clock = new Date('2026-11-22T12:00:00.000Z');
  const published: HubEvent[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    table = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => clock,
    };
  });
  afterAll(async () => {
    await emulators?.stop();
  });
  beforeEach(() => {
    published.length = 0;
  });

  const later = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  const helpdeskApi = (pseudonymKey = localPseudonymKey) =>
    quietHelpdeskApi(emulators, table, () => clock, {
      pseudonymKey,
      publishEvent: async (event) => void published.push(event),
    });
  /** Every answer must be one the published OpenAPI document describes. */
  const call = async (method: string, path: string, extra: Partial<ApiRequest> = {}, api = helpdeskApi()) => {
    const response = await api(apiRequest(method, path, extra));
    expectDocumentedAnswer(method, path, response);
    return response;
  };
  const bodyOf = (response: { body?: unknown }) => response.body as Record<string, unknown>;
  const setConsent = (
    contactId: string,
    consent: string,
    evidence: string,
    key?: string,
    api = helpdeskApi(),
  ) =>
    call(
      'POST',
      `/v1/contacts/${contactId}/consent`,
      {
        headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify({ channel: 'whatsapp', consent, evidence }),
      },
      api,
    );
  /** A WhatsApp customer's message: their person's contactId, and what the sender reads for them. */
  const customerWrites = async (number: string, providerMessageId: string) => {
    await quietRecorder(table, () => clock).recordEvent(
      messageEvent(number, providerMessageId, clock.toISOString()),
    );
    const { channel, contact, conversationId } = conversationFor(number);
    return {
      person: contactIdFor(channel, contact, conversationId),
      senderReads: async () =>
        (await readContactConsent(table, localPseudonymKey, consentKeysFor(channel, contact)))
          .whatsapp_marketingConsent,
    };
  };
  const ledgerOf = async (contactId: string) =>
    bodyOf(await call('GET', `/v1/contacts/${contactId}/consent`)).changes as {
      consent: string;
      at: string;
    }[];
  /** The WhatsApp marketing consent as a read of the person shows it. */
  const consentOf = async (contactId: string) =>
    (
      bodyOf(await call('GET', `/v1/contacts/${contactId}`)).channels as {
        consent: Record<string, { consent: string; at: string }>;
      }[]
    ).find(({ consent }) => consent.whatsapp_marketing)?.consent.whatsapp_marketing;
  const consentEvents = () => published.filter(({ type }) => type === 'switchboard.contact.consent_changed');

  it('refuses with 409 the retry of an opt-in the erasure took, recording nothing, and the kept STOP stands', async () => {
    // Prepare: an opt-in by a web form (keyed), the customer's later opt-out on the phone, the
    // erasure (which keeps the opt-out), and the customer writing again
    const number = '306900009001';
    const { person } = await customerWrites(number, `wamid.${number}`);
    const first = await setConsent(person, 'opted_in', 'web form: subscribe', 'form-42');
    later(60_000);
    const stop = await setConsent(person, 'opted_out', 'phone: stop all marketing');
    later(60_000);
    const erased = await call('DELETE', `/v1/contacts/${person}`);
    later(60_000);
    const { senderReads } = await customerWrites(number, `wamid.${number}-again`);
    expect([first.status, stop.status, erased.status]).toEqual([200, 200, 200]);
    expect(await consentOf(person)).toMatchObject({ consent: 'opted_out', at: bodyOf(stop).at });
    const ledgerBefore = await ledgerOf(person);
    published.length = 0;
    later(60_000);
    // Act: the helpdesk retries the form's call, the same body under the same key, and once more
    // with another body
    const retried = await setConsent(person, 'opted_in', 'web form: subscribe', 'form-42');
    const otherBody = await setConsent(person, 'opted_out', 'web form: unsubscribe', 'form-42');
    // Assess: before, 200 with a new `at`, the person opted in again and the event under the first
    // call's id
    expect([retried.status, otherBody.status]).toEqual([409, 409]);
    expect(retried.headers['content-type']).toBe('application/problem+json');
    expect(bodyOf(retried)).toMatchObject({
      type: 'urn:switchboard:problem:idempotency-key-erased',
      status: 409,
    });
    expect(bodyOf(otherBody).type).toBe('urn:switchboard:problem:idempotency-key-erased');
    expect(await consentOf(person)).toMatchObject({ consent: 'opted_out', at: bodyOf(stop).at });
    expect(await senderReads()).toMatchObject({ consent: 'opted_out', at: bodyOf(stop).at });
    expect(await ledgerOf(person)).toEqual(ledgerBefore);
    expect(consentEvents()).toEqual([]);
  });

  it('records the change anew under a new key, at its own time', async () => {
    // Prepare: a keyed opt-in, an opt-out, the erasure, the customer back
    const number = '306900009002';
    const { person } = await customerWrites(number, `wamid.${number}`);
    await setConsent(person, 'opted_in', 'web form: subscribe', 'form-51');
    later(60_000);
    await setConsent(person, 'opted_out', 'phone: stop all marketing');
    later(60_000);
    await call('DELETE', `/v1/contacts/${person}`);
    later(60_000);
    const { senderReads } = await customerWrites(number, `wamid.${number}-again`);
    published.length = 0;
    later(60_000);
    // Act: the old key refused, then the customer's new opt-in under a new key
    const refused = await setConsent(person, 'opted_in', 'web form: subscribe', 'form-51');
    const anew = await setConsent(person, 'opted_in', 'web form: subscribe again', 'form-52');
    // Assess: the new key is an ordinary change, recorded and published at its own time
    expect([refused.status, anew.status]).toEqual([409, 200]);
    expect(bodyOf(anew).at).toBe(clock.toISOString());
    expect(await senderReads()).toMatchObject({ consent: 'opted_in', at: bodyOf(anew).at });
    expect((await ledgerOf(person)).map(({ consent, at }) => [consent, at])).toEqual([
      ['opted_in', bodyOf(anew).at],
    ]);
    expect(consentEvents().map(({ data }) => (data as { consent: string }).consent)).toEqual(['opted_in']);
  });

  it('records an opt-out unchecked while the pseudonym key is refused, and refuses a keyed opt-in with 500', async () => {
    // Prepare: a customer, and an API whose pseudonym key does not match the table's check
    const number = '306900009003';
    const { person, senderReads } = await customerWrites(number, `wamid.${number}`);
    const refusedKey = helpdeskApi(async () => {
      throw new PseudonymKeyMismatchError('differs');
    });
    // Act: a keyed opt-in, a keyed opt-out, and a keyless opt-in (which reads no kept item)
    const optIn = await setConsent(person, 'opted_in', 'web form: subscribe', 'form-61', refusedKey);
    later(60_000);
    const optOut = await setConsent(person, 'opted_out', 'phone: stop', 'form-62', refusedKey);
    const retriedOptOut = await setConsent(person, 'opted_out', 'phone: stop', 'form-62', refusedKey);
    // Assess: the opt-out waits for no operator; the opt-in is left for a retry once the key is fixed
    expect([optIn.status, optOut.status, retriedOptOut.status]).toEqual([500, 200, 200]);
    expect(bodyOf(retriedOptOut).at).toBe(bodyOf(optOut).at);
    expect(await senderReads()).toMatchObject({ consent: 'opted_out', at: bodyOf(optOut).at });
    expect((await ledgerOf(person)).map(({ consent }) => consent)).toEqual(['opted_out']);
    later(60_000);
    const keyless = await setConsent(person, 'opted_in', 'web form: subscribe', undefined, refusedKey);
    expect(keyless.status).toBe(200);
  });
});
