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

/** What a batch consumer does with one group's records. */
export interface GroupProcessor {
  handle(record: SQSRecord): Promise<void>;
  /**
   * A record of a failed group (the one that failed, or one after it, held behind it) that is at its
   * last receive: reported failed, it would move to the dead-letter queue. Resolves once the record
   * is dealt with for good (it is then not reported failed); throws to leave it failed. Only asked
   * when `maxReceiveCount` is given.
   */
  lastReceive?(record: SQSRecord, why: LastReceiveCause): Promise<void>;
  /** The group is done, whether it succeeded or failed: release what it held. */
  close(): void;
}

export interface GroupFailure {
  readonly error: unknown;
  readonly record: SQSRecord;
  /** The failed record and the rest of its group, all reported failed. */
  readonly failedCount: number;
}

export interface FifoBatchOptions {
  /** Called once per batch with its number of groups; returns what opens each group. */
  readonly openGroups: (groupCount: number) => () => GroupProcessor;
  readonly onGroupFailure?: (failure: GroupFailure) => void;
  /** The queue's redrive `maxReceiveCount`: a record received that often is at its last receive. */
  readonly maxReceiveCount?: number;
}

const groupOf = (record: SQSRecord): string => record.attributes.MessageGroupId ?? record.messageId;

/** Whether `processor` dealt for good with `record`, a failing record at its last receive. */
const endedAtLastReceive = async (
  processor: GroupProcessor,
  record: SQSRecord,
  why: LastReceiveCause,
  maxReceiveCount: number | undefined,
): Promise<boolean> => {
  if (!processor.lastReceive || maxReceiveCount === undefined) return false;
  if (Number(record.attributes.ApproximateReceiveCount) < maxReceiveCount) return false;
  try {
    await processor.lastReceive(record, why);
    return true;
  } catch {
    return false;
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
  const openGroup = options.openGroups(groups.size);
  await Promise.all(
    [...groups.values()].map(async (records) => {
      const processor = openGroup();
      try {
        for (const [index, record] of records.entries()) {
          try {
            await processor.handle(record);
          } catch (error) {
            const rest = records.slice(index);
            options.onGroupFailure?.({ error, record, failedCount: rest.length });
            for (const entry of rest) {
              if (
                await endedAtLastReceive(
                  processor,
                  entry,
                  { cause: error, heldBehind: entry !== record },
                  options.maxReceiveCount,
                )
              )
                continue;
              failed.push(entry.messageId);
            }
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
