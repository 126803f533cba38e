/**
 * Remembers which one-time tokens (Mailgun's signed `token`) were already used, and for which
 * content, so a captured signature cannot vouch for anything else. The production
 * implementation is one DynamoDB conditional put per claim.
 */

export interface ReplayGuard {
  /**
   * Whether `token` vouches for the content with `contentDigest`: true the first time it is seen
   * within `ttlSeconds` (it is remembered with this content from then on) and every later time with
   * the same content; false while it is remembered with other content. With `create: false` only a
   * token already remembered with this content counts, and nothing new is remembered. One atomic
   * step, so a claim interrupted anywhere (a throttled write, a lost answer) and made again with the
   * same content still answers true.
   */
  claim(token: string, contentDigest: string, ttlSeconds: number, create: boolean): Promise<boolean>;
}

/** For tests and the local hub: a per-process map. `now` is injectable so tests control expiry. */
export class InMemoryReplayGuard implements ReplayGuard {
  readonly #claims = new Map<string, { readonly digest: string; readonly expiresAtMs: number }>();
  readonly #now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  async claim(token: string, contentDigest: string, ttlSeconds: number, create: boolean): Promise<boolean> {
    const now = this.#now();
    const remembered = this.#claims.get(token);
    const isLive = remembered !== undefined && remembered.expiresAtMs > now;
    if (isLive ? remembered.digest !== contentDigest : !create) return false;
    this.#claims.set(token, { digest: contentDigest, expiresAtMs: now + ttlSeconds * 1000 });
    return true;
  }
}
