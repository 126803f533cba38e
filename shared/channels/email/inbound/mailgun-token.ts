import type { ReplayGuard } from './replay-guard.ts';

/**
 * How far ahead of our clock a signed timestamp may be; without a replay guard (no table), also how
 * old it may be.
 */
export const MAILGUN_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
/**
 * How old a signed timestamp may be, whether its token is new to us or comes back with the content
 * it was accepted with (a retry of a delivery we took whose answer was lost). Mailgun retries a delivery it could
 * not hand over (10 min, 15 min, 30 min, 1 h, 2 h, 4 h after each other: about 8 h) with its original
 * timestamp, token and signature. A first attempt that failed before its token was claimed (Secrets
 * Manager or DynamoDB throttled, a Lambda throttle, timeout or failed deploy) comes back at least 10
 * minutes old: refusing it as stale would answer 406, which stops Mailgun's retries and loses the
 * mail. So a new token is accepted while Mailgun may still be retrying it, with a margin.
 */
const MAILGUN_RETRY_HORIZON_SECONDS = 12 * 60 * 60;
/**
 * How long a used token is remembered, counted from its signed timestamp (not from a claim, which
 * would move with every replay): longer than the horizon above, so a token is never new again while
 * a timestamp of its age would be accepted.
 */
const MAILGUN_TOKEN_TTL_SECONDS = 24 * 60 * 60;

type TokenCheck = 'accept' | 'stale' | 'reused_for_other_content';

/**
 * Mailgun signs only `timestamp + token`, not the content, so a token must never vouch for two
 * different contents. Whether a retry is signed afresh is not in Mailgun's documentation
 * (receive-http, securing-webhooks, webhook-retries); third-party references say a retry carries
 * the original timestamp, token and signature. Both cases are handled:
 * - a timestamp past Mailgun's retry horizon is refused (`stale`, 406 like any too old one) and
 *   nothing is remembered, whether or not its token was accepted before: before 2026-12-04 the same
 *   token with the same content was accepted at any age, and each acceptance remembered it for
 *   another 24 h, so a delivery captured once could be replayed every day for ever (after an
 *   erasure's message tombstones expired, recording the erased person's mail again);
 * - within the horizon, a new token is accepted and remembered with its content until 24 h after
 *   its timestamp;
 * - the same token with the same content is the same delivery again (a retry after we failed,
 *   or a duplicate): accepted again while within the horizon, it yields the same deterministic
 *   events, which the queue and the recorder deduplicate. A 406 would make Mailgun drop an e-mail
 *   we may never have queued; a 200 without events would lose it if our first attempt failed after
 *   the claim. It leaves the remembered expiry as it was;
 * - the same token with any other content is a forgery built from a captured signature: 406.
 * The cost of the horizon: a signature captured from a delivery that never reached the hub (Mailgun
 * signs every webhook of the account with one key, so another endpoint's deliveries qualify) can
 * carry forged content for 12 hours instead of 5 minutes, and a captured delivery that did reach
 * the hub can be replayed, as itself, for as long. A delivery that did reach the hub has claimed
 * its token, so its signature vouches for nothing else.
 * Token and content are one claim (one conditional write), so a claim that failed half-way or
 * whose answer was lost cannot turn the delivery's retry into a refusal.
 */
export const checkToken = async (
  guard: ReplayGuard,
  token: string,
  digest: string,
  timestampSeconds: number,
  receivedAt: Date,
): Promise<TokenCheck> => {
  const ageSeconds = Math.floor(receivedAt.getTime() / 1000) - timestampSeconds;
  if (ageSeconds > MAILGUN_RETRY_HORIZON_SECONDS) return 'stale';
  // Not `mailgun:token:`, the key of the two-claim scheme before, whose items carry no content digest.
  const vouches = await guard.claim(
    `mailgun:claim:${token}`,
    digest,
    new Date((timestampSeconds + MAILGUN_TOKEN_TTL_SECONDS) * 1000),
  );
  return vouches ? 'accept' : 'reused_for_other_content';
};
