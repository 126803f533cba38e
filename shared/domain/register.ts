/**
 * A monotonic register: a value that only moves forward along an order, written by the event that
 * moved it. Statuses, watermarks, consent, reactions and edits are all registers, so that any
 * arrival order and any redelivery end in the same value. The store enforces the same rule with a
 * condition expression (see shared/store/registers.ts); this is the pure definition tests rely on.
 */
export interface Register {
  /** Sortable as a string; a higher order wins. */
  readonly order: string;
  /** The event that wrote the value: rewriting it with the same event is a no-op, not a conflict. */
  readonly eventId: string;
}

/** `applied`: moved forward; `same_event`: this event already wrote it (a redelivery); `stale`: behind. */
export type RegisterOutcome = 'applied' | 'same_event' | 'stale';

export const advanceRegister = (current: Register | undefined, next: Register): RegisterOutcome => {
  if (current === undefined || current.order < next.order) return 'applied';
  return current.eventId === next.eventId ? 'same_event' : 'stale';
};

/** Whether a consumer should hear about it: it moved, or it moved before a crash hid the publish. */
export const shouldPublish = (outcome: RegisterOutcome): boolean => outcome !== 'stale';

/** Time-ordered registers break ties on the event id so every replica picks the same winner. */
export const timeOrder = (occurredAt: string, eventId: string): string => `${occurredAt}#${eventId}`;
