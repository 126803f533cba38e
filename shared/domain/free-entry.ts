import {
  FREE_ENTRY_REPLY_HOURS,
  FREE_ENTRY_WINDOW_HOURS,
  type FreeEntryPoint,
} from '#shared/contract/conversation.ts';
import type { Message } from '#shared/contract/types.ts';
import { addHours } from './time.ts';

/*
 * WhatsApp's free entry point, as the conversation remembers it (the rule is documented on
 * FreeEntryPointSchema). Pure and order-tolerant like the rest of the reducer: every function takes
 * the remembered entry and one message's provider time, and returns the entry to keep.
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

/**
 * A customer message. One from an ad opens a new entry unless a live one already covers it (Meta
 * opens no second free window inside the first). `lastOutboundAt` answers an entry whose message
 * arrived after the business's answer (out of order); it is the newest answer, not necessarily the
 * first, so such an entry may close a little late.
 */
export const freeEntryOnInbound = (
  current: FreeEntryPoint | undefined,
  message: Pick<Message, 'channel' | 'referral'>,
  at: string,
  lastOutboundAt: string | null,
): FreeEntryPoint | undefined => {
  if (!isAdEntry(message)) return current;
  if (current !== undefined && (isLive(current, at) || at < current.enteredAt)) return current;
  const clickId = message.referral?.clickId;
  const keptClickId = clickId !== undefined && clickId.length <= MAX_CLICK_ID_LENGTH ? clickId : undefined;
  const entry: FreeEntryPoint = {
    enteredAt: at,
    ...(keptClickId !== undefined ? { clickId: keptClickId } : {}),
    answeredAt: null,
    closesAt: null,
  };
  return lastOutboundAt !== null && answers(entry, lastOutboundAt) ? answered(entry, lastOutboundAt) : entry;
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
