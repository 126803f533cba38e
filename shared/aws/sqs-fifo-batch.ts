import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * The batch side of a Lambda consuming a FIFO queue, apart from what one record means (the role
 * Powertools' SqsFifoPartialProcessor and skuba's SQS handler play): records are grouped by
 * MessageGroupId; each group runs its records in order and stops at its first failure, reporting
 * that record and the rest of its group as failed (ReportBatchItemFailures), so the group's order
 * holds on redelivery; other groups (other conversations) run concurrently and carry on.
 */

/** Why a record at its last receive is failing: its own error, or one before it in its group (`heldBehind`). */
export interface LastReceiveCause {
  readonly cause: unknown;
  readonly heldBehind: boolean;
}

/**
 * The cause handed to `lastReceive` for a record received more often than the give-up receive: a
 * receive before this one ended without finishing it (its function crashed or timed out before the
 * batch could answer, or `lastReceive` itself failed). Nothing is tried for it but ending it.
 */
export class UnfinishedReceiveError extends Error {
  override readonly name = 'UnfinishedReceiveError';
  constructor() {
    super('a receive of it ended without finishing it: the function crashed or timed out');
  }
}

/**
 * What `lastReceive` did with a record received more often than the give-up receive: `ended` it, or
 * found it `finished-before` (an earlier receive finished it and then died on a record after it).
 */
export type LastReceiveEnding = 'ended' | 'finished-before';

/** What a batch consumer does with one group's records. */
export interface GroupProcessor {
  handle(record: SQSRecord): Promise<void>;
  /**
   * A record at or past the give-up receive (`giveUpAtReceive`) that has no outcome: one that failed
   * at that receive (once it is ended, its group goes on with the next record), one held behind a
   * record that failed and could not be ended, or any record received more often than that (cause
   * `UnfinishedReceiveError`, asked instead of `handle`).
   * Reported failed, it would come back until the queue's redrive moved it to the dead-letter queue.
   * Resolves once the record is dealt with for good (it is then not reported failed); throws to
   * leave it failed. Only asked when `giveUpAtReceive` is given.
   *
   * Past the give-up receive only the group's first record a dying receive left unfinished is ended
   * so: the records before it that resolve `finished-before` were done, and those after it were not
   * begun by that receive (a group runs in order), so they are handled as usual.
   */
  lastReceive?(record: SQSRecord, why: LastReceiveCause): Promise<LastReceiveEnding>;
  /** The group is done, whether it succeeded or failed: release what it held. */
  close(): void;
}

export interface GroupFailure {
  readonly error: unknown;
  readonly record: SQSRecord;
  /**
   * The records reported failed: the failed one and the rest of its group, but those held behind it
   * that were ended at their give-up receive (until 2026-12-07 those were counted too).
   */
  readonly failedCount: number;
  /**
   * What `lastReceive` threw for the group's records at their give-up receive that it could not end
   * (the failed one, when its `error` is its own handling's, and any held behind it), one per such
   * record: they stay failed because of it, whatever `error` was (a wait, say).
   */
  readonly endErrors: readonly unknown[];
}

export interface FifoBatchOptions {
  /** Called once per batch with its number of groups; returns what opens each group. */
  readonly openGroups: (groupCount: number) => () => GroupProcessor;
  readonly onGroupFailure?: (failure: GroupFailure) => void;
  /**
   * The receive at which the processor ends a failing record itself (`consumerGivesUpAtReceive` in
   * shared/resources/definitions.ts); below the queue's redrive `maxReceiveCount`, so a receive that
   * dies there is followed by more.
   */
  readonly giveUpAtReceive?: number | undefined;
  /**
   * A group whose failure names when it should come back (a backoff): its failed records, the one
   * that failed and every one held behind it, are made visible again after that many seconds. All
   * of them: SQS hands out none of a group's messages while any is in flight, so a record held
   * behind and left at the queue's visibility timeout would hold the group that long anyway.
   * Other groups are untouched; the records are still reported failed.
   */
  readonly comeBack?: ComeBack | undefined;
}

export interface ComeBack {
  /** Seconds until the group's records come back after `error`; undefined: the queue's visibility timeout. */
  readonly afterSeconds: (error: unknown) => number | undefined;
  /** SQS ChangeMessageVisibility(Batch) on the records' receipt handles. */
  readonly setVisibility: (records: readonly SQSRecord[], seconds: number) => Promise<void>;
  /** The change failed: the records come back after the queue's visibility timeout instead. */
  readonly onError?: (error: unknown) => void;
}

/** The record's message group: the records the processor runs one after the other, in batch order. */
export const groupOf = (record: SQSRecord): string => record.attributes.MessageGroupId ?? record.messageId;

const receiveCountOf = (record: SQSRecord): number => Number(record.attributes.ApproximateReceiveCount);

/**
 * Whether a failing record was dealt with for good at its give-up receive (`ended`), or not: not
 * asked (`notAsked`: before its give-up receive), or `lastReceive` threw (`failed`, with its error).
 */
type LastReceiveTry =
  | { readonly kind: 'ended' | 'notAsked' }
  | { readonly kind: 'failed'; readonly error: unknown };

/** Asks `processor` to end `record`, a failing record, when it is at or past the give-up receive. */
const endedAtLastReceive = async (
  processor: GroupProcessor,
  record: SQSRecord,
  why: LastReceiveCause,
  giveUpAtReceive: number | undefined,
): Promise<LastReceiveTry> => {
  if (!processor.lastReceive || giveUpAtReceive === undefined) return { kind: 'notAsked' };
  if (receiveCountOf(record) < giveUpAtReceive) return { kind: 'notAsked' };
  try {
    await processor.lastReceive(record, why);
    return { kind: 'ended' };
  } catch (error) {
    return { kind: 'failed', error };
  }
};

/** Makes a failed group's records come back when its failure says, if it says (`FifoBatchOptions.comeBack`). */
const comeBackLater = async (
  comeBack: ComeBack | undefined,
  error: unknown,
  records: readonly SQSRecord[],
): Promise<void> => {
  const seconds = comeBack?.afterSeconds(error);
  if (comeBack === undefined || seconds === undefined) return;
  try {
    await comeBack.setVisibility(records, seconds);
  } catch (changeError) {
    comeBack.onError?.(changeError);
  }
};

export const processFifoBatch = async (
  event: SQSEvent,
  options: FifoBatchOptions,
): Promise<SQSBatchResponse> => {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of event.Records) {
    const group = groups.get(groupOf(record)) ?? [];
    group.push(record);
    groups.set(groupOf(record), group);
  }
  const failed: string[] = [];
  const { giveUpAtReceive } = options;
  /** Received more often than the give-up receive: that receive (or a later one) died unfinished. */
  const pastGiveUp = (record: SQSRecord): boolean =>
    giveUpAtReceive !== undefined && receiveCountOf(record) > giveUpAtReceive;
  const openGroup = options.openGroups(groups.size);
  await Promise.all(
    [...groups.values()].map(async (records) => {
      const processor = openGroup();
      /** Past the give-up receive: the record a receive died on is not yet ended. */
      let unfinishedAhead = true;
      try {
        for (const [index, record] of records.entries()) {
          const endNow = unfinishedAhead && pastGiveUp(record) && processor.lastReceive;
          try {
            if (endNow) {
              const ending = await processor.lastReceive?.(record, {
                cause: new UnfinishedReceiveError(),
                heldBehind: false,
              });
              if (ending !== 'finished-before') unfinishedAhead = false;
            } else await processor.handle(record);
          } catch (error) {
            const endErrors: unknown[] = [];
            // A record failing at its give-up receive is ended there; its group then goes on.
            if (!endNow) {
              const ending = await endedAtLastReceive(
                processor,
                record,
                { cause: error, heldBehind: false },
                giveUpAtReceive,
              );
              if (ending.kind === 'ended') continue;
              if (ending.kind === 'failed') endErrors.push(ending.error);
            }
            const groupFailed = [record];
            // Held behind a record that could not be ended: only those at their give-up receive end
            // now (the one ahead may still come back with an outcome after theirs: it will be ended
            // at its next receive, before anything else).
            for (const entry of records.slice(index + 1)) {
              const ending = await endedAtLastReceive(
                processor,
                entry,
                { cause: error, heldBehind: true },
                giveUpAtReceive,
              );
              if (ending.kind === 'ended') continue;
              if (ending.kind === 'failed') endErrors.push(ending.error);
              groupFailed.push(entry);
            }
            options.onGroupFailure?.({ error, record, failedCount: groupFailed.length, endErrors });
            failed.push(...groupFailed.map((entry) => entry.messageId));
            await comeBackLater(options.comeBack, error, groupFailed);
            return;
          }
        }
      } finally {
        processor.close();
      }
    }),
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
};
