import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactConversationId, type HubEvent } from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { personConversations } from '#shared/store/helpdesk-queries.ts';
import { personMergeKey } from '#shared/store/keys.ts';
import { mergePeople, readMerge, resolvePerson, unmergePeople } from '#shared/store/person-merges.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, smsReceived } from '#tests/recorder/factories.ts';
import { putCrashedMerge } from '#tests/support/crashed-merge.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * Merges and unmerges interleaved step by step against the local DynamoDB: a hook on the client
 * holds one try's call until the test lets it go, so each interleaving is the same on every run.
 */
const smsEndpoint = { type: 'phone_number' as const, id: '+15550000320' };

const smsFrom = (phone: string, id: string, at: string): HubEvent =>
  smsReceived(phone, id, at, { endpointId: smsEndpoint.id, text: `hello ${id}` });
const personOf = (phone: string): string =>
  contactIdFor('sms', { identities: [{ type: 'phone', value: phone }] }, '');
const conversationOf = (phone: string): string =>
  contactConversationId('sms', smsEndpoint, { type: 'phone', value: phone });

/** A call the hook may hold: its command's name and input. */
interface HeldCall {
  readonly command: string;
  readonly input: Record<string, unknown>;
}
type Hook = (call: HeldCall) => Promise<void> | void;

/** A promise and the function that settles it. */
const gate = () => {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
};

describe('merges interleaved with other tries', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  const hooks: Hook[] = [];

  beforeAll(async () => {
    emulators = await startEmulators();
    const { dynamodb } = emulators.clients;
    dynamodb.middlewareStack.add(
      (next, commandContext) => async (args) => {
        const call = {
          command: String(commandContext.commandName).replace(/Command$/, ''),
          input: args.input as Record<string, unknown>,
        };
        for (const hook of [...hooks]) await hook(call);
        return next(args);
      },
      { step: 'initialize', name: 'holdMergeCalls' },
    );
    context = { client: dynamodb, tableName: emulators.resources.tableName, now: () => new Date() };
    recorder = quietRecorder(context);
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** Whether a call is on this person's merge item. */
  const onMergeOf = (call: HeldCall, contactId: string) =>
    JSON.stringify(call.input.Key) === JSON.stringify(marshall(personMergeKey(contactId)));
  /** Runs `hook` once, on the first call `when` picks. */
  const once = (when: (call: HeldCall) => boolean, hook: Hook) => {
    const wrapped: Hook = async (call) => {
      if (!when(call)) return;
      hooks.splice(hooks.indexOf(wrapped), 1);
      await hook(call);
    };
    hooks.push(wrapped);
  };
  /** What a merge that crashed right after its PutItem leaves: its item, never checked, nothing moved. */
  const crashedMerge = (surviving: string, discarded: string, at: string) =>
    putCrashedMerge(context, surviving, discarded, at);
  const rawMergeItem = async (contactId: string) => {
    const output = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(personMergeKey(contactId)),
        ConsistentRead: true,
      }),
    );
    return output.Item ? unmarshall(output.Item) : undefined;
  };
  /** The person each conversation is filed under, and whether a merge discarded that person. */
  const filedUnder = async (phones: readonly string[]) =>
    Promise.all(
      phones.map(async (phone) => {
        const person = (await loadConversation(context, conversationOf(phone))).model?.state.contactId ?? '';
        return { person, discarded: (await readMerge(context, person)) !== undefined };
      }),
    );

  it("a stale try's moves are not noted on a new merge of the same person made after an unmerge", async () => {
    // Prepare: A and B write; a try of A into B (minute 2) is held just before it notes what it moves,
    // and meanwhile the merge is undone and A is merged into B again by a try that crashes after its put.
    const phones = ['+306912355001', '+306912355002'] as const;
    const [a, b] = phones.map(personOf) as [string, string];
    await recorder.recordEvent(smsFrom(phones[0], 'SMstale-a', minute(1)));
    await recorder.recordEvent(smsFrom(phones[1], 'SMstale-b', minute(1)));
    let unmerged: Awaited<ReturnType<typeof unmergePeople>> | undefined;
    once(
      (call) =>
        call.command === 'UpdateItem' &&
        onMergeOf(call, a) &&
        String(call.input.UpdateExpression).startsWith('ADD moved'),
      async () => {
        unmerged = await unmergePeople(context, {
          surviving: b,
          discarded: a,
          reason: 'mistake',
          at: minute(3),
        });
        await crashedMerge(b, a, minute(4));
      },
    );
    // Act: the stale try runs on to its end.
    const stale = await mergePeople(context, { surviving: b, discarded: a, reason: 'same', at: minute(2) });
    // Assess: the stale try answers what it moved; the new merge's item has nothing of it, and stays
    // unchecked (so a cycle through it could still withdraw it).
    expect(unmerged?.outcome).toBe('unmerged');
    expect(stale).toMatchObject({ outcome: 'merged', conversationIds: [conversationOf(phones[0])] });
    const item = await rawMergeItem(a);
    expect(item).toMatchObject({ into: b, mergedAt: minute(4) });
    expect(item?.moved).toBeUndefined();
    expect(item?.checked).toBeUndefined();
    expect(item?.unmergedAt).toBeUndefined();
  });

  it("A into B while B into C, whose passes end before A into B's moves land: A's conversation ends in C's journey", async () => {
    // Prepare: A, B and C write. A into B's first move of A's conversation is held until another
    // agent's merge of B into C has run to its end.
    const phones = ['+306912356001', '+306912356002', '+306912356003'] as const;
    const [a, b, c] = phones.map(personOf) as [string, string, string];
    for (const [n, phone] of phones.entries())
      await recorder.recordEvent(smsFrom(phone, `SMchain${n}`, minute(1)));
    const aConversation = JSON.stringify(marshall({ pk: `CONV#${conversationOf(phones[0])}` }).pk);
    let bIntoC: Awaited<ReturnType<typeof mergePeople>> | undefined;
    once(
      (call) =>
        call.command === 'UpdateItem' &&
        JSON.stringify((call.input.Key as Record<string, unknown>)?.pk) === aConversation,
      async () => {
        bIntoC = await mergePeople(context, { surviving: c, discarded: b, reason: 'same', at: minute(2) });
      },
    );
    // Act
    const aIntoB = await mergePeople(context, { surviving: b, discarded: a, reason: 'same', at: minute(2) });
    // Assess: every conversation is filed under C, which every person resolves to.
    expect(bIntoC?.outcome).toBe('merged');
    expect(aIntoB).toMatchObject({ outcome: 'merged', conversationIds: [conversationOf(phones[0])] });
    expect(await filedUnder(phones)).toEqual([
      { person: c, discarded: false },
      { person: c, discarded: false },
      { person: c, discarded: false },
    ]);
    const journey = (await personConversations(context, c)).map((view) => view.state.conversationId).sort();
    expect(journey).toEqual(phones.map(conversationOf).sort());
    expect(await Promise.all([a, b, c].map((person) => resolvePerson(context, person)))).toEqual([c, c, c]);
  });

  it.each([
    { order: 'before', index: 0, stands: 'B into A' },
    { order: 'after', index: 1, stands: 'A into B' },
  ])(
    'a merge into a person of a cycle that forms while a try of its merge is about to be checked, checked $order C withdraws it',
    async ({ order, index, stands }) => {
      // Prepare: A, B and C write. A try of A into B (X, minute 3) found no cycle and is held just
      // before it marks itself checked; meanwhile B into A (Y, minute 2: its checks passed first) is
      // written and crashes, closing a cycle, and a try of C into A (minute 4) runs until it is held
      // before it moves C's conversation. In the second order, X's check lands just before C deletes it.
      const phones = [`+30691235${index}101`, `+30691235${index}102`, `+30691235${index}103`] as const;
      const [a, b, c] = phones.map(personOf) as [string, string, string];
      for (const [n, phone] of phones.entries())
        await recorder.recordEvent(smsFrom(phone, `SMwindow${index}${n}`, minute(1)));
      const xHeld = gate();
      const xGoes = gate();
      once(
        (call) =>
          call.command === 'UpdateItem' &&
          onMergeOf(call, a) &&
          String(call.input.UpdateExpression).startsWith('SET #checked'),
        async () => {
          xHeld.open();
          await xGoes.opened;
        },
      );
      const x = mergePeople(context, { surviving: b, discarded: a, reason: 'same', at: minute(3) });
      await xHeld.opened;
      await crashedMerge(a, b, minute(2));
      const cHeld = gate();
      const cGoes = gate();
      const cConversation = JSON.stringify(marshall({ pk: `CONV#${conversationOf(phones[2])}` }).pk);
      once(
        (call) =>
          call.command === 'UpdateItem' &&
          JSON.stringify((call.input.Key as Record<string, unknown>)?.pk) === cConversation,
        async () => {
          cHeld.open();
          await cGoes.opened;
        },
      );
      let withdrawing = false;
      if (order === 'after')
        once(
          (call) => call.command === 'DeleteItem' && onMergeOf(call, a),
          async () => {
            withdrawing = true;
            xGoes.open();
            for (let poll = 0; poll < 100 && (await rawMergeItem(a))?.checked !== true; poll++)
              await new Promise((resolve) => setTimeout(resolve, 10));
          },
        );
      const cIntoA = mergePeople(context, { surviving: a, discarded: c, reason: 'same', at: minute(4) });
      await cHeld.opened;
      // Act: X goes on to its end, then Y is retried, then C into A moves C's conversation.
      xGoes.open();
      const xAnswer = await x;
      const yAnswer = await mergePeople(context, {
        surviving: a,
        discarded: b,
        reason: 'sent again',
        at: minute(5),
      });
      cGoes.open();
      const cAnswer = await cIntoA;
      // Assess: every conversation is filed under a person no merge discarded, and every person
      // resolves to that one; C's merge stands, and so does the one of X and Y that C did not
      // withdraw (in the second order, C's delete of X came after X's check: C withdrew Y instead).
      const filed = await filedUnder(phones);
      expect(filed.map(({ discarded }) => discarded)).toEqual([false, false, false]);
      const root = filed[0]?.person;
      expect(filed.map(({ person }) => person)).toEqual([root, root, root]);
      expect(await Promise.all([a, b, c].map((person) => resolvePerson(context, person)))).toEqual([
        root,
        root,
        root,
      ]);
      expect(cAnswer.outcome).toBe('merged');
      expect([xAnswer.outcome, yAnswer.outcome]).toEqual(
        stands === 'A into B' ? ['merged', 'refused'] : ['refused', 'merged'],
      );
      expect(withdrawing).toBe(order === 'after');
    },
  );
});
