/**
 * Remembers which one-time tokens (Mailgun's signed `token`) were already used, and for which
 * content, so a captured signature cannot vouch for anything else. The production
 * implementation is one DynamoDB conditional put per claim.
 */

export interface ReplayGuard {
  /**
   * Whether `token` vouches for the content with `contentDigest`: true the first time it is seen
   * (it is remembered with this content until `expiresAt` from then on) and every later time with
   * the same content, while it is remembered; false while it is remembered with other content. A
   * claim never moves the expiry later: one whose `expiresAt` is past the remembered one is refused
   * too (a caller derives it from what the token was signed with, so the same delivery always
   * brings the same expiry), and a token claimed again and again is still forgotten when its first
   * claim said. One atomic step, so a claim interrupted anywhere (a throttled write, a lost answer)
   * and made again with the same content still answers true.
   */
  claim(token: string, contentDigest: string, expiresAt: Date): Promise<boolean>;
}

/** For tests and the local hub: a per-process map. `now` is injectable so tests control expiry. */
export class InMemoryReplayGuard implements ReplayGuard {
  readonly #claims = new Map<string, { readonly digest: string; readonly expiresAtMs: number }>();
  readonly #now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  async claim(token: string, contentDigest: string, expiresAt: Date): Promise<boolean> {
    const remembered = this.#claims.get(token);
    const expiresAtMs = expiresAt.getTime();
    if (
      remembered !== undefined &&
      remembered.expiresAtMs > this.#now() &&
      (remembered.digest !== contentDigest || remembered.expiresAtMs < expiresAtMs)
    ) {
      return false;
    }
    this.#claims.set(token, { digest: contentDigest, expiresAtMs });
    return true;
  }
}
