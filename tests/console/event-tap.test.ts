import { describe, expect, it } from 'vitest';
import { createEventTap } from '#shared/local/console/event-tap.ts';

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
