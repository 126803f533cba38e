import type { QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDER_QUERY_PARTITION_PREFIXES, RECORDER_TABLE_ACTIONS } from '#infra/constructs/recorder.ts';
import { localPseudonymKey } from '#shared/aws/pseudonym-key.ts';
import {
  buildEvent,
  type ChannelIdentity,
  contactConversationId,
  eventIdFor,
  type HubEvent,
} from '#shared/contract/index.ts';
import { contactIdFor } from '#shared/domain/contact-identity.ts';
import { type RunningEmulators, startEmulators } from '#shared/local/emulators.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { createRecorderService, type RecorderService } from '#shared/recorder/batch-recorder.ts';
import { loadConversation } from '#shared/store/conversations.ts';
import { createRecorderStore } from '#shared/store/recorder-store.ts';
import type { TableContext } from '#shared/store/table.ts';
import { minute, sqsEvent, whatsAppMessageFrom } from '#tests/recorder/factories.ts';

/*
 * WhatsApp webhooks name a customer by wa_id, by business-scoped user id (BSUID), or both; the
 * customer keeps one conversation per business number whichever each webhook carries.
 */
const endpoint = { type: 'whatsapp_phone_number' as const, id: 'phone-links' };

const messageFrom = (identities: ChannelIdentity[], wamid: string, at: string): HubEvent =>
  whatsAppMessageFrom(endpoint, identities, wamid, at);

/** What a WhatsApp webhook makes of a status or a reaction: the conversation its identifiers derive. */
const aboutMessage = (identities: ChannelIdentity[], at: string) => {
  const [primary] = identities;
  if (!primary) throw new Error('no identity');
  return {
    channel: 'whatsapp' as const,
    provider: 'meta' as const,
    endpoint,
    contact: { identities: identities as [ChannelIdentity, ...ChannelIdentity[]] },
    conversationId: contactConversationId('whatsapp', endpoint, primary),
    providerTimestamp: at,
    receivedAt: at,
  };
};

const statusFrom = (identities: ChannelIdentity[], wamid: string, status: 'delivered' | 'read', at: string) =>
  buildEvent('switchboard.message.status_updated', eventIdFor('whatsapp', 'status', wamid, status), {
    ...aboutMessage(identities, at),
    status,
    providerStatus: status,
    providerMessageIds: [wamid],
  });

const reactionFrom = (identities: ChannelIdentity[], target: string, emoji: string, at: string) =>
  buildEvent('switchboard.message.reaction_changed', eventIdFor('whatsapp', 'reaction', target, at), {
    ...aboutMessage(identities, at),
    action: 'added',
    emoji,
    targetProviderMessageId: target,
    actor: 'customer',
  });

/** A Query's target: `index <name>`, or the table partition its `:pk` names (every store Query has one). */
const queryTarget = (input: QueryCommandInput): string =>
  input.IndexName
    ? `index ${input.IndexName}`
    : ((input.ExpressionAttributeValues?.[':pk'] as { S?: string } | undefined)?.S ?? '(no :pk)');

describe('one WhatsApp conversation per customer and number, by wa_id or BSUID', () => {
  let emulators: RunningEmulators;
  let context: TableContext;
  let recorder: RecorderService;
  const published: HubEvent[] = [];
  /** Every DynamoDB action the recorder's store sent, to hold against its IAM grant. */
  const sent = new Set<string>();
  /** Where each of its Queries went: the index, or the table's partition (`:pk`). */
  const queried = new Set<string>();

  beforeAll(async () => {
    emulators = await startEmulators();
    emulators.clients.dynamodb.middlewareStack.add(
      (next, handlerContext) => async (args) => {
        sent.add(`dynamodb:${String(handlerContext.commandName).replace(/Command$/, '')}`);
        if (handlerContext.commandName === 'QueryCommand')
          queried.add(queryTarget(args.input as QueryCommandInput));
        return next(args);
      },
      { step: 'initialize', name: 'recordTableCalls' },
    );
    context = {
      client: emulators.clients.dynamodb,
      tableName: emulators.resources.tableName,
      now: () => new Date(),
    };
    recorder = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async (events) => void published.push(...events) },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
    });
  });
  afterAll(async () => {
    await emulators?.stop();
  });

  const conversationsOf = (wamids: string[]) =>
    wamids.map(
      (wamid) =>
        published.find(
          (event) => event.type === 'switchboard.message.received' && event.data.providerMessageId === wamid,
        )?.subject,
    );

  it('wa_id and BSUID first, then BSUID alone: the second message joins the first conversation', async () => {
    // Prepare
    const both = messageFrom(
      [
        { type: 'wa_id', value: '306912340001' },
        { type: 'bsuid', value: 'GR.links-1' },
      ],
      'wamid.links-1a',
      minute(1),
    );
    const bsuidOnly = messageFrom([{ type: 'bsuid', value: 'GR.links-1' }], 'wamid.links-1b', minute(2));
    // Act
    await recorder.recordEvent(both);
    await recorder.recordEvent(bsuidOnly);
    // Assess
    const [first, second] = conversationsOf(['wamid.links-1a', 'wamid.links-1b']);
    expect(first).toBe(both.subject);
    expect(second).toBe(first);
    const state = (await loadConversation(context, first ?? '')).model?.state;
    expect(state?.messageCount).toBe(2);
  });

  it('BSUID alone first, then both, then wa_id alone: every message lands in the BSUID conversation, which becomes the phone number person', async () => {
    // Prepare
    const bsuidOnly = messageFrom([{ type: 'bsuid', value: 'GR.links-2' }], 'wamid.links-2a', minute(1));
    const both = messageFrom(
      [
        { type: 'wa_id', value: '306912340002' },
        { type: 'bsuid', value: 'GR.links-2' },
      ],
      'wamid.links-2b',
      minute(2),
    );
    const waIdOnly = messageFrom([{ type: 'wa_id', value: '306912340002' }], 'wamid.links-2c', minute(3));
    // Act
    for (const event of [bsuidOnly, both, waIdOnly]) await recorder.recordEvent(event);
    await recorder.recordEvent(waIdOnly);
    // Assess
    const conversations = conversationsOf(['wamid.links-2a', 'wamid.links-2b', 'wamid.links-2c']);
    expect(new Set(conversations)).toEqual(new Set([bsuidOnly.subject]));
    const state = (await loadConversation(context, bsuidOnly.subject ?? '')).model?.state;
    expect(state?.messageCount).toBe(3);
    expect(state?.contact.identities.map((identity) => identity.type)).toEqual(['bsuid', 'wa_id']);
    const smsPerson = contactIdFor('sms', { identities: [{ type: 'phone', value: '+306912340002' }] }, 'any');
    expect(state?.contactId).toBe(smsPerson);
    expect((await loadConversation(context, both.subject ?? '')).aliasOf).toBe(bsuidOnly.subject);
  });

  it('two customers who never shared an identifier keep their own conversations', async () => {
    // Prepare
    const one = messageFrom([{ type: 'wa_id', value: '306912340003' }], 'wamid.links-3a', minute(1));
    const other = messageFrom([{ type: 'bsuid', value: 'GR.links-4' }], 'wamid.links-4a', minute(1));
    // Act
    await recorder.recordEvent(one);
    await recorder.recordEvent(other);
    // Assess
    const [a, b] = conversationsOf(['wamid.links-3a', 'wamid.links-4a']);
    expect(a).toBe(one.subject);
    expect(b).toBe(other.subject);
    expect(a).not.toBe(b);
  });

  it.each([
    ['the wa_id alone claims first', 'wa-first'],
    ['wa_id and BSUID claim first', 'both-first'],
  ])('two first messages that race (%s) still meet in one conversation', async (_name, order) => {
    // Prepare: the same customer, once by wa_id alone, once by wa_id and BSUID (BSUID first, so the
    // two derive different conversation ids), the second recorded while the first is between its
    // claim and its save.
    const suffix = order === 'wa-first' ? '5' : '6';
    const waId = messageFrom(
      [{ type: 'wa_id', value: `30691234000${suffix}` }],
      `wamid.race-${suffix}a`,
      minute(1),
    );
    const both = messageFrom(
      [
        { type: 'bsuid', value: `GR.race-${suffix}` },
        { type: 'wa_id', value: `30691234000${suffix}` },
      ],
      `wamid.race-${suffix}b`,
      minute(2),
    );
    const [first, second] = order === 'wa-first' ? [waId, both] : [both, waId];
    let raced = false;
    const racing = createRecorderService({
      store: createRecorderStore(context, localPseudonymKey),
      publisher: { publish: async (events) => void published.push(...events) },
      clock: () => new Date(),
      logger: createLogger({ level: 'error', write: () => {} }),
      afterStep: async (step, event) => {
        if (step !== 'claim-identities' || event.id !== first.id || raced) return;
        raced = true;
        await recorder.recordEvent(second);
      },
    });
    // Act
    await racing.recordEvent(first);
    // Assess
    expect(raced).toBe(true);
    const [a, b] = conversationsOf([`wamid.race-${suffix}a`, `wamid.race-${suffix}b`]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect((await loadConversation(context, a ?? '')).model?.state.messageCount).toBe(2);
  });

  it('in one batch from the queue, a second message under an id the batch just made an alias follows it', async () => {
    // Prepare: the customer is known by BSUID; then one batch brings wa_id + BSUID, and wa_id alone
    const bsuidOnly = messageFrom([{ type: 'bsuid', value: 'GR.links-95' }], 'wamid.links-5a', minute(1));
    await recorder.recordEvent(bsuidOnly);
    const both = messageFrom(
      [
        { type: 'wa_id', value: '306912340095' },
        { type: 'bsuid', value: 'GR.links-95' },
      ],
      'wamid.links-5b',
      minute(2),
    );
    const waIdOnly = messageFrom([{ type: 'wa_id', value: '306912340095' }], 'wamid.links-5c', minute(3));
    expect(waIdOnly.subject).toBe(both.subject);
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent(
        [both, waIdOnly].map((event, index) => ({
          id: `links-5-${index}`,
          group: event.subject ?? '',
          body: JSON.stringify(event),
        })),
      ),
    );
    // Assess: both land in the BSUID conversation; the wa_id id is an alias and nothing else
    expect(response.batchItemFailures).toEqual([]);
    const conversations = conversationsOf(['wamid.links-5a', 'wamid.links-5b', 'wamid.links-5c']);
    expect(new Set(conversations)).toEqual(new Set([bsuidOnly.subject]));
    expect((await loadConversation(context, bsuidOnly.subject ?? '')).model?.state.messageCount).toBe(3);
    const alias = await loadConversation(context, both.subject ?? '');
    expect(alias.aliasOf).toBe(bsuidOnly.subject);
    expect(alias.model).toBeUndefined();
  });

  it('publishes the statuses and reactions an alias receives in the conversation it stands for', async () => {
    // Prepare: opened by BSUID alone; a message with the wa_id makes the wa_id's id an alias of it;
    // statuses of a reply and a reaction then arrive under the wa_id alone
    const waId: ChannelIdentity = { type: 'wa_id', value: '306912340096' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.links-96' };
    const bsuidOnly = messageFrom([bsuid], 'wamid.links-6a', minute(1));
    const both = messageFrom([waId, bsuid], 'wamid.links-6b', minute(2));
    await recorder.recordEvent(bsuidOnly);
    await recorder.recordEvent(both);
    expect((await loadConversation(context, both.subject ?? '')).aliasOf).toBe(bsuidOnly.subject);
    const delivered = statusFrom([waId], 'wamid.reply-6', 'delivered', minute(3));
    const read = statusFrom([waId], 'wamid.reply-6', 'read', minute(4));
    const reaction = reactionFrom([waId], 'wamid.reply-6', '👍', minute(5));
    expect(new Set([delivered, read, reaction].map((event) => event.subject))).toEqual(
      new Set([both.subject]),
    );
    // Act
    for (const event of [delivered, read, reaction]) await recorder.recordEvent(event);
    // Assess: each published once, under the conversation the helpdesk knows
    const out = [delivered, read, reaction].map((event) => published.filter((sent) => sent.id === event.id));
    for (const sent of out) {
      expect(sent).toHaveLength(1);
      expect(sent[0]?.subject).toBe(bsuidOnly.subject);
      expect((sent[0]?.data as { conversationId?: string } | undefined)?.conversationId).toBe(
        bsuidOnly.subject,
      );
    }
  });

  it('in one batch from the queue, a status under an id the batch just made an alias follows it', async () => {
    // Prepare: known by BSUID; one batch brings wa_id + BSUID, then a status under the wa_id
    const waId: ChannelIdentity = { type: 'wa_id', value: '306912340097' };
    const bsuid: ChannelIdentity = { type: 'bsuid', value: 'GR.links-97' };
    const bsuidOnly = messageFrom([bsuid], 'wamid.links-7a', minute(1));
    await recorder.recordEvent(bsuidOnly);
    const both = messageFrom([waId, bsuid], 'wamid.links-7b', minute(2));
    const delivered = statusFrom([waId], 'wamid.reply-7', 'delivered', minute(3));
    expect(delivered.subject).toBe(both.subject);
    // Act
    const response = await recorder.handleSqsEvent(
      sqsEvent(
        [both, delivered].map((event, index) => ({
          id: `links-7-${index}`,
          group: event.subject ?? '',
          body: JSON.stringify(event),
        })),
      ),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const sent = published.filter((event) => event.id === delivered.id);
    expect(sent.map((event) => event.subject)).toEqual([bsuidOnly.subject]);
  });

  it("sends the table nothing the recorder's IAM policy does not allow", () => {
    // Assess (after the scenarios above, which open, alias and extend conversations)
    expect(sent.size).toBeGreaterThan(0);
    // A batch from the queue reads its messages at once.
    expect(sent).toContain('dynamodb:BatchGetItem');
    // Queries are granted apart: gsi3, and the table's partitions RECORDER_QUERY_PARTITION_PREFIXES names.
    for (const action of sent)
      expect([...RECORDER_TABLE_ACTIONS, 'dynamodb:Query'] as string[]).toContain(action);
    const partitions = [...queried].filter((target) => !target.startsWith('index '));
    expect(partitions.some((pk) => pk.startsWith('IDENT#'))).toBe(true);
    for (const pk of partitions)
      expect(RECORDER_QUERY_PARTITION_PREFIXES.some((prefix) => pk.startsWith(prefix))).toBe(true);
    for (const index of [...queried].filter((target) => target.startsWith('index ')))
      expect(index).toBe('index gsi3');
  });
});
