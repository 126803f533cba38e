import {
  FREE_ENTRY_REPLY_HOURS,
  FREE_ENTRY_WINDOW_HOURS,
  type FreeEntryPoint,
} from '#shared/contract/conversation.ts';
import type { Message } from '#shared/contract/types.ts';
import { addHours } from './time.ts';

/*
 * WhatsApp's free entry point, as the conversation remembers it (the rule is documented on
 * FreeEntryPointSchema). Pure: every function takes the remembered entry and one message's provider
 * time, and returns the entry to keep; the result is the one messages in time order would give
 * whatever order they arrive in, as far as one remembered entry and the conversation's newest answer
 * and earliest customer message tell it:
 * - one ad message and its answers, in any order (an answer recorded before the ad message that is
 *   not the newest is not known: the newest one answering it is taken, so the window closes late);
 * - an ad message older than the remembered one, when it is the customer's earliest message: no
 *   older entry can cover it, so it becomes the entry when it covers the remembered one (or after
 *   an answer, as above).
 * Not otherwise: an older ad message after other customer messages may be covered by an entry the
 * conversation no longer remembers, and is left out; a third ad message the remembered entry
 * covered is not judged again when an older one takes its place; an answer that arrives after a
 * later ad message replaced the entry it answered is lost with that entry.
 */

/** A customer message from a click-to-WhatsApp ad: WhatsApp's referral with `source_type: ad`. */
const isAdEntry = (message: Pick<Message, 'channel' | 'referral'>): boolean =>
  message.channel === 'whatsapp' && message.referral?.source === 'ad';

/**
 * Meta's click ids are a few hundred characters; a signed body can make one any length, and the
 * conversation item keeps the entry: a longer one is no click id of theirs, and the entry is kept
 * without it (the message event carries it whole).
 */
const MAX_CLICK_ID_LENGTH = 1024;

/** Whether a business message at `at` is an answer that opens the entry's 72 hours. */
const answers = (entry: FreeEntryPoint, at: string): boolean =>
  at >= entry.enteredAt && at < addHours(entry.enteredAt, FREE_ENTRY_REPLY_HOURS);

const answered = (entry: FreeEntryPoint, at: string): FreeEntryPoint => ({
  ...entry,
  answeredAt: at,
  closesAt: addHours(at, FREE_ENTRY_WINDOW_HOURS),
});

/** Whether the entry still counts at `at`: waiting for its answer, or inside its 72 hours. */
const isLive = (entry: FreeEntryPoint, at: string): boolean =>
  entry.closesAt === null ? at < addHours(entry.enteredAt, FREE_ENTRY_REPLY_HOURS) : at < entry.closesAt;

/** What the conversation knows besides the entry: its newest answer, and its earliest customer message before this one. */
export interface FreeEntryContext {
  readonly lastOutboundAt: string | null;
  readonly firstInboundAt: string | null;
}

/**
 * A customer message. One from an ad opens a new entry unless a live one already covers it (Meta
 * opens no second free window inside the first). A known answer answers an entry whose message
 * arrived after it (out of order): the earliest known one within its 24 hours (the newest answer,
 * or the remembered entry's first), not necessarily the first, so such an entry may close late.
 */
export const freeEntryOnInbound = (
  current: FreeEntryPoint | undefined,
  message: Pick<Message, 'channel' | 'referral'>,
  at: string,
  known: FreeEntryContext,
): FreeEntryPoint | undefined => {
  if (!isAdEntry(message)) return current;
  // Older than the remembered entry (arriving late): only the customer's earliest message is surely
  // covered by no entry the conversation has forgotten.
  const older = current !== undefined && at < current.enteredAt;
  if (current !== undefined && !older && isLive(current, at)) return current;
  if (older && known.firstInboundAt !== null && at > known.firstInboundAt) return current;
  const clickId = message.referral?.clickId;
  const keptClickId = clickId !== undefined && clickId.length <= MAX_CLICK_ID_LENGTH ? clickId : undefined;
  const opened: FreeEntryPoint = {
    enteredAt: at,
    ...(keptClickId !== undefined ? { clickId: keptClickId } : {}),
    answeredAt: null,
    closesAt: null,
  };
  const answer = [current?.answeredAt ?? null, known.lastOutboundAt]
    .filter((candidate): candidate is string => candidate !== null && answers(opened, candidate))
    .sort()[0];
  const entry = answer === undefined ? opened : answered(opened, answer);
  // An older one takes the remembered entry's place only if, in order, it would have covered it.
  if (older) return isLive(entry, current.enteredAt) ? entry : current;
  return entry;
};

/** A business message: the first answer within 24 hours of the entry opens its 72 hours. */
export const freeEntryOnOutbound = (
  current: FreeEntryPoint | undefined,
  at: string,
): FreeEntryPoint | undefined => {
  if (current === undefined || !answers(current, at)) return current;
  // An earlier answer arriving late moves the window to where it really began.
  return current.answeredAt === null || at < current.answeredAt ? answered(current, at) : current;
};

/** The entry's free window is open at `now` (its answer came in time and 72 hours have not passed). */
export const isFreeEntryOpen = (entry: FreeEntryPoint | undefined, now: Date): boolean =>
  entry?.closesAt != null && now.getTime() < Date.parse(entry.closesAt);
