import { describe, expect, it } from 'vitest';
import { readGraphFailure } from '#shared/channels/meta/outbound/graph-error.ts';
import { toOutcome } from '#shared/channels/meta/outbound/verdict.ts';
import { classifyWhatsAppFailure } from '#shared/channels/whatsapp/outbound/classify.ts';
import type { ProviderResponse } from '#shared/outbound/provider-http.ts';
import { metaErrorFixtures, noSuchObjectAnswer } from '#tests/support/meta-errors.ts';

const fixtures = metaErrorFixtures('whatsapp');
const outcomeOf = (response: ProviderResponse) => {
  const failure = readGraphFailure(response, { now: Date.parse('2026-11-30T12:00:00Z') });
  return toOutcome(classifyWhatsAppFailure(failure), failure);
};

/** Every code the WhatsApp table maps, and the Graph-wide codes it relies on, has a recorded answer. */
const MAPPED_CODES = [
  2, 4, 10, 33, 100, 190, 200, 368, 613, 80007, 130429, 131000, 131005, 131008, 131009, 131016, 131021,
  131026, 131030, 131031, 131042, 131047, 131048, 131049, 131050, 131051, 131052, 131053, 131056, 131057,
  131062, 132000, 132001, 132012, 132015, 132016, 132069, 133010,
];

describe('WhatsApp error classification', () => {
  it('has a recorded error answer for every mapped code', () => {
    // Act
    const recorded = new Set(fixtures.map((fixture) => fixture.error.code));
    // Assess
    expect(MAPPED_CODES.filter((code) => !recorded.has(code))).toEqual([]);
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

  it("masks a phone number or address the provider's words quote, keeping its own fields", () => {
    // Prepare
    const body = JSON.stringify({
      error: {
        message: '(#131030) Recipient +1 555 010 0123 not in allowed list',
        type: 'OAuthException',
        code: 131030,
        error_user_msg: 'Add customer@example.com or +15550100123 to the list',
        error_data: {
          messaging_product: 'whatsapp',
          details: 'Recipient phone number 15550100123 not in allowed list',
        },
        fbtrace_id: 'Xy',
      },
    });
    // Act
    const failure = readGraphFailure({ status: 400, headers: {}, body });
    // Assess
    expect(failure.error).toEqual({
      code: '131030',
      title: '(#131030) Recipient [phone] not in allowed list',
      message: 'Add [email] or [phone] to the list | type=OAuthException fbtrace_id=Xy',
      details: 'Recipient phone number [phone] not in allowed list',
    });
  });

  it('keeps the wait Graph names: Retry-After, else the business-use-case usage header', () => {
    // Prepare
    const body = JSON.stringify({
      error: { message: '(#130429) Rate limit hit', type: 'OAuthException', code: 130429 },
    });
    const usage = JSON.stringify({
      '1049': [{ type: 'whatsapp', call_count: 100, estimated_time_to_regain_access: 3 }],
    });
    // Act
    const seconds = outcomeOf({ status: 400, headers: { 'retry-after': '7' }, body });
    const date = outcomeOf({
      status: 400,
      headers: { 'retry-after': 'Mon, 30 Nov 2026 12:00:30 GMT' },
      body,
    });
    const minutes = outcomeOf({ status: 400, headers: { 'x-business-use-case-usage': usage }, body });
    const none = outcomeOf({ status: 400, headers: {}, body });
    // Assess
    expect(seconds).toMatchObject({ kind: 'throttled', retryAfterMs: 7000 });
    expect(date).toMatchObject({ kind: 'throttled', retryAfterMs: 30_000 });
    expect(minutes).toMatchObject({ kind: 'throttled', retryAfterMs: 180_000 });
    expect(none).not.toHaveProperty('retryAfterMs');
  });

  it('falls back on the status when the body is not a Graph error', () => {
    // Act
    const [server, busy, auth, client, unknownCode] = [
      { status: 502, body: '<html>Bad gateway</html>' },
      { status: 429, body: '' },
      { status: 401, body: 'nope' },
      { status: 404, body: '{}' },
      { status: 400, body: JSON.stringify({ error: { message: 'new', code: 999_999 } }) },
    ].map(({ status, body }) => outcomeOf({ status, headers: {}, body }));
    // Assess
    expect(server).toMatchObject({ kind: 'ambiguous', error: { code: 'http_502' } });
    expect(busy).toMatchObject({ kind: 'throttled' });
    expect(auth).toMatchObject({ kind: 'credentials' });
    expect(client).toMatchObject({ kind: 'refused', reason: 'provider_error', retryable: false });
    expect(unknownCode).toMatchObject({
      kind: 'refused',
      reason: 'provider_error',
      retryable: false,
      error: { code: '999999' },
    });
  });
});

describe('WhatsApp: Graph 100/33, an object the token cannot reach', () => {
  const PHONE_NUMBER_ID = '106540352242922';
  const outcomeOn = (node: string, objectId: string) => {
    const failure = readGraphFailure(noSuchObjectAnswer(objectId), { node });
    return toOutcome(classifyWhatsAppFailure(failure), failure);
  };

  it("is the number's credentials when it names the phone number id the call was made on", () => {
    // Act
    const outcome = outcomeOn(PHONE_NUMBER_ID, PHONE_NUMBER_ID);
    // Assess: paused and alarmed as a refused token, not blamed on the message
    expect(outcome).toMatchObject({
      kind: 'credentials',
      error: { code: '100', message: expect.stringContaining('error_subcode=33') },
    });
  });

  it('stays a content error when it names another object (a media id in the message)', () => {
    // Act
    const outcome = outcomeOn(PHONE_NUMBER_ID, '1037543291543636');
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'content_invalid', retryable: false });
  });

  it('stays a content error when the call did not say which node it was made on', () => {
    // Prepare
    const failure = readGraphFailure(noSuchObjectAnswer(PHONE_NUMBER_ID));
    // Act
    const outcome = toOutcome(classifyWhatsAppFailure(failure), failure);
    // Assess
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'content_invalid' });
  });
});
