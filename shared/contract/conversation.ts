import { z } from 'zod';
import {
  BusinessEndpointSchema,
  ChannelSchema,
  ContactIdSchema,
  ContactSchema,
  ProviderSchema,
  TimestampSchema,
} from './common.ts';

export const ConversationStatusSchema = z.enum(['open', 'pending', 'snoozed', 'resolved']);
export type ConversationStatus = z.infer<typeof ConversationStatusSchema>;

export const ConversationPrioritySchema = z.enum(['low', 'normal', 'high', 'urgent']);
export type ConversationPriority = z.infer<typeof ConversationPrioritySchema>;

/** Labels a conversation carries at most, and how long each may be. */
export const MAX_LABELS = 20;
export const LabelSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\s,]+$/, 'no spaces or commas');

/** Who helps the customer: an agent's, bot's or team's id in the helpdesk (the hub does not interpret it). */
export const AssigneeSchema = z.string().min(1).max(256);

/** Who changed a conversation: the helpdesk's agent, bot or system, or the hub itself (`kind: system`). */
export const ChangeActorSchema = z
  .object({ kind: z.enum(['agent', 'bot', 'system']), id: z.string().min(1).max(256) })
  .meta({ id: 'ChangeActor' });
export type ChangeActor = z.infer<typeof ChangeActorSchema>;

/** The hub's own actors' ids start with this (`switchboard:snooze-timer`); no helpdesk may name one. */
export const HUB_ACTOR_ID_PREFIX = 'switchboard:';

/** What a helpdesk can change on a conversation. */
export const CONVERSATION_FIELDS = ['status', 'snoozedUntil', 'assignee', 'labels', 'priority'] as const;
export const ConversationFieldSchema = z.enum(CONVERSATION_FIELDS);
export type ConversationField = z.infer<typeof ConversationFieldSchema>;

/** Hours a business may answer freely after the customer's last message, per channel; null = no window. */
export const REPLY_WINDOW_HOURS: Readonly<Record<'messenger' | 'whatsapp' | 'sms' | 'email', number | null>> =
  {
    messenger: 24,
    whatsapp: 24,
    sms: null,
    email: null,
  };

/**
 * WhatsApp's free entry point (Meta pricing): a customer who writes from a click-to-WhatsApp ad
 * (the message's referral has `source: ad`) and gets an answer within 24 hours opens a 72-hour
 * window, counted from that answer, in which the business's messages, templates included, are
 * free. It is a price, not a permission: free-form messages still need the 24-hour reply window.
 */
export const FREE_ENTRY_REPLY_HOURS = 24;
export const FREE_ENTRY_WINDOW_HOURS = 72;

export const FreeEntryPointSchema = z
  .object({
    /** Provider time of the customer's message from the ad. */
    enteredAt: TimestampSchema,
    /** The ad's click id (`ctwa_clid`), when Meta gave one. */
    clickId: z.string().optional(),
    /** Provider time of the business's first answer within 24 hours; null while there is none. */
    answeredAt: TimestampSchema.nullable(),
    /** 72 hours after that answer; null while unanswered (or when the answer came too late). */
    closesAt: TimestampSchema.nullable(),
  })
  .meta({ id: 'FreeEntryPoint' });
export type FreeEntryPoint = z.infer<typeof FreeEntryPointSchema>;

/**
 * Messenger and Instagram: Meta's standard messaging window lasts 24 hours after most customer
 * actions, but after "a person sending their first message after clicking a Click-to-Messenger or
 * Click-to-Direct ad" it "may last up to 7 days from that message" (Messenger Platform policy,
 * updated 2026-09-28). That message carries the ad's referral (`source: ADS`); the hub lets a reply
 * without a tag go until 7 days after it, and Meta decides in the end (its refusal ends
 * `window_closed`).
 */
export const AD_REPLY_WINDOW_HOURS = 7 * 24;

export const AdReplyWindowSchema = z
  .object({
    /** Provider time of the customer's newest message from an ad. */
    enteredAt: TimestampSchema,
    /** The ad's id (`ad_id`), when Meta gave one. */
    adId: z.string().optional(),
    /** 7 days after that message: until then a reply may go without a tag. */
    closesAt: TimestampSchema,
  })
  .meta({ id: 'AdReplyWindow' });
export type AdReplyWindow = z.infer<typeof AdReplyWindowSchema>;

export const ConversationStateSchema = z
  .object({
    conversationId: z.string().min(1),
    channel: ChannelSchema,
    /** The provider the conversation runs through (WhatsApp: Meta or Twilio; e-mail: SES or Mailgun): replies go through it. Absent on conversations recorded before it was kept. */
    provider: ProviderSchema.optional(),
    endpoint: BusinessEndpointSchema,
    contact: ContactSchema,
    /** The hub's id of the person (`ct_…`): one across channels (same phone number or e-mail address). */
    contactId: ContactIdSchema,
    status: ConversationStatusSchema,
    createdAt: TimestampSchema,
    /** Provider time of the newest message either way. */
    lastMessageAt: TimestampSchema.nullable(),
    /**
     * When the hub received (on its own clock: each message's `receivedAt`) the first and the last to
     * come in of the conversation's recorded messages, either way; what tells a conversation created
     * again after an erasure from the erased one (`version`). Unlike `createdAt` and `lastMessageAt`
     * they are no provider's or sender's clock. Absent on conversations created before 2026-12-06,
     * which never gain them (their earlier messages' receipts are not known).
     */
    firstReceivedAt: TimestampSchema.optional(),
    lastReceivedAt: TimestampSchema.optional(),
    /** Provider time of the newest customer message (an e-mail auto-reply or bounce is not one). */
    lastInboundAt: TimestampSchema.nullable(),
    /** E-mail: time of the newest message whose From is the address replies go to and whose From domain the receiving service authenticated (`email.fromAuthenticated`: an SES receipt's DMARC PASS), at the earlier of its Date and its arrival. Only such a message lifts an e-mail opt-out: a From or Reply-To header is anyone's to write. Absent on other channels, until such a message, and with Mailgun, which passes no verdicts. */
    lastAuthenticatedInboundAt: TimestampSchema.optional(),
    replyWindow: z.object({
      /** False on channels without a window (SMS, e-mail). */
      applies: z.boolean(),
      /** When free-form replies stop being allowed: 24 hours after the customer's last message (Messenger and Instagram: or after `lastActionAt` when later, and `adReplyWindow.closesAt` when that is later still); null when no window applies or the customer has done nothing yet. */
      closesAt: TimestampSchema.nullable(),
      /** Messenger and Instagram: the customer's newest action other than a message that Meta counts as opening its 24-hour window (a reaction to a message; an m.me or ig.me link, or the chat plugin, opening their existing thread: a `contact.referred` that is not an ad's); absent until one (and on states recorded before 2026-12-06). */
      lastActionAt: TimestampSchema.optional(),
    }),
    /** WhatsApp: the newest click-to-WhatsApp ad entry; absent when the customer never came from an ad (and on states recorded before it was kept). */
    freeEntryPoint: FreeEntryPointSchema.optional(),
    /** Messenger and Instagram: the window of the newest customer message from a click-to-Messenger or click-to-Instagram-Direct ad (7 days from it); absent when the customer never wrote from an ad (and on states recorded before 2026-12-05). */
    adReplyWindow: AdReplyWindowSchema.optional(),
    /** Customer messages since the business last answered. */
    unreadCount: z.number().int().nonnegative(),
    messageCount: z.number().int().nonnegative(),
    firstResponseAt: TimestampSchema.nullable(),
    /** Seconds from the first customer message to the first business answer. */
    firstResponseSeconds: z.number().nonnegative().nullable(),
    /** The helpdesk's assignee (an agent, bot or team id), null when nobody is assigned. */
    assignee: AssigneeSchema.nullable(),
    labels: z.array(LabelSchema).max(MAX_LABELS),
    priority: ConversationPrioritySchema.nullable(),
    /** With status `snoozed`: when the hub reopens the conversation by itself. */
    snoozedUntil: TimestampSchema.nullable(),
    /** The oldest customer message not answered yet (its provider time, or its arrival when that came first; an opt-out keyword, such as an SMS STOP, and an e-mail auto-reply or bounce ask for no answer); null when nothing waits. */
    waitingSince: TimestampSchema.nullable(),
    /**
     * Monotonic per conversation: consumers keep the state with the highest version. A conversation
     * erased with its person and created again under its id (the customer writes again) counts from 1
     * again: a state whose `firstReceivedAt` is later than the kept state's `lastReceivedAt` is of the
     * new conversation, one whose `lastReceivedAt` is earlier than the kept state's `firstReceivedAt`
     * of the erased one (every state of one conversation spans the hub's receipt of its first recorded
     * message, and the erased conversation's messages came in before the new one's first). Receipts
     * are compared only when both states carry them; when either lacks them (a conversation created
     * before 2026-12-06, or a state published by a function still on older code during a deploy or
     * after a rollback, which drops them), both are compared by provider times instead: `createdAt`
     * for the first and `lastMessageAt` (else `createdAt`) for the last, never one state's receipt
     * with the other's provider time (which comes before its receipt). Until 2026-12-06 the rule
     * compared only those provider times, so a new conversation whose first message was dated before
     * the erased one's last (a sender's clock behind, a provider's late retry) lost to it.
     */
    version: z.number().int().positive(),
  })
  .meta({ id: 'ConversationState', description: "A conversation's state after an event was applied." });
export type ConversationState = z.infer<typeof ConversationStateSchema>;
