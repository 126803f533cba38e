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
 * newer conversation's: a state whose `createdAt` is later than the newest message (`lastMessageAt`)
 * of the state kept replaces it, one whose `lastMessageAt` is before the kept state's `createdAt` is
 * ignored. Until 2026-12-06 the consumer first kept the erased conversation's highest version for
 * ever, then let only a first state start anew (found by reviews).
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
});
