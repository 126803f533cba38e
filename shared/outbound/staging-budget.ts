import { SENDER } from '#shared/resources/definitions.ts';

/*
 * The bytes of stored files one sender environment holds at once. An e-mail attaches its files by
 * reading them whole from the bucket, then composes the MIME (base64) and the provider's request
 * body from them, all held until the provider answers: several times the file in memory. The
 * batch's conversations send concurrently (shared/aws/sqs-fifo-batch.ts), so a batch of replies
 * with files could outgrow the function's memory, and a crash there leaves every command of the
 * batch with an attempt noted, to end `outcome_unknown` though nothing went. A send with files
 * first takes its files' size from this budget (known from the stored object's size), in the order
 * the sends asked; one larger than the whole budget runs alone. A send without staged files (a
 * text, a WhatsApp upload streamed from S3, a presigned link) takes nothing and never waits here.
 */

/** Gives the bytes back; idempotent. */
export type ReleaseBudget = () => void;

export interface StagingBudget {
  /**
   * Waits (at most `waitMs`) until `bytes` fit beside what is in flight, or, for more than the
   * whole budget, until nothing is: the release, or undefined when the wait ran out (nothing taken).
   * Sends are served in the order they asked: a large one is not passed over by smaller ones
   * forever.
   */
  take(bytes: number, waitMs: number): Promise<ReleaseBudget | undefined>;
  /** The bytes taken and not yet given back. */
  inFlight(): number;
}

/** setTimeout's longest delay; a longer one (Infinity) would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiter {
  readonly bytes: number;
  readonly grant: (release: ReleaseBudget) => void;
}

export const createStagingBudget = (budgetBytes: number): StagingBudget => {
  let inFlight = 0;
  const queue: Waiter[] = [];
  const fits = (bytes: number) => inFlight === 0 || inFlight + bytes <= budgetBytes;
  const releaseOf = (bytes: number): ReleaseBudget => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inFlight -= bytes;
      serve();
    };
  };
  /** The oldest waiters, as long as each fits: in order, so none is passed over. */
  const serve = () => {
    for (let next = queue[0]; next !== undefined && fits(next.bytes); next = queue[0]) {
      queue.shift();
      inFlight += next.bytes;
      next.grant(releaseOf(next.bytes));
    }
  };
  return {
    inFlight: () => inFlight,
    take: (bytes, waitMs) => {
      if (queue.length === 0 && fits(bytes)) {
        inFlight += bytes;
        return Promise.resolve(releaseOf(bytes));
      }
      if (waitMs <= 0) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const waiter: Waiter = {
          bytes,
          grant: (release) => {
            clearTimeout(timer);
            resolve(release);
          },
        };
        // No end to wait for (an invocation without a deadline: the local poller, tests).
        const timer =
          waitMs >= MAX_TIMER_MS
            ? undefined
            : setTimeout(() => {
                const at = queue.indexOf(waiter);
                if (at >= 0) queue.splice(at, 1);
                resolve(undefined);
                // A large waiter leaving at the head may let the smaller ones behind it in.
                serve();
              }, waitMs);
        queue.push(waiter);
      });
    },
  };
};

/**
 * The budget of an environment of `memoryMb` (AWS_LAMBDA_FUNCTION_MEMORY_SIZE; the construct's
 * default when unknown): what is left of the memory past the environment's own
 * (SENDER.stagedFiles.baseMb), divided by what each byte of a file costs while its e-mail is sent.
 * None left: every send with files runs alone.
 */
export const stagingBudgetBytes = (memoryMb: number | undefined): number => {
  const { baseMb, memoryPerFileByte, assumedMemoryMb } = SENDER.stagedFiles;
  const memory =
    memoryMb !== undefined && Number.isFinite(memoryMb) && memoryMb > 0 ? memoryMb : assumedMemoryMb;
  return Math.max(0, Math.floor(((memory - baseMb) * 1024 * 1024) / memoryPerFileByte));
};
