import type { HubEvent } from '#shared/contract/index.ts';
import { occurredAt } from './time.ts';

/*
 * The customer's actions other than a message that open Meta's 24-hour standard messaging window on
 * Messenger and Instagram (the conversation keeps the newest one's time: `replyWindow.lastActionAt`,
 * shared/domain/conversation.ts). Meta's list of the user actions that open the window names, beside
 * a message: reacting to a message, and clicking an m.me (ig.me) link into the existing thread, which
 * the `messaging_referrals` webhook announces ("when the user already has a thread with the bot and
 * user comes to the thread from" an m.me link, an ad or the chat plugin), as a conversation started
 * from the chat plugin is. An ad's click opens the window only with the message sent after it (that
 * message's own referral: ad-reply-window.ts), so a referral from an ad is not one. On WhatsApp Meta
 * opens the window when the customer writes or calls, nothing else.
 */

/** A customer action that opens the window: in which conversation, and when (as `occurredAt` believes it). */
export interface WindowAction {
  readonly conversationId: string;
  readonly at: string;
}

/** Meta's `source` of a click-to-Messenger or click-to-Instagram-Direct ad's referral. */
const AD_SOURCE = 'ADS';

/** The action the event reports, if it opens the window; undefined for every other event. */
export const windowActionOf = (event: HubEvent): WindowAction | undefined => {
  if (event.type === 'switchboard.message.reaction_changed') {
    const { data } = event;
    // Reacting opens it; taking a reaction back is not named.
    return data.channel === 'messenger' && data.actor === 'customer' && data.action === 'added'
      ? { conversationId: data.conversationId, at: occurredAt(event) }
      : undefined;
  }
  if (event.type === 'switchboard.contact.referred') {
    const { data } = event;
    const fromAd = data.referral.source?.toUpperCase() === AD_SOURCE || data.referral.adId !== undefined;
    return data.channel === 'messenger' && !fromAd
      ? { conversationId: data.conversationId, at: occurredAt(event) }
      : undefined;
  }
  return undefined;
};
