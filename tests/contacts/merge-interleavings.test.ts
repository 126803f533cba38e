import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { personMergeIndexKeys, personMergeKey } from '#shared/store/keys.ts';
import { mergePeople, unmergePeople } from '#shared/store/person-merges.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute } from '#tests/recorder/factories.ts';

/*
 * Merges and unmerges interleaved step by step against the local DynamoDB: a hook on the client
 * holds one try's call until the test lets it go, so each interleaving is the same on every run.
 */
const smsEndpoint = { type: 'phone_number' as const, id: '+15550000320' };

const smsFrom = (phone: string, id: string, at: string): HubEvent => {
  const identity = { type: 'phone' as const, value: phone };
  return buildEvent('switchboard.message.received', eventIdFor('sms', 'message', id), {
    channel: 'sms',
    provider: 'twilio',
    endpoint: smsEndpoint,
    contact: { identities: [identity] },
    conversationId: contactConversationId('sms', smsEndpoint, identity),
    hubMessageId: hubMessageIdFor('sms', id),
    direction: 'inbound',
    providerMessageId: id,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: `hello ${id}` }],
  });
};
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
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async () => undefined },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
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
  const crashedMerge = async (surviving: string, discarded: string, at: string) => {
    await context.client.send(
      new PutItemCommand({
        TableName: context.tableName,
        Item: marshall({
          ...personMergeKey(discarded),
          ...personMergeIndexKeys(discarded, surviving),
          into: surviving,
          reason: `first try at ${at}`,
          mergedAt: at,
        }),
      }),
    );
  };
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

  it("a stale try's moves are not noted on a new merge of the same person made after an unmerge", async () => {
    // Prepare: A and B write; a try of A into B (minute 2) is held just before it notes what it moved,
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
});
