import { describe, expect, it } from 'vitest';
import { classifyMessengerFailure } from '#shared/channels/messenger/outbound/classify.ts';
import { readGraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import { toOutcome } from '#shared/channels/meta/outbound/verdict.ts';
import type { ProviderResponse } from '#shared/outbound/provider-http.ts';
import { metaErrorFixtures, noSuchObjectAnswer } from '#tests/support/meta-errors.ts';

const fixtures = metaErrorFixtures('messenger');
const outcomeOf = (response: ProviderResponse) => {
  const failure = readGraphFailure(response, { now: Date.parse('2026-11-30T12:00:00Z') });
  return toOutcome(classifyMessengerFailure(failure), failure);
};

/** Every code the Messenger table maps, and the Graph-wide codes it relies on, has a recorded answer. */
const MAPPED_CODES = [1, 2, 4, 10, 100, 190, 200, 551, 613, 1200, 80006];
/** Codes that only mean something with their subcode. */
const MAPPED_PAIRS = ['10/2018278', '10/2018108', '10/2018065', '10/2534022', '100/2018001', '100/2534014'];

describe('Messenger error classification', () => {
  it('has a recorded error answer for every mapped code', () => {
    // Act
    const recorded = new Set(fixtures.map((fixture) => fixture.error.code));
    const pairs = new Set(fixtures.map((fixture) => `${fixture.error.code}/${fixture.error.error_subcode}`));
    // Assess
    expect(MAPPED_CODES.filter((code) => !recorded.has(code))).toEqual([]);
    expect(MAPPED_PAIRS.filter((pair) => !pairs.has(pair))).toEqual([]);
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    // Act
    const outcome = outcomeOf(fixture.response);
    // Assess: the meaning, and the provider's words kept.
    expect(outcome).toMatchObject(fixture.expect);
    expect('error' in outcome && outcome.error).toMatchObject({
      code: String(fixture.error.code),
      title: fixture.error.message,
      ...(fixture.error.error_data?.details !== undefined
        ? { details: fixture.error.error_data.details }
        : {}),
    });
    if (fixture.error.fbtrace_id !== undefined && 'error' in outcome) {
      expect(outcome.error.message).toContain(`fbtrace_id=${fixture.error.fbtrace_id}`);
    }
  });

  it('refuses one message for a code-10 subcode no table knows, without pausing the page, and pauses for code 10 alone', () => {
    // Prepare: a subcode invented for the test, and the same code without one
    const withSubcode = JSON.stringify({
      error: {
        message: '(#10) Not allowed for this thread',
        type: 'OAuthException',
        code: 10,
        error_subcode: 2999999,
      },
    });
    const without = JSON.stringify({
      error: {
        message: '(#10) Application does not have permission for this action',
        type: 'OAuthException',
        code: 10,
      },
    });
    // Act
    const unknown = outcomeOf({ status: 400, headers: {}, body: withSubcode });
    const permission = outcomeOf({ status: 403, headers: {}, body: without });
    // Assess
    expect(unknown).toMatchObject({ kind: 'refused', reason: 'provider_error', retryable: false });
    expect(permission).toMatchObject({ kind: 'credentials' });
  });

  it('refuses one recipient, without pausing the page, for code 200 with the person-unavailable subcode, and still pauses for 200 otherwise', () => {
    // Prepare
    const answer = (subcode?: number) =>
      JSON.stringify({
        error: {
          message: "(#200) This person isn't available right now.",
          type: 'OAuthException',
          code: 200,
          ...(subcode === undefined ? {} : { error_subcode: subcode }),
          fbtrace_id: 'Ab',
        },
      });
    // Act
    const unavailable = outcomeOf({ status: 400, headers: {}, body: answer(1545041) });
    const permission = outcomeOf({ status: 403, headers: {}, body: answer() });
    const accessRemoved = outcomeOf({ status: 403, headers: {}, body: answer(2534041) });
    // Assess
    expect(unavailable).toMatchObject({ kind: 'refused', reason: 'recipient_unreachable', retryable: false });
    expect(permission).toMatchObject({ kind: 'credentials' });
    expect(accessRemoved).toMatchObject({ kind: 'credentials' });
  });

  it('keeps the subcode and trace id beside the title', () => {
    // Prepare
    const body = JSON.stringify({
      error: {
        message: '(#100) No matching user found',
        type: 'OAuthException',
        code: 100,
        error_subcode: 2018001,
        fbtrace_id: 'Xy',
      },
    });
    // Act
    const outcome = outcomeOf({ status: 400, headers: {}, body });
    // Assess
    expect(outcome).toEqual({
      kind: 'refused',
      reason: 'recipient_invalid',
      retryable: false,
      error: {
        code: '100',
        title: '(#100) No matching user found',
        message: 'type=OAuthException error_subcode=2018001 fbtrace_id=Xy',
      },
    });
  });
});

describe('Messenger: Graph 100/33, an object the token cannot reach', () => {
  const PAGE_ID = '104729381234567';
  const outcomeOn = (node: string, objectId: string) => {
    const failure = readGraphFailure(noSuchObjectAnswer(objectId), { node });
    return toOutcome(classifyMessengerFailure(failure), failure);
  };

  it("is the page's credentials when it names the page id the call was made on", () => {
    // Act
    const outcome = outcomeOn(PAGE_ID, PAGE_ID);
    // Assess
    expect(outcome).toMatchObject({ kind: 'credentials', error: { code: '100' } });
  });

  it("is the Instagram account's credentials when it names `me`, a token that resolves to no page", () => {
    // Act
    const outcome = outcomeOn('me', 'me');
    // Assess
    expect(outcome).toMatchObject({ kind: 'credentials' });
  });

  it('stays a content error when it names another object (the message a reply quotes)', () => {
    // Act
    const outcome = outcomeOn(PAGE_ID, 'm_Gox29NYLybPH9zWYnpORHUNDw');
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'content_invalid', retryable: false });
  });
});
