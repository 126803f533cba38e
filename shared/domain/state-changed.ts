import {
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

export const buildStateChangedEvent = (
  state: ConversationState,
  previousStatus: ConversationStatus | null,
  cause: HubEvent,
): HubEventOf<'switchboard.conversation.state_changed'> => ({
  specversion: '1.0',
  id: stateChangedEventId(state.conversationId, cause.id),
  source: sourceFor(state.channel, state.endpoint.id),
  type: EVENT_TYPES.conversationStateChanged,
  subject: state.conversationId,
  // The cause's time rather than ours: a re-publish must be byte-identical.
  time: cause.time,
  datacontenttype: 'application/json',
  dataschema: dataSchemaFor(EVENT_TYPES.conversationStateChanged),
  data: { state, previousStatus, causedBy: cause.id },
});
