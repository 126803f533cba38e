import { describe, expect, it } from 'vitest';
import {
  createRateLimiter,
  endpointRateOf,
  endpointRatesFor,
  rateKeyOf,
} from '#shared/outbound/endpoint-rate.ts';
import { SENDER } from '#shared/resources/definitions.ts';

/*
 * Per-endpoint throughput: evenly spaced turns at an environment's share of the endpoint's rate;
 * a turn too far off is refused (the command waits on its queue until then) and not taken.
 */

describe('endpoint rate limiter', () => {
  it('spaces one endpoint at its share of the rate and leaves other endpoints alone', () => {
    // Prepare
    let now = 1_000;
    const limiter = createRateLimiter({ environments: 2, maxWaitMs: 1_000, now: () => now });
    // Act: 80/s shared by 2 environments → 40/s here → a turn every 25 ms
    const waits = [0, 1, 2, 3].map(() => limiter.reserve('meta#whatsapp_phone_number:1', 80));
    const other = limiter.reserve('meta#whatsapp_phone_number:2', 80);
    now += 100;
    const afterIdle = limiter.reserve('meta#whatsapp_phone_number:1', 80);
    // Assess
    expect(waits).toEqual([{ waitMs: 0 }, { waitMs: 25 }, { waitMs: 50 }, { waitMs: 75 }]);
    expect(other).toEqual({ waitMs: 0 });
    expect(afterIdle).toEqual({ waitMs: 0 });
  });

  it('refuses a turn beyond the longest wait without taking it, and tells those it refuses turns one spacing apart', () => {
    // Prepare
    const limiter = createRateLimiter({ environments: 1, maxWaitMs: 1_500, now: () => 0 });
    // Act: one a second
    const waits = [0, 1, 2, 3].map(() => limiter.reserve('twilio#phone_number:+1', 1));
    // Assess: the third and fourth come back one after the other, not together
    expect(waits).toEqual([{ waitMs: 0 }, { waitMs: 1_000 }, { freeInMs: 2_000 }, { freeInMs: 3_000 }]);
  });

  it('waits one turn’s spacing where it is longer than the longest wait (a 10/s sender shared by 25 environments), within the budget', () => {
    // Prepare: the raised sender concurrency the scale model names, SMS's 10 a second, the shipped wait
    const limiter = createRateLimiter({ environments: 25, maxWaitMs: SENDER.maxRateWaitMs, now: () => 0 });
    const short = createRateLimiter({ environments: 25, maxWaitMs: SENDER.maxRateWaitMs, now: () => 0 });
    // Act
    const turns = [0, 1, 2, 3].map(() => limiter.reserve('twilio#phone_number:+15550001', 10));
    const withOneSecondToSpare = [0, 1].map(() => short.reserve('twilio#phone_number:+15550001', 10, 1_000));
    // Assess: the next turn 2.5 s off is taken, the ones after come back 2.5 s apart; an invocation
    // with 1 s to spare takes none it would have to wait for
    expect(turns).toEqual([{ waitMs: 0 }, { waitMs: 2_500 }, { freeInMs: 5_000 }, { freeInMs: 7_500 }]);
    expect(withOneSecondToSpare).toEqual([{ waitMs: 0 }, { freeInMs: 2_500 }]);
  });

  it('tells a command sent back the next free turn again once the earlier come-back times have passed', () => {
    // Prepare
    let now = 0;
    const limiter = createRateLimiter({ environments: 1, maxWaitMs: 0, now: () => now });
    // Act: one a second, no time to wait for a turn
    const first = [0, 1, 2].map(() => limiter.reserve('meta#facebook_page:1', 1, 0));
    now = 10_000;
    const later = [0, 1].map(() => limiter.reserve('meta#facebook_page:1', 1, 0));
    // Assess
    expect(first).toEqual([{ waitMs: 0 }, { freeInMs: 1_000 }, { freeInMs: 2_000 }]);
    expect(later).toEqual([{ waitMs: 0 }, { freeInMs: 1_000 }]);
  });

  it('paces a Twilio WhatsApp sender at Twilio’s rate, a Cloud API number at Meta’s', () => {
    // Prepare: the shipped rates, shared by the sender's environments
    const limiter = createRateLimiter({
      environments: SENDER.maxConcurrency,
      maxWaitMs: 2_000,
      now: () => 0,
    });
    const twilio = { provider: 'twilio' as const, channel: 'whatsapp' as const };
    const meta = { provider: 'meta' as const, channel: 'whatsapp' as const };
    // Act
    const twilioRate = endpointRateOf(SENDER.endpointRatesPerSecond, twilio);
    const twilioWaits = [0, 1].map(() => limiter.reserve('twilio#phone_number:+15550001', twilioRate));
    const metaWaits = [0, 1].map(() =>
      limiter.reserve('meta#whatsapp_phone_number:1', endpointRateOf(SENDER.endpointRatesPerSecond, meta)),
    );
    // Assess: 10/s through Twilio (a turn every second per environment, of 10), 80/s on the Cloud API
    expect(twilioRate).toBe(10);
    expect(twilioWaits).toEqual([{ waitMs: 0 }, { waitMs: 1_000 }]);
    expect(metaWaits).toEqual([{ waitMs: 0 }, { waitMs: 125 }]);
    expect(endpointRateOf(SENDER.endpointRatesPerSecond, { provider: 'twilio', channel: 'sms' })).toBe(10);
  });

  it("paces an upgraded WhatsApp number at the deployment's rate, and leaves Twilio's and the other channels' alone", () => {
    // Prepare: a deployment whose numbers Meta upgraded to 1,000 messages/s (whatsappNumberRate)
    const rates = endpointRatesFor(1_000);
    const limiter = createRateLimiter({
      environments: SENDER.maxConcurrency,
      maxWaitMs: 2_000,
      now: () => 0,
    });
    const meta = { provider: 'meta' as const, channel: 'whatsapp' as const };
    // Act
    const waits = [0, 1].map(() =>
      limiter.reserve('meta#whatsapp_phone_number:1', endpointRateOf(rates, meta)),
    );
    // Assess: 1,000/s shared by 10 environments: a turn every 10 ms here
    expect(waits).toEqual([{ waitMs: 0 }, { waitMs: 10 }]);
    expect(endpointRateOf(rates, { provider: 'twilio', channel: 'whatsapp' })).toBe(10);
    expect(endpointRateOf(rates, { provider: 'meta', channel: 'messenger' })).toBe(40);
    expect(endpointRatesFor(undefined)).toBe(SENDER.endpointRatesPerSecond);
  });

  it("paces every SES address at the account's one rate, and other providers' endpoints apart", () => {
    // Prepare
    const address = (id: string) => ({ type: 'email_address' as const, id });
    // Act
    const ses = ['support@acme.example', 'sales@acme.example', 'billing@other.example'].map((id) =>
      rateKeyOf({ provider: 'ses', endpoint: address(id) }),
    );
    const mailgun = ['support@mg.acme.example', 'sales@mg.acme.example'].map((id) =>
      rateKeyOf({ provider: 'mailgun', endpoint: address(id) }),
    );
    // Assess: SES's maximum send rate is the account's in its region (until 2026-12-06, per address)
    expect(new Set(ses).size).toBe(1);
    expect(new Set(mailgun).size).toBe(2);
    expect(rateKeyOf({ provider: 'meta', endpoint: { type: 'whatsapp_phone_number', id: '1' } })).not.toBe(
      rateKeyOf({ provider: 'meta', endpoint: { type: 'whatsapp_phone_number', id: '2' } }),
    );
  });
});
