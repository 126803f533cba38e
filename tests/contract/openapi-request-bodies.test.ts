import { describe, expect, it } from 'vitest';
import type { HelpdeskApiDeps } from '#shared/api/handlers.ts';
import { createHelpdeskApi } from '#shared/api/router.ts';
import { createLogger } from '#shared/observability/logger.ts';
import { committedOpenApi, createRequestBodyValidator } from '#tests/support/openapi-contract.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * A body the published document calls valid is one the API takes, and one the API refuses with 400
 * the document refuses too (review finding, 2026-12-06: the document took a PATCH of `{}`, a snooze
 * without its time, a merge reason of spaces, all answered 400). Only the API's validation is
 * reached: a body it takes goes on to the table, which is not there (a 500, never a 400).
 */

const NOW = new Date('2026-12-06T00:00:00.000Z');
const api = createHelpdeskApi({
  table: {} as HelpdeskApiDeps['table'],
  publishEvent: async () => undefined,
  enqueueCommand: async () => undefined,
  clock: () => NOW,
  newId: () => 'fixed',
  deleteObjects: async () => undefined,
  pseudonymKey: (async () => {
    throw new Error('not reached: validation answers first');
  }) as unknown as HelpdeskApiDeps['pseudonymKey'],
  media: {} as HelpdeskApiDeps['media'],
  logger: createLogger({ level: 'error', write: () => {} }),
});

const CONVERSATION = `conv_${'0'.repeat(32)}`;
const A = `ct_${'a'.repeat(32)}`;
const B = `ct_${'b'.repeat(32)}`;

/** What the document says of `body` (valid or not) and whether the API refused it with 400. */
const verdicts = async (
  route: { method: string; documented: string; path: string; headers?: Record<string, string> },
  body: unknown,
) => {
  const docSays = createRequestBodyValidator()(route.method, route.documented, body);
  const answer = await api(
    apiRequest(route.method, route.path, {
      headers: { 'content-type': 'application/json', ...route.headers },
      body: JSON.stringify(body),
    }),
  );
  return { documentValid: docSays === undefined, apiValid: answer.status !== 400 };
};

const PATCH = {
  method: 'PATCH',
  documented: '/v1/conversations/{conversationId}',
  path: `/v1/conversations/${CONVERSATION}`,
  headers: { 'if-match': '"1.00000000"' },
};
const MERGE = {
  method: 'POST',
  documented: '/v1/contacts/{contactId}/merge',
  path: `/v1/contacts/${A}/merge`,
};

describe('the published request bodies and the API agree on what is refused', () => {
  it.each([
    ['a status', true, { status: 'resolved' }],
    ['an assignee removed', true, { assignee: null }],
    ['labels emptied, by an actor', true, { labels: [], actor: { kind: 'agent', id: 'a-1' } }],
    ['a priority', true, { priority: 'high' }],
    ['a snooze with its time', true, { status: 'snoozed', snoozedUntil: '2026-12-07T09:00:00.000+09:00' }],
    ['status snoozed without snoozedUntil', false, { status: 'snoozed' }],
    ['snoozedUntil with another status', false, { status: 'open', snoozedUntil: '2026-12-07T00:00:00.000Z' }],
    ['snoozedUntil without a status', false, { snoozedUntil: '2026-12-07T00:00:00.000Z', priority: 'low' }],
    ['nothing to change', false, {}],
    ['only an actor', false, { actor: { kind: 'agent', id: 'a-1' } }],
  ])('PATCH a conversation, %s: valid for both: %s', async (_, valid, body) => {
    // Act
    const said = await verdicts(PATCH, body);
    // Assess
    expect(said).toEqual({ documentValid: valid, apiValid: valid });
  });

  it.each([
    ['a reason', true, 'Same customer, two phones'],
    ['a reason of 500 characters', true, 'x'.repeat(500)],
    ['a blank reason', false, '   '],
    ['a reason of 500 characters and a trailing space', false, `${'x'.repeat(500)} `],
  ])('merge with %s: valid for both: %s', async (_, valid, reason) => {
    // Act
    const said = await verdicts(MERGE, { contactId: B, reason });
    // Assess
    expect(said).toEqual({ documentValid: valid, apiValid: valid });
  });

  it("says what the document cannot check: a snooze's time is in the future, at most a year ahead", async () => {
    // Prepare
    const schema = committedOpenApi().components?.schemas?.ConversationPatch as {
      description?: string;
      properties: Record<string, { description?: string }>;
    };
    // Act: a snooze in the past is a valid body for the document, and refused by the API
    const past = await verdicts(PATCH, { status: 'snoozed', snoozedUntil: '2020-01-01T00:00:00.000Z' });
    const tooFar = await verdicts(PATCH, { status: 'snoozed', snoozedUntil: '2028-01-01T00:00:00.000Z' });
    // Assess
    expect([past, tooFar]).toEqual([
      { documentValid: true, apiValid: false },
      { documentValid: true, apiValid: false },
    ]);
    expect(schema.properties.snoozedUntil?.description).toMatch(/in the future.*at most 366 days ahead/);
    expect(schema.description).toMatch(/At least one of `status`, `assignee`, `labels` or `priority`/);
  });
});
