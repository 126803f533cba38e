import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubMessageIdFor } from '#shared/contract/ids.ts';
import { messageStateKey } from '#shared/store/keys.ts';
import { type Pipeline, startPipeline } from '#tests/pipeline/harness.ts';
import { deliver, metaRequest } from '#tests/support/hostile.ts';

const TARGET = 'wamid.TARGET';
const SECOND = '1795166043';

const reaction = (id: string, emoji: string | undefined) => ({
  from: '306912345678',
  id,
  timestamp: SECOND,
  type: 'reaction',
  reaction: { message_id: TARGET, ...(emoji ? { emoji } : {}) },
});

const edit = (id: string, text: string) => ({
  from: '306912345678',
  id,
  timestamp: SECOND,
  type: 'edit',
  edit: { original_message_id: TARGET, message: { type: 'text', text: { body: text } } },
});

const body = (waId: string, messages: unknown[]) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102290129340398',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '302105550142', phone_number_id: '106540352242922' },
            contacts: [{ profile: { name: 'Eleni' }, wa_id: waId }],
            messages: messages.map((message) => ({ ...(message as object), from: waId })),
          },
        },
      ],
    },
  ],
});

describe('occurrences the provider dates to the same second', () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const liveOf = async () => (await pipeline.read.findMessageByProviderId('whatsapp', TARGET))?.live;
  /** Each request received a second after the previous one, as requests are. */
  let clock = Date.parse('2026-11-22T12:00:00.000Z');
  const received = <T extends object>(request: T): T & { receivedAt: Date } => {
    clock += 1000;
    return { ...request, receivedAt: new Date(clock) };
  };

  it.each([
    ['a reaction then its removal', [reaction('wamid.R1', '👍'), reaction('wamid.R2', undefined)], 'removed'],
    ['a removal then a reaction', [reaction('wamid.R3', undefined), reaction('wamid.R4', '❤️')], 'added'],
  ] as const)('end as the provider sent them: %s', async (_label, items, action) => {
    // Prepare
    const request = metaRequest('/webhooks/whatsapp', body('306912345678', [...items]));
    // Act
    expect((await deliver(pipeline, received(request))).statusCode).toBe(200);
    await pipeline.drain();
    // Assess
    expect((await liveOf())?.customerReaction?.action).toBe(action);
  });

  it('are not reversed by a late redelivery of the earlier one', async () => {
    // Prepare
    const first = body('306912345678', [reaction('wamid.R5', '🙏')]);
    const second = body('306912345678', [reaction('wamid.R6', undefined)]);
    await deliver(pipeline, received(metaRequest('/webhooks/whatsapp', first)));
    await deliver(pipeline, received(metaRequest('/webhooks/whatsapp', second)));
    await pipeline.drain();
    // Act: the provider retries the first request later (a later arrival, the same occurrence).
    await new Promise((resolve) => setTimeout(resolve, 5));
    await deliver(pipeline, {
      ...metaRequest('/webhooks/whatsapp', first),
      receivedAt: new Date(Date.now() + 60_000),
    });
    await pipeline.drain();
    // Assess
    expect((await liveOf())?.customerReaction?.action).toBe('removed');
  });

  it('remember only the events of the current second: a reaction toggled for hours keeps its item small', async () => {
    // Prepare: a customer toggles a reaction 200 times, a second apart, then twice within one second
    const target = 'wamid.TOGGLED';
    const toggle = (n: number, second: number) => ({
      from: '306912345678',
      id: `wamid.T${n}`,
      timestamp: String(Number(SECOND) + second),
      type: 'reaction',
      reaction: { message_id: target, ...(n % 2 === 0 ? { emoji: '👍' } : {}) },
    });
    const toggles = Array.from({ length: 200 }, (_, n) => toggle(n, n));
    const lastSecond = [toggle(200, 200), toggle(201, 200)];
    const request = (items: unknown[]) => metaRequest('/webhooks/whatsapp', body('306912345678', items));
    // Act
    expect((await deliver(pipeline, received(request(toggles)))).statusCode).toBe(200);
    expect((await deliver(pipeline, received(request(lastSecond)))).statusCode).toBe(200);
    await pipeline.drain();
    // Late retries: the first toggle of the last second, and one from the first second
    for (const retried of [[toggle(200, 200)], [toggle(0, 0)]])
      await deliver(pipeline, { ...request(retried), receivedAt: new Date(Date.now() + 60_000) });
    await pipeline.drain();
    const stateItem = await pipeline.emulators.clients.dynamodb.send(
      new GetItemCommand({
        TableName: pipeline.emulators.resources.tableName,
        Key: marshall(messageStateKey(hubMessageIdFor('whatsapp', target))),
      }),
    );
    const state = unmarshall(stateItem.Item ?? {});
    const live = (await pipeline.read.findMessageByProviderId('whatsapp', target))?.live;
    // Assess: the later of the last second's two stands (removed); the set holds that second's two ids
    expect(live?.customerReaction).toMatchObject({ action: 'removed' });
    expect([...(state.customerReactionApplied as Set<string>)]).toHaveLength(2);
  });

  it('keep the later of two edits in one second', async () => {
    // Prepare
    const request = metaRequest(
      '/webhooks/whatsapp',
      body('306912345678', [edit('wamid.E1', 'first'), edit('wamid.E2', 'second')]),
    );
    // Act
    await deliver(pipeline, received(request));
    await pipeline.drain();
    // Assess
    expect((await liveOf())?.edit?.parts).toEqual([{ type: 'text', text: 'second' }]);
  });
});
