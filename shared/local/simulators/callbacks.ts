import { nodeHttpTransport } from '#shared/aws/signed/http.ts';
import type { SimulatedCallback } from './types.ts';

/** One callback of a send: posted `atMs` after the send was accepted, after the ones before it. */
export interface CallbackStep {
  readonly event: string;
  readonly atMs: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Tried again, the same request, on these failures (Twilio's connection overrides); once else. */
  readonly retry?: CallbackRetry;
}

/** When a provider posts a callback again (each try the same request). */
export interface CallbackRetry {
  /** Tries after the first. */
  readonly times: number;
  /** After an answer of these statuses. */
  readonly onStatus: (status: number) => boolean;
  /** After no answer at all: the connection or its TLS handshake failed. */
  readonly onConnectFailure: boolean;
}

/** Between two tries of a callback (Twilio documents none, only that every try fits in 15 s). */
const RETRY_PAUSE_MS = 1_000;

/** Errors of a connection that never carried the request. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND']);

/** How long the hub gets to answer a callback (Meta and Twilio give about 15 s). */
const POST_TIMEOUT_MS = 15_000;

/**
 * Posts each send's callbacks in order, each at its delay after the acceptance (never before the
 * previous one has been answered), the way a provider reports a message's progress. Stopping
 * cancels what has not started and waits for posts under way.
 */
export class CallbackQueue {
  readonly #log: (line: string) => void;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #wakers = new Set<() => void>();
  readonly #running = new Set<Promise<void>>();
  #stopped = false;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** Runs `steps` in the background; each outcome goes to `record`. */
  run(provider: string, steps: readonly CallbackStep[], record: (callback: SimulatedCallback) => void): void {
    if (this.#stopped || steps.length === 0) return;
    const acceptedAt = Date.now();
    const chain = (async () => {
      for (const step of steps) {
        const wait = acceptedAt + step.atMs - Date.now();
        if (wait > 0) await this.#sleep(wait);
        if (this.#stopped) return;
        for (let attempt = 0; ; attempt++) {
          const outcome = await postStep(step);
          record({ event: step.event, url: step.url, postedAt: new Date().toISOString(), ...outcome });
          this.#log(
            `simulators: ${provider} callback '${step.event}' → ${
              outcome.status !== undefined ? `hub ${outcome.status}` : `not delivered (${outcome.error})`
            }`,
          );
          if (this.#stopped || !triedAgain(step.retry, attempt, outcome)) break;
          await this.#sleep(RETRY_PAUSE_MS);
          if (this.#stopped) return;
        }
      }
    })();
    this.#running.add(chain);
    void chain.finally(() => this.#running.delete(chain));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of this.#wakers) wake();
    this.#wakers.clear();
    await Promise.allSettled([...this.#running]);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#timers.add(timer);
      this.#wakers.add(wake);
    });
  }
}

const triedAgain = (
  retry: CallbackRetry | undefined,
  attempt: number,
  outcome: { status?: number; error?: string },
): boolean => {
  if (!retry || attempt >= retry.times) return false;
  if (outcome.status !== undefined) return retry.onStatus(outcome.status);
  return retry.onConnectFailure && outcome.error !== undefined && CONNECT_FAILURES.has(outcome.error);
};

/**
 * One POST on node:http's kept-alive connections (a status callback is a few hundred bytes; Node's
 * fetch spent several times the CPU on each, a share of what a replay measures).
 */
const postStep = async (step: CallbackStep): Promise<{ status?: number; error?: string }> => {
  try {
    const response = await nodeHttpTransport(
      { method: 'POST', url: new URL(step.url), headers: step.headers, body: step.body },
      POST_TIMEOUT_MS,
    );
    return { status: response.statusCode };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { error: typeof code === 'string' ? code : error instanceof Error ? error.name : 'Error' };
  }
};
