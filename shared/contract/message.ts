import { z } from 'zod';
import {
  BusinessEndpointSchema,
  ChannelSchema,
  ContactIdSchema,
  ContactSchema,
  ProviderErrorSchema,
  ProviderSchema,
  TimestampSchema,
} from './common.ts';
import { MediaPartSchema, MessagePartSchema } from './parts.ts';

export const EmailAddressSchema = z.object({ address: z.string(), name: z.string().optional() });
export type EmailAddress = z.infer<typeof EmailAddressSchema>;

/** What only e-mail has: headers for threading, both bodies, and the reply with quoted history stripped. */
export const EmailDetailsSchema = z
  .object({
    subject: z.string(),
    from: EmailAddressSchema,
    to: z.array(EmailAddressSchema),
    cc: z.array(EmailAddressSchema),
    replyTo: z.array(EmailAddressSchema),
    /** `Message-ID` header without angle brackets. */
    messageIdHeader: z.string().optional(),
    inReplyTo: z.string().optional(),
    references: z.array(z.string()),
    /** Plain-text body as sent (or derived from HTML when only HTML was sent). */
    textBody: z.string().optional(),
    htmlBody: z.string().optional(),
    /** Payload-bucket key of the plain-text body when it was too large to travel in the event. */
    textBodyKey: z.string().optional(),
    /** Payload-bucket key of the HTML body when it was too large to travel in the event. */
    htmlBodyKey: z.string().optional(),
    /** The new text of this e-mail: quoted history and signature delimiter stripped. */
    replyText: z.string().optional(),
    /** Auto-Submitted / X-Autoreply / Precedence: auto_reply messages. */
    isAutoReply: z.boolean(),
    /** Delivery status notifications (bounces). */
    isBounce: z.boolean(),
    /** Verdicts the receiving service attached (SES spf/dkim/dmarc/spam/virus, Mailgun spam score…). */
    verdicts: z.record(z.string(), z.string()).optional(),
    /** True when the receiving service's DMARC check passed (SES) on a mail with one From header naming one mailbox, the one `from` holds and the one the service read itself: the From's domain vouched for the mail. Absent otherwise (Mailgun passes no verdicts). Only such a mail lifts the customer's e-mail opt-out. */
    fromAuthenticated: z.literal(true).optional(),
    /** Where the full raw MIME is kept. */
    rawMimeKey: z.string().optional(),
    attachments: z.array(MediaPartSchema),
  })
  .meta({ id: 'EmailDetails' });
export type EmailDetails = z.infer<typeof EmailDetailsSchema>;

export const MessageReferenceSchema = z
  .object({
    providerMessageId: z.string(),
    /** The sender of the quoted message, when the provider says (WhatsApp `context.from`). */
    from: z.string().optional(),
  })
  .meta({ id: 'MessageReference' });

const ReferredProductSchema = z
  .object({
    catalogId: z.string(),
    /** The product's id in the catalog (the business's SKU), as Meta's `product_retailer_id`. */
    productRetailerId: z.string(),
  })
  .meta({ id: 'ReferredProduct' });

export const ReferralSchema = z
  .object({
    /** ad, shortlink (m.me), customer_chat_plugin, post, ctwa… as the provider names it. */
    source: z.string().optional(),
    type: z.string().optional(),
    ref: z.string().optional(),
    adId: z.string().optional(),
    sourceUrl: z.string().optional(),
    headline: z.string().optional(),
    body: z.string().optional(),
    clickId: z.string().optional(),
    /** The ad's or post's media: image or video (WhatsApp `media_type`). */
    mediaType: z.string().optional(),
    /**
     * The ad's media as the provider serves it (WhatsApp `image_url`, `video_url`, `thumbnail_url`;
     * Messenger `ads_context_data.photo_url`, `video_url`). Data only: the hub fetches none of them.
     */
    imageUrl: z.string().optional(),
    videoUrl: z.string().optional(),
    thumbnailUrl: z.string().optional(),
    /** The text a click-to-WhatsApp ad greeted the customer with (`welcome_message.text`). */
    welcomeMessage: z.string().optional(),
    /** The post the ad was made from, or the post itself (WhatsApp `source_id` of a post). */
    postId: z.string().optional(),
    /**
     * The catalog product the customer came from: the one a Messenger product ad shows
     * (`ads_context_data.product_id`), or the Shops product they messaged the page from
     * (`referral.product.id`).
     */
    productId: z.string().optional(),
    /** The welcome message flow a click-to-Messenger ad starts (`ads_context_data.flow_id`). */
    flowId: z.string().optional(),
  })
  .meta({ id: 'Referral' });
export type Referral = z.infer<typeof ReferralSchema>;

/**
 * One message in the common format. Inbound (customer → business) and outbound (business →
 * customer, including replies made outside the hub that providers echo back) share it.
 */
export const MessageSchema = z
  .object({
    /** Stable hub id: derived from channel + provider message id, so retries map to the same id. */
    hubMessageId: z.string().min(1),
    channel: ChannelSchema,
    provider: ProviderSchema,
    direction: z.enum(['inbound', 'outbound']),
    endpoint: BusinessEndpointSchema,
    contact: ContactSchema,
    /**
     * The hub's id of the person (`ct_…`), the same on every channel where they share a phone number
     * or an e-mail address. Set on the helpdesk stream (the recorder knows the conversation).
     */
    contactId: ContactIdSchema.optional(),
    conversationId: z.string().min(1),
    providerMessageId: z.string().min(1),
    /** When the provider says the message was sent. Null when the provider gives no time. */
    providerTimestamp: TimestampSchema.nullable(),
    /** When the hub's webhook received it. Never mixed with providerTimestamp. */
    receivedAt: TimestampSchema,
    /** The message this one replies to or quotes. */
    replyTo: MessageReferenceSchema.optional(),
    forwarded: z.boolean().optional(),
    frequentlyForwarded: z.boolean().optional(),
    /** The catalog product the customer asks about (WhatsApp product enquiry, `context.referred_product`). */
    referredProduct: ReferredProductSchema.optional(),
    referral: ReferralSchema.optional(),
    /**
     * Inbound only: the whole message is a consent keyword (an SMS STOP, START or HELP, in any
     * language the hub knows, or what Twilio's `OptOutType` names), which its own
     * `contact.consent_changed` reports too. An opt-out keyword is an instruction to the provider
     * and the hub, not a question for the business (which may not text the customer after it): it
     * starts no wait for an answer and reopens nothing.
     */
    consentKeyword: z.enum(['opted_out', 'opted_in', 'help_requested']).optional(),
    /**
     * Outbound only. `hub`: sent by an app the deployer marked as this hub's (not counted twice);
     * `external`: sent from the page inbox, the phone, the WhatsApp Business app or another tool.
     */
    sentBy: z.enum(['hub', 'external']).optional(),
    /** Provider app id that sent an echo, when given. */
    senderAppId: z.string().optional(),
    /** Sent through the hub: the caller's idempotency key and the command's id. */
    idempotencyKey: z.string().optional(),
    commandId: z.string().optional(),
    /**
     * Sent through the hub: when the hub took the command, before any of its provider messages went:
     * the earlier of when the outbox queued it (SQS's clock) and when the sender first took it (the
     * hub's), which for a command queued behind an earlier one of its conversation (the outbox is
     * FIFO per conversation) is later. `providerTimestamp` and `receivedAt` are when its last one was
     * accepted, which for a command of several parts, or one that waited on a rate or a retry, is
     * minutes later. The answer covers (reads, ends the wait for) the customer's messages the hub
     * received up to `takenAt`, not those that came in while it waited or went out: whoever wrote it
     * could not have read them. Absent on other messages, and on sends published until 2026-12-06
     * (then covered up to `receivedAt`).
     */
    takenAt: TimestampSchema.optional(),
    /**
     * Sent through the hub: every provider message the hub's message became, in order (a long text
     * split in several, a command of several parts); `providerMessageId` is the first.
     */
    providerMessageIds: z.array(z.string()).optional(),
    /**
     * An echo of a message the hub sent: what it sent along (`<hubMessageId>.<sequence>`, Messenger
     * `metadata`), naming the hub message the echo is of.
     */
    correlationId: z.string().optional(),
    parts: z.array(MessagePartSchema),
    email: EmailDetailsSchema.optional(),
    errors: z.array(ProviderErrorSchema).optional(),
  })
  .meta({ id: 'Message', description: 'A message in the common Switchboard format.' });
export type Message = z.infer<typeof MessageSchema>;
