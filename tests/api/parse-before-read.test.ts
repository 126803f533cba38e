import { beforeAll, describe, expect, it } from 'vitest';
import { useEmulatedTable } from '#tests/support/emulated-table.ts';
import { quietHelpdeskApi } from '#tests/support/quiet-api.ts';
import { apiRequest } from '#tests/support/requests.ts';

/*
 * Every route that takes a body parses its headers and body before anything reaches DynamoDB: a
 * request that does not parse is answered 400 without a single table call (until 2026-12-07 the
 * consent route resolved the person first, found by a review).
 */

const CONVERSATION = `conv_${'0a'.repeat(16)}`;
const PERSON = `ct_${'0b'.repeat(16)}`;

interface BadRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const BAD_REQUESTS: readonly BadRequest[] = [
  { method: 'PATCH', path: `/v1/conversations/${CONVERSATION}`, headers: { 'if-match': '"v1"' } },
  { method: 'POST', path: `/v1/conversations/${CONVERSATION}/messages` },
  { method: 'POST', path: `/v1/conversations/${CONVERSATION}/read` },
  { method: 'POST', path: '/v1/media' },
  { method: 'POST', path: `/v1/contacts/${PERSON}/consent` },
  { method: 'POST', path: `/v1/contacts/${PERSON}/consent`, headers: { 'idempotency-key': '\u0001bad' } },
  { method: 'POST', path: `/v1/contacts/${PERSON}/merge` },
  { method: 'POST', path: `/v1/contacts/${PERSON}/unmerge` },
];

describe('requests that do not parse', () => {
  const table = useEmulatedTable();
  const calls: string[] = [];
  beforeAll(() => {
    table.emulators.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countTableCalls' },
    );
  });

  it.each(BAD_REQUESTS)(
    '$method $path $headers: 400, and no table call',
    async ({ method, path, headers = {} }) => {
      // Prepare
      const api = quietHelpdeskApi(table.emulators, table.context, () => new Date());
      calls.length = 0;
      // Act
      const response = await api(
        apiRequest(method, path, {
          headers: { 'content-type': 'application/json', ...headers },
          body: '{"nope":1}',
        }),
      );
      // Assess
      expect(response.status).toBe(400);
      expect(calls).toEqual([]);
    },
  );
});
