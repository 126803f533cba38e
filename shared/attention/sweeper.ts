import type { ResponseTargets } from '#shared/config/runtime.ts';
import type { Channel, HubEvent } from '#shared/contract/index.ts';
import { SNOOZE_TIMER, wakeCauseOf, wakeIfDue } from '#shared/domain/conversation-change.ts';
import {
  alreadyReported,
  type OverdueWait,
  overdueWait,
  responseOverdueEvent,
  targetRange,
} from '#shared/domain/response-overdue.ts';
import { repeatedStateChange, type StateChange } from '#shared/domain/state-changed.ts';
import { errorNameOf, type Logger } from '#shared/observability/logger.ts';
import { ATTENTION_SWEEPER } from '#shared/resources/definitions.ts';
import {
  loadConversation,
  markOverdueReported,
  type StoredConversation,
  saveConversation,
  settleAttention,
} from '#shared/store/conversations.ts';
import {
  type AttentionEntry,
  attentionEntries,
  type SpreadPosition,
  type SweptPartition,
  storedConversations,
} from '#shared/store/helpdesk-queries.ts';
import { isAttentionPartition } from '#shared/store/keys.ts';
import {
  announceChanges,
  deleteAnnouncementMarker,
  putAnnouncementMarker,
} from '#shared/store/pending-announcements.ts';
import type { TableContext } from '#shared/store/table.ts';

/*
 * The attention sweeper: one sweep reads the sparse attention index (gsi4) up to now, wakes the
 * snoozes whose time has come and reports, once per wait, customers who have waited past their
 * channel's response target, and publishes helpdesk changes whose publish failed (found by their
 * marker in gsi4, shared/store/pending-announcements.ts). Every write is conditional, so sweeps that
 * overlap, crash or retry neither clobber a concurrent change nor publish a second event for one
 * occurrence.
 */

/**
 * Facts about waiting conversations, kept for the life of an execution environment so a sweep reads
 * only conversations it cannot judge from the index alone: each conversation's channel (it never
 * changes), and the wait last reported overdue (for a while: `REPORT_TRUSTED_MS`). Only an
 * optimization: a fact missing or forgotten costs a read, never a wrong event. Beside them, where
 * the last sweep stopped in the waiting customers when its limits did not let it reach the newest:
 * the next sweep reads on from there, so a pass over every wait takes as many sweeps as the waits
 * need, however many there are (forgotten, the next sweep starts again from the longest wait). And the
 * overdue waits counted so far in that pass, and in the last pass that reached the newest wait: the
 * gauge a sweep reports while a pass takes several sweeps.
 */
export interface SweepMemory {
  readonly channels: Map<string, Channel>;
  readonly reported: Map<string, RememberedReport>;
  waitingAfter?: Pick<AttentionEntry, 'at' | 'position'> | undefined;
  /** Overdue waits counted in the pass under way (by the sweeps since it started from the longest wait). */
  passOverdue?: number | undefined;
  /** Overdue waits the last complete pass counted. */
  lastPassOverdue?: number | undefined;
  /**
   * Conversations whose overdue wait could not be reported (its publish or note failed): the next
   * sweep reads them first, wherever its pass is, rather than when the pass comes back to them.
   */
  readonly retryOverdue: Set<string>;
}

/** A wait the sweep reported, or read as reported: its index entry's time, and until when that entry is taken for it. */
interface RememberedReport {
  readonly waitingSince: string;
  readonly trustedUntil: number;
}

/**
 * How long an index entry at the time of a wait reported is taken for that wait without a read. The
 * entry holds the wait's start alone, and a later wait can start at the very same time (two messages
 * of one second, the second held up at its provider until after the answer to the first): read again
 * after this, such a wait is reported at most this late, and a customer left waiting costs a read an
 * hour rather than one a sweep.
 */
const REPORT_TRUSTED_MS = 60 * 60_000;

export const createSweepMemory = (): SweepMemory => ({
  channels: new Map(),
  reported: new Map(),
  retryOverdue: new Set(),
});

/** Past this many conversations the memory starts over (tens of bytes each). */
const MEMORY_LIMIT = 100_000;

/** Conversations handled at once within a sweep. */
const CONCURRENCY = 8;

/** A conversation changed under a wake this many times in a row: left to the next sweep. */
const MAX_WAKE_ATTEMPTS = 3;

export interface SweepLimits {
  /** Index entries read at most per partition (keys only). */
  readonly maxEntries: number;
  /** Conversation items read at most per partition. */
  readonly maxItems: number;
  readonly pageSize: number;
}

export interface AttentionSweeperDeps {
  readonly table: TableContext;
  /** The helpdesk stream (group = conversation, dedup = event id). */
  readonly publishEvent: (event: HubEvent) => Promise<void>;
  readonly targets: ResponseTargets;
  readonly memory: SweepMemory;
  readonly logger: Logger;
  /** @default ATTENTION_SWEEPER's */
  readonly limits?: SweepLimits;
  /**
   * Milliseconds of the machine's clock (not the sweep's `now`), to keep a sweep within its budget.
   * @default Date.now
   */
  readonly clock?: () => number;
  /** @default ATTENTION_SWEEPER.budgetSeconds, in milliseconds */
  readonly budgetMs?: number;
}

export interface SweepReport {
  /** Snoozes this sweep woke (state changes published). */
  readonly snoozesWoken: number;
  /** `response_overdue` events this sweep published. */
  readonly responsesOverdue: number;
  /** Helpdesk changes whose publish had failed, published by this sweep (`state_changed`). */
  readonly changesAnnounced: number;
  /**
   * Conversations waiting past their target, reported or not, as the latest pass over the waits
   * counted them: the pass this sweep completed, or, while a pass takes several sweeps, the larger of
   * the pass under way (so far) and the last complete one (a lower bound before the execution
   * environment's first complete pass).
   */
  readonly conversationsOverdue: number;
  /** Conversations whose handling failed (left to the next sweep), the unreadable ones included. */
  readonly failed: number;
  /**
   * Conversation items the sweep could not read (a format or value from another version of the
   * hub, after a rollback): skipped, each logged by its conversation id; the others go on.
   */
  readonly unreadable: number;
  /**
   * False when the sweep did not read a partition's whole due range: a limit stopped it before the
   * end, or it read on where an earlier sweep had stopped.
   */
  readonly complete: boolean;
}

const DEFAULT_LIMITS: SweepLimits = {
  maxEntries: ATTENTION_SWEEPER.maxKeysPerSweep,
  maxItems: ATTENTION_SWEEPER.maxItemsPerSweep,
  pageSize: ATTENTION_SWEEPER.keysPerPage,
};

const isoSecondsBefore = (now: Date, seconds: number): string =>
  new Date(now.getTime() - seconds * 1000).toISOString();

export const createAttentionSweeper = (deps: AttentionSweeperDeps) => {
  const { table, memory, targets, logger } = deps;
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const { shortest } = targetRange(targets);
  const clock = deps.clock ?? Date.now;
  const budgetMs = deps.budgetMs ?? ATTENTION_SWEEPER.budgetSeconds * 1000;
  /** When the sweep under way started, by `clock`. */
  let startedAt = clock();
  /** The budget spent: no more conversations are started in this sweep. */
  const spent = () => clock() - startedAt >= budgetMs;

  /** A partition's entries up to a time, oldest first (after a position, when given). */
  const entriesUpTo = (attention: SweptPartition, until: string, after?: SpreadPosition) =>
    attentionEntries(table, attention, until, {
      ascending: true,
      pageSize: limits.pageSize,
      maxEntries: limits.maxEntries,
      ...(after ? { after } : {}),
    });

  /**
   * Conversation items by id. One that cannot be read (after a rollback: a format or value a newer
   * version wrote) is logged by its id alone and counted, and the others go on without it.
   */
  const readConversations = async (conversationIds: readonly string[]) => {
    const { conversations, unreadable } = await storedConversations(table, conversationIds);
    for (const { conversationId, error } of unreadable)
      logger.error('attention sweep skipped a conversation item it cannot read', {
        conversationId,
        reason: 'unreadable conversation item',
        errorName: errorNameOf(error),
      });
    return {
      conversations,
      unreadable: unreadable.length,
      isUnreadable: new Set(unreadable.map((one) => one.conversationId)),
    };
  };

  /**
   * The conversations of entries read in order, until `maxItems` of them could be read: an item
   * that cannot be read does not take a place, so however many of them (after a rollback) come
   * first, the readable ones behind them, up to the index keys read, are still handled. `taken`:
   * the entries looked at, in order.
   */
  const readPastUnreadable = async <T>(entries: readonly T[], idOf: (entry: T) => string) => {
    const conversations: StoredConversation[] = [];
    const isUnreadable = new Set<string>();
    let next = 0;
    let places = 0;
    while (next < entries.length && places < limits.maxItems) {
      const batch = entries.slice(next, next + limits.maxItems - places);
      next += batch.length;
      const read = await readConversations(batch.map(idOf));
      conversations.push(...read.conversations);
      for (const id of read.isUnreadable) isUnreadable.add(id);
      places += batch.filter((entry) => !read.isUnreadable.has(idOf(entry))).length;
    }
    return { conversations, isUnreadable, taken: entries.slice(0, next) };
  };

  /**
   * Runs `handle` on each, a few at a time, in order; a failure is logged and counted, never stops
   * the others. Once the sweep's budget is spent none is started: those are `deferred` (the order's
   * tail), left to the next sweep. Before 2026-12-07 a sweep had no budget but its timeout, which
   * cut it off mid-call and restarted the runtime (its memory lost), and the redaction retry after
   * it never ran (found by a review).
   */
  const each = async <T>(
    items: readonly T[],
    idOf: (item: T) => string,
    handle: (item: T) => Promise<void>,
  ): Promise<{ failed: number; deferred: readonly T[] }> => {
    let failed = 0;
    for (let start = 0; start < items.length; start += CONCURRENCY) {
      if (spent()) return { failed, deferred: items.slice(start) };
      await Promise.all(
        items.slice(start, start + CONCURRENCY).map(async (item) => {
          try {
            await handle(item);
          } catch (error) {
            failed += 1;
            logger.error('attention sweep failed a conversation', {
              conversationId: idOf(item),
              errorName: errorNameOf(error),
            });
          }
        }),
      );
    }
    return { failed, deferred: [] };
  };

  /**
   * A wake an earlier version of the sweeper saved without publishing it (before 2026-12-05 a wake
   * kept its `SNOOZED` index entry until its event was out, and saved no unpublished change): its
   * event goes out if the wake is still the conversation's last change, and the entry moves.
   */
  const finishHeldWake = async ({ model, lastChange: last }: StoredConversation, now: Date) => {
    if (!model) return;
    if (last?.changedBy?.kind === SNOOZE_TIMER.kind && last.changedBy.id === SNOOZE_TIMER.id)
      await deps.publishEvent(repeatedStateChange(model.state, last, now.toISOString()));
    await settleAttention(table, model.state);
  };

  /**
   * One snoozed conversation: wakes it when due (conditional on its version; on a conflict it is
   * read again and judged again). The wake is saved as a PATCH saves its change: with its
   * `state_changed` as one not published yet, behind an announcement marker put first
   * (shared/store/pending-announcements.ts), so whatever fails or writes the conversation before it
   * is out, a later PATCH or a sweep once the marker is due publishes it. True when this call
   * published a wake.
   */
  const wake = async (stored: StoredConversation, now: Date, attempt = 1): Promise<boolean> => {
    const model = stored.model;
    if (!model) return false;
    if (isAttentionPartition('snoozed', stored.attentionEntry ?? '') && model.state.status !== 'snoozed') {
      await finishHeldWake(stored, now);
      return false;
    }
    const changed = wakeIfDue(model, now);
    if (changed.changes.length === 0) return false;
    const { conversationId } = model.state;
    const change: StateChange = {
      state: changed.model.state,
      previousStatus: changed.previousStatus,
      causedBy: wakeCauseOf(model.state),
      time: now.toISOString(),
      changedBy: SNOOZE_TIMER,
      changes: changed.changes,
    };
    // Changes saved before and still unpublished go out first, then the wake.
    const unannounced = [...(stored.unannounced ?? []), change];
    const markerDueAt = await putAnnouncementMarker(table, conversationId, now);
    const saved = await saveConversation(table, {
      model: changed.model,
      previous: model,
      ...(stored.personEntry ? { personEntry: stored.personEntry } : {}),
      recentEventIds: stored.recentEventIds,
      lastChange: {
        eventId: change.causedBy,
        previousStatus: change.previousStatus,
        changedBy: SNOOZE_TIMER,
        changes: changed.changes,
        at: change.time,
      },
      unannounced,
    });
    // The marker stays: the sweep that finds it due deletes it, with nothing to publish.
    if (saved === 'conflict') {
      if (attempt >= MAX_WAKE_ATTEMPTS) return false;
      return wake(await loadConversation(table, conversationId), now, attempt + 1);
    }
    await announceChanges(deps, conversationId, unannounced, markerDueAt);
    return true;
  };

  const wakeSnoozes = async (now: Date) => {
    const { entries, complete } = await entriesUpTo('snoozed', now.toISOString());
    const ids = [...new Set(entries.map((entry) => entry.conversationId))];
    const { conversations: due, isUnreadable, taken } = await readPastUnreadable(ids, (id) => id);
    let woken = 0;
    // Those deferred stay due: the next sweep reads them first.
    const { failed, deferred } = await each(
      due,
      (stored) => stored.model?.state.conversationId ?? '',
      async (stored) => {
        if (await wake(stored, now)) woken += 1;
      },
    );
    return {
      woken,
      failed,
      unreadable: isUnreadable.size,
      complete: complete && taken.length === ids.length && deferred.length === 0,
    };
  };

  /**
   * Conversations whose announcement marker is due: what their item still holds unpublished goes
   * out (oldest first, each with its own event id), then the marker goes, if it is still the one read.
   */
  const announceLeftovers = async (now: Date) => {
    const { entries, complete } = await entriesUpTo('unannounced', now.toISOString());
    const read = await readPastUnreadable(entries, (entry) => entry.conversationId);
    // A marker stays while its conversation cannot be read: what it holds unpublished is not known.
    const due = read.taken.filter((entry) => !read.isUnreadable.has(entry.conversationId));
    const byId = new Map(read.conversations.map((one) => [one.model?.state.conversationId, one]));
    let announced = 0;
    // Those deferred keep their marker, due: the next sweep reads them first.
    const { failed, deferred } = await each(
      due,
      (entry) => entry.conversationId,
      async (entry) => {
        const changes = byId.get(entry.conversationId)?.unannounced ?? [];
        if (changes.length > 0) {
          logger.warn('helpdesk changes published late: their first publish failed', {
            conversationId: entry.conversationId,
            eventCounts: { 'switchboard.conversation.state_changed': changes.length },
          });
          await announceChanges(deps, entry.conversationId, changes);
          announced += changes.length;
        }
        await deleteAnnouncementMarker(table, entry.conversationId, entry.at);
      },
    );
    return {
      announced,
      failed,
      unreadable: read.isUnreadable.size,
      complete: complete && read.taken.length === entries.length && deferred.length === 0,
    };
  };

  /**
   * Reports a conversation's overdue wait, judged again on a consistent read of that conversation
   * alone made just before the publish: the slice's read (one BatchGetItem) may be seconds old by
   * then, and a wait answered, resolved or set pending since must not be reported as waiting "with no
   * answer" after that change's state_changed. What the read shows is reported: the same wait, its
   * start perhaps moved back by an older message recorded late, or a wait that followed it (each
   * named by its own id). One GetItem per report, and reports are rare. Published first, then noted:
   * a crash in between publishes the same event id again. The wait the read shows overdue, and
   * whether this call published it (undefined when nothing waits past its target any more).
   */
  const reportOnFreshRead = async (
    conversationId: string,
    now: Date,
  ): Promise<{ wait: OverdueWait; published: boolean } | undefined> => {
    const { model, overdueReported } = await loadConversation(table, conversationId);
    const wait = model ? overdueWait(model, targets, now) : undefined;
    if (!model || !wait) return undefined;
    if (alreadyReported(overdueReported, wait)) return { wait, published: false };
    await deps.publishEvent(responseOverdueEvent(model.state, wait, now));
    await markOverdueReported(table, model.state, wait);
    return { wait, published: true };
  };

  /**
   * Customers waiting at least the shortest target, longest wait first, from where the last sweep
   * stopped (the waits stay in the index once reported, so without that a sweep would read the same
   * ones every time and never reach those past its limits). What the memory settles (a
   * conversation whose channel's target is not reached, or whose wait was reported) is counted
   * without a read; the rest is read, up to the limit, reported once per wait, and remembered. The
   * next sweep reads on after the last entry this one judged, or from the longest wait again once
   * this one reached the newest.
   */
  const reportOverdue = async (now: Date) => {
    const until = isoSecondsBefore(now, shortest);
    // A position past the range (a clock set back) is not one DynamoDB reads on from: start over.
    const after = (memory.waitingAfter?.at ?? '') <= until ? memory.waitingAfter : undefined;
    const { entries, complete } = await entriesUpTo('waiting', until, after?.position);
    let overdue = 0;
    // Where the entries the memory counted overdue are (a pass cut short counts only those before the cut).
    const countedAt: number[] = [];
    const toRead: AttentionEntry[] = [];
    // Entries judged: all of them, unless one needed a read the item limit had no room for.
    let judged = entries.length;
    for (const [index, entry] of entries.entries()) {
      const channel = memory.channels.get(entry.conversationId);
      if (channel !== undefined) {
        if (entry.at > isoSecondsBefore(now, targets[channel])) continue;
        const reported = memory.reported.get(entry.conversationId);
        if (reported?.waitingSince === entry.at && now.getTime() < reported.trustedUntil) {
          countedAt.push(index);
          continue;
        }
      }
      if (toRead.length < limits.maxItems) toRead.push(entry);
      else {
        // The next sweep reads on from here: what follows is counted in the pass then, not twice.
        judged = index;
        break;
      }
    }
    // Waits an earlier sweep failed to report, first (a few, beside the pass's own reads, so a
    // conversation that keeps failing never holds the pass back); counted in the pass that met them.
    const inSlice = new Set(toRead.map((entry) => entry.conversationId));
    const retries = [...memory.retryOverdue]
      .filter((conversationId) => !inSlice.has(conversationId))
      .slice(0, Math.ceil(limits.maxItems / 4));
    for (const conversationId of retries) memory.retryOverdue.delete(conversationId);
    const readOrder = [...inSlice, ...retries];
    const { conversations: batch, unreadable } = await readConversations(readOrder);
    // In the index's order (a BatchGetItem returns items in any): what the budget leaves is a tail.
    const place = new Map(readOrder.map((conversationId, index) => [conversationId, index]));
    const placeOf = (stored: StoredConversation) =>
      place.get(stored.model?.state.conversationId ?? '') ?? readOrder.length;
    const read = [...batch].sort((a, b) => placeOf(a) - placeOf(b));
    let reported = 0;
    const { failed, deferred } = await each(
      read,
      (stored) => stored.model?.state.conversationId ?? '',
      async ({ model, overdueReported }) => {
        if (!model) return;
        const { state } = model;
        memory.retryOverdue.delete(state.conversationId);
        memory.channels.set(state.conversationId, state.channel);
        const wait = overdueWait(model, targets, now);
        if (!wait) return;
        const counted = inSlice.has(state.conversationId);
        if (counted) overdue += 1;
        const remember = (waitingSince: string) =>
          memory.reported.set(state.conversationId, {
            waitingSince,
            trustedUntil: now.getTime() + REPORT_TRUSTED_MS,
          });
        if (alreadyReported(overdueReported, wait)) {
          remember(wait.waitingSince);
          return;
        }
        let outcome: Awaited<ReturnType<typeof reportOnFreshRead>>;
        try {
          outcome = await reportOnFreshRead(state.conversationId, now);
        } catch (error) {
          memory.retryOverdue.add(state.conversationId);
          throw error;
        }
        if (!outcome) {
          // Answered, resolved or set pending since the slice's read: not overdue after all.
          if (counted) overdue -= 1;
          return;
        }
        remember(outcome.wait.waitingSince);
        if (outcome.published) reported += 1;
      },
    );
    // The budget spent before some were handled: the pass reads on from the first of them next time,
    // and the retries left wait in the memory again.
    const firstDeferred = deferred.find((stored) => inSlice.has(stored.model?.state.conversationId ?? ''));
    const cut = entries.findIndex(
      (entry) => entry.conversationId === firstDeferred?.model?.state.conversationId,
    );
    if (cut >= 0) judged = Math.min(judged, cut);
    for (const stored of deferred) {
      const conversationId = stored.model?.state.conversationId;
      if (conversationId !== undefined && !inSlice.has(conversationId))
        memory.retryOverdue.add(conversationId);
    }
    overdue += countedAt.filter((index) => index < judged).length;
    const reachedNewest = complete && judged === entries.length;
    memory.waitingAfter = reachedNewest ? undefined : (entries[judged - 1] ?? after);
    // The gauge: the overdue waits of a whole pass, not of this sweep's slice of it (the newest waits,
    // often none overdue), so it does not fall while a pass takes several sweeps.
    const pass = (after === undefined ? 0 : (memory.passOverdue ?? 0)) + overdue;
    memory.passOverdue = reachedNewest ? undefined : pass;
    if (reachedNewest) memory.lastPassOverdue = pass;
    const gauge = reachedNewest ? pass : Math.max(pass, memory.lastPassOverdue ?? 0);
    return {
      overdue: gauge,
      reported,
      failed,
      unreadable,
      complete: after === undefined && reachedNewest,
    };
  };

  return {
    async sweep(now: Date): Promise<SweepReport> {
      startedAt = clock();
      if (memory.channels.size > MEMORY_LIMIT) {
        memory.channels.clear();
        memory.reported.clear();
        memory.retryOverdue.clear();
      }
      // Changes left unpublished first: they are older than any wake this sweep makes.
      const leftovers = await announceLeftovers(now);
      const snoozes = await wakeSnoozes(now);
      const waits = await reportOverdue(now);
      const report: SweepReport = {
        snoozesWoken: snoozes.woken,
        responsesOverdue: waits.reported,
        changesAnnounced: leftovers.announced,
        conversationsOverdue: waits.overdue,
        unreadable: snoozes.unreadable + waits.unreadable + leftovers.unreadable,
        failed:
          snoozes.failed +
          waits.failed +
          leftovers.failed +
          snoozes.unreadable +
          waits.unreadable +
          leftovers.unreadable,
        complete: snoozes.complete && waits.complete && leftovers.complete,
      };
      // A quiet sweep (most of them) is not worth a line a minute.
      const quiet =
        report.snoozesWoken + report.responsesOverdue + report.changesAnnounced + report.failed === 0;
      logger[quiet ? 'debug' : 'info']('attention sweep', {
        eventCounts: {
          'switchboard.conversation.state_changed': report.snoozesWoken + report.changesAnnounced,
          'switchboard.conversation.response_overdue': report.responsesOverdue,
        },
        failedCount: report.failed,
      });
      if (!report.complete)
        logger.warn(
          'attention sweep read part of the due entries within its limits; other sweeps read the rest',
          {
            reason: 'sweep limits reached',
          },
        );
      return report;
    },
  };
};

export type AttentionSweeper = ReturnType<typeof createAttentionSweeper>;

/** A sweep that failed some conversations (they wait for the next): the Lambda fails, and its Errors alarm watches. */
export class AttentionSweepError extends Error {
  override readonly name = 'AttentionSweepError';
}
