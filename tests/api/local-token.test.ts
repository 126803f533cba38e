import * as crypto from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { toApiRequest } from '#shared/api/apigw.ts';
import { bearerMatches } from '#shared/local/console/server.ts';

/*
 * The local hub's development bearer token (shared/api/apigw.ts, and the console's endpoints, which
 * take the same token): every wrong token, whatever its length, goes through the same constant-time
 * comparison of equal-length buffers and gets the same answer, so the answer's timing says nothing
 * of the token's length.
 */

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const TOKEN = 'local-token-0123456789abcdef';

const eventWith = (authorization: string | undefined): APIGatewayProxyEventV2 =>
  ({
    rawPath: '/v1/conversations',
    headers: authorization === undefined ? {} : { authorization },
    requestContext: { http: { method: 'GET' } },
  }) as unknown as APIGatewayProxyEventV2;

describe('local bearer token', () => {
  const compared = vi.mocked(crypto.timingSafeEqual);
  beforeEach(() => {
    compared.mockClear();
  });

  it('refuses wrong tokens of every length the same way, each through one comparison of equal-length digests, and accepts the right one', () => {
    // Prepare: shorter, one shorter, as long, one longer, much longer than the token
    const wrong = ['x', TOKEN.slice(0, -1), `${TOKEN.slice(0, -1)}X`, `${TOKEN}X`, TOKEN.repeat(40)];
    // Act
    const answers = wrong.map((token) => {
      compared.mockClear();
      const answer = toApiRequest(eventWith(`Bearer ${token}`), TOKEN);
      return { answer, comparisons: compared.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength]) };
    });
    compared.mockClear();
    const right = toApiRequest(eventWith(`Bearer ${TOKEN}`), TOKEN);
    // Assess
    const [first] = answers;
    for (const { answer, comparisons } of answers) {
      expect(answer).toEqual(first?.answer);
      expect(answer).toMatchObject({ status: 401 });
      expect(comparisons).toEqual([[32, 32]]);
    }
    expect(right).toMatchObject({ principal: 'local-developer', path: '/v1/conversations' });
    expect(compared).toHaveBeenCalledTimes(1);
  });

  it('holds the console to the same check: one comparison of equal-length digests for every wrong token', () => {
    // Prepare
    const wrong = ['', 'Bearer x', `Bearer ${TOKEN.slice(0, -1)}X`, `Bearer ${TOKEN}X`, `Basic ${TOKEN}`];
    // Act
    const answers = wrong.map((header) => {
      compared.mockClear();
      const matches = bearerMatches(header, TOKEN);
      return { matches, comparisons: compared.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength]) };
    });
    const right = bearerMatches(`Bearer ${TOKEN}`, TOKEN);
    // Assess
    for (const { matches, comparisons } of answers) {
      expect(matches).toBe(false);
      expect(comparisons).toEqual([[32, 32]]);
    }
    expect(right).toBe(true);
  });

  it('takes the Bearer scheme in any case and with more than one space before the token (RFC 9110 11.1, RFC 6750 2.1), in the API and the console alike', () => {
    // Prepare: as clients write it (an OAuth token_type of "bearer", a shell's doubled space)
    const written = [`bearer ${TOKEN}`, `BEARER ${TOKEN}`, `Bearer  ${TOKEN}`];
    // Act
    const api = written.map((header) => toApiRequest(eventWith(header), TOKEN));
    const consoleAnswers = written.map((header) => bearerMatches(header, TOKEN));
    const wrong = toApiRequest(eventWith(`bearer ${TOKEN}X`), TOKEN);
    const bare = toApiRequest(eventWith('bearer '), TOKEN);
    // Assess
    for (const answer of api) expect(answer).toMatchObject({ principal: 'local-developer' });
    expect(consoleAnswers).toEqual([true, true, true]);
    expect([wrong, bare]).toMatchObject([{ status: 401 }, { status: 401 }]);
  });
});
