/**
 * Remembers which one-time tokens (Mailgun's signed `token`) were already used, so a captured
 * signed request cannot be replayed. The production implementation is a DynamoDB conditional put.
 */
export interface ReplayGuard {
  /** True the first time `token` is seen within `ttlSeconds`; false for every later claim (a replay). */
  claim(token: string, ttlSeconds: number): Promise<boolean>;
}

/** For tests and the local hub: a per-process map. `now` is injectable so tests control expiry. */
export class InMemoryReplayGuard implements ReplayGuard {
  readonly #expiresAtMs = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = () => Date.now()) {
    this.#now = now;
  }

  async claim(token: string, ttlSeconds: number): Promise<boolean> {
    const now = this.#now();
    const expiresAt = this.#expiresAtMs.get(token);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.#expiresAtMs.set(token, now + ttlSeconds * 1000);
    return true;
  }
}
