import type { Channel, Provider } from '#shared/contract/types.ts';
import { SENDER } from '#shared/resources/definitions.ts';

/*
 * Per-endpoint throughput: each business endpoint (a WhatsApp number, a page, a Twilio sender, a
 * sending domain) gets evenly spaced turns at its share of the provider's rate. Each sender
 * environment holds its own schedule for its share (the endpoint's rate divided by the number of
 * environments that may run at once), so together they stay under the provider's limit without a
 * shared counter in the table (which would cost a write per message). A turn further away than the
 * longest wait is not taken: the command goes back to its queue until that turn, and its
 * conversation waits.
 */

/**
 * An endpoint's next turn: taken, in `waitMs`; or further off than the longest wait, not taken, and
 * free in `freeInMs`.
 */
export type EndpointTurn = { readonly waitMs: number } | { readonly freeInMs: number };

export interface RateLimiter {
  reserve(endpointKey: string, ratePerSecond: number): EndpointTurn;
}

export interface RateLimiterOptions {
  /** Environments sharing each endpoint's rate. */
  readonly environments: number;
  readonly maxWaitMs: number;
  readonly now?: () => number;
}

export const createRateLimiter = (options: RateLimiterOptions): RateLimiter => {
  const now = options.now ?? Date.now;
  const nextTurn = new Map<string, number>();
  return {
    reserve(endpointKey, ratePerSecond) {
      const spacingMs = (1_000 * Math.max(1, options.environments)) / ratePerSecond;
      const at = now();
      const turn = Math.max(at, nextTurn.get(endpointKey) ?? at);
      const waitMs = turn - at;
      if (waitMs > options.maxWaitMs) return { freeInMs: waitMs };
      nextTurn.set(endpointKey, turn + spacingMs);
      // Forget endpoints idle for a while, so a long-lived environment's map stays small.
      if (nextTurn.size > 10_000) {
        for (const [key, next] of nextTurn) if (next < at) nextTurn.delete(key);
      }
      return { waitMs };
    },
  };
};

/**
 * Requests per second per business endpoint: by channel, or by provider and channel where the
 * provider's own rate for that channel differs (`twilio:whatsapp`).
 */
export type EndpointRates = Readonly<Record<Channel, number>> &
  Readonly<Partial<Record<`${Provider}:${Channel}`, number>>>;

/**
 * The deployment's endpoint rates: SENDER's, each WhatsApp Cloud API number at `whatsappNumberRate`
 * when the deployment sets one (Meta starts a number at 80 messages/s and upgrades it to 1,000).
 */
export const endpointRatesFor = (whatsappNumberRate: number | undefined): EndpointRates =>
  whatsappNumberRate === undefined
    ? SENDER.endpointRatesPerSecond
    : { ...SENDER.endpointRatesPerSecond, whatsapp: whatsappNumberRate };

/** The rate a plan's endpoint is paced at: its provider's for the channel, else the channel's. */
export const endpointRateOf = (
  rates: EndpointRates,
  plan: { readonly provider: Provider; readonly channel: Channel },
): number => rates[`${plan.provider}:${plan.channel}`] ?? rates[plan.channel];
