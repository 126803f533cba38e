import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPDESK_API_TABLE_ACTIONS } from '#infra/constructs/helpdesk-api.ts';
import { RECORDER_TABLE_ACTIONS } from '#infra/constructs/recorder.ts';
import { API_ROUTES } from '#shared/api/operations.ts';
import { createHelpdeskApi, type HelpdeskApi } from '#shared/api/router.ts';
import { s3MediaObjects } from '#shared/aws/media-objects.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildContactMergeEvent,
  buildEvent,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { conversationPage } from '#shared/store/helpdesk-queries.ts';
import { mergePeople, mergesInto, readMerge, resolvePerson } from '#shared/store/person-merges.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, smsReceived } from '#tests/recorder/factories.ts';
import { putCrashedMerge } from '#tests/support/crashed-merge.ts';
import { createResponseValidator } from '#tests/support/openapi-contract.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * Merges that crashed between writing their merge item and checking it again, leaving a cycle
 * (A into B and B into A, or A into B into C into A): a retry of any of them removes the cycle,
 * and every retry, in any order or at once, gives the same answer: the merge made last (of those
 * not checked) is withdrawn and answers 409 `cycle`, the others answer their merge (200, with the
 * event a crash kept from being published). Meanwhile the people of the cycle already resolve to
 * the person they will resolve to once it is removed. Through the helpdesk API's merge route,
 * against the local DynamoDB; every call is one the IAM policies allow.
 */
const matchesContract = createResponseValidator();
const smsEndpoint = { type: 'phone_number' as const, id: '+15550000310' };
const whatsappEndpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-merge-cycle' };

const smsFrom = (phone: string, id: string, at: string): HubEvent =>
  smsReceived(phone, id, at, { endpointId: smsEndpoint.id, text: `hello ${id}` });
const whatsappFrom = (phone: string, id: string, at: string): HubEvent => {
  const identity = { type: 'wa_id' as const, value: phone.replace('+', '') };
  return buildEvent('switchboard.message.received', eventIdFor('whatsapp', 'message', id), {
    channel: 'whatsapp',
    provider: 'meta',
    endpoint: whatsappEndpoint,
    contact: { identities: [identity] },
    conversationId: contactConversationId('whatsapp', whatsappEndpoint, identity),
    hubMessageId: hubMessageIdFor('whatsapp', id),
    direction: 'inbound',
    providerMessageId: id,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: `hello ${id}` }],
  });
};
const personOf = (phone: string): string =>
  contactIdFor('sms', { identities: [{ type: 'phone', value: phone }] }, '');

describe('merges that crashed and left a cycle', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  let api: HelpdeskApi;
  const calls = new Set<string>();
  const published: HubEvent[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    const { dynamodb } = emulators.clients;
    dynamodb.middlewareStack.add(
      (next, commandContext) => async (args) => {
        calls.add(`dynamodb:${String(commandContext.commandName).replace(/Command$/, '')}`);
        return next(args);
      },
      { step: 'initialize', name: 'countMergeCalls' },
    );
    context = { client: dynamodb, tableName: emulators.resources.tableName, now: () => new Date() };
    recorder = quietRecorder(context);
    api = createHelpdeskApi({
      pseudonymKey: localPseudonymKey,
      table: context,
      publishEvent: async (event) => void published.push(event),
      enqueueCommand: async () => undefined,
      // The retries come long after the crashed tries.
      clock: () => new Date(minute(60)),
      newId: () => 'fixed',
      deleteObjects: async () => undefined,
      media: s3MediaObjects(emulators.resources.bucketName, async () => emulators.clients.s3),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** What a merge that crashed right after its PutItem leaves: its item, never checked, nothing moved. */
  const crashedMerge = (surviving: string, discarded: string, at: string) =>
    putCrashedMerge(context, surviving, discarded, at);
  /** A retried `POST /v1/contacts/{surviving}/merge`, answered as the published OpenAPI document says. */
  const retryMerge = async (surviving: string, discarded: string) => {
    const path = `/v1/contacts/${surviving}/merge`;
    const response = await api({
      method: 'POST',
      path,
      query: {},
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: discarded, reason: 'sent again' }),
      principal: 'arn:aws:iam::123456789012:user/agent',
    });
    const route = API_ROUTES.find(
      (candidate) =>
        candidate.method === 'POST' &&
        new RegExp(`^${candidate.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
    );
    expect(route).toBeDefined();
    expect(matchesContract('POST', route?.path ?? '', response.status, response.body)).toBeUndefined();
    return response;
  };
  /** The id of the event of the merge a crashed try wrote (its time and reason, not the retry's). */
  const eventIdOf = (surviving: string, discarded: string, at: string, conversationIds: string[]) =>
    buildContactMergeEvent('switchboard.contact.merged', {
      discardedContactId: discarded,
      survivingContactId: surviving,
      reason: `first try at ${at}`,
      mergedAt: at,
      conversationIds,
    }).id;
  const journey = async (contactId: string) =>
    (await conversationPage(context, { index: 'gsi3', contactId }, { limit: 100, ascending: true })).items
      .map(({ state }) => `${state.channel}:${state.contact.identities[0]?.value}`)
      .sort();
  const standingMerges = async (people: readonly string[]) =>
    (await Promise.all(people.map((person) => readMerge(context, person))))
      .flatMap((merge) => (merge ? [`${merge.discardedContactId} into ${merge.survivingContactId}`] : []))
      .sort();

  const orders = ['the standing merge first', 'the withdrawn merge first', 'both at once'] as const;
  it.each(orders.map((order, index) => ({ order, index })))(
    'two opposite merges that both crashed: retried with $order, the later one is withdrawn',
    async ({ order, index }) => {
      // Prepare: A and B write; A into B crashed after its put at minute 2, B into A at minute 3.
      const phones = [`+30691235${index}001`, `+30691235${index}002`] as const;
      const [a, b] = phones.map(personOf) as [string, string];
      await recorder.recordEvent(smsFrom(phones[0], `SMcycle${index}a`, minute(1)));
      await recorder.recordEvent(smsFrom(phones[1], `SMcycle${index}b`, minute(1)));
      await crashedMerge(b, a, minute(2));
      await crashedMerge(a, b, minute(3));
      const resolvedMeanwhile = [await resolvePerson(context, a), await resolvePerson(context, b)];
      published.length = 0;
      // Act: retry A into B (stands) and B into A (withdrawn), in the order given, then both again.
      const standing = () => retryMerge(b, a);
      const withdrawn = () => retryMerge(a, b);
      const [standingAnswer, withdrawnAnswer] =
        order === 'the standing merge first'
          ? [await standing(), await withdrawn()]
          : order === 'the withdrawn merge first'
            ? [await withdrawn(), await standing()].reverse()
            : await Promise.all([standing(), withdrawn()]);
      const [standingAgain, withdrawnAgain] = [await standing(), await withdrawn()];
      // Assess: one merge item stands, no id resolves back to itself, every answer is the same.
      expect(resolvedMeanwhile).toEqual([b, b]);
      expect(await standingMerges([a, b])).toEqual([`${a} into ${b}`]);
      expect([await resolvePerson(context, a), await resolvePerson(context, b)]).toEqual([b, b]);
      expect((await mergesInto(context, b)).map(({ discardedContactId }) => discardedContactId)).toEqual([a]);
      expect(await mergesInto(context, a)).toEqual([]);
      expect(await journey(b)).toEqual([`sms:${phones[0]}`, `sms:${phones[1]}`]);
      const moved = [contactConversationId('sms', smsEndpoint, { type: 'phone', value: phones[0] })];
      for (const answer of [standingAnswer, standingAgain]) {
        expect(answer?.status).toBe(200);
        expect(answer?.body).toEqual({
          discardedContactId: a,
          survivingContactId: b,
          reason: `first try at ${minute(2)}`,
          mergedAt: minute(2),
          conversationIds: moved,
        });
      }
      for (const answer of [withdrawnAnswer, withdrawnAgain]) {
        expect(answer?.status).toBe(409);
        expect(answer?.body).toMatchObject({ detail: expect.stringContaining('merged into that one') });
      }
      // The crashed try never published its event: each retry of the standing merge publishes it.
      expect(published.map(({ type, id }) => `${type} ${id}`)).toEqual(
        Array(2).fill(`switchboard.contact.merged ${eventIdOf(b, a, minute(2), moved)}`),
      );
      for (const action of calls)
        expect([...HELPDESK_API_TABLE_ACTIONS, ...RECORDER_TABLE_ACTIONS] as string[]).toContain(action);
    },
  );

  it('a crashed merge made earlier than a checked one the other way is the one withdrawn', async () => {
    // Prepare: D into C started first (minute 2) but crashed after its put, which came after C into
    // D (minute 3) had been checked, moved C's conversation and answered.
    const phones = ['+306912353001', '+306912353002'] as const;
    const [c, d] = phones.map(personOf) as [string, string];
    await recorder.recordEvent(smsFrom(phones[0], 'SMchecked-c', minute(1)));
    await recorder.recordEvent(smsFrom(phones[1], 'SMchecked-d', minute(1)));
    const first = await mergePeople(context, { surviving: d, discarded: c, reason: 'same', at: minute(3) });
    await crashedMerge(c, d, minute(2));
    const resolvedMeanwhile = [await resolvePerson(context, c), await resolvePerson(context, d)];
    published.length = 0;
    // Act: the crashed merge is retried first, then the checked one.
    const crashedAnswer = await retryMerge(c, d);
    const checkedAnswer = await retryMerge(d, c);
    // Assess: the checked merge, which answered and moved a conversation, stands.
    expect(first.outcome).toBe('merged');
    expect(resolvedMeanwhile).toEqual([d, d]);
    expect(crashedAnswer.status).toBe(409);
    expect(checkedAnswer.status).toBe(200);
    expect(checkedAnswer.body).toMatchObject({
      discardedContactId: c,
      survivingContactId: d,
      mergedAt: minute(3),
    });
    expect(await standingMerges([c, d])).toEqual([`${c} into ${d}`]);
    expect([await resolvePerson(context, c), await resolvePerson(context, d)]).toEqual([d, d]);
    expect(await journey(d)).toEqual([`sms:${phones[0]}`, `sms:${phones[1]}`]);
  });

  it('three crashed merges round a cycle: the last is withdrawn, and what was recorded meanwhile is in place', async () => {
    // Prepare: E into F (minute 2), F into G (minute 3), G into E (minute 4), all crashed after their
    // put; then F writes on WhatsApp, a new conversation recorded while the cycle stands.
    const phones = ['+306912354001', '+306912354002', '+306912354003'] as const;
    const [e, f, g] = phones.map(personOf) as [string, string, string];
    for (const [n, phone] of phones.entries())
      await recorder.recordEvent(smsFrom(phone, `SMthree${n}`, minute(1)));
    await crashedMerge(f, e, minute(2));
    await crashedMerge(g, f, minute(3));
    await crashedMerge(e, g, minute(4));
    const resolvedMeanwhile = await Promise.all([e, f, g].map((person) => resolvePerson(context, person)));
    await recorder.recordEvent(whatsappFrom(phones[1], 'wamid.three-f', minute(5)));
    const recordedMeanwhile = await journey(g);
    published.length = 0;
    // Act: the three retries, at once, then once more each.
    const answers = await Promise.all([retryMerge(f, e), retryMerge(g, f), retryMerge(e, g)]);
    const again = [await retryMerge(e, g), await retryMerge(g, f), await retryMerge(f, e)].reverse();
    // Assess: E into F into G stand; every id resolves to G, with every conversation.
    expect(resolvedMeanwhile).toEqual([g, g, g]);
    expect(recordedMeanwhile).toEqual([`sms:${phones[2]}`, `whatsapp:${phones[1].replace('+', '')}`]);
    for (const round of [answers, again]) expect(round.map(({ status }) => status)).toEqual([200, 200, 409]);
    expect(again[0]?.body).toMatchObject({
      discardedContactId: e,
      survivingContactId: f,
      mergedAt: minute(2),
    });
    expect(again[1]?.body).toMatchObject({
      discardedContactId: f,
      survivingContactId: g,
      mergedAt: minute(3),
    });
    expect(await standingMerges([e, f, g])).toEqual([`${e} into ${f}`, `${f} into ${g}`].sort());
    expect(await Promise.all([e, f, g].map((person) => resolvePerson(context, person)))).toEqual([g, g, g]);
    expect(await journey(g)).toEqual([
      `sms:${phones[0]}`,
      `sms:${phones[1]}`,
      `sms:${phones[2]}`,
      `whatsapp:${phones[1].replace('+', '')}`,
    ]);
    expect(published.map(({ data }) => (data as { mergedAt: string }).mergedAt).sort()).toEqual([
      minute(2),
      minute(2),
      minute(3),
      minute(3),
    ]);
    for (const action of calls)
      expect([...HELPDESK_API_TABLE_ACTIONS, ...RECORDER_TABLE_ACTIONS] as string[]).toContain(action);
  });
});
