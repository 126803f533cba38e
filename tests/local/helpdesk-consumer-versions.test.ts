import { describe, expect, it } from 'vitest';
import { ExampleHelpdesk } from '#shared/cli/helpdesk-consumer.ts';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import type { HubEventOf } from '#shared/contract/index.ts';
import { applyEvent, type ConversationModel, type MessageEvent } from '#shared/domain/conversation.ts';
import { buildStateChangedEvent } from '#shared/domain/state-changed.ts';
import { memoryOutput } from '#shared/local/cli-output.ts';
import { messageEvent, minute } from '#tests/recorder/factories.ts';

/*
 * The example consumer's rule for conversation states: the highest version per conversation, and a
 * conversation's first state (no previous status) starts it anew. An erasure deletes a conversation
 * and the customer's next message creates it again under the same id, counting from version 1 again:
 * until 2026-12-06 the consumer kept the erased conversation's highest version for ever and dropped
 * the new conversation's states as stale (found by a review).
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
});
