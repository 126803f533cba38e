import { sendingEndpointKey } from '#shared/contract/ids.ts';
import type { BusinessEndpoint, Channel, Provider } from '#shared/contract/types.ts';
import { SENDER } from '#shared/resources/definitions.ts';

/*
 * Per-endpoint throughput: each business endpoint (a WhatsApp number, a page, a Twilio sender, a
 * sending domain) gets evenly spaced turns at its share of the provider's rate. Each sender
 * environment holds its own schedule for its share (the endpoint's rate divided by the number of
 * environments that may run at once), so together they stay under the provider's limit without a
 * shared counter in the table (which would cost a write per message).
 *
 * An environment waits for a turn up to the longest wait, or up to one turn's spacing where that
 * is longer (a 10/s sender shared by 25 environments: 2.5 s), so a command of several messages can
 * always take its next message's turn in the same receive, within the time its invocation has
 * left. A turn further off is not taken: the command goes back to its queue, its conversation
 * waiting, and comes back when a turn is free. Commands sent back together are told turns one
 * spacing apart, so they come back one by one instead of together, each mostly sent on its first
 * return: every return is a receive, and a command not done at its 50th ends send_failed
 * (OUTBOX_QUEUE.consumerGivesUpAtReceive).
 */

/**
 * An endpoint's next turn: taken, in `waitMs`; or too far off, not taken, and the command should
 * come back in `freeInMs`.
 */
export type EndpointTurn = { readonly waitMs: number } | { readonly freeInMs: number };

export interface RateLimiter {
  /** `budgetMs`: the longest the caller can wait now (its invocation's time left); no limit when absent. */
  reserve(endpointKey: string, ratePerSecond: number, budgetMs?: number): EndpointTurn;
}

export interface RateLimiterOptions {
  /** Environments sharing each endpoint's rate. */
  readonly environments: number;
  /** The longest wait for a turn, unless one turn's spacing is longer. */
  readonly maxWaitMs: number;
  readonly now?: () => number;
}

/** Forget endpoints idle for a while, so a long-lived environment's maps stay small. */
const forgetPast = (times: Map<string, number>, at: number): void => {
  if (times.size <= 10_000) return;
  for (const [key, time] of times) if (time < at) times.delete(key);
};

export const createRateLimiter = (options: RateLimiterOptions): RateLimiter => {
  const now = options.now ?? Date.now;
  const nextTurn = new Map<string, number>();
  /** The come-back time last told to a command sent back, per endpoint. */
  const lastToldBack = new Map<string, number>();
  return {
    reserve(endpointKey, ratePerSecond, budgetMs = Number.POSITIVE_INFINITY) {
      const spacingMs = (1_000 * Math.max(1, options.environments)) / ratePerSecond;
      const at = now();
      const turn = Math.max(at, nextTurn.get(endpointKey) ?? at);
      const waitMs = turn - at;
      if (waitMs > Math.min(Math.max(options.maxWaitMs, spacingMs), budgetMs)) {
        const comeBackAt = Math.max(turn, (lastToldBack.get(endpointKey) ?? at) + spacingMs);
        lastToldBack.set(endpointKey, comeBackAt);
        forgetPast(lastToldBack, at);
        return { freeInMs: comeBackAt - at };
      }
      nextTurn.set(endpointKey, turn + spacingMs);
      forgetPast(nextTurn, at);
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

/**
 * What a plan's sends are paced by: its endpoint, except on SES, whose sending rate is the
 * account's in its region ("maximum send rate"), shared by every address and domain the deployment
 * sends from. Until 2026-12-06 each SES address had a rate of its own, so three addresses sent at
 * three times the account's rate (found by a review). A pause stays the endpoint's
 * (sendingEndpointKey).
 */
export const rateKeyOf = (plan: {
  readonly provider: Provider;
  readonly endpoint: BusinessEndpoint;
}): string => (plan.provider === 'ses' ? 'ses#account' : sendingEndpointKey(plan.provider, plan.endpoint));
