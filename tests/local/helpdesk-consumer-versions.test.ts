import { describe, expect, it } from 'vitest';
import { ExampleHelpdesk } from '#shared/cli/helpdesk-consumer.ts';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import type { HubEventOf } from '#shared/contract/index.ts';
import { applyEvent, type ConversationModel, type MessageEvent } from '#shared/domain/conversation.ts';
import { applyPatch } from '#shared/domain/conversation-change.ts';
import { buildStateChange, buildStateChangedEvent } from '#shared/domain/state-changed.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { messageEvent, minute } from '#tests/recorder/factories.ts';

/*
 * The example consumer's rule for conversation states: the highest version per conversation, and,
 * across a conversation erased and created again under its id (counting from version 1 again), the
 * newer conversation's: a state whose first message came in (`firstReceivedAt`, the hub's receipt)
 * after the last of the state kept (`lastReceivedAt`) replaces it, one whose last came in before the
 * kept state's first is ignored; a state without them (created before 2026-12-06) is read with
 * `createdAt` and `lastMessageAt`. Until 2026-12-06 the consumer first kept the erased conversation's
 * highest version for ever, then let only a first state start anew, then compared those provider
 * times, which a sender's clock moves (found by reviews).
 */

type StateChanged = HubEventOf<'switchboard.conversation.state_changed'>;

/** The state changes the recorder publishes for these messages of one customer, from `model` on. */
const statesOf = (customer: string, minutes: readonly number[], from?: ConversationModel) => {
  let model = from;
  const events: StateChanged[] = [];
  for (const n of minutes) {
    const message = messageEvent(customer, `${customer}-${n}`, minute(n)) as MessageEvent;
    const applied = applyEvent(model, message);
    model = applied.model;
    events.push(buildStateChangedEvent(applied.model.state, applied.previousStatus, message));
  }
  return { events, model };
};

/**
 * The state changes for messages of one customer dated `at` (their provider time: an e-mail's Date,
 * the sender's clock) and received by the hub at `receivedAt`.
 */
const receivedStatesOf = (
  customer: string,
  messages: readonly { readonly at: number; readonly receivedAt: number }[],
) => {
  let model: ConversationModel | undefined;
  const events: StateChanged[] = [];
  for (const { at, receivedAt } of messages) {
    const sent = messageEvent(customer, `${customer}-${receivedAt}`, minute(at)) as MessageEvent;
    const message = { ...sent, data: { ...sent.data, receivedAt: minute(receivedAt) } } as MessageEvent;
    const applied = applyEvent(model, message);
    model = applied.model;
    events.push(buildStateChangedEvent(applied.model.state, applied.previousStatus, message));
  }
  return { events, model };
};

/**
 * A state as a conversation created before 2026-12-06 publishes it, or a function on code from before
 * then (a deploy, a rollback): without its receipts.
 */
const withoutReceipts = (event: StateChanged): StateChanged => {
  const { firstReceivedAt: _first, lastReceivedAt: _last, ...state } = event.data.state;
  return { ...event, data: { ...event.data, state } };
};

const erasureOf = (contactId: string) => {
  const example = EXAMPLE_EVENTS['switchboard.contact.erased'];
  return { ...example, subject: contactId, data: { ...example.data, contactId } };
};

describe('example helpdesk consumer: conversation versions', () => {
  it('applies the states of a conversation created again after its person was erased', () => {
    // Prepare: three states of the first conversation, then its person erased
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const first = statesOf('versions-erased', [0, 1, 2]);
    for (const event of first.events) expect(helpdesk.handleJson(event)).toBe('handled');
    expect(helpdesk.handleJson(erasureOf(first.model?.state.contactId ?? ''))).toBe('handled');
    // Act: the customer writes again the next day: a new conversation under the same id
    const again = statesOf('versions-erased', [24 * 60, 24 * 60 + 1]);
    const outcomes = again.events.map((event) => helpdesk.handleJson(event));
    // Assess
    expect(again.events.map((event) => event.data.state.version)).toEqual([1, 2]);
    expect(outcomes).toEqual(['handled', 'handled']);
    expect(helpdesk.versions.get(again.model?.state.conversationId ?? '')).toBe(2);
  });

  it('still ignores an older state of the same conversation that comes after a newer one', () => {
    // Prepare: versions 1 to 3, the third handled before the second (a redelivery out of order)
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const [one, two, three] = statesOf('versions-order', [0, 1, 2]).events;
    // Act
    const outcomes = [one, three, two].map((event) => helpdesk.handleJson(event));
    // Assess
    expect(outcomes).toEqual(['handled', 'handled', 'stale_state']);
    expect(helpdesk.versions.get(one?.data.state.conversationId ?? '')).toBe(3);
  });

  it('ignores a first state redriven from the dead-letter queue after newer states of its conversation', () => {
    // Prepare: v1 and v2 from messages, v3 the helpdesk's resolve; v1 dead-lettered, the others handled
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const { events, model } = statesOf('versions-redriven', [0, 1]);
    const [one, two] = events;
    const resolved = applyPatch(model as ConversationModel, { status: 'resolved' });
    const three = buildStateChange({
      state: resolved.model.state,
      previousStatus: resolved.previousStatus,
      causedBy: 'chg_versions_redriven',
      time: minute(2),
      changedBy: { kind: 'agent', id: 'agent-1' },
      changes: resolved.changes,
    });
    expect([helpdesk.handleJson(two), helpdesk.handleJson(three)]).toEqual(['handled', 'handled']);
    // Act: `npm run redrive -- helpdesk` brings v1 back
    const outcome = helpdesk.handleJson(one);
    // Assess
    expect(one?.data.previousStatus).toBeNull();
    expect(outcome).toBe('stale_state');
    expect(helpdesk.versions.get(three.data.state.conversationId)).toBe(3);
  });

  it('ignores a late first state whose createdAt a later message with an earlier time moved back', () => {
    // Prepare: the second message recorded carries an earlier provider time than the first
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const [one, two] = statesOf('versions-moved', [5, 3]).events;
    expect([one?.data.state.createdAt, two?.data.state.createdAt]).toEqual([minute(5), minute(3)]);
    expect(helpdesk.handleJson(two)).toBe('handled');
    // Act
    const outcome = helpdesk.handleJson(one);
    // Assess
    expect(outcome).toBe('stale_state');
    expect(helpdesk.versions.get(one?.data.state.conversationId ?? '')).toBe(2);
  });

  it('applies a later state of the conversation created again when its first state comes late', () => {
    // Prepare: the erased conversation's three states; then the new conversation's first state is
    // delayed (its publish failed) and its second, a helpdesk resolve, comes first
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const first = statesOf('versions-late-first', [0, 1, 2]);
    for (const event of first.events) expect(helpdesk.handleJson(event)).toBe('handled');
    const again = statesOf('versions-late-first', [24 * 60]);
    const resolved = applyPatch(again.model as ConversationModel, { status: 'resolved' });
    const two = buildStateChange({
      state: resolved.model.state,
      previousStatus: resolved.previousStatus,
      causedBy: 'chg_versions_late_first',
      time: minute(24 * 60 + 1),
      changedBy: { kind: 'agent', id: 'agent-1' },
      changes: resolved.changes,
    });
    // Act
    const outcomes = [two, ...again.events].map((event) => helpdesk.handleJson(event));
    // Assess
    expect(outcomes).toEqual(['handled', 'stale_state']);
    expect(helpdesk.versions.get(two.data.state.conversationId)).toBe(2);
  });

  it('ignores a state of the erased conversation redriven after the new conversation’s', () => {
    // Prepare: the new conversation's two states are kept
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const erased = statesOf('versions-old-redriven', [0, 1, 2]);
    const again = statesOf('versions-old-redriven', [24 * 60, 24 * 60 + 1]);
    for (const event of again.events) expect(helpdesk.handleJson(event)).toBe('handled');
    // Act: the erased conversation's version 3 comes back from the dead-letter queue
    const outcome = helpdesk.handleJson(erased.events[2]);
    // Assess
    expect(outcome).toBe('stale_state');
    expect(helpdesk.versions.get(again.model?.state.conversationId ?? '')).toBe(2);
  });

  it('applies the states of a conversation created again whose first message is dated before the erased one’s last', () => {
    // Prepare: the erased conversation's messages came in at 10:00, 10:01 and 10:05; its person is
    // erased at 10:06
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const erased = receivedStatesOf('versions-slow-clock', [
      { at: 0, receivedAt: 0 },
      { at: 1, receivedAt: 1 },
      { at: 5, receivedAt: 5 },
    ]);
    for (const event of erased.events) expect(helpdesk.handleJson(event)).toBe('handled');
    expect(helpdesk.handleJson(erasureOf(erased.model?.state.contactId ?? ''))).toBe('handled');
    // Act: the customer writes again at 10:08 from a clock 4 minutes slow (dated 10:04), then at 10:09
    const again = receivedStatesOf('versions-slow-clock', [
      { at: 4, receivedAt: 8 },
      { at: 9, receivedAt: 9 },
    ]);
    const outcomes = again.events.map((event) => helpdesk.handleJson(event));
    // Assess: until 2026-12-06 both were ignored (created 10:04, before the kept newest message, 10:05)
    expect(again.events.map((event) => event.data.state.version)).toEqual([1, 2]);
    expect(again.events[0]?.data.state).toMatchObject({ createdAt: minute(4), firstReceivedAt: minute(8) });
    expect(outcomes).toEqual(['handled', 'handled']);
    expect(helpdesk.versions.get(again.model?.state.conversationId ?? '')).toBe(2);
  });

  it('ignores a state of the erased conversation redriven late whose last message is dated after the new conversation’s first', () => {
    // Prepare: the erased conversation's last message came in at 10:02 dated 10:14 (a clock 12
    // minutes ahead, believed); the new conversation's messages came in at 10:08 and 10:09
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const erased = receivedStatesOf('versions-fast-clock', [
      { at: 0, receivedAt: 0 },
      { at: 1, receivedAt: 1 },
      { at: 14, receivedAt: 2 },
    ]);
    const again = receivedStatesOf('versions-fast-clock', [
      { at: 8, receivedAt: 8 },
      { at: 9, receivedAt: 9 },
    ]);
    for (const event of again.events) expect(helpdesk.handleJson(event)).toBe('handled');
    // Act: the erased conversation's version 3 comes back from the dead-letter queue
    const outcome = helpdesk.handleJson(erased.events[2]);
    // Assess: until 2026-12-06 its version won (its newest message, 10:14, was after the kept 10:08)
    expect(erased.events[2]?.data.state.lastMessageAt).toBe(minute(14));
    expect(outcome).toBe('stale_state');
    expect(helpdesk.versions.get(again.model?.state.conversationId ?? '')).toBe(2);
  });

  it('reads the states of conversations created before 2026-12-06, without receipts, by createdAt and lastMessageAt', () => {
    // Prepare: an erased conversation of before (its third state dead-lettered), and the one created
    // again the next day
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const erased = statesOf('versions-before-receipts', [0, 1, 2]).events.map(withoutReceipts);
    const again = statesOf('versions-before-receipts', [24 * 60, 24 * 60 + 1]).events;
    for (const event of erased.slice(0, 2)) expect(helpdesk.handleJson(event)).toBe('handled');
    // Act
    const outcomes = again.map((event) => helpdesk.handleJson(event));
    const redriven = helpdesk.handleJson(erased[2]);
    // Assess: the new conversation's states replace the old one's, whose redriven state is ignored
    expect(erased[0]?.data.state).not.toHaveProperty('firstReceivedAt');
    expect(outcomes).toEqual(['handled', 'handled']);
    expect(redriven).toBe('stale_state');
    expect(helpdesk.versions.get(again[0]?.data.state.conversationId ?? '')).toBe(2);
  });

  it('applies a newer state of the same conversation that a function on older code published without receipts (a deploy, a rollback)', () => {
    // Prepare: a WhatsApp message dated 10:00:00 (whole seconds) that the hub received at 10:00:00.700
    const helpdesk = new ExampleHelpdesk(memoryOutput());
    const sent = messageEvent('versions-mixed-deploy', 'versions-mixed-deploy-0', minute(0)) as MessageEvent;
    const received = {
      ...sent,
      data: { ...sent.data, receivedAt: new Date(Date.parse(minute(0)) + 700).toISOString() },
    } as MessageEvent;
    const applied = applyEvent(undefined, received);
    const one = buildStateChangedEvent(applied.model.state, applied.previousStatus, received);
    // an agent resolves it, saved by a function still on code that drops the receipts
    const resolved = applyPatch(applied.model, { status: 'resolved' });
    const two = withoutReceipts(
      buildStateChange({
        state: resolved.model.state,
        previousStatus: resolved.previousStatus,
        causedBy: 'chg_versions_mixed_deploy',
        time: minute(1),
        changedBy: { kind: 'agent', id: 'agent-1' },
        changes: resolved.changes,
      }),
    );
    const redriven = new ExampleHelpdesk(memoryOutput());
    // Act: in order; and, at another helpdesk, version 1 redriven after version 2
    const outcomes = [one, two].map((event) => helpdesk.handleJson(event));
    const late = [two, one].map((event) => redriven.handleJson(event));
    // Assess: until 2026-12-06 version 2's 10:00:00 (its provider time) was read as before version
    // 1's receipt, 10:00:00.700, and version 2 was dropped as the erased conversation's
    expect(one.data.state.firstReceivedAt).toBe('2026-11-22T10:00:00.700Z');
    expect(two.data.state).not.toHaveProperty('firstReceivedAt');
    expect(outcomes).toEqual(['handled', 'handled']);
    expect(late).toEqual(['handled', 'stale_state']);
    expect(helpdesk.versions.get(one.data.state.conversationId)).toBe(2);
  });
});
