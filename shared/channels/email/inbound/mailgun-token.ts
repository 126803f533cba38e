import type { ReplayGuard } from './replay-guard.ts';

/** How far a signed timestamp may be from our clock before a new token is refused. */
export const MAILGUN_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
/**
 * How long used tokens are remembered: longer than Mailgun's whole retry schedule (10 min, 15 min,
 * 30 min, 1 h, 2 h, 4 h: about 8 h), so every retry of a delivery still finds its token.
 */
const MAILGUN_TOKEN_TTL_SECONDS = 24 * 60 * 60;

type TokenCheck = 'accept' | 'stale' | 'reused_for_other_content';

/**
 * Mailgun signs only `timestamp + token`, not the content, so a token must never vouch for two
 * different contents. Whether a retry is signed afresh is not in Mailgun's documentation
 * (receive-http, securing-webhooks, webhook-retries); third-party references say a retry carries
 * the original timestamp, token and signature. Both cases are handled:
 * - a new token must have a fresh timestamp; the content it is accepted with is remembered with it;
 * - the same token with the same content is the same delivery again (a retry after we failed,
 *   or a duplicate): accepted again whatever its age, it yields the same deterministic events,
 *   which the queue and the recorder deduplicate. A 406 would make Mailgun drop an e-mail we may
 *   never have queued; a 200 without events would lose it if our first attempt failed after the
 *   claim;
 * - the same token with any other content is a forgery built from a captured signature: 406; a
 *   stale timestamp on a token never accepted before is refused too, and nothing is remembered.
 * Token and content are one claim (one conditional write), so a claim that failed half-way or
 * whose answer was lost cannot turn the delivery's retry into a refusal.
 */
export const checkToken = async (
  guard: ReplayGuard,
  token: string,
  digest: string,
  timestampIsStale: boolean,
): Promise<TokenCheck> => {
  // Not `mailgun:token:`, the key of the two-claim scheme before, whose items carry no content digest.
  const vouches = await guard.claim(
    `mailgun:claim:${token}`,
    digest,
    MAILGUN_TOKEN_TTL_SECONDS,
    !timestampIsStale,
  );
  if (vouches) return 'accept';
  return timestampIsStale ? 'stale' : 'reused_for_other_content';
};
