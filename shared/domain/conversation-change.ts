import {
  type ChangeActor,
  type ConversationField,
  type ConversationPriority,
  type ConversationState,
  type ConversationStatus,
  HUB_ACTOR_ID_PREFIX,
  stableHash,
} from '#shared/contract/index.ts';
import { type ConversationModel, withWaitVersion } from './conversation.ts';

/*
 * Changes a helpdesk (or the hub's snooze timer) makes to a conversation, as pure functions of the
 * model: what the API's PATCH and the sweeper write, and which fields each change set.
 */

/** A helpdesk's change: every field optional; `snoozedUntil` only with status `snoozed` (the API's schema says so). */
export interface ConversationPatch {
  readonly status?: ConversationStatus;
  readonly snoozedUntil?: string;
  readonly assignee?: string | null;
  readonly labels?: readonly string[];
  readonly priority?: ConversationPriority | null;
}

export interface Changed {
  readonly model: ConversationModel;
  /** The fields whose value changed; empty when the patch changed nothing (no new version). */
  readonly changes: readonly ConversationField[];
  readonly previousStatus: ConversationStatus;
}

const sameLabels = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((label, index) => label === b[index]);

/** Labels as a set: duplicates dropped, in the order given. */
const labelSet = (labels: readonly string[]): string[] => [...new Set(labels)];

export const applyPatch = (model: ConversationModel, patch: ConversationPatch): Changed => {
  const before = model.state;
  const status = patch.status ?? before.status;
  const after: ConversationState = {
    ...before,
    status,
    // Leaving `snoozed` ends the snooze; a snooze without a new time keeps its time.
    snoozedUntil: status === 'snoozed' ? (patch.snoozedUntil ?? before.snoozedUntil) : null,
    // Resolved or pending without an answer (handled by phone, waiting on the customer) ends the
    // wait: the customer's next message starts a wait of its own, which can be overdue again. A
    // snooze keeps the wait, which goes on when it wakes. Before 2026-12-04 the next message took
    // over the old wait, which had been reported overdue already, so it never was.
    waitingSince: status === 'resolved' || status === 'pending' ? null : before.waitingSince,
    assignee: patch.assignee === undefined ? before.assignee : patch.assignee,
    labels: patch.labels === undefined ? before.labels : labelSet(patch.labels),
    priority: patch.priority === undefined ? before.priority : patch.priority,
  };
  const changes: ConversationField[] = [];
  if (after.status !== before.status) changes.push('status');
  if (after.snoozedUntil !== before.snoozedUntil) changes.push('snoozedUntil');
  if (after.assignee !== before.assignee) changes.push('assignee');
  if (!sameLabels(after.labels, before.labels)) changes.push('labels');
  if (after.priority !== before.priority) changes.push('priority');
  return {
    model:
      changes.length === 0
        ? model
        : withWaitVersion(model, { ...model, state: { ...after, version: before.version + 1 } }),
    changes,
    previousStatus: before.status,
  };
};

/** A snooze whose time has come: the conversation is open again. Unchanged when it is not due (or no longer snoozed). */
export const wakeIfDue = (model: ConversationModel, now: Date): Changed => {
  const { state } = model;
  const due =
    state.status === 'snoozed' &&
    state.snoozedUntil !== null &&
    Date.parse(state.snoozedUntil) <= now.getTime();
  return due ? applyPatch(model, { status: 'open' }) : { model, changes: [], previousStatus: state.status };
};

/** Who wakes a snooze: the hub itself, as `changedBy` of the state change. */
export const SNOOZE_TIMER: ChangeActor = { kind: 'system', id: `${HUB_ACTOR_ID_PREFIX}snooze-timer` };

/**
 * The cause (`causedBy`) of waking this snooze: the same snooze of the same version always has the
 * same one, so a sweep that wakes it again after a crash, or alongside another sweep, publishes
 * the same event id rather than a second event.
 */
export const wakeCauseOf = (state: ConversationState): string =>
  `chg_${stableHash('snooze-wake', state.conversationId, state.snoozedUntil ?? '', String(state.version))}`;
