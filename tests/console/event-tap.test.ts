import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '#shared/contract/event-types.ts';
import { EXAMPLE_CONTACT_ID, EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import { createEventTap, summaryOf } from '#shared/local/console/event-tap.ts';

/*
 * The console's tap keeps the hub's published events in bounded memory: a count and a byte budget,
 * the oldest going first; a republished event (same id) is kept once.
 */

const CONVERSATION = `conv_${'a'.repeat(32)}`;
const OTHER = `conv_${'b'.repeat(32)}`;

const body = (id: string, subject = CONVERSATION, padding = ''): string =>
  JSON.stringify({
    specversion: '1.0',
    id,
    type: 'switchboard.message.received',
    subject,
    data: { conversationId: subject, padding },
  });

describe('console event tap', () => {
  it('keeps at most `capacity` events, dropping the oldest', () => {
    // Prepare
    const tap = createEventTap({ capacity: 3 });
    // Act
    tap.record(['e1', 'e2', 'e3', 'e4', 'e5'].map((id) => body(id)));
    // Assess
    expect(tap.size).toBe(3);
    expect(tap.forConversation(CONVERSATION).map((event) => event.id)).toEqual(['e5', 'e4', 'e3']);
  });

  it('keeps within its byte budget', () => {
    // Prepare
    const tap = createEventTap({ capacity: 100, maxBytes: 5000 });
    // Act
    tap.record(['big1', 'big2', 'big3'].map((id) => body(id, CONVERSATION, 'x'.repeat(2000))));
    // Assess
    expect(tap.since(0).map((event) => event.id)).toEqual(['big2', 'big3']);
  });

  it('keeps a republished event once, skips what is no CloudEvent, and tells subscribers of the rest', () => {
    // Prepare
    const tap = createEventTap();
    const told: string[] = [];
    const unsubscribe = tap.subscribe((event) => told.push(`${event.seq}:${event.id}`));
    // Act
    tap.record([body('e1'), body('e1'), 'not json', '{"no":"id"}', body('e2', OTHER)]);
    unsubscribe();
    tap.record([body('e3')]);
    // Assess
    expect(told).toEqual(['1:e1', '2:e2']);
    expect(tap.forConversation(OTHER).map((event) => event.id)).toEqual(['e2']);
    expect(tap.since(1).map((event) => event.id)).toEqual(['e2', 'e3']);
  });
});

describe('console event tap after an erasure', () => {
  const CONTACT = `ct_${'1'.repeat(32)}`;
  const OTHER_CONTACT = `ct_${'2'.repeat(32)}`;
  const cloudEvent = (id: string, type: string, subject: string, data: Record<string, unknown>): string =>
    JSON.stringify({ specversion: '1.0', id, type, subject, data });
  const erased = (contactId: string) =>
    cloudEvent('erased', 'switchboard.contact.erased', contactId, {
      contactId,
      erasedAt: '2026-12-01T00:00:00.000Z',
    });

  it('drops the erased person’s events and every event of their conversations, and keeps everyone else’s', () => {
    // Prepare
    const tap = createEventTap();
    tap.record([
      cloudEvent('received', 'switchboard.message.received', CONVERSATION, {
        conversationId: CONVERSATION,
        contactId: CONTACT,
        parts: [{ kind: 'text', text: 'my secret address is 1 Main St' }],
      }),
      cloudEvent('state', 'switchboard.conversation.state_changed', CONVERSATION, { status: 'open' }),
      cloudEvent('other', 'switchboard.message.received', OTHER, {
        conversationId: OTHER,
        contactId: OTHER_CONTACT,
      }),
    ]);
    // Act
    tap.record([erased(CONTACT)]);
    // Assess
    expect(tap.forConversation(CONVERSATION)).toEqual([]);
    expect(tap.since(0).map((event) => event.id)).toEqual(['other', 'erased']);
    expect(JSON.stringify(tap.since(0))).not.toContain('1 Main St');
    expect(tap.forConversation(OTHER).map((event) => event.id)).toEqual(['other']);
  });

  it('names a merge’s conversations to the page, holds it under each, and lets an erasure take it', () => {
    // Prepare
    const tap = createEventTap();
    const told: unknown[] = [];
    tap.subscribe((event) => told.push(summaryOf(event)));
    tap.record([
      cloudEvent('received', 'switchboard.message.received', CONVERSATION, {
        conversationId: CONVERSATION,
        contactId: CONTACT,
      }),
    ]);
    // Act
    tap.record([
      cloudEvent('merged', 'switchboard.contact.merged', OTHER_CONTACT, {
        survivingContactId: OTHER_CONTACT,
        discardedContactId: CONTACT,
        conversationIds: [CONVERSATION, OTHER],
      }),
    ]);
    const held = [CONVERSATION, OTHER].map((id) => tap.forConversation(id).map((event) => event.id));
    tap.record([erased(OTHER_CONTACT)]);
    // Assess
    expect(told[1]).toEqual({
      seq: 2,
      id: 'merged',
      type: 'switchboard.contact.merged',
      conversationIds: [CONVERSATION, OTHER],
    });
    expect(held).toEqual([['merged', 'received'], ['merged']]);
    expect(tap.since(0).map((event) => event.id)).toEqual(['erased']);
  });
  it('drops a conversation whose naming events went before the erasure: a later state change, a claim check', () => {
    // Prepare
    const tap = createEventTap({ capacity: 3 });
    tap.record([
      cloudEvent('received', 'switchboard.message.received', CONVERSATION, {
        conversationId: CONVERSATION,
        contactId: CONTACT,
      }),
      cloudEvent('pointer', 'switchboard.message.received', CONVERSATION, {}),
      cloudEvent('state', 'switchboard.conversation.state_changed', CONVERSATION, {
        conversationId: CONVERSATION,
        state: { contactId: CONTACT, contact: { identities: [{ type: 'phone', value: '+306912345678' }] } },
      }),
      cloudEvent('other', 'switchboard.message.received', OTHER, {
        conversationId: OTHER,
        contactId: OTHER_CONTACT,
      }),
    ]);
    const before = tap.forConversation(CONVERSATION).map((event) => event.id);
    // Act
    tap.record([erased(CONTACT)]);
    // Assess
    expect(before).toEqual(['state', 'pointer']);
    expect(tap.forConversation(CONVERSATION)).toEqual([]);
    expect(JSON.stringify(tap.since(0))).not.toContain('306912345678');
    expect(tap.since(0).map((event) => event.id)).toEqual(['other', 'erased']);
  });

  it('follows a merge: the surviving person’s erasure takes the merged conversation after its events went', () => {
    // Prepare
    const tap = createEventTap({ capacity: 3 });
    tap.record([
      cloudEvent('received', 'switchboard.message.received', CONVERSATION, {
        conversationId: CONVERSATION,
        contactId: CONTACT,
      }),
      cloudEvent('merged', 'switchboard.contact.merged', OTHER_CONTACT, {
        survivingContactId: OTHER_CONTACT,
        discardedContactId: CONTACT,
        conversationIds: [CONVERSATION],
      }),
      cloudEvent('earlier', 'switchboard.message.received', OTHER, { conversationId: OTHER }),
      cloudEvent('pointer', 'switchboard.message.received', CONVERSATION, {}),
      cloudEvent('later', 'switchboard.message.received', OTHER, { conversationId: OTHER }),
    ]);
    // Act
    tap.record([erased(OTHER_CONTACT)]);
    // Assess
    expect(tap.since(0).map((event) => event.id)).toEqual(['earlier', 'later', 'erased']);
  });

  /*
   * Reactions, edits, deletions, statuses and consent changes name the channel contact, no contactId.
   * After a restart of the hub (data kept, the tap empty) such events may be all the tap holds of a
   * conversation. The examples' WhatsApp contact is EXAMPLE_CONTACT_ID.
   */
  const reaction = EXAMPLE_EVENTS[EVENT_TYPES.messageReactionChanged];
  const status = EXAMPLE_EVENTS[EVENT_TYPES.messageStatusUpdated];
  const reactionConversation = (reaction.data as { conversationId: string }).conversationId;
  const edit = {
    ...reaction,
    id: 'evt_edit_after_restart',
    type: EVENT_TYPES.messageEdited,
    data: {
      ...(reaction.data as Record<string, unknown>),
      targetProviderMessageId: 'wamid.earlier',
      parts: [{ type: 'text', text: 'my new address is Odos Ermou 12, Athens' }],
      actor: 'customer',
    },
  };

  it('drops the events that name the person only by their channel contact (a reaction, an edit, a status)', () => {
    // Prepare: the first events the restarted hub publishes for this conversation name no contactId
    const tap = createEventTap();
    const someoneElse = EXAMPLE_EVENTS[EVENT_TYPES.contactConsentChanged];
    tap.record([reaction, edit, status, someoneElse].map((event) => JSON.stringify(event)));
    // Act
    tap.record([erased(EXAMPLE_CONTACT_ID)]);
    // Assess
    const held = JSON.stringify(tap.since(0));
    expect(tap.forConversation(reactionConversation)).toEqual([]);
    expect(held).not.toContain('306912345678');
    expect(held).not.toContain('Odos Ermou');
    expect(held).not.toContain('Ελένη');
    expect(tap.since(0).map((event) => event.id)).toEqual([someoneElse.id, 'erased']);
  });

  it('derives a contact’s person once for its events, and forgets every contact it derived from at an erasure', () => {
    // Prepare: three statuses of one message name the same contact, no contactId
    const tap = createEventTap();
    const statuses = ['sent', 'delivered', 'read'].map((name) => ({ ...status, id: `evt_status_${name}` }));
    tap.record(statuses.map((event) => JSON.stringify(event)));
    const remembered = tap.derivationsRemembered;
    // Act: someone else's erasure
    tap.record([erased(OTHER_CONTACT)]);
    // Assess: the statuses stay, found under their derived person; the derivation, keyed by the phone number, is gone
    expect(remembered).toBe(1);
    expect(tap.since(0).filter((event) => event.contactIds.includes(EXAMPLE_CONTACT_ID))).toHaveLength(3);
    expect(tap.derivationsRemembered).toBe(0);
  });

  it('keeps a merged conversation with the surviving person, though its contact derives the person merged away', () => {
    // Prepare: the reaction's person was merged into OTHER_CONTACT; the merge's event went since
    const tap = createEventTap({ capacity: 4 });
    tap.record([
      cloudEvent('merged', 'switchboard.contact.merged', OTHER_CONTACT, {
        survivingContactId: OTHER_CONTACT,
        discardedContactId: EXAMPLE_CONTACT_ID,
        conversationIds: [reactionConversation],
      }),
      cloudEvent('first', 'switchboard.message.received', OTHER, { conversationId: OTHER }),
      JSON.stringify(reaction),
      ...['second', 'third'].map((id) =>
        cloudEvent(id, 'switchboard.message.received', OTHER, { conversationId: OTHER }),
      ),
    ]);
    const before = tap.since(0).map((event) => event.id);
    // Act: erasing the surviving person erases everyone merged into them
    tap.record([erased(OTHER_CONTACT)]);
    // Assess
    expect(before).toEqual(['first', reaction.id, 'second', 'third']);
    expect(tap.forConversation(reactionConversation)).toEqual([]);
    expect(tap.since(0).map((event) => event.id)).toEqual(['first', 'second', 'third', 'erased']);
  });
});
