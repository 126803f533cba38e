import {
  type ChangeActor,
  type ConversationField,
  type ConversationState,
  type ConversationStatus,
  dataSchemaFor,
  EVENT_TYPES,
  type HubEvent,
  type HubEventOf,
  sourceFor,
  stableHash,
} from '#shared/contract/index.ts';

/** Same conversation and same cause → same id, so a re-publish after a crash is deduplicated downstream. */
export const stateChangedEventId = (conversationId: string, causedBy: string): string =>
  `evt_${stableHash('state_changed', conversationId, causedBy)}`;

export interface StateChange {
  readonly state: ConversationState;
  readonly previousStatus: ConversationStatus | null;
  /** The event, or the API change (`chg_…`), that made it. */
  readonly causedBy: string;
  /** When: the cause's time, so a re-publish is byte-identical. */
  readonly time: string;
  readonly changedBy?: ChangeActor;
  readonly changes?: readonly ConversationField[];
}

export const buildStateChange = (
  change: StateChange,
): HubEventOf<'switchboard.conversation.state_changed'> => ({
  specversion: '1.0',
  id: stateChangedEventId(change.state.conversationId, change.causedBy),
  source: sourceFor(change.state.channel, change.state.endpoint.id),
  type: EVENT_TYPES.conversationStateChanged,
  subject: change.state.conversationId,
  time: change.time,
  datacontenttype: 'application/json',
  dataschema: dataSchemaFor(EVENT_TYPES.conversationStateChanged),
  data: {
    state: change.state,
    previousStatus: change.previousStatus,
    causedBy: change.causedBy,
    ...(change.changedBy ? { changedBy: change.changedBy } : {}),
    ...(change.changes ? { changes: [...change.changes] } : {}),
  },
});

/** The state change a message event made. */
export const buildStateChangedEvent = (
  state: ConversationState,
  previousStatus: ConversationStatus | null,
  cause: HubEvent,
): HubEventOf<'switchboard.conversation.state_changed'> =>
  buildStateChange({ state, previousStatus, causedBy: cause.id, time: cause.time });

/** What a conversation item keeps of the change that made its state (shared/store/conversations.ts). */
interface RecordedChange {
  readonly eventId: string;
  readonly previousStatus: ConversationStatus | null;
  readonly changedBy?: ChangeActor;
  readonly changes?: readonly ConversationField[];
  readonly at?: string;
}

/**
 * The state change a stored conversation's last change published, built again from what the item
 * kept: a retry whose first attempt saved but may not have published publishes the same event.
 */
export const repeatedStateChange = (
  state: ConversationState,
  last: RecordedChange,
  fallbackTime: string,
): HubEventOf<'switchboard.conversation.state_changed'> =>
  buildStateChange({
    state,
    previousStatus: last.previousStatus,
    causedBy: last.eventId,
    time: last.at ?? fallbackTime,
    ...(last.changedBy ? { changedBy: last.changedBy } : {}),
    ...(last.changes ? { changes: last.changes } : {}),
  });
