import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classifyTwilioResponse } from '#shared/channels/sms/outbound/classify.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'twilio-errors');
const FixtureSchema = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
});

/** A recorded-shape Twilio answer (written from twilio.com/docs/usage/twilios-response and the error pages). */
const responseOf = (name: string) => {
  const fixture = FixtureSchema.parse(JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')));
  return {
    status: fixture.status,
    headers: fixture.headers,
    body: typeof fixture.body === 'string' ? fixture.body : JSON.stringify(fixture.body),
  };
};

describe('Twilio error classification', () => {
  it.each([
    ['21211-invalid-to', { kind: 'refused', reason: 'recipient_invalid', retryable: false }],
    ['21608-trial-unverified', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['21614-not-mobile', { kind: 'refused', reason: 'recipient_invalid', retryable: false }],
    ['21635-landline', { kind: 'refused', reason: 'recipient_invalid', retryable: false }],
    ['21265-to-short-code', { kind: 'refused', reason: 'recipient_invalid', retryable: false }],
    ['21266-to-is-from', { kind: 'refused', reason: 'recipient_invalid', retryable: false }],
    ['21610-unsubscribed', { kind: 'refused', reason: 'opted_out', retryable: false }],
    ['21617-body-too-long', { kind: 'refused', reason: 'content_invalid', retryable: false }],
    ['21658-parameter-too-long', { kind: 'refused', reason: 'content_invalid', retryable: false }],
    ['63016-outside-window', { kind: 'refused', reason: 'window_closed', retryable: false }],
    ['21656-content-variables', { kind: 'refused', reason: 'template_invalid', retryable: false }],
    ['21655-content-sid', { kind: 'refused', reason: 'template_invalid', retryable: false }],
    ['92006-content-sid', { kind: 'refused', reason: 'template_invalid', retryable: false }],
    ['21606-from-not-capable', { kind: 'refused', reason: 'provider_error', retryable: false }],
    ['20003-authentication', { kind: 'credentials' }],
    ['63007-no-whatsapp-sender', { kind: 'credentials' }],
    ['21660-from-of-another-account', { kind: 'credentials' }],
    ['20429-too-many-requests', { kind: 'throttled', retryAfterMs: 2000 }],
    ['14107-send-rate', { kind: 'throttled' }],
    ['63018-channel-rate', { kind: 'throttled' }],
    ['21611-queue-full', { kind: 'throttled' }],
    ['20500-internal', { kind: 'ambiguous' }],
    ['503-html', { kind: 'ambiguous' }],
  ])('%s', (name, expected) => {
    // Prepare
    const response = responseOf(name);
    // Act
    const outcome = classifyTwilioResponse(response);
    // Assess
    expect(outcome).toMatchObject(expected);
  });

  it("keeps Twilio's code, message and documentation link, the contact's number masked", () => {
    // Act
    const outcome = classifyTwilioResponse(responseOf('21211-invalid-to'));
    // Assess
    expect(outcome).toEqual({
      kind: 'refused',
      reason: 'recipient_invalid',
      retryable: false,
      error: {
        code: '21211',
        title: 'HTTP 400',
        message: "The 'To' number [phone] is not a valid phone number.",
        details: 'https://www.twilio.com/docs/errors/21211',
      },
    });
  });

  it('takes a 2xx without a message SID as ambiguous: the message may exist', () => {
    // Act
    const outcome = classifyTwilioResponse({ status: 201, headers: {}, body: '{"status":"queued"}' });
    // Assess
    expect(outcome).toMatchObject({ kind: 'ambiguous' });
  });

  it.each([
    [10001, 'Account is not active'],
    [20005, 'Account not active'],
  ])(
    'reads %i (the account suspended or not active) as credentials, whatever the HTTP status',
    (code, message) => {
      // Prepare: Twilio's error pages give the code and its meaning (twilio.com/docs/api/errors/10001,
      // …/20005), not the HTTP status it comes with: a 401 already reads as credentials, so the others.
      const answers = [400, 403].map((status) => ({
        status,
        headers: {},
        body: JSON.stringify({
          code,
          message,
          more_info: `https://www.twilio.com/docs/errors/${code}`,
          status,
        }),
      }));
      // Act
      const outcomes = answers.map(classifyTwilioResponse);
      // Assess: every send of the account fails alike until it is active again: the endpoint is paused
      // and the alarm raised, and the command can succeed once someone fixes the account.
      for (const outcome of outcomes) expect(outcome).toMatchObject({ kind: 'credentials' });
    },
  );

  it('takes an HTTP 429 without a Twilio body as throttled', () => {
    // Act
    const outcome = classifyTwilioResponse({ status: 429, headers: {}, body: 'slow down' });
    // Assess
    expect(outcome).toEqual({ kind: 'throttled', error: { code: '429', title: 'HTTP 429' } });
  });
});
