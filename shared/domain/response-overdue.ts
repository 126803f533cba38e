import type { ResponseTargets } from '#shared/config/runtime.ts';
import {
  buildResponseOverdueEvent,
  type ConversationState,
  type HubEventOf,
} from '#shared/contract/index.ts';

/*
 * When a customer has waited too long for an answer, as pure functions of a conversation's state:
 * what the attention sweeper reports, once per wait.
 */

/** A wait that reached its channel's response target. */
export interface OverdueWait {
  readonly waitingSince: string;
  readonly targetSeconds: number;
  /** Whole seconds waited at `now`. */
  readonly waitedSeconds: number;
}

/** The shortest and longest target: what bounds the sweeper's reads of the waiting customers. */
export const targetRange = (targets: ResponseTargets): { shortest: number; longest: number } => {
  const seconds = Object.values(targets);
  return { shortest: Math.min(...seconds), longest: Math.max(...seconds) };
};

/** The customer's wait when it has reached the target: an open conversation, waiting, for at least the target. */
export const overdueWait = (
  state: ConversationState,
  targets: ResponseTargets,
  now: Date,
): OverdueWait | undefined => {
  if (state.status !== 'open' || state.waitingSince === null) return undefined;
  const targetSeconds = targets[state.channel];
  const waitedMs = now.getTime() - Date.parse(state.waitingSince);
  return waitedMs >= targetSeconds * 1000
    ? { waitingSince: state.waitingSince, targetSeconds, waitedSeconds: Math.floor(waitedMs / 1000) }
    : undefined;
};

/**
 * Whether the wait starting at `waitingSince` was reported already. A later wait starts after an
 * answer, so later; a wait that reaches back further (an older customer message arriving late) is
 * the same wait, already reported.
 */
export const alreadyReported = (reportedFor: string | undefined, waitingSince: string): boolean =>
  reportedFor !== undefined && reportedFor >= waitingSince;

/** The wait's `response_overdue` event (its id: the conversation and `waitingSince`). */
export const responseOverdueEvent = (
  state: ConversationState,
  wait: OverdueWait,
  now: Date,
): HubEventOf<'switchboard.conversation.response_overdue'> =>
  buildResponseOverdueEvent({
    conversationId: state.conversationId,
    channel: state.channel,
    ...(state.provider ? { provider: state.provider } : {}),
    endpoint: state.endpoint,
    contact: state.contact,
    contactId: state.contactId,
    waitingSince: wait.waitingSince,
    targetSeconds: wait.targetSeconds,
    waitedSeconds: wait.waitedSeconds,
    detectedAt: now.toISOString(),
  });
