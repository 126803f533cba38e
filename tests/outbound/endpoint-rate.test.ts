import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '#shared/outbound/endpoint-rate.ts';

/*
 * Per-endpoint throughput: evenly spaced turns at an environment's share of the endpoint's rate;
 * a turn too far off is refused (the command waits on its queue) and not taken.
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
    expect(waits).toEqual([0, 25, 50, 75]);
    expect(other).toBe(0);
    expect(afterIdle).toBe(0);
  });

  it('refuses a turn beyond the longest wait without taking it', () => {
    // Prepare
    const limiter = createRateLimiter({ environments: 1, maxWaitMs: 1_500, now: () => 0 });
    // Act: one a second
    const waits = [0, 1, 2, 3].map(() => limiter.reserve('twilio#phone_number:+1', 1));
    // Assess
    expect(waits).toEqual([0, 1_000, undefined, undefined]);
  });
});
