import type { ResponseTargets } from '#shared/config/runtime.ts';
import {
  buildResponseOverdueEvent,
  type ConversationState,
  type HubEventOf,
} from '#shared/contract/index.ts';
import type { ConversationModel } from './conversation.ts';

/*
 * When a customer has waited too long for an answer, as pure functions of a conversation's model:
 * what the attention sweeper reports, once per wait.
 */

/**
 * Which of a conversation's waits: the version it began at (`ConversationModel.waitVersion`), or,
 * for a wait begun before 2026-12-05, its `waitingSince` alone.
 */
export interface WaitName {
  readonly waitingSince: string;
  readonly waitVersion?: number;
}

/** A wait that reached its channel's response target. */
export interface OverdueWait extends WaitName {
  /** Its conversation's origin (`ConversationModel.origin`), which its event's id names too. */
  readonly origin?: string;
  readonly targetSeconds: number;
  /** Whole seconds waited at `now`. */
  readonly waitedSeconds: number;
}

/**
 * What a conversation item notes of the waits reported: the version of the last one reported
 * (`waitVersion`), and the `waitingSince` of the last one noted before waits had versions.
 */
export interface ReportedWaits {
  readonly waitVersion?: number;
  readonly waitingSince?: string;
}

/** The shortest and longest target: what bounds the sweeper's reads of the waiting customers. */
export const targetRange = (targets: ResponseTargets): { shortest: number; longest: number } => {
  const seconds = Object.values(targets);
  return { shortest: Math.min(...seconds), longest: Math.max(...seconds) };
};

/** The customer's wait when it has reached the target: an open conversation, waiting, for at least the target. */
export const overdueWait = (
  { state, waitVersion, origin }: Pick<ConversationModel, 'state' | 'waitVersion' | 'origin'>,
  targets: ResponseTargets,
  now: Date,
): OverdueWait | undefined => {
  if (state.status !== 'open' || state.waitingSince === null) return undefined;
  const targetSeconds = targets[state.channel];
  const waitedMs = now.getTime() - Date.parse(state.waitingSince);
  return waitedMs >= targetSeconds * 1000
    ? {
        waitingSince: state.waitingSince,
        ...(waitVersion !== undefined ? { waitVersion } : {}),
        ...(origin !== undefined ? { origin } : {}),
        targetSeconds,
        waitedSeconds: Math.floor(waitedMs / 1000),
      }
    : undefined;
};

/**
 * Whether the wait was reported already: one of a version at most the last reported one's (versions
 * only grow, so a later wait has a greater one, whatever its `waitingSince`). A wait begun before
 * waits had versions is judged as it was then, by its `waitingSince`: reported if the one noted is
 * as late (an older customer message arriving late reaches back further in the same wait).
 */
export const alreadyReported = (reported: ReportedWaits | undefined, wait: WaitName): boolean =>
  wait.waitVersion !== undefined
    ? reported?.waitVersion !== undefined && reported.waitVersion >= wait.waitVersion
    : reported?.waitingSince !== undefined && reported.waitingSince >= wait.waitingSince;

/**
 * The wait's `response_overdue` event (its id: the conversation, its origin when it names one, and
 * the wait's version; `waitingSince` for a wait without one).
 */
export const responseOverdueEvent = (
  state: ConversationState,
  wait: OverdueWait,
  now: Date,
): HubEventOf<'switchboard.conversation.response_overdue'> =>
  buildResponseOverdueEvent(
    {
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
    },
    wait.waitVersion,
    wait.origin,
  );
