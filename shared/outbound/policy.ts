import type { OutboundPart, SendMessageData } from '#shared/contract/commands.ts';
import { REPLY_WINDOW_HOURS } from '#shared/contract/conversation.ts';
import type { ConversationState, SendFailureReason } from '#shared/contract/types.ts';
import { isAdReplyWindowOpen } from '#shared/domain/ad-reply-window.ts';
import { isFreeEntryOpen } from '#shared/domain/free-entry.ts';
import type { ContactConsent } from '#shared/store/registers.ts';
import type { SendPolicy } from './channel-sender.ts';

/*
 * What may be sent in a conversation now: the providers' rules about time and consent, decided
 * before any provider is called so that a refusal costs nothing and names its reason. The channel
 * senders check content (sizes, counts, template shapes); this file checks everything that depends
 * on the conversation.
 */

/** Messenger's human-agent tag: a person may answer up to 7 days after the customer's last message. */
const HUMAN_AGENT_HOURS = 7 * 24;
const HOUR_MS = 3_600_000;

export interface PolicyRefusal {
  readonly ok: false;
  readonly reason: Extract<SendFailureReason, 'window_closed' | 'opted_out' | 'deadline_exceeded'>;
  readonly retryable: boolean;
  readonly failedField?: string;
  /** Safe to log and show: never the customer's text. */
  readonly detail: string;
}

export type PolicyDecision = { readonly ok: true; readonly policy: SendPolicy } | PolicyRefusal;

const isTemplate = (part: OutboundPart): boolean => part.type === 'template';

const hoursSince = (at: string | null, now: Date): number =>
  at === null ? Number.POSITIVE_INFINITY : (now.getTime() - Date.parse(at)) / HOUR_MS;

/**
 * WhatsApp after its 24 hours: only a template may go. A click-to-WhatsApp ad's free entry point
 * (72 hours after the business's answer within 24 hours) makes messages free of charge, but Meta
 * still refuses free-form ones outside the 24 hours (131047), so it opens no wider window here;
 * the refusal says the templates are free.
 */
const whatsAppClosedDetail = (conversation: ConversationState, now: Date): string => {
  const base = 'more than 24 hours since the customer last wrote: only an approved template may go';
  const entry = conversation.freeEntryPoint;
  return isFreeEntryOpen(entry, now) && entry?.closesAt
    ? `${base} (free of charge until ${entry.closesAt}: click-to-WhatsApp free entry point)`
    : base;
};

/**
 * Messenger and Instagram after the window: only a human agent's reply within 7 days of the
 * customer's last message, with the HUMAN_AGENT tag. The refusal names an ad's window that has
 * closed, so a helpdesk that saw `adReplyWindow` knows why it no longer counts.
 */
const messengerClosedDetail = (conversation: ConversationState): string => {
  const base =
    'more than 24 hours since the customer last wrote, reacted or came back through a link (7 days since they wrote for a human agent)';
  const ad = conversation.adReplyWindow;
  return ad === undefined
    ? base
    : `${base}; the click-to-Messenger ad's 7-day window closed at ${ad.closesAt}`;
};

/**
 * A template a marketing opt-out refuses: one the helpdesk says is marketing, or one it gives no
 * category for (the hub cannot tell, and refusing is the side that keeps the customer's word).
 */
const mayBeMarketing = (part: OutboundPart): boolean =>
  part.type === 'template' && (part.category === undefined || part.category === 'marketing');

/**
 * Whether the contact's consent can change the decision: SMS (a STOP refuses everything), e-mail (a
 * complaint or an unsubscribe refuses replies until the customer writes again, authenticated) and a WhatsApp
 * template that may be marketing (a marketing opt-out refuses it). Otherwise the consent is not read.
 */
export const consentMatters = (command: SendMessageData, channel: ConversationState['channel']): boolean =>
  channel === 'sms' || channel === 'email' || (channel === 'whatsapp' && command.parts.some(mayBeMarketing));

/**
 * An e-mail opt-out (the customer marked the business's mail as spam, or unsubscribed at Mailgun)
 * that still stands: the customer has not written since in a mail whose From their domain
 * authenticated (`lastAuthenticatedInboundAt`, see vouchesForContact). A customer who writes again
 * asks for an answer, so their newer message lifts it for the replies to it; a mail anyone could have
 * forged (no DMARC PASS, a Reply-To, Mailgun's unverified mail) does not, and the helpdesk records
 * the customer's consent instead (SES's own account suppression list, where a deployment keeps one,
 * may still drop the mail: its bounce, or its complaint of subtype OnAccountSuppressionList, then
 * comes back as the message's `failed` status).
 */
const emailOptOutStands = (conversation: ConversationState, consent: ContactConsent): boolean => {
  const optOut = consent.emailConsent;
  if (optOut?.consent !== 'opted_out') return false;
  const wrote = conversation.lastAuthenticatedInboundAt;
  return wrote === undefined || Date.parse(wrote) <= Date.parse(optOut.at);
};

/**
 * The rules, in the order a person would check them: the deadline, the customer's consent, the
 * channel's window. Pure: the conversation, the contact's consent and the clock are passed in.
 */
export const decideSendPolicy = (input: {
  readonly command: SendMessageData;
  readonly conversation: ConversationState;
  readonly consent: ContactConsent;
  readonly now: Date;
  /**
   * Decided again before a later message of the command: the part that message is of (0, every
   * part, before any call). The rules that look at parts look at it and those after it only: the
   * parts before it went, and are not sent again (a text that went inside the window does not keep
   * the template after it from going outside it). A part partly sent (a long text's first pieces)
   * is still to send.
   */
  readonly fromPart?: number;
}): PolicyDecision => {
  const { command, conversation, consent, now, fromPart = 0 } = input;
  /** The first part still to send that `test` holds for, by its index in the command; -1 if none. */
  const firstUnsent = (test: (part: OutboundPart) => boolean): number =>
    command.parts.findIndex((part, index) => index >= fromPart && test(part));
  if (command.deadline !== undefined && Date.parse(command.deadline) <= now.getTime()) {
    return {
      ok: false,
      reason: 'deadline_exceeded',
      retryable: false,
      failedField: 'deadline',
      detail: 'the deadline passed before the hub could send',
    };
  }
  if (conversation.channel === 'sms' && consent.smsConsent?.consent === 'opted_out') {
    // STOP: carriers and Twilio refuse everything until the customer sends START.
    return { ok: false, reason: 'opted_out', retryable: false, detail: 'the customer replied STOP' };
  }
  if (conversation.channel === 'email' && emailOptOutStands(conversation, consent)) {
    return {
      ok: false,
      reason: 'opted_out',
      retryable: false,
      detail:
        'the customer marked the mail as spam or unsubscribed, and has not written since in a mail whose From their domain authenticated (DMARC); record their opt-in (POST /v1/contacts/{contactId}/consent) if they asked to hear from you',
    };
  }
  if (conversation.channel === 'whatsapp' && consent.whatsapp_marketingConsent?.consent === 'opted_out') {
    const marketing = firstUnsent(mayBeMarketing);
    if (marketing >= 0) {
      return {
        ok: false,
        reason: 'opted_out',
        retryable: false,
        failedField: `parts.${marketing}`,
        detail:
          'the customer stopped marketing messages; utility and authentication templates still go (name the category: one without it counts as marketing)',
      };
    }
  }
  const windowHours = REPLY_WINDOW_HOURS[conversation.channel];
  const age = hoursSince(conversation.lastInboundAt, now);
  // Messenger and Instagram: a reaction or an m.me link's click opens the 24 hours too
  // (shared/domain/window-actions.ts); until 2026-12-06 only messages did, found by a review.
  const { lastActionAt } = conversation.replyWindow;
  const standardAge = lastActionAt === undefined ? age : Math.min(age, hoursSince(lastActionAt, now));
  const withinStandardHours = windowHours === null || standardAge < windowHours;
  // After the 24 hours a human agent's reply goes with HUMAN_AGENT, which Meta always allows within 7
  // days of the customer's last message; the window after a click-to-Messenger ad "may last up to 7
  // days" (Meta decides), so it carries the replies that have no tag: a bot's, the system's.
  const humanAgentTag =
    !withinStandardHours &&
    conversation.channel === 'messenger' &&
    command.sender.kind === 'agent' &&
    age < HUMAN_AGENT_HOURS;
  const adWindowOpen = isAdReplyWindowOpen(conversation.adReplyWindow, now);
  const withinWindow = withinStandardHours || (!humanAgentTag && adWindowOpen);
  if (humanAgentTag && !adWindowOpen) {
    // A reaction is a sender action: it carries no messaging_type and no tag, so HUMAN_AGENT cannot
    // cover it (outbound.md §1.2, §7.5); it goes only where an untagged message would, the 24 hours or
    // an ad's 7 days. Until 2026-12-07 an agent's reaction went after them, found by a review.
    const reaction = firstUnsent((part) => part.type === 'reaction');
    if (reaction >= 0) {
      return {
        ok: false,
        reason: 'window_closed',
        retryable: false,
        failedField: `parts.${reaction}`,
        detail: `${messengerClosedDetail(conversation)}; a reaction carries no HUMAN_AGENT tag, so only the agent's messages may go`,
      };
    }
  }
  if (!withinWindow && !humanAgentTag) {
    const freeForm = firstUnsent((part) => !isTemplate(part));
    if (freeForm >= 0 || conversation.channel === 'messenger') {
      return {
        ok: false,
        reason: 'window_closed',
        // Messenger has no templates: after the window only a human agent's reply (7 days) may go.
        retryable: false,
        failedField: `parts.${freeForm >= 0 ? freeForm : fromPart}`,
        detail:
          conversation.channel === 'messenger'
            ? messengerClosedDetail(conversation)
            : whatsAppClosedDetail(conversation, now),
      };
    }
  }
  return { ok: true, policy: { withinWindow, humanAgentTag } };
};
