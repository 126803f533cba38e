import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent, HubEventOf } from '#shared/contract/index.ts';
import type { RecorderStep } from '#shared/recorder/steps.ts';
import { type Pipeline, startPipeline } from '#tests/pipeline/harness.ts';
import { TEST_WHATSAPP_BUSINESS, whatsappChangeEvents } from '#tests/support/whatsapp-change.ts';

/*
 * A customer's WhatsApp call in the conversation's state: its ring is their message (it waits for an
 * answer); the business picking it up is an answer at that moment, once, whatever is redelivered;
 * a call nobody picked up keeps the conversation waiting.
 */

type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;

const RANG_AT = Date.UTC(2026, 10, 22, 10, 0, 0);
const seconds = (ms: number): string => String(Math.floor(ms / 1000));
const iso = (ms: number): string => new Date(ms).toISOString();

let calls = 0;

/** One call of a new customer: its ring, then its end (picked up `pickedUpAfter` seconds after it rang, or never). */
const customerCall = (pickedUpAfter: number | undefined) => {
  calls += 1;
  const waId = `49176200${String(calls).padStart(5, '0')}`;
  const id = `wacid.recorder-calls-${calls}`;
  const item = (
    event: 'connect' | 'terminate',
    at: number,
    extra: Record<string, unknown> = {},
    receivedAt = at + 1_000,
  ) =>
    whatsappChangeEvents(
      'calls',
      {
        contacts: [{ profile: { name: 'Ana' }, wa_id: waId }],
        calls: [
          {
            id,
            from: waId,
            to: TEST_WHATSAPP_BUSINESS.displayPhoneNumber,
            event,
            timestamp: seconds(at),
            direction: 'USER_INITIATED',
            ...extra,
          },
        ],
      },
      new Date(receivedAt),
    );
  const endedAt = RANG_AT + 300_000;
  /** The call's end, as Meta posts it (again, for a retry received `receivedAt`). */
  const ends = (receivedAt?: number) =>
    item(
      'terminate',
      endedAt,
      {
        status: pickedUpAfter === undefined ? 'FAILED' : 'COMPLETED',
        ...(pickedUpAfter === undefined
          ? {}
          : {
              start_time: seconds(RANG_AT + pickedUpAfter * 1_000),
              end_time: seconds(endedAt),
              duration: String(300 - pickedUpAfter),
            }),
      },
      receivedAt,
    );
  return {
    waId,
    rings: item('connect', RANG_AT),
    ends: ends(),
    endsAgain: ends,
    /** A text the customer writes `after` seconds after the ring. */
    writes: (after: number) =>
      whatsappChangeEvents(
        'messages',
        {
          contacts: [{ profile: { name: 'Ana' }, wa_id: waId }],
          messages: [
            {
              from: waId,
              id: `wamid.recorder-calls-${calls}-${after}`,
              timestamp: seconds(RANG_AT + after * 1_000),
              type: 'text',
              text: { body: 'one more thing' },
            },
          ],
        },
        new Date(RANG_AT + after * 1_000 + 1_000),
      ),
  };
};

const statesIn = (events: readonly HubEvent[]): StateChanged[] =>
  events.filter((event): event is StateChanged => event.type === 'switchboard.conversation.state_changed');

describe("a customer's WhatsApp call in the conversation's state", () => {
  let pipeline: Pipeline;
  beforeAll(async () => {
    pipeline = await startPipeline();
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  const record = async (events: readonly HubEvent[], dedupSuffix = ''): Promise<HubEvent[]> => {
    await pipeline.ingest(events, dedupSuffix);
    await pipeline.drain();
    return pipeline.takeHelpdesk();
  };

  it('ends the wait when the business picks the call up, as the first response at that moment', async () => {
    // Prepare
    const call = customerCall(12);
    const [rang] = statesIn(await record(call.rings));
    // Act
    const told = await record(call.ends);
    // Assess
    expect(rang?.data.state).toMatchObject({ waitingSince: iso(RANG_AT), unreadCount: 1 });
    expect(told.map((event) => event.type)).toEqual([
      'switchboard.message.edited',
      'switchboard.conversation.state_changed',
    ]);
    const [answered] = statesIn(told);
    expect(answered?.data.state).toMatchObject({
      waitingSince: null,
      unreadCount: 0,
      firstResponseAt: iso(RANG_AT + 12_000),
      firstResponseSeconds: 12,
      messageCount: 1,
      version: (rang?.data.state.version ?? 0) + 1,
    });
    expect(answered?.data.causedBy).toBe(told[0]?.id);
  });

  it('keeps the conversation waiting when nobody picked the call up', async () => {
    // Prepare
    const call = customerCall(undefined);
    await record(call.rings);
    // Act
    const told = await record(call.ends);
    // Assess
    expect(told.map((event) => event.type)).toEqual(['switchboard.message.edited']);
  });

  it('leaves waiting what the customer wrote during the call', async () => {
    // Prepare
    const call = customerCall(12);
    await record(call.rings);
    await record(call.writes(60));
    // Act
    const [answered] = statesIn(await record(call.ends));
    // Assess
    expect(answered?.data.state).toMatchObject({
      waitingSince: iso(RANG_AT + 60_000),
      unreadCount: 2,
      firstResponseAt: iso(RANG_AT + 12_000),
    });
  });

  it('applies the pick-up once when Meta sends the end again', async () => {
    // Prepare
    const call = customerCall(5);
    await record(call.rings);
    const [first] = statesIn(await record(call.ends));
    const conversationId = first?.data.state.conversationId ?? '';
    // Act: a retry after SQS's deduplication window (the same event id, delivered anew)
    const again = await record(call.ends, '-retry');
    // Assess: anything told again is told under the same ids (the helpdesk queue drops those)
    const stored = await pipeline.read.getConversation(conversationId);
    expect(stored?.state.version).toBe(first?.data.state.version);
    expect(again.filter((event) => event.type === 'switchboard.conversation.state_changed')).toEqual([]);
  });

  it('applies the pick-up once when Meta sends the end again an hour later, after more than eight other events', async () => {
    // Prepare: the end recorded, then nine texts (the conversation keeps its eight newest event ids)
    const call = customerCall(5);
    await record(call.rings);
    const [first] = statesIn(await record(call.ends));
    for (let text = 0; text < 9; text += 1) await record(call.writes(400 + text));
    const conversationId = first?.data.state.conversationId ?? '';
    const before = await pipeline.read.getConversation(conversationId);
    // Act: the same end, received an hour after the call
    const again = await record(call.endsAgain(RANG_AT + 3_600_000), '-late-retry');
    // Assess: until 2026-12-07 the retry moved the version and re-told a state_changed under the
    // first one's id with other content
    const after = await pipeline.read.getConversation(conversationId);
    expect(after?.state.version).toBe(before?.state.version);
    expect(statesIn(again)).toEqual([]);
  });

  it('applies it once when the recorder stops right after writing the conversation', async () => {
    // Prepare
    const call = customerCall(5);
    const [rang] = statesIn(await record(call.rings));
    let crashed = false;
    const crashOnce = (step: RecorderStep, event: HubEvent) => {
      if (!crashed && step === 'save-conversation' && event.type === 'switchboard.message.edited') {
        crashed = true;
        throw new Error('crash after the conversation took the pick-up');
      }
    };
    await pipeline.ingest(call.ends);
    // Act
    await pipeline.drain(pipeline.recorder(crashOnce));
    const told = await pipeline.takeHelpdesk();
    // Assess
    expect(crashed).toBe(true);
    const states = statesIn(told);
    expect(new Set(states.map((state) => state.id)).size).toBe(1);
    expect(states[0]?.data.state).toMatchObject({
      waitingSince: null,
      version: (rang?.data.state.version ?? 0) + 1,
    });
  });
});
