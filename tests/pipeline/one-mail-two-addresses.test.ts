import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEvent,
  emailThreadConversationId,
  eventIdFor,
  type HubEvent,
  hubMessageIdFor,
} from '#shared/contract/index.ts';
import type { AfterStep } from '#shared/recorder/steps.ts';
import { minute, sqsEvent } from '#tests/recorder/factories.ts';
import { type Pipeline, startPipeline } from './harness.ts';

/** What one post of a mail says, but its direction: the ids from its Message-ID, the conversation from the address, thread and customer. */
const postOf = (address: string, messageId: string, threadRoot: string) => ({
  hubMessageId: hubMessageIdFor('email', messageId),
  channel: 'email' as const,
  provider: 'mailgun' as const,
  endpoint: { type: 'email_address' as const, id: address },
  contact: { identities: [{ type: 'email' as const, value: 'ann@customer.example' }] },
  conversationId: emailThreadConversationId(address, threadRoot, 'ann@customer.example'),
  providerMessageId: messageId,
  providerTimestamp: minute(1),
  receivedAt: minute(1),
  parts: [{ type: 'text' as const, text: 'hello' }],
});

/**
 * One e-mail as Mailgun posts it for one of the business addresses it was sent to: the ids come
 * from its Message-ID, the conversation from the address (and the thread and customer), as the adapter builds them.
 */
const postedTo = (address: string, messageId: string, threadRoot = messageId): HubEvent =>
  buildEvent('switchboard.message.received', eventIdFor('email', 'message', messageId), {
    ...postOf(address, messageId, threadRoot),
    direction: 'inbound',
  });

/**
 * The same mail an agent sent from `from` (outside the hub) with that address in Bcc (the documented
 * way to record the business's own copies): Mailgun's post for `from` reads as the business's own
 * copy, outbound in that address's conversation, while its post for a colleague address in Cc reads
 * as an inbound mail from `from` (shared/channels/email/inbound/addressing.ts, identifyParties).
 */
const ownCopyFrom = (from: string, messageId: string): HubEvent =>
  buildEvent('switchboard.message.sent', eventIdFor('email', 'message', messageId), {
    ...postOf(from, messageId, messageId),
    direction: 'outbound',
  });

/** The posts as one ingest batch, each in its conversation's message group, in this order. */
const oneBatch = (posts: readonly { id: string; event: HubEvent }[]) =>
  sqsEvent(posts.map(({ id, event }) => ({ id, group: event.subject, body: JSON.stringify(event) })));

/** What reached the helpdesk for these conversations (another test's events may still be queued). */
const helpdeskOf = async (pipeline: Pipeline, conversationIds: readonly string[]): Promise<HubEvent[]> =>
  (await pipeline.takeHelpdesk()).filter((event) => conversationIds.includes(event.subject ?? ''));

const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }): string[] =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();

describe('recorder: one e-mail posted for two business addresses in one batch', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('is recorded once, in the conversation of the post taken first, as two batches would', async () => {
    // Prepare
    const toSales = postedTo('sales@acme.example', 'one-batch-1@customer.example');
    const toSupport = postedTo('support@acme.example', 'one-batch-1@customer.example');
    // Act
    const response = await pipeline.recorder().handleSqsEvent(
      oneBatch([
        { id: 'sales', event: toSales },
        { id: 'support', event: toSupport },
      ]),
    );
    // Assess
    expect(failedIds(response)).toEqual([]);
    const sales = await pipeline.read.getConversation(toSales.subject);
    expect(sales?.state).toMatchObject({ messageCount: 1, unreadCount: 1, status: 'open' });
    expect(await pipeline.read.getConversation(toSupport.subject)).toBeUndefined();
    const listed = await pipeline.read.listConversationMessages(toSales.subject);
    expect(listed.items.map((view) => view.message.providerMessageId)).toEqual([
      'one-batch-1@customer.example',
    ]);
    const helpdesk = await helpdeskOf(pipeline, [toSales.subject, toSupport.subject]);
    expect(helpdesk.map((event) => [event.type, event.subject])).toEqual([
      ['switchboard.message.received', toSales.subject],
      ['switchboard.conversation.state_changed', toSales.subject],
    ]);
  });

  it('ends when each of two groups holds a later post of the other group’s mail (no deadlock)', async () => {
    // Prepare: mail X, then Y answering in its thread, each to both addresses; the second address's
    // posts came in the other order.
    const x = 'cross-x@customer.example';
    const y = 'cross-y@customer.example';
    const batch = oneBatch([
      { id: 'sales-x', event: postedTo('sales@acme.example', x) },
      { id: 'support-y', event: postedTo('support@acme.example', y, x) },
      { id: 'sales-y', event: postedTo('sales@acme.example', y, x) },
      { id: 'support-x', event: postedTo('support@acme.example', x) },
    ]);
    const sales = postedTo('sales@acme.example', x).subject;
    const support = postedTo('support@acme.example', x).subject;
    // Act
    const response = await pipeline.recorder().handleSqsEvent(batch);
    // Assess: each mail once, in the conversation whose post of it ran first
    expect(failedIds(response)).toEqual([]);
    const listedIn = async (conversationId: string) =>
      (await pipeline.read.listConversationMessages(conversationId)).items.map(
        (view) => view.message.providerMessageId,
      );
    expect(await listedIn(sales)).toEqual([x]);
    expect(await listedIn(support)).toEqual([y]);
    expect((await pipeline.read.getConversation(sales))?.state.messageCount).toBe(1);
    expect((await pipeline.read.getConversation(support))?.state.messageCount).toBe(1);
    const received = (await helpdeskOf(pipeline, [sales, support])).filter(
      (event) => event.type === 'switchboard.message.received',
    );
    expect(received.map((event) => event.subject).sort()).toEqual([sales, support].sort());
  });

  it('still records the second post when the first fails, the first a duplicate when it comes back', async () => {
    // Prepare: the first post's read of its done-marker fails, once
    const toSales = postedTo('sales@acme.example', 'first-fails@customer.example');
    const toSupport = postedTo('support@acme.example', 'first-fails@customer.example');
    let failures = 0;
    const recorder = pipeline.recorder((step, event) => {
      if (step === 'check-message' && event.subject === toSales.subject && failures++ === 0)
        throw new Error('DynamoDB unavailable');
    });
    // Act
    const first = await recorder.handleSqsEvent(
      oneBatch([
        { id: 'sales', event: toSales },
        { id: 'support', event: toSupport },
      ]),
    );
    const redelivered = await recorder.handleSqsEvent(oneBatch([{ id: 'sales', event: toSales }]));
    // Assess
    expect(failedIds(first)).toEqual(['sales']);
    expect(failedIds(redelivered)).toEqual([]);
    expect((await pipeline.read.getConversation(toSupport.subject))?.state.messageCount).toBe(1);
    expect(await pipeline.read.getConversation(toSales.subject)).toBeUndefined();
    const received = (await helpdeskOf(pipeline, [toSales.subject, toSupport.subject])).filter(
      (event) => event.type === 'switchboard.message.received',
    );
    expect(received.map((event) => event.subject)).toEqual([toSupport.subject]);
  });

  it('records it once among three addresses when the first post fails: the other two still take turns', async () => {
    // Prepare: the first post fails before it reads its done-marker; two posts wait behind it
    const mail = 'three-addresses@customer.example';
    const posts = ['sales', 'support', 'billing'].map((name) => ({
      id: name,
      event: postedTo(`${name}@acme.example`, mail),
    }));
    const [toSales] = posts;
    const recorder = pipeline.recorder((step, event) => {
      if (step === 'check-message' && event.subject === toSales?.event.subject)
        throw new Error('DynamoDB unavailable');
    });
    // Act
    const response = await recorder.handleSqsEvent(oneBatch(posts));
    // Assess: counted in one conversation only (each waiter waits for the post that started before it)
    expect(failedIds(response)).toEqual(['sales']);
    const counts = await Promise.all(
      posts.map(
        async ({ event }) => (await pipeline.read.getConversation(event.subject))?.state.messageCount ?? 0,
      ),
    );
    expect(counts).toEqual([0, 1, 0]);
    const received = (
      await helpdeskOf(
        pipeline,
        posts.map(({ event }) => event.subject),
      )
    ).filter((event) => event.type === 'switchboard.message.received');
    expect(received).toHaveLength(1);
  });
});

const MESSAGE_EVENTS: readonly string[] = ['switchboard.message.received', 'switchboard.message.sent'];

describe('recorder: one e-mail posted for two business addresses, recorded by two invocations', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  /** The conversations' message counts and the message events (received or sent) the helpdesk got for them. */
  const outcome = async (posts: readonly HubEvent[]) => ({
    counts: await Promise.all(
      posts.map(async (post) => (await pipeline.read.getConversation(post.subject))?.state.messageCount ?? 0),
    ),
    received: (
      await helpdeskOf(
        pipeline,
        posts.map((post) => post.subject),
      )
    ).filter((event) => MESSAGE_EVENTS.includes(event.type)).length,
  });

  it.each([
    {
      posts: 'both inbound',
      pair: (mail: string) => [postedTo('sales@acme.example', mail), postedTo('support@acme.example', mail)],
    },
    {
      posts: 'an own copy and an inbound post',
      pair: (mail: string) => [
        ownCopyFrom('sales@acme.example', mail),
        postedTo('support@acme.example', mail),
      ],
    },
  ])(
    'is counted once when both invocations find it unrecorded at the same moment ($posts)',
    async ({ posts, pair }) => {
      // Prepare: neither post goes past its done-marker's read before the other has read it too
      const [toSales, toSupport] = pair(`same-moment-${posts.replaceAll(' ', '-')}@customer.example`);
      if (!toSales || !toSupport) throw new Error('two posts expected');
      let release = (): void => undefined;
      const bothChecked = new Promise<void>((resolve) => {
        release = resolve;
      });
      let checked = 0;
      const afterCheck: AfterStep = async (step) => {
        if (step !== 'check-message') return;
        if (++checked === 2) release();
        await bothChecked;
      };
      // Act
      const responses = await Promise.all([
        pipeline.recorder(afterCheck).handleSqsEvent(oneBatch([{ id: 'sales', event: toSales }])),
        pipeline.recorder(afterCheck).handleSqsEvent(oneBatch([{ id: 'support', event: toSupport }])),
      ]);
      // Assess
      expect(responses.map(failedIds)).toEqual([[], []]);
      const { counts, received } = await outcome([toSales, toSupport]);
      expect(counts.sort()).toEqual([0, 1]);
      expect(received).toBe(1);
    },
  );

  it.each([
    { failedAfter: 'save-conversation', as: 'counted it' },
    { failedAfter: 'claim-message', as: 'claimed it, before counting' },
  ] as const)(
    'is left to the first conversation when that one $as and failed before its record',
    async ({ failedAfter }) => {
      // Prepare: the first post's delivery fails right after that step
      const mail = `failed-after-${failedAfter}@customer.example`;
      const toSales = postedTo('sales@acme.example', mail);
      const toSupport = postedTo('support@acme.example', mail);
      const failing = pipeline.recorder((step) => {
        if (step === failedAfter) throw new Error('Lambda timed out');
      });
      // Act
      const first = await failing.handleSqsEvent(oneBatch([{ id: 'sales', event: toSales }]));
      const other = await pipeline.recorder().handleSqsEvent(oneBatch([{ id: 'support', event: toSupport }]));
      const redelivered = await pipeline
        .recorder()
        .handleSqsEvent(oneBatch([{ id: 'sales', event: toSales }]));
      // Assess
      expect([first, other, redelivered].map(failedIds)).toEqual([['sales'], [], []]);
      expect(await outcome([toSales, toSupport])).toEqual({ counts: [1, 0], received: 1 });
    },
  );

  it('is left to the conversation that claimed it when that one failed before counting', async () => {
    // Prepare: the first post's delivery fails after its claim, before its conversation took it
    const mail = 'claimed-then-failed@customer.example';
    const toSales = postedTo('sales@acme.example', mail);
    const toSupport = postedTo('support@acme.example', mail);
    const failing = pipeline.recorder((step) => {
      if (step === 'claim-message') throw new Error('Lambda timed out');
    });
    // Act
    const first = await failing.handleSqsEvent(oneBatch([{ id: 'sales', event: toSales }]));
    const other = await pipeline.recorder().handleSqsEvent(oneBatch([{ id: 'support', event: toSupport }]));
    const redelivered = await pipeline.recorder().handleSqsEvent(oneBatch([{ id: 'sales', event: toSales }]));
    // Assess
    expect([first, other, redelivered].map(failedIds)).toEqual([['sales'], [], []]);
    expect(await outcome([toSales, toSupport])).toEqual({ counts: [1, 0], received: 1 });
  });
});
