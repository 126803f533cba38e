import type { Logger } from '#shared/observability/logger.ts';
import type { ErasureDeps } from '#shared/store/erasure.ts';
import {
  duePendingRedactions,
  forgetExpiredPendingRedaction,
  forgetUnreadablePendingRedaction,
  pendingRedactionRef,
  settlePendingRedaction,
} from '#shared/store/pending-redactions.ts';
import type { TableContext } from '#shared/store/table.ts';

/*
 * The scheduled retry of what providers still hold of erased people (pending redactions: Twilio
 * messages not redacted, WhatsApp uploads not deleted), run by the attention sweeper each minute.
 * It takes the ones due (a few minutes after their last failure, then less often), at most
 * `perRun`, asks the providers again within the provider erasure's own bounds, deletes what is done
 * and reschedules the rest. It touches nothing else of the person and publishes nothing: the person
 * was erased, and `contact.erased` went out, when the pending items were written.
 */

export const PENDING_REDACTION_RETRY = {
  /** Pending redactions retried per run: one Query page and one BatchGetItem, inside the provider budget. */
  perRun: 25,
} as const;

export interface PendingRedactionRetryDeps {
  readonly table: TableContext;
  /** The provider erasure (shared/outbound/provider-erasure.ts): bounded, never throws. */
  readonly redactAtProviders: NonNullable<ErasureDeps['redactAtProviders']>;
  readonly logger: Logger;
  readonly perRun?: number;
}

export interface PendingRedactionRetryReport {
  /** Due pending redactions taken this run. */
  readonly retried: number;
  /** Done at their provider (or already gone there): deleted. */
  readonly done: number;
  /** Still held by their provider: rescheduled. */
  readonly left: number;
  /**
   * Stored in a form the store cannot read back (a Twilio id over 64 characters, written before
   * 2026-12-06): deleted, never retried, and their places in the run given to due ones.
   */
  readonly unreadable: number;
  /**
   * Refused for good, so deleted without being done (a Twilio id not in its Message SID form, kept
   * before 2026-12-06): not counted in `done`, which they were for a day (found by a review).
   */
  readonly abandoned: number;
}

export const createPendingRedactionRetry =
  (deps: PendingRedactionRetryDeps) => async (): Promise<PendingRedactionRetryReport> => {
    const { due, expired, unreadable } = await duePendingRedactions(
      deps.table,
      deps.perRun ?? PENDING_REDACTION_RETRY.perRun,
    );
    // Past 30 days the hub stops trying (only the provider's own retention applies).
    for (const key of expired) await forgetExpiredPendingRedaction(deps.table, key);
    // What nothing can read can never be retried: until 2026-12-06 such items held the run's places
    // for 30 days, 25 of them every place (found by a review).
    for (const item of unreadable) await forgetUnreadablePendingRedaction(deps.table, item);
    if (unreadable.length > 0)
      deps.logger.warn('unreadable pending provider redactions deleted, never retried', {
        reason: 'pending_redaction_unreadable',
        failedCount: unreadable.length,
      });
    if (due.length === 0)
      return { retried: 0, done: 0, left: 0, unreadable: unreadable.length, abandoned: 0 };
    const { unfinished, twilio, whatsapp } = await deps.redactAtProviders(due.map((one) => one.item));
    const left = new Map(unfinished.map((one) => [pendingRedactionRef(one), one]));
    const report = { retried: due.length, done: 0, left: 0, unreadable: unreadable.length, abandoned: 0 };
    for (const one of due) {
      const settled = await settlePendingRedaction(
        deps.table,
        one,
        left.get(pendingRedactionRef(one.pending)),
      );
      if (settled === 'done') report.done++;
      else if (settled === 'left') report.left++;
    }
    // A failure not handed back to keep can never succeed: its item went, but nothing was done.
    report.abandoned = Math.min(
      report.done,
      Math.max(0, twilio.failed + whatsapp.failed - unfinished.length),
    );
    report.done -= report.abandoned;
    if (report.abandoned > 0)
      deps.logger.warn('pending provider redactions abandoned, refused for good', {
        reason: 'pending_redaction_abandoned',
        failedCount: report.abandoned,
      });
    deps.logger.info('pending provider redactions retried', {
      reason: 'pending_redaction_retry',
      eventCount: report.retried,
      failedCount: report.left,
    });
    return report;
  };
