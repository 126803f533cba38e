import { BatchWriteItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { RECORDER_TABLE_ACTIONS } from '#infra/constructs/recorder.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type Channel,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { indexContact } from '#shared/store/contacts.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { erasePerson, exportPerson } from '#shared/store/erasure.ts';
import { conversationPage } from '#shared/store/helpdesk-queries.ts';
import { personMergeIndexKeys, personMergeKey } from '#shared/store/keys.ts';
import {
  MAX_MERGED_PEOPLE,
  mergePeople,
  mergesInto,
  readMerge,
  resolvePerson,
  unmergePeople,
} from '#shared/store/person-merges.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';
import { expectDocumentedAnswer } from '#tests/support/openapi-contract.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * Explicit merges against the local DynamoDB: a merge moves the discarded person's conversations
 * (never their reply address), new conversations of the discarded person land with the survivor,
 * chains resolve, cycles, double merges and merge trees larger than an erasure walks are refused,
 * an unmerge restores both people exactly, and an erasure of the survivor takes the merge items
 * with it. Every call is one the IAM
 * policies of the recorder and the helpdesk API allow.
 */
const endpoints = {
  sms: { type: 'phone_number' as const, id: '+15550000300' },
  whatsapp: { type: 'whatsapp_phone_number' as const, id: 'phone-merge' },
  email: { type: 'email_address' as const, id: 'support@shop.example.net' },
};
const identityOf = (channel: Channel, who: string): ChannelIdentity =>
  channel === 'email'
    ? { type: 'email', value: who }
    : channel === 'whatsapp'
      ? { type: 'wa_id', value: who.replace('+', '') }
      : { type: 'phone', value: who };

const salesAddress = { type: 'email_address' as const, id: 'sales@shop.example.net' };

const messageFrom = (
  channel: 'sms' | 'whatsapp' | 'email',
  who: string,
  id: string,
  at: string,
  endpoint: (typeof endpoints)[typeof channel] = endpoints[channel],
): HubEvent => {
  const identity = identityOf(channel, who);
  return buildEvent('switchboard.message.received', eventIdFor(channel, 'message', id), {
    channel,
    provider: channel === 'sms' ? 'twilio' : channel === 'email' ? 'ses' : 'meta',
    endpoint,
    contact: { identities: [identity] },
    conversationId: contactConversationId(channel, endpoint, identity),
    hubMessageId: hubMessageIdFor(channel, id),
    direction: 'inbound',
    providerMessageId: id,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: `hello ${id}` }],
  });
};
/** An SMS STOP to a campaign from `phone`: its channel contact is listed under the person, with no conversation. */
const smsStopFrom = (phone: string, id: string, at: string): HubEvent => {
  const identity = identityOf('sms', phone);
  return buildEvent('switchboard.contact.consent_changed', id, {
    channel: 'sms',
    provider: 'twilio',
    endpoint: endpoints.sms,
    contact: { identities: [identity] },
    conversationId: contactConversationId('sms', endpoints.sms, identity),
    providerTimestamp: at,
    receivedAt: at,
    scope: 'sms',
    consent: 'opted_out',
    trigger: 'STOP',
  });
};
const personOf = (channel: Channel, who: string): string =>
  contactIdFor(channel, { identities: [identityOf(channel, who)] }, '');

/** `count` made-up person ids (`ct_` and 32 hex digits), distinct per `tag` (two hex digits). */
const madeUpPeople = (tag: string, count: number): string[] =>
  Array.from(
    { length: count },
    (_, index) => `ct_${tag}${'0'.repeat(22)}${index.toString(16).padStart(8, '0')}`,
  );

interface Person {
  readonly phone: string;
  readonly id: string;
  readonly sid: string;
}

describe('explicit merge and unmerge of people', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  const calls = new Set<string>();
  const counting = (base: TableContext): TableContext => ({
    ...base,
    client: {
      send: ((command: { constructor: { name: string } }) => {
        calls.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
        return base.client.send(command as never);
      }) as TableContext['client']['send'],
    },
  });
  /** Merges these people into `into` as mergePeople writes its items (checked): a large tree, fast. */
  const mergeIntoDirectly = async (into: string, discarded: readonly string[]): Promise<void> => {
    for (let start = 0; start < discarded.length; start += 25)
      await context.client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [context.tableName]: discarded.slice(start, start + 25).map((person) => ({
              PutRequest: {
                Item: marshall({
                  ...personMergeKey(person),
                  ...personMergeIndexKeys(person, into),
                  into,
                  reason: 'same',
                  mergedAt: minute(1),
                  checked: true,
                }),
              },
            })),
          },
        }),
      );
  };
  const journey = async (contactId: string) =>
    (await conversationPage(context, { index: 'gsi3', contactId }, { limit: 100, ascending: true })).items
      .map(({ state }) => `${state.channel}:${state.contactId === contactId ? 'same' : state.contactId}`)
      .sort();

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    recorder = createRecorderService({
      store: createRecorderStore(counting(context), localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  it('moves the discarded person, sends their new conversations to the survivor, and unmerges exactly', async () => {
    // Prepare: Ana writes by SMS; an e-mail address the hub cannot link to her; someone else.
    const ana = personOf('sms', '+306912343001');
    const anaByEmail = personOf('email', 'ana.k@mail.example.org');
    await recorder.recordEvent(messageFrom('sms', '+306912343001', 'SMmerge1', minute(1)));
    await recorder.recordEvent(messageFrom('email', 'ana.k@mail.example.org', 'mail-merge-1', minute(2)));
    const emailConversation = contactConversationId(
      'email',
      endpoints.email,
      identityOf('email', 'ana.k@mail.example.org'),
    );
    const before = await loadConversation(context, emailConversation);
    const api = counting(context);
    // Act
    const merged = await mergePeople(api, {
      surviving: ana,
      discarded: anaByEmail,
      reason: 'same customer',
      at: minute(3),
    });
    const afterMerge = await journey(ana);
    const moved = await loadConversation(context, emailConversation);
    // New conversations: of the discarded person (another mailbox of the business), straight to
    // the survivor; of the survivor on another channel, as always.
    await recorder.recordEvent(
      messageFrom('email', 'ana.k@mail.example.org', 'mail-merge-2', minute(4), salesAddress),
    );
    await recorder.recordEvent(messageFrom('whatsapp', '+306912343001', 'wamid.merge-1', minute(5)));
    const withNew = await journey(ana);
    const unmerged = await unmergePeople(api, {
      surviving: ana,
      discarded: anaByEmail,
      reason: 'two people',
      at: minute(6),
    });
    const anaAfter = await journey(ana);
    const emailAfter = await journey(anaByEmail);
    // Assess
    expect(merged).toMatchObject({ outcome: 'merged', conversationIds: [emailConversation] });
    expect(afterMerge).toEqual(['email:same', 'sms:same']);
    expect(moved.model?.state.contactId).toBe(ana);
    expect(moved.model?.state.contact).toEqual(before.model?.state.contact);
    expect(moved.model?.state.version).toBe((before.model?.state.version ?? 0) + 1);
    expect(withNew).toEqual(['email:same', 'email:same', 'sms:same', 'whatsapp:same']);
    expect(unmerged).toMatchObject({ outcome: 'unmerged' });
    expect(unmerged.outcome === 'unmerged' && unmerged.conversationIds).toHaveLength(2);
    expect(anaAfter).toEqual(['sms:same', 'whatsapp:same']);
    expect(emailAfter).toEqual(['email:same', 'email:same']);
    expect(await resolvePerson(context, anaByEmail)).toBe(anaByEmail);
    for (const action of calls)
      expect([...HELPDESK_API_TABLE_ACTIONS, ...RECORDER_TABLE_ACTIONS] as string[]).toContain(action);
    expect(unmerged.outcome === 'unmerged' && unmerged.unmerge).toMatchObject({
      unmergedAt: minute(6),
      reason: 'two people',
    });
  });

  it('follows chains, refuses cycles and a second merge of the same person, and unmerges a link of a chain', async () => {
    // Prepare: three people on three numbers.
    const [a, b, c] = ['+306912344001', '+306912344002', '+306912344003'].map((phone, index) => {
      return { phone, id: personOf('sms', phone), sid: `SMchain${index}` };
    }) as [
      { phone: string; id: string; sid: string },
      { phone: string; id: string; sid: string },
      { phone: string; id: string; sid: string },
    ];
    for (const person of [a, b, c])
      await recorder.recordEvent(messageFrom('sms', person.phone, person.sid, minute(1)));
    // Act: c into b, then b into a.
    const first = await mergePeople(context, {
      surviving: b.id,
      discarded: c.id,
      reason: 'r1',
      at: minute(2),
    });
    const second = await mergePeople(context, {
      surviving: a.id,
      discarded: b.id,
      reason: 'r2',
      at: minute(3),
    });
    const cycle = await mergePeople(context, {
      surviving: c.id,
      discarded: a.id,
      reason: 'r3',
      at: minute(4),
    });
    const twice = await mergePeople(context, {
      surviving: a.id,
      discarded: c.id,
      reason: 'r4',
      at: minute(4),
    });
    const self = await mergePeople(context, {
      surviving: a.id,
      discarded: a.id,
      reason: 'r5',
      at: minute(4),
    });
    const resolvedC = await resolvePerson(context, c.id);
    const chain = await journey(a.id);
    const notThere = await unmergePeople(context, {
      surviving: a.id,
      discarded: c.id,
      reason: 'r6',
      at: minute(5),
    });
    const undone = await unmergePeople(context, {
      surviving: a.id,
      discarded: b.id,
      reason: 'r6',
      at: minute(5),
    });
    // Assess
    expect(first.outcome).toBe('merged');
    expect(second.outcome).toBe('merged');
    expect(cycle).toEqual({ outcome: 'refused', reason: 'cycle' });
    expect(twice).toEqual({ outcome: 'refused', reason: 'already-merged' });
    expect(self).toEqual({ outcome: 'refused', reason: 'same' });
    expect(resolvedC).toBe(a.id);
    expect(chain).toEqual(['sms:same', 'sms:same', 'sms:same']);
    expect(notThere).toEqual({ outcome: 'refused', reason: 'not-merged' });
    // b leaves a with c still merged into b.
    expect(undone.outcome).toBe('unmerged');
    expect(await journey(a.id)).toEqual(['sms:same']);
    expect(await journey(b.id)).toEqual(['sms:same', 'sms:same']);
    expect(await resolvePerson(context, c.id)).toBe(b.id);
  });

  it('refuses a merge that would make a chain longer than readers follow, counting the people merged into the discarded one', async () => {
    // Prepare: eleven people, each merged into the next one (each survivor unmerged when it takes its merge)
    const people = Array.from({ length: 11 }, (_, index) => ({
      phone: `+30691299${String(7000 + index)}`,
      sid: `SMdeep${index}`,
    })).map((person) => ({ ...person, id: personOf('sms', person.phone) }));
    for (const person of people)
      await recorder.recordEvent(messageFrom('sms', person.phone, person.sid, minute(1)));
    // Act
    const outcomes: string[] = [];
    for (let index = 0; index + 1 < people.length; index++) {
      const result = await mergePeople(context, {
        surviving: (people[index + 1] as { id: string }).id,
        discarded: (people[index] as { id: string }).id,
        reason: 'same',
        at: minute(2 + index),
      });
      outcomes.push(result.outcome === 'refused' ? `refused:${result.reason}` : result.outcome);
    }
    // Assess: seven merges make a chain of eight people; the eighth would make nine (before, all ten
    // passed); the two after it start a chain of their own
    expect(outcomes).toEqual([...Array(7).fill('merged'), 'refused:depth', 'merged', 'merged']);
    // Every merged person still resolves to the end of the chain, the first one included
    expect(await resolvePerson(context, (people[0] as { id: string }).id)).toBe(
      (people[7] as { id: string }).id,
    );
  });

  it('refuses through the API the merge that would put more than 64 people in one merge tree, so the survivor can still be exported and erased', async () => {
    // Prepare: a survivor with 62 people merged into them (63 in the tree), and two more customers
    const api = quietHelpdeskApi(emulators, context, () => new Date());
    const [survivor, first, second] = ['+306912349001', '+306912349002', '+306912349003'].map(
      (phone, index) => {
        return { phone, id: personOf('sms', phone), sid: `SMtree${index}` };
      },
    ) as [Person, Person, Person];
    for (const person of [survivor, first, second])
      await recorder.recordEvent(messageFrom('sms', person.phone, person.sid, minute(1)));
    await mergeIntoDirectly(survivor.id, madeUpPeople('a1', MAX_MERGED_PEOPLE - 2));
    const merge = (discarded: Person) =>
      api(
        apiRequest('POST', `/v1/contacts/${survivor.id}/merge`, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ contactId: discarded.id, reason: 'same customer' }),
        }),
      );
    // Act: the 64th person in the tree, then the 65th
    const fits = await merge(first);
    const over = await merge(second);
    const exported = await api(apiRequest('GET', `/v1/contacts/${survivor.id}/export`));
    const erased = await api(apiRequest('DELETE', `/v1/contacts/${survivor.id}`));
    // Assess: the refusal is the merge's 409; the refused person stands alone; the tree that was
    // built is one an export and an erasure walk (before 2026-12-05 both answered 500)
    expect([fits.status, over.status, exported.status, erased.status]).toEqual([200, 409, 200, 200]);
    expect(over.body).toMatchObject({
      type: 'urn:switchboard:problem:conflict',
      detail: expect.stringContaining(`more than ${MAX_MERGED_PEOPLE} people`),
    });
    expect(await readMerge(context, second.id)).toBeUndefined();
    expect(await journey(second.id)).toEqual(['sms:same']);
  });

  it("counts the whole tree a merge builds: the survivor's top person's and the discarded person's", async () => {
    // Prepare: a top person with 40 people merged into them, one of whom is the survivor named; a
    // person with 24 merged into them (25: 66 in all), and one with 22 (23: 64 in all)
    const [top, larger, smaller] = ['+306912349101', '+306912349102', '+306912349103'].map((phone, index) => {
      return { phone, id: personOf('sms', phone), sid: `SMtrees${index}` };
    }) as [Person, Person, Person];
    for (const person of [top, larger, smaller])
      await recorder.recordEvent(messageFrom('sms', person.phone, person.sid, minute(1)));
    const [survivor] = madeUpPeople('b1', 40) as [string];
    await mergeIntoDirectly(top.id, madeUpPeople('b1', 40));
    await mergeIntoDirectly(larger.id, madeUpPeople('b2', 24));
    await mergeIntoDirectly(smaller.id, madeUpPeople('b3', 22));
    // Act
    const outcomes: string[] = [];
    for (const [index, discarded] of [larger, smaller].entries()) {
      const result = await mergePeople(context, {
        surviving: survivor,
        discarded: discarded.id,
        reason: 'same',
        at: minute(2 + index),
      });
      outcomes.push(result.outcome === 'refused' ? `refused:${result.reason}` : result.outcome);
    }
    const exported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, top.id);
    // Assess: 66 refused, 64 merged; the top person's tree of 64 is walked whole
    expect(outcomes).toEqual(['refused:size', 'merged']);
    expect(await resolvePerson(context, larger.id)).toBe(larger.id);
    expect(await resolvePerson(context, smaller.id)).toBe(top.id);
    expect(JSON.stringify(exported)).toContain('hello SMtrees2');
  });

  it('two opposite merges at the same instant never leave a cycle: exactly one stands', async () => {
    // Prepare: two people; each merge's PutItem waits until both merges have passed their checks.
    const [a, b] = ['+306912348001', '+306912348002'].map((phone) => personOf('sms', phone)) as [
      string,
      string,
    ];
    await recorder.recordEvent(messageFrom('sms', '+306912348001', 'SMrace1', minute(1)));
    await recorder.recordEvent(messageFrom('sms', '+306912348002', 'SMrace2', minute(1)));
    let arrived = 0;
    let release: () => void = () => {};
    const bothChecked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const racing = counting({
      ...context,
      client: {
        send: (async (command: { constructor: { name: string } }) => {
          if (command.constructor.name === 'PutItemCommand') {
            arrived += 1;
            if (arrived === 2) release();
            await bothChecked;
          }
          return context.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    });
    // Act
    const outcomes = await Promise.all([
      mergePeople(racing, { surviving: a, discarded: b, reason: 'same', at: minute(2) }),
      mergePeople(racing, { surviving: b, discarded: a, reason: 'same', at: minute(2) }),
    ]);
    const resolvedA = await resolvePerson(context, a);
    const resolvedB = await resolvePerson(context, b);
    const intoA = await mergesInto(context, a);
    const intoB = await mergesInto(context, b);
    // Assess: one merge stands, the other is refused as the cycle; neither id resolves through the
    // other back to itself.
    expect(arrived).toBe(2);
    expect(outcomes.map(({ outcome }) => outcome).sort()).toEqual(['merged', 'refused']);
    for (const outcome of outcomes) if (outcome.outcome === 'refused') expect(outcome.reason).toBe('cycle');
    expect(intoA.length + intoB.length).toBe(1);
    const merged = outcomes.find((outcome) => outcome.outcome === 'merged');
    expect(resolvedA).toBe(merged?.outcome === 'merged' && merged.merge.survivingContactId);
    expect(resolvedB).toBe(merged?.outcome === 'merged' && merged.merge.survivingContactId);
    for (const action of calls)
      expect([...HELPDESK_API_TABLE_ACTIONS, ...RECORDER_TABLE_ACTIONS] as string[]).toContain(action);
  });

  it('answers the same merge sent twice at once (a double submit) with that merge twice: 200, one event id', async () => {
    // Prepare: each round, two people; the merge's PutItem of each request waits until both requests
    // have found no merge and reached it, so they race every round.
    const published: HubEvent[] = [];
    let arrived = 0;
    let release: () => void = () => {};
    let bothFoundNone = Promise.resolve();
    const racing: TableContext = {
      ...context,
      client: {
        send: (async (command: { constructor: { name: string }; input: { Item?: { into?: unknown } } }) => {
          if (command.constructor.name === 'PutItemCommand' && command.input.Item?.into !== undefined) {
            arrived += 1;
            if (arrived === 2) release();
            await bothFoundNone;
          }
          return context.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    };
    const api = quietHelpdeskApi(emulators, counting(racing), () => new Date(), {
      publishEvent: async (event) => void published.push(event),
    });
    const rounds: {
      statuses: number[];
      bodies: unknown[];
      eventIds: string[];
      stands: string | undefined;
    }[] = [];
    // Act: five rounds (a race), each the same request twice at once.
    for (let round = 0; round < 5; round++) {
      const [survivor, discarded] = [`+30691234${8100 + round}`, `+30691234${8200 + round}`].map(
        (phone, index) => ({ phone, id: personOf('sms', phone), sid: `SMtwice${round}-${index}` }),
      ) as [Person, Person];
      for (const person of [survivor, discarded])
        await recorder.recordEvent(messageFrom('sms', person.phone, person.sid, minute(1)));
      arrived = 0;
      bothFoundNone = new Promise<void>((resolve) => {
        release = resolve;
      });
      published.length = 0;
      const path = `/v1/contacts/${survivor.id}/merge`;
      const merge = () =>
        api(
          apiRequest('POST', path, {
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ contactId: discarded.id, reason: 'same customer' }),
          }),
        );
      const responses = await Promise.all([merge(), merge()]);
      for (const response of responses) expectDocumentedAnswer('POST', path, response);
      rounds.push({
        statuses: responses.map(({ status }) => status),
        bodies: responses.map(({ body }) => body),
        eventIds: [
          ...new Set(
            published.filter(({ type }) => type === 'switchboard.contact.merged').map(({ id }) => id),
          ),
        ],
        stands: (await readMerge(context, discarded.id))?.survivingContactId,
      });
      expect(rounds.at(-1)?.stands).toBe(survivor.id);
    }
    // Assess: both calls answer the one merge made (before 2026-12-07 the second answered 409 "already
    // merged into another one"), and publish it under one event id.
    for (const { statuses, bodies, eventIds } of rounds) {
      expect(statuses).toEqual([200, 200]);
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[0]).toMatchObject({ reason: 'same customer', conversationIds: [expect.any(String)] });
      expect(eventIds).toHaveLength(1);
    }
    for (const action of calls)
      expect([...HELPDESK_API_TABLE_ACTIONS, ...RECORDER_TABLE_ACTIONS] as string[]).toContain(action);
  });

  describe('reads of a person after merges', () => {
    /** The helpdesk API's answer, checked against the published document. */
    const request = async (method: string, path: string, body?: unknown) => {
      const api = quietHelpdeskApi(emulators, context, () => new Date(minute(30)));
      const response = await api(
        apiRequest(
          method,
          path,
          body === undefined
            ? {}
            : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
        ),
      );
      expectDocumentedAnswer(method, path, response);
      return response;
    };
    const bodyOf = (response: { body?: unknown }) => response.body as Record<string, unknown>;
    const channelsOf = (response: { body?: unknown }) =>
      ((bodyOf(response).channels ?? []) as { channel: string }[]).map((c) => c.channel).sort();

    it('shows and takes consent for the channel contact a merged person is known on without a conversation (an SMS STOP), under either id', async () => {
      // Prepare: Dora writes on WhatsApp and sends STOP to an SMS campaign from the same number; Sam
      // (her other number) writes on WhatsApp
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350001', 'wamid.listed-d', minute(1)));
      await recorder.recordEvent(smsStopFrom('+306912350001', 'evt_merge_listed_stop', minute(2)));
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350002', 'wamid.listed-s', minute(3)));
      const dora = personOf('sms', '+306912350001');
      const sam = personOf('whatsapp', '+306912350002');
      const before = await request('GET', `/v1/contacts/${dora}`);
      // Act
      const merged = await request('POST', `/v1/contacts/${sam}/merge`, {
        contactId: dora,
        reason: 'same customer, two numbers',
      });
      const survivor = await request('GET', `/v1/contacts/${sam}`);
      const viaDiscarded = await request('GET', `/v1/contacts/${dora}`);
      const ledger = await request('GET', `/v1/contacts/${sam}/consent`);
      const consent = await request('POST', `/v1/contacts/${sam}/consent`, {
        channel: 'sms',
        consent: 'opted_in',
        evidence: 'customer called: resume texts',
      });
      const after = await request('GET', `/v1/contacts/${dora}`);
      // Assess: until 2026-12-05 the SMS contact listed under Dora vanished from both ids, the
      // ledger was empty and the consent 404
      expect([before.status, merged.status, consent.status]).toEqual([200, 200, 200]);
      expect(channelsOf(before)).toEqual(['sms', 'whatsapp']);
      expect({ survivor: channelsOf(survivor), viaDiscarded: channelsOf(viaDiscarded) }).toEqual({
        survivor: ['sms', 'whatsapp', 'whatsapp'],
        viaDiscarded: ['sms', 'whatsapp', 'whatsapp'],
      });
      expect(bodyOf(viaDiscarded).contactId).toBe(sam);
      expect((bodyOf(ledger).changes as { eventId: string }[]).map((change) => change.eventId)).toEqual([
        'evt_merge_listed_stop',
      ]);
      expect(bodyOf(consent)).toMatchObject({ contactId: sam, channel: 'sms', contacts: 1 });
      expect(bodyOf(after).channels).toContainEqual({
        channel: 'sms',
        identities: [identityOf('sms', '+306912350001')],
        consent: { sms: expect.objectContaining({ consent: 'opted_in', trigger: 'helpdesk' }) },
      });
    });

    it('reads the channel contacts listed under every person of the merge tree, and none once their merge is undone', async () => {
      // Prepare: Eli (WhatsApp, and an SMS STOP) merged into Dan, Dan into Sue
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350101', 'wamid.tree-e', minute(1)));
      await recorder.recordEvent(smsStopFrom('+306912350101', 'evt_merge_tree_stop', minute(2)));
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350102', 'wamid.tree-d', minute(3)));
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350103', 'wamid.tree-s', minute(4)));
      const [eli, dan, sue] = ['+306912350101', '+306912350102', '+306912350103'].map((phone) =>
        personOf('whatsapp', phone),
      ) as [string, string, string];
      await mergePeople(context, { surviving: dan, discarded: eli, reason: 'same', at: minute(5) });
      await mergePeople(context, { surviving: sue, discarded: dan, reason: 'same', at: minute(6) });
      // Act
      const merged = await request('GET', `/v1/contacts/${sue}`);
      const ledger = await request('GET', `/v1/contacts/${sue}/consent`);
      await unmergePeople(context, { surviving: dan, discarded: eli, reason: 'two', at: minute(7) });
      const unmerged = await request('GET', `/v1/contacts/${sue}`);
      const eliAgain = await request('GET', `/v1/contacts/${eli}`);
      // Assess
      expect(channelsOf(merged)).toEqual(['sms', 'whatsapp', 'whatsapp', 'whatsapp']);
      expect((bodyOf(ledger).changes as { eventId: string }[]).map((change) => change.eventId)).toEqual([
        'evt_merge_tree_stop',
      ]);
      expect(channelsOf(unmerged)).toEqual(['whatsapp', 'whatsapp']);
      expect(channelsOf(eliAgain)).toEqual(['sms', 'whatsapp']);
    });

    it('does not show a contact listed under a middle person that belongs to someone unmerged from the tree since', async () => {
      // Prepare: Pia merged into Dan while Dan stood alone; Pia's SMS STOP, sent while merged, is
      // listed under Dan; Dan merged into Sue; Pia unmerged from Dan
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350301', 'wamid.middle-p', minute(1)));
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350302', 'wamid.middle-d', minute(2)));
      await recorder.recordEvent(messageFrom('whatsapp', '+306912350303', 'wamid.middle-s', minute(3)));
      const [pia, dan, sue] = ['+306912350301', '+306912350302', '+306912350303'].map((phone) =>
        personOf('whatsapp', phone),
      ) as [string, string, string];
      await mergePeople(context, { surviving: dan, discarded: pia, reason: 'same', at: minute(4) });
      await recorder.recordEvent(smsStopFrom('+306912350301', 'evt_merge_middle_stop', minute(5)));
      await mergePeople(context, { surviving: sue, discarded: dan, reason: 'same', at: minute(6) });
      await unmergePeople(context, { surviving: dan, discarded: pia, reason: 'two', at: minute(7) });
      // Act
      const survivor = await request('GET', `/v1/contacts/${sue}`);
      const ledger = await request('GET', `/v1/contacts/${sue}/consent`);
      // Assess: Pia's STOP is not Sue's (until 2026-12-05, evening, the reads showed it under Sue)
      expect(channelsOf(survivor)).toEqual(['whatsapp', 'whatsapp']);
      expect((bodyOf(ledger).changes as { eventId: string }[]).map((change) => change.eventId)).toEqual([]);
    });

    it('reads at most 64 people of a merge tree that merges racing made larger, in bounded Queries', async () => {
      // Prepare: a survivor with 70 people merged into them (more than a merge lets in one tree)
      const survivor = personOf('sms', '+306912350201');
      await recorder.recordEvent(messageFrom('sms', '+306912350201', 'SMtree-large', minute(1)));
      await mergeIntoDirectly(survivor, madeUpPeople('c1', MAX_MERGED_PEOPLE + 6));
      const sent: string[] = [];
      const api = quietHelpdeskApi(
        emulators,
        {
          ...context,
          client: {
            send: ((command: { constructor: { name: string } }) => {
              sent.push(command.constructor.name.replace(/Command$/, ''));
              return context.client.send(command as never);
            }) as TableContext['client']['send'],
          },
        },
        () => new Date(minute(30)),
      );
      const path = `/v1/contacts/${survivor}`;
      // Act
      const person = await api(apiRequest('GET', path));
      // Assess: the person's conversations and listed contacts, the walk (its first level already
      // holds 64 people), the listed contacts of the 63 merged people read, the merges for the answer
      expectDocumentedAnswer('GET', path, person);
      expect(person.status).toBe(200);
      expect(channelsOf(person)).toEqual(['sms']);
      expect(bodyOf(person).merged).toHaveLength(MAX_MERGED_PEOPLE + 6);
      expect(sent.filter((name) => name === 'Query')).toHaveLength(1 + 1 + 1 + (MAX_MERGED_PEOPLE - 1) + 1);
    });
  });

  it('erasing the survivor erases the people merged into it, their merge items included', async () => {
    // Prepare
    const survivor = personOf('sms', '+306912345001');
    const merged = personOf('sms', '+306912345002');
    await recorder.recordEvent(messageFrom('sms', '+306912345001', 'SMerase1', minute(1)));
    await recorder.recordEvent(messageFrom('sms', '+306912345002', 'SMerase2', minute(1)));
    await mergePeople(context, { surviving: survivor, discarded: merged, reason: 'same', at: minute(2) });
    // Act
    const report = await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      survivor,
    );
    const scan = await context.client.send(new ScanCommand({ TableName: context.tableName }));
    const text = JSON.stringify(
      (scan.Items ?? []).map((raw) => unmarshall(raw)),
      (_key, value) => (value instanceof Set ? [...value] : value),
    );
    // Assess
    expect(report?.itemsDeleted).toBeGreaterThan(4);
    expect(text).not.toContain('306912345001');
    expect(text).not.toContain('306912345002');
    expect(text).not.toContain(`PERSON#${merged}`);
  });

  it('answers a retried unmerge with the first one, lets the pair merge again, and an erasure takes its record', async () => {
    // Prepare: two people merged, then unmerged.
    const kim = personOf('sms', '+306912346001');
    const kimByMail = personOf('email', 'kim.p@mail.example.org');
    await recorder.recordEvent(messageFrom('sms', '+306912346001', 'SMretry1', minute(1)));
    await recorder.recordEvent(messageFrom('email', 'kim.p@mail.example.org', 'mail-retry-1', minute(1)));
    await mergePeople(context, { surviving: kim, discarded: kimByMail, reason: 'same', at: minute(2) });
    const first = await unmergePeople(context, {
      surviving: kim,
      discarded: kimByMail,
      reason: 'not the same',
      at: minute(3),
    });
    // Act: the same unmerge again (its answer was lost), later and with other words; then a new merge.
    const retried = await unmergePeople(context, {
      surviving: kim,
      discarded: kimByMail,
      reason: 'sent again',
      at: minute(9),
    });
    const listed = await mergesInto(context, kim);
    const resolvedBetween = await resolvePerson(context, kimByMail);
    const again = await mergePeople(context, {
      surviving: kim,
      discarded: kimByMail,
      reason: 'after all',
      at: minute(10),
    });
    const resolvedAgain = await resolvePerson(context, kimByMail);
    const undoneAgain = await unmergePeople(context, {
      surviving: kim,
      discarded: kimByMail,
      reason: 'no',
      at: minute(11),
    });
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      kimByMail,
    );
    const kimJourney = await journey(kim);
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      kim,
    );
    const scan = await context.client.send(new ScanCommand({ TableName: context.tableName }));
    const text = JSON.stringify((scan.Items ?? []).map((raw) => unmarshall(raw)));
    // Assess
    expect(first.outcome).toBe('unmerged');
    expect(retried).toEqual(first);
    expect(first.outcome === 'unmerged' && first.unmerge).toEqual({
      unmergedAt: minute(3),
      reason: 'not the same',
      movedBack: first.outcome === 'unmerged' ? first.conversationIds : [],
    });
    expect(first.outcome === 'unmerged' && first.conversationIds).toHaveLength(1);
    expect(listed).toEqual([]);
    expect(resolvedBetween).toBe(kimByMail);
    expect(again.outcome).toBe('merged');
    expect(resolvedAgain).toBe(kim);
    expect(undoneAgain.outcome === 'unmerged' && undoneAgain.unmerge.unmergedAt).toBe(minute(11));
    // Erasing the discarded person left Kim's own conversation; erasing Kim took the record under her.
    expect(kimJourney).toEqual(['sms:same']);
    expect(text).not.toContain(kimByMail);
    expect(text).not.toContain(kim);
  });

  it('erasing the survivor of an undone merge leaves the other person, with what they wrote while merged', async () => {
    // Prepare: the other person writes on WhatsApp while merged (their new contact is indexed under
    // Lea), then the merge is undone.
    const lea = personOf('sms', '+306912347001');
    const other = personOf('sms', '+306912347002');
    await recorder.recordEvent(messageFrom('sms', '+306912347001', 'SMkeep1', minute(1)));
    await recorder.recordEvent(messageFrom('sms', '+306912347002', 'SMkeep2', minute(1)));
    await mergePeople(context, { surviving: lea, discarded: other, reason: 'same', at: minute(2) });
    await recorder.recordEvent(messageFrom('whatsapp', '+306912347002', 'wamid.keep-2', minute(3)));
    await unmergePeople(counting(context), {
      surviving: lea,
      discarded: other,
      reason: 'two',
      at: minute(4),
    });
    const listedUnder = async (person: string) =>
      (
        await context.client.send(
          new QueryCommand({
            TableName: context.tableName,
            IndexName: 'gsi3',
            KeyConditionExpression: 'gsi3pk = :pk AND begins_with(gsi3sk, :contact)',
            ExpressionAttributeValues: marshall({ ':pk': `PERSON#${person}`, ':contact': 'CONTACT#' }),
          }),
        )
      ).Items?.map((raw) => String(unmarshall(raw).gsi3sk).replace('CONTACT#', '')) ?? [];
    const contactsOfOther = await listedUnder(other);
    // A recorder that resolved the person just before the unmerge indexes the contact under Lea again.
    await indexContact(
      context,
      'whatsapp',
      'whatsapp#wa_id:306912347002',
      [identityOf('whatsapp', '+306912347002')],
      lea,
    );
    // Act
    const leaExport = JSON.stringify(
      await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, lea),
    );
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: counting(context), deleteObjects: async () => {} },
      lea,
    );
    const otherExported = await exportPerson({ table: context, pseudonymKey: localPseudonymKey }, other);
    const otherExport = JSON.stringify(otherExported);
    const contactsOfOtherAfter = await listedUnder(other);
    // Assess: the unmerge gave the other person back their WhatsApp contact; Lea's export and
    // erasure left them alone, the contact listed under her again included (the erasure gave it
    // back); the record of the unmerge (naming Lea) is gone; every call is one the IAM policies allow.
    expect(contactsOfOther).toContain('whatsapp#wa_id:306912347002');
    expect(contactsOfOtherAfter).toContain('whatsapp#wa_id:306912347002');
    expect(leaExport).toContain('hello SMkeep1');
    expect(leaExport).not.toContain('306912347002');
    expect(leaExport).not.toContain('hello wamid.keep-2');
    expect(await journey(other)).toEqual(['sms:same', 'whatsapp:same']);
    expect(otherExport).toContain('hello SMkeep2');
    expect(otherExport).toContain('hello wamid.keep-2');
    expect(otherExported?.items.filter((entry) => entry.kind === 'contact')).toHaveLength(2);
    expect(otherExport).toContain('whatsapp#wa_id:306912347002');
    const scan = await context.client.send(new ScanCommand({ TableName: context.tableName }));
    expect(JSON.stringify((scan.Items ?? []).map((raw) => unmarshall(raw)))).not.toContain(lea);
    for (const action of calls)
      expect([...HELPDESK_API_TABLE_ACTIONS, ...RECORDER_TABLE_ACTIONS] as string[]).toContain(action);
  });
});
