import { AD_REPLY_WINDOW_HOURS, type AdReplyWindow } from '#shared/contract/conversation.ts';
import type { Message } from '#shared/contract/types.ts';
import { addHours } from './time.ts';

/*
 * The 7-day window after a click-to-Messenger or click-to-Instagram-Direct ad, as the conversation
 * remembers it (the rule is documented on AdReplyWindowSchema). Pure: the remembered window and one
 * customer message's provider time in, the window to keep out.
 *
 * Meta opens it with "a person sending their first message after clicking" the ad, and that message
 * carries the ad's referral (`source: ADS`; a Get Started tap after the ad, a postback with that
 * referral, is the customer's first message in the hub too). Each such message opens 7 days from
 * its own time, so the window kept is the newest one's: a maximum, the same whatever order the
 * messages are recorded in (an older ad message recorded late changes nothing, a later one moves
 * the window on). A customer message without the referral opens nothing here (its 24 hours are the
 * reply window's), and does not close the ad's: Meta's text bounds it by "up to 7 days from that
 * message" only.
 *
 * Not counted: a standalone referral (`contact.referred`, Meta's `messaging_referrals`, sent when a
 * customer who already has a thread comes back through an ad) followed by a message without a
 * referral of its own. The recorder keeps only messages on the conversation, and pairing the two
 * would need the referral kept there too (README, Known limitations).
 */

/** A customer message from a click-to-Messenger or click-to-Instagram-Direct ad: Meta's referral with `source: ADS`. */
const isAdMessage = (message: Pick<Message, 'channel' | 'referral'>): boolean =>
  message.channel === 'messenger' && message.referral?.source === 'ADS';

/**
 * Meta's ad ids are numbers of under 20 digits; a signed body can make one any length, and the
 * conversation item keeps the window: a longer one is no ad id of theirs, and the window is kept
 * without it (the message event carries it whole).
 */
const MAX_AD_ID_LENGTH = 64;

/** A customer message: one from an ad newer than the remembered one opens the window anew. */
export const adReplyWindowOnInbound = (
  current: AdReplyWindow | undefined,
  message: Pick<Message, 'channel' | 'referral'>,
  at: string,
): AdReplyWindow | undefined => {
  if (!isAdMessage(message)) return current;
  // Not newer (recorded late, or the same instant): the remembered window reaches at least as far.
  if (current !== undefined && at <= current.enteredAt) return current;
  const adId = message.referral?.adId;
  return {
    enteredAt: at,
    ...(adId !== undefined && adId.length <= MAX_AD_ID_LENGTH ? { adId } : {}),
    closesAt: addHours(at, AD_REPLY_WINDOW_HOURS),
  };
};

/** The ad's window is open at `now`: a reply may go without a tag. */
export const isAdReplyWindowOpen = (window: AdReplyWindow | undefined, now: Date): boolean =>
  window !== undefined && now.getTime() < Date.parse(window.closesAt);
