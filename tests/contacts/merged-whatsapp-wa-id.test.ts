import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDER_TABLE_ACTIONS } from '#infra/constructs/recorder.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import type { RecorderService } from '#shared/recorder/batch-recorder.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { erasePerson } from '#shared/store/erasure.ts';
import { personConversations } from '#shared/store/helpdesk-queries.ts';
import { personMergeKey } from '#shared/store/keys.ts';
import { mergePeople, readMerge, resolvePerson, unmergePeople } from '#shared/store/person-merges.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, smsReceived, whatsAppMessageFrom } from '#tests/recorder/factories.ts';
import { quietRecorder } from '#tests/support/quiet-recorder.ts';

/*
 * A WhatsApp customer first known by their BSUID alone, whom the helpdesk merged into another
 * person (the same customer by e-mail), and whose wa_id a later webhook names: the conversation
 * stays with the person the helpdesk chose, and the phone number's person joins them when it has
 * nothing of its own. Until 2026-12-06 the conversation went to the phone number's person and left
 * the survivor's journey, while the merge still sent the BSUID's next conversations to the survivor
 * (found by a review).
 */
const wa = { type: 'whatsapp_phone_number' as const, id: 'phone-merged-wa-id' };
const mailbox = { type: 'email_address' as const, id: 'support@shop.example.net' };
const smsEndpoint = '+15550000410';

const waMessage = (identities: ChannelIdentity[], wamid: string, at: string): HubEvent =>
  whatsAppMessageFrom(wa, identities, wamid, at);
const emailMessage = (address: string, id: string, at: string): HubEvent => {
  const identity = { type: 'email' as const, value: address };
  return buildEvent('switchboard.message.received', eventIdFor('email', 'message', id), {
    channel: 'email',
    provider: 'ses',
    endpoint: mailbox,
    contact: { identities: [identity] },
    conversationId: contactConversationId('email', mailbox, identity),
    hubMessageId: hubMessageIdFor('email', id),
    direction: 'inbound',
    providerMessageId: id,
    providerTimestamp: at,
    receivedAt: at,
    parts: [{ type: 'text', text: 'hello' }],
  });
};
const bsuidOf = (value: string) => ({ type: 'bsuid' as const, value });
const waIdOf = (value: string) => ({ type: 'wa_id' as const, value });
const personOfIdentity = (channel: 'whatsapp' | 'email', identity: ChannelIdentity): string =>
  contactIdFor(channel, { identities: [identity] }, '');
const phonePersonOf = (digits: string): string =>
  contactIdFor('sms', { identities: [{ type: 'phone', value: `+${digits}` }] }, '');

describe('a merged WhatsApp BSUID person whose wa_id arrives', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  /** Every DynamoDB action the recorder's store sent, to hold against its IAM grant. */
  const recorderCalls = new Set<string>();
  /** A call of the recorder's that fails, once: a crash there. */
  let crashOn: ((command: { input: { Key?: unknown; UpdateExpression?: string } }) => boolean) | undefined;

  beforeAll(async () => {
    emulators = await startEmulators();
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    recorder = quietRecorder({
      ...context,
      client: {
        send: (async (command: {
          constructor: { name: string };
          input: { Key?: unknown; UpdateExpression?: string };
        }) => {
          recorderCalls.add(`dynamodb:${command.constructor.name.replace(/Command$/, '')}`);
          if (crashOn?.(command)) {
            crashOn = undefined;
            throw new Error('crashed');
          }
          return context.client.send(command as never);
        }) as TableContext['client']['send'],
      },
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  /** A BSUID-only WhatsApp conversation and the same customer by e-mail, merged by the helpdesk into the e-mail person. */
  const mergedBsuidCustomer = async (tag: string, address: string) => {
    const bsuid = bsuidOf(`GR.merged-${tag}`);
    const first = waMessage([bsuid], `wamid.${tag}-1`, minute(1));
    await recorder.recordEvent(first);
    await recorder.recordEvent(emailMessage(address, `mail-${tag}`, minute(2)));
    const survivor = personOfIdentity('email', { type: 'email', value: address });
    const bsuidPerson = personOfIdentity('whatsapp', bsuid);
    const merged = await mergePeople(context, {
      surviving: survivor,
      discarded: bsuidPerson,
      reason: 'same customer',
      at: minute(3),
    });
    expect(merged).toMatchObject({ outcome: 'merged' });
    return { bsuid, bsuidPerson, survivor, conversationId: first.subject ?? '' };
  };
  const personOfConversation = async (conversationId: string) =>
    (await loadConversation(context, conversationId)).model?.state.contactId;
  const inJourneyOf = async (contactId: string, conversationId: string) =>
    (await personConversations(context, contactId)).some(
      (view) => view.state.conversationId === conversationId,
    );

  it.each([
    { order: 'wa_id first', tag: 'wa-first', digits: '306912348801', first: true },
    { order: 'BSUID first', tag: 'bsuid-first', digits: '306912348802', first: false },
  ])(
    'keeps the conversation with the survivor and links the phone number to them ($order)',
    async ({ tag, digits, first }) => {
      // Prepare
      const { bsuid, bsuidPerson, survivor, conversationId } = await mergedBsuidCustomer(
        tag,
        `jane.${tag}@mail.example.org`,
      );
      const identities = first ? [waIdOf(digits), bsuid] : [bsuid, waIdOf(digits)];
      // Act: the customer's next WhatsApp message names the wa_id too, then they text from that phone.
      await recorder.recordEvent(waMessage(identities, `wamid.${tag}-2`, minute(4)));
      const text = smsReceived(`+${digits}`, `SM${tag}`, minute(5), { endpointId: smsEndpoint });
      await recorder.recordEvent(text);
      // Assess
      const phonePerson = phonePersonOf(digits);
      expect(await personOfConversation(conversationId)).toBe(survivor);
      expect(await inJourneyOf(survivor, conversationId)).toBe(true);
      expect(await resolvePerson(context, bsuidPerson)).toBe(survivor);
      expect(await resolvePerson(context, phonePerson)).toBe(survivor);
      expect(await readMerge(context, phonePerson)).toMatchObject({ survivingContactId: survivor });
      expect(await personOfConversation(text.subject ?? '')).toBe(survivor);
      for (const action of recorderCalls)
        expect([...RECORDER_TABLE_ACTIONS, 'dynamodb:Query'] as string[]).toContain(action);
    },
  );

  it('a link a crash left half-way is finished when the message is delivered again', async () => {
    // Prepare: the recorder crashes right after it wrote the link, before marking it checked.
    const digits = '306912348806';
    const { bsuid, survivor, conversationId } = await mergedBsuidCustomer(
      'crashed',
      'cora.crashed@mail.example.org',
    );
    const phonePerson = phonePersonOf(digits);
    const linkItem = JSON.stringify(marshall(personMergeKey(phonePerson)));
    crashOn = (command) =>
      JSON.stringify(command.input.Key) === linkItem &&
      String(command.input.UpdateExpression).startsWith('SET');
    const second = waMessage([waIdOf(digits), bsuid], 'wamid.crashed-2', minute(4));
    await expect(recorder.recordEvent(second)).rejects.toThrow('crashed');
    // Act: the queue delivers the message again.
    await recorder.recordEvent(second);
    // Assess: the link is checked, and the alias the webhook's own id became moved with it.
    const alias = second.subject ?? '';
    const link = await context.client.send(
      new GetItemCommand({
        TableName: context.tableName,
        Key: marshall(personMergeKey(phonePerson)),
        ConsistentRead: true,
      }),
    );
    expect(crashOn).toBeUndefined();
    expect(link.Item && unmarshall(link.Item)).toMatchObject({
      into: survivor,
      checked: true,
      moved: new Set([alias]),
    });
    expect(await personOfConversation(conversationId)).toBe(survivor);
    expect((await loadConversation(context, alias)).aliasOf).toBe(conversationId);
  });

  it('an erasure of the survivor then reaches everything the WhatsApp customer left', async () => {
    // Prepare
    const digits = '306912348803';
    const { bsuid, survivor } = await mergedBsuidCustomer('erased', 'erin.erased@mail.example.org');
    await recorder.recordEvent(waMessage([waIdOf(digits), bsuid], 'wamid.erased-2', minute(4)));
    // Act
    await erasePerson(
      { pseudonymKey: localPseudonymKey, table: context, deleteObjects: async () => {} },
      survivor,
    );
    // Assess: neither the wa_id nor the BSUID is left anywhere (erasure keeps only hashes).
    const scan = await context.client.send(new ScanCommand({ TableName: context.tableName }));
    const naming = (scan.Items ?? [])
      .map((raw) => unmarshall(raw))
      .filter((item) =>
        [digits, bsuid.value, 'erin.erased'].some((named) =>
          JSON.stringify(item, (_key, value) => (value instanceof Set ? [...value] : value)).includes(named),
        ),
      )
      .map((item) => `${item.pk} ${item.sk}`);
    expect(naming).toEqual([]);
  });

  it('keeps the conversation with the survivor, and the phone person apart, when that person has conversations of their own', async () => {
    // Prepare: the customer texted from the phone before anyone knew it was theirs.
    const digits = '306912348804';
    const text = smsReceived(`+${digits}`, 'SMown-earlier', minute(1), { endpointId: smsEndpoint });
    await recorder.recordEvent(text);
    const { bsuid, survivor, conversationId } = await mergedBsuidCustomer('own', 'olga.own@mail.example.org');
    // Act
    await recorder.recordEvent(waMessage([waIdOf(digits), bsuid], 'wamid.own-2', minute(4)));
    // Assess
    const phonePerson = phonePersonOf(digits);
    expect(await personOfConversation(conversationId)).toBe(survivor);
    expect(await inJourneyOf(survivor, conversationId)).toBe(true);
    expect(await resolvePerson(context, phonePerson)).toBe(phonePerson);
    expect(await personOfConversation(text.subject ?? '')).toBe(phonePerson);
  });

  it('a merge undone before the wa_id arrives leaves the conversation to become the phone person', async () => {
    // Prepare
    const digits = '306912348805';
    const { bsuid, bsuidPerson, survivor, conversationId } = await mergedBsuidCustomer(
      'undone',
      'una.undone@mail.example.org',
    );
    const unmerged = await unmergePeople(context, {
      surviving: survivor,
      discarded: bsuidPerson,
      reason: 'two people',
      at: minute(4),
    });
    expect(unmerged).toMatchObject({ outcome: 'unmerged' });
    // Act
    await recorder.recordEvent(waMessage([waIdOf(digits), bsuid], 'wamid.undone-2', minute(5)));
    // Assess
    const phonePerson = phonePersonOf(digits);
    expect(await personOfConversation(conversationId)).toBe(phonePerson);
    expect(await inJourneyOf(phonePerson, conversationId)).toBe(true);
    expect(await resolvePerson(context, phonePerson)).toBe(phonePerson);
  });
});
