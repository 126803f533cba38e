import { describe, expect, it } from 'vitest';
import { EXAMPLE_EVENTS } from '#shared/contract/examples.ts';
import { EVENT_TYPES, HubEventSchema } from '#shared/contract/index.ts';

const received = EXAMPLE_EVENTS[EVENT_TYPES.messageReceived];

const issuePaths = (input: unknown): string[] => {
  const result = HubEventSchema.safeParse(input);
  expect(result.success).toBe(false);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
};

describe('contract validation errors name the field', () => {
  it('a missing field', () => {
    // Prepare
    const { subject: _omitted, ...withoutSubject } = received;
    // Act
    const paths = issuePaths(withoutSubject);
    // Assess
    expect(paths).toContain('subject');
  });

  it('a missing nested field', () => {
    // Prepare
    const event = structuredClone(received) as { data: Record<string, unknown> };
    delete event.data.conversationId;
    // Act + Assess
    expect(issuePaths(event)).toContain('data.conversationId');
  });

  it('a wrong type', () => {
    // Prepare
    const event = structuredClone(received) as { data: { parts: unknown[] } };
    event.data.parts = [{ type: 'text', text: 42 }];
    // Act + Assess
    expect(issuePaths(event)).toContain('data.parts.0.text');
  });

  it('an unknown event type', () => {
    // Prepare
    const event = { ...received, type: 'switchboard.message.teleported' };
    // Act
    const result = HubEventSchema.safeParse(event);
    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['type']);
    expect(result.error?.issues[0]?.message).toMatch(/switchboard\.message\.received/);
  });

  it('a provider timestamp that is not ISO 8601', () => {
    // Prepare
    const event = structuredClone(received) as { data: Record<string, unknown> };
    event.data.providerTimestamp = '22/11/2026';
    // Act + Assess
    expect(issuePaths(event)).toContain('data.providerTimestamp');
  });
});
