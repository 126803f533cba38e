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
import {
  ChangeActorSchema,
  ConversationFieldSchema,
  ConversationStateSchema,
  ConversationStatusSchema,
} from './conversation.ts';
import { EVENT_TYPES, type EventType } from './event-types.ts';
import { MessageSchema, ReferralSchema } from './message.ts';
import { MediaPartSchema, MessagePartSchema } from './parts.ts';

export { EVENT_TYPES, type EventType } from './event-types.ts';

/** What every conversation-scoped event carries besides its own facts. */
const conversationContext = {
  channel: ChannelSchema,
  provider: ProviderSchema,
  endpoint: BusinessEndpointSchema,
  contact: ContactSchema,
  conversationId: z.string().min(1),
  /** When the provider says it happened; null when the provider gives no time. */
  providerTimestamp: TimestampSchema.nullable(),
  /** When the hub received it. */
  receivedAt: TimestampSchema,
};

/** Normalized delivery statuses; `providerStatus` keeps the provider's own word. */
export const DeliveryStatusSchema = z.enum(['queued', 'sent', 'failed', 'delivered', 'read', 'played']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

/**
 * Statuses only move forward along this rank. `failed` sits below `delivered`: a provider that
 * reports delivered after failed (Twilio retries, out-of-order callbacks) did deliver. Except on
 * e-mail (deliveryStatusRank).
 */
export const DELIVERY_STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = {
  queued: 0,
  sent: 1,
  failed: 2,
  delivered: 3,
  read: 4,
  played: 5,
};

/**
 * The e-mail failures its sending provider reports itself: an SES Bounce, a Mailgun permanent
 * failure. A bounce report mailed to the hub is not one (anyone who knows the Message-ID can write
 * one).
 */
const PROVIDER_EMAIL_FAILURES: ReadonlySet<string> = new Set(['Bounce', 'failed:permanent']);

/**
 * A status's rank on a channel. On e-mail a failure its provider reports (PROVIDER_EMAIL_FAILURES)
 * sits above `delivered` (below `read`): an e-mail provider's "delivered" is the receiving server's
 * acceptance, and that server may still bounce the mail (an SES Bounce after its Delivery), while a
 * failure an e-mail provider may recover from (a Mailgun temporary failure, an SES DeliveryDelay) is
 * `queued`, never `failed`.
 */
export const deliveryStatusRank = (
  channel: string,
  status: DeliveryStatus,
  providerStatus?: string,
): number =>
  channel === 'email' && status === 'failed' && PROVIDER_EMAIL_FAILURES.has(providerStatus ?? '')
    ? 3.5
    : DELIVERY_STATUS_RANK[status];

export const MessageStatusDataSchema = z
  .object({
    ...conversationContext,
    status: DeliveryStatusSchema,
    providerStatus: z.string(),
    /** The messages this status is about (WhatsApp wamid, Twilio SID, Messenger `mids`). */
    providerMessageIds: z.array(z.string()),
    /** Messenger reads/deliveries: every message sent up to this time has the status. */
    watermark: TimestampSchema.optional(),
    /** What the hub sent along with its own message and the provider echoed (its hub message id): the status is of that message. */
    correlationId: z.string().optional(),
    errors: z.array(ProviderErrorSchema).optional(),
    pricing: z
      .object({
        billable: z.boolean().optional(),
        pricingModel: z.string().optional(),
        category: z.string().optional(),
        type: z.string().optional(),
      })
      .optional(),
  })
  .meta({ id: 'MessageStatusData' });

/** Why the hub did not send a command's message, normalized across providers. */
export const SendFailureReasonSchema = z.enum([
  'window_closed',
  'opted_out',
  'template_invalid',
  'content_invalid',
  'recipient_invalid',
  'recipient_unreachable',
  'rate_limited',
  'credentials',
  'deadline_exceeded',
  'outcome_unknown',
  'provider_error',
  'conversation_unknown',
]);
export type SendFailureReason = z.infer<typeof SendFailureReasonSchema>;

export const SendFailedDataSchema = z
  .object({
    channel: ChannelSchema.optional(),
    provider: ProviderSchema.optional(),
    endpoint: BusinessEndpointSchema.optional(),
    contact: ContactSchema.optional(),
    conversationId: z.string().min(1),
    /** The hub message id the command was given when it was accepted. */
    hubMessageId: z.string().min(1),
    idempotencyKey: z.string(),
    commandId: z.string(),
    reason: SendFailureReasonSchema,
    /** Whether the same command, sent again (with a new idempotency key), could succeed. */
    retryable: z.boolean(),
    /** The command field that was refused (`parts.0.text`, `conversationId`, `idempotencyKey` when the key already stands for other content…), for content and conversation errors. */
    failedField: z.string().optional(),
    /** The part that failed; parts before it were sent. */
    partIndex: z.number().int().nonnegative().optional(),
    /** Provider messages already sent for the parts before the one that failed. */
    sentProviderMessageIds: z.array(z.string()).optional(),
    /** What the provider said: its code, title, message and details, as it said them. */
    errors: z.array(ProviderErrorSchema).optional(),
    providerTimestamp: TimestampSchema.nullable(),
    /** When the hub gave up. */
    receivedAt: TimestampSchema,
  })
  .meta({ id: 'SendFailedData' });

export const ReactionDataSchema = z
  .object({
    ...conversationContext,
    action: z.enum(['added', 'removed']),
    /** Absent on removal when the provider does not say which emoji was removed. */
    emoji: z.string().optional(),
    targetProviderMessageId: z.string(),
    actor: z.enum(['customer', 'business']),
  })
  .meta({ id: 'ReactionData' });

export const MessageEditedDataSchema = z
  .object({
    ...conversationContext,
    targetProviderMessageId: z.string(),
    /** Id of the edit itself when the provider gives one. */
    editProviderMessageId: z.string().optional(),
    parts: z.array(MessagePartSchema),
    actor: z.enum(['customer', 'business']),
  })
  .meta({ id: 'MessageEditedData' });

export const MessageDeletedDataSchema = z
  .object({
    ...conversationContext,
    targetProviderMessageId: z.string(),
    actor: z.enum(['customer', 'business']),
  })
  .meta({ id: 'MessageDeletedData' });

/** Why an inbound attachment could not be copied into the hub's bucket. */
export const MediaFailureReasonSchema = z.enum([
  /** The provider no longer has it (a WhatsApp media id or a CDN URL past its life, a deleted Twilio media). */
  'expired',
  /** Larger than the provider's own maximum for its kind (WhatsApp documents: 100 MB). */
  'too_large',
  /** The provider refused the hub's credentials, or the URL is not one the hub may fetch. */
  'forbidden',
  /** The bytes do not hash to the sha256 the provider announced. */
  'checksum_mismatch',
  /** The provider kept failing (server errors, timeouts) until the hub gave up. */
  'provider_error',
]);
export type MediaFailureReason = z.infer<typeof MediaFailureReasonSchema>;

/** What both attachment outcomes name: the message, its conversation and the part. */
const mediaContext = {
  channel: ChannelSchema,
  provider: ProviderSchema,
  endpoint: BusinessEndpointSchema,
  conversationId: z.string().min(1),
  hubMessageId: z.string().min(1),
  /** The part's position in the message's `parts`. */
  partIndex: z.number().int().nonnegative(),
};

export const MediaStoredDataSchema = z
  .object({
    ...mediaContext,
    /**
     * The part with its bytes in the hub's bucket: `ref` is `{store: 's3', key}`, `sha256`, `size`
     * and `mimeType` measured (`mimeType`: the file's type, the customer's for active content).
     */
    part: MediaPartSchema,
    /** Object key in the payload bucket (the bucket is a deployment output). */
    key: z.string().min(1),
    /** Lower-case hex SHA-256 of the stored bytes. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Bytes stored. */
    size: z.number().int().nonnegative(),
    /**
     * The type the stored copy is served as (what the API's download answers): the type the bytes
     * are (checked against their first bytes), else the provider's; `application/octet-stream` for
     * active content (HTML, SVG, any XML, scripts) and for bytes without their declared type's
     * signature, whose type `part.mimeType` keeps (shared/media/stored-type.ts).
     */
    contentType: z.string().min(1),
    storedAt: TimestampSchema,
  })
  .meta({ id: 'MediaStoredData' });

export const MediaFailedDataSchema = z
  .object({
    ...mediaContext,
    /** The part as received: its `ref` still names the provider's copy. */
    part: MediaPartSchema,
    reason: MediaFailureReasonSchema,
    /** What went wrong, in the hub's words (an HTTP status, a size): never the provider's URL or token. */
    detail: z.string().max(500).optional(),
    /** Downloads tried. */
    attempts: z.number().int().positive(),
    failedAt: TimestampSchema,
  })
  .meta({ id: 'MediaFailedData' });

export const ConversationStateChangedDataSchema = z
  .object({
    state: ConversationStateSchema,
    previousStatus: ConversationStatusSchema.nullable(),
    /** Id of the event whose application changed the state, or of the helpdesk API change (`chg_…`). */
    causedBy: z.string(),
    /** Who changed it, when a helpdesk (through the API) or the hub's own timer did; absent for a message. */
    changedBy: ChangeActorSchema.optional(),
    /** The fields that change set, when it was one (status, snoozedUntil, assignee, labels, priority). */
    changes: z.array(ConversationFieldSchema).optional(),
  })
  .meta({ id: 'ConversationStateChangedData' });

export const ResponseOverdueDataSchema = z
  .object({
    conversationId: z.string().min(1),
    channel: ChannelSchema,
    /** As in the conversation's state: absent on conversations recorded before the hub kept it. */
    provider: ProviderSchema.optional(),
    endpoint: BusinessEndpointSchema,
    contact: ContactSchema,
    /** The person (`ct_…`), as in the conversation's state. */
    contactId: ContactIdSchema,
    /**
     * The oldest customer message not answered yet (its provider time, or its receipt when that time is
     * not believed: shared/domain/time.ts); with the conversation it names a wait begun before 2026-12-05.
     */
    waitingSince: TimestampSchema,
    /** The channel's response target, in seconds. */
    targetSeconds: z.number().int().positive(),
    /** How long the customer had waited when the hub saw it, in seconds. */
    waitedSeconds: z.number().int().nonnegative(),
    /** When the hub saw it (its sweep runs every minute); the event's `time` is when the target was reached. */
    detectedAt: TimestampSchema,
  })
  .meta({ id: 'ResponseOverdueData' });

/**
 * A Messenger Marketing Messages opt-in's terms (`messaging_optins`, `type: notification_messages`).
 * The person opts into one topic; the business sends that topic's messages with the token, until it
 * expires. The hub's consent register is per page and scope, not per topic: this names the topic.
 */
const NotificationMessagesSchema = z
  .object({
    /** `notification_messages_token`: what the marketing messages of this topic are sent to. */
    token: z.string().optional(),
    /** The topic, as the opt-in request's `payload` named it. */
    topic: z.string().optional(),
    /** The title the person saw on the opt-in request. */
    title: z.string().optional(),
    /** How often messages may be sent: DAILY, WEEKLY, MONTHLY… as Meta names it. */
    frequency: z.string().optional(),
    /** The person's time zone (an IANA id), as Meta gives it. */
    timezone: z.string().optional(),
    tokenExpiresAt: TimestampSchema.optional(),
    /** `user_token_status`: REFRESHED or NOT_REFRESHED… as Meta names it. */
    tokenStatus: z.string().optional(),
  })
  .meta({ id: 'NotificationMessages' });

export const ConsentDataSchema = z
  .object({
    ...conversationContext,
    /**
     * sms: all SMS from this sender; whatsapp_marketing: WhatsApp marketing templates;
     * messenger_notifications: Messenger opt-in; email: all e-mail to this address (a spam
     * complaint or an unsubscribe reported by the sending provider).
     */
    scope: z.enum(['sms', 'whatsapp_marketing', 'messenger_notifications', 'email']),
    consent: z.enum(['opted_out', 'opted_in', 'help_requested']),
    /** The keyword or provider value that caused it (STOP, START, HELP, stop, resume…), or `helpdesk`. */
    trigger: z.string().optional(),
    /** Who recorded it: the provider's webhook (default), or the helpdesk through the API. */
    source: z.enum(['provider', 'helpdesk']).optional(),
    /** With `source: helpdesk`: what the customer said or did, and who recorded it (as the helpdesk gave it). */
    evidence: z.string().max(1000).optional(),
    /** With `scope: messenger_notifications`: the topic opted into or out of, and its token. */
    notificationMessages: NotificationMessagesSchema.optional(),
  })
  .meta({ id: 'ConsentData' });

export const ContactErasedDataSchema = z
  .object({
    /** The person erased: erase your own copy of everything you hold under this id. */
    contactId: ContactIdSchema,
    erasedAt: TimestampSchema,
    itemsDeleted: z.number().int().nonnegative(),
    objectsDeleted: z.number().int().nonnegative(),
    /**
     * Bare markers left where messages, the hub's sends, and e-mails the hub could not read, were, so
     * a provider's late retry of an old webhook, a redelivered event, or a send command that comes
     * back, brings nothing back.
     */
    tombstones: z.number().int().nonnegative(),
    /** Channel contacts whose opt-outs the hub keeps under a hash (a STOP outlives erasure). */
    optOutsKept: z.number().int().nonnegative(),
  })
  .meta({ id: 'ContactErasedData' });

export const ContactMergeDataSchema = z
  .object({
    /** The person that stays: after a merge, everything of both is under this id. */
    survivingContactId: ContactIdSchema,
    /** The person merged into the surviving one (after an unmerge: a person of their own again). */
    discardedContactId: ContactIdSchema,
    /** Why, as the helpdesk gave it (for the audit). */
    reason: z.string().min(1).max(500),
    /** When the merge was made (an unmerge's event carries it too, with `unmergedAt`). */
    mergedAt: TimestampSchema,
    /** On `contact.unmerged` only: when the merge was undone. */
    unmergedAt: TimestampSchema.optional(),
    /** The conversations whose `contactId` changed (their reply address never does). */
    conversationIds: z.array(z.string().min(1)),
  })
  .meta({ id: 'ContactMergeData' });

export const ReferralDataSchema = z
  .object({ ...conversationContext, referral: ReferralSchema })
  .meta({ id: 'ReferralData' });

/** Provider notices that are not about one conversation: a contact or conversation may be absent. */
const providerContext = {
  channel: ChannelSchema,
  provider: ProviderSchema,
  endpoint: BusinessEndpointSchema.optional(),
  contact: ContactSchema.optional(),
  conversationId: z.string().optional(),
  providerTimestamp: TimestampSchema.nullable(),
  receivedAt: TimestampSchema,
};

export const ProviderErrorDataSchema = z
  .object({ ...providerContext, errors: z.array(ProviderErrorSchema).min(1) })
  .meta({ id: 'ProviderErrorData' });

export const ProviderUnsupportedDataSchema = z
  .object({
    ...providerContext,
    /** The provider's name for what it sent (a webhook field, an event key, a message type). */
    providerType: z.string(),
    /** The item exactly as parsed from the provider's JSON, so nothing is lost. */
    raw: z.unknown(),
  })
  .meta({ id: 'ProviderUnsupportedData' });

/** CloudEvents 1.0 attributes Switchboard always sets (structured JSON mode). */
const envelopeAttributes = {
  specversion: z.literal('1.0'),
  /** Deterministic: the same provider occurrence always yields the same id. Dedupe on it. */
  id: z.string().min(1),
  /** `switchboard:<channel>:<endpoint id>` */
  source: z.string().min(1),
  /** The conversation id, or `endpoint:<channel>:<endpoint id>` for provider notices with no conversation. */
  subject: z.string().min(1),
  /** When it happened: the provider timestamp, else the time the hub received it. */
  time: TimestampSchema,
  datacontenttype: z.literal('application/json'),
  dataschema: z.string().min(1),
  /**
   * CloudEvents `sequence` extension: the order in which the hub received the occurrence
   * (`<receive time, epoch ms, 13 digits>-<position in the provider's request, 6 digits>`), compared
   * as a string. It breaks ties where the provider's time is the same (WhatsApp times are whole
   * seconds). A provider's retry of an occurrence gets a later one, under the same `id`.
   */
  sequence: z
    .string()
    .regex(/^\d{13}-\d{6}$/)
    .optional(),
};

const envelope = <T extends EventType, D extends z.ZodType>(type: T, data: D, id: string) =>
  z
    .object({ ...envelopeAttributes, type: z.literal(type), data })
    .meta({ id, description: `CloudEvent of type ${type}` });

export const MessageReceivedEventSchema = envelope(
  EVENT_TYPES.messageReceived,
  MessageSchema,
  'MessageReceivedEvent',
);
export const MessageSentEventSchema = envelope(EVENT_TYPES.messageSent, MessageSchema, 'MessageSentEvent');
export const MessageSendFailedEventSchema = envelope(
  EVENT_TYPES.messageSendFailed,
  SendFailedDataSchema,
  'MessageSendFailedEvent',
);
export const MessageStatusUpdatedEventSchema = envelope(
  EVENT_TYPES.messageStatusUpdated,
  MessageStatusDataSchema,
  'MessageStatusUpdatedEvent',
);
export const MessageReactionChangedEventSchema = envelope(
  EVENT_TYPES.messageReactionChanged,
  ReactionDataSchema,
  'MessageReactionChangedEvent',
);
export const MessageEditedEventSchema = envelope(
  EVENT_TYPES.messageEdited,
  MessageEditedDataSchema,
  'MessageEditedEvent',
);
export const MessageDeletedEventSchema = envelope(
  EVENT_TYPES.messageDeleted,
  MessageDeletedDataSchema,
  'MessageDeletedEvent',
);
export const MessageMediaStoredEventSchema = envelope(
  EVENT_TYPES.messageMediaStored,
  MediaStoredDataSchema,
  'MessageMediaStoredEvent',
);
export const MessageMediaFailedEventSchema = envelope(
  EVENT_TYPES.messageMediaFailed,
  MediaFailedDataSchema,
  'MessageMediaFailedEvent',
);
export const ConversationStateChangedEventSchema = envelope(
  EVENT_TYPES.conversationStateChanged,
  ConversationStateChangedDataSchema,
  'ConversationStateChangedEvent',
);
export const ConversationResponseOverdueEventSchema = envelope(
  EVENT_TYPES.conversationResponseOverdue,
  ResponseOverdueDataSchema,
  'ConversationResponseOverdueEvent',
);
export const ContactConsentChangedEventSchema = envelope(
  EVENT_TYPES.contactConsentChanged,
  ConsentDataSchema,
  'ContactConsentChangedEvent',
);
export const ContactReferredEventSchema = envelope(
  EVENT_TYPES.contactReferred,
  ReferralDataSchema,
  'ContactReferredEvent',
);
export const ContactErasedEventSchema = envelope(
  EVENT_TYPES.contactErased,
  ContactErasedDataSchema,
  'ContactErasedEvent',
);
export const ContactMergedEventSchema = envelope(
  EVENT_TYPES.contactMerged,
  ContactMergeDataSchema,
  'ContactMergedEvent',
);
export const ContactUnmergedEventSchema = envelope(
  EVENT_TYPES.contactUnmerged,
  ContactMergeDataSchema,
  'ContactUnmergedEvent',
);
export const ProviderErrorEventSchema = envelope(
  EVENT_TYPES.providerError,
  ProviderErrorDataSchema,
  'ProviderErrorEvent',
);
export const ProviderUnsupportedEventSchema = envelope(
  EVENT_TYPES.providerUnsupported,
  ProviderUnsupportedDataSchema,
  'ProviderUnsupportedEvent',
);

/** Any event on the ingest and helpdesk queues. */
export const HubEventSchema = z
  .discriminatedUnion('type', [
    MessageReceivedEventSchema,
    MessageSentEventSchema,
    MessageSendFailedEventSchema,
    MessageStatusUpdatedEventSchema,
    MessageReactionChangedEventSchema,
    MessageEditedEventSchema,
    MessageDeletedEventSchema,
    MessageMediaStoredEventSchema,
    MessageMediaFailedEventSchema,
    ConversationStateChangedEventSchema,
    ConversationResponseOverdueEventSchema,
    ContactConsentChangedEventSchema,
    ContactReferredEventSchema,
    ContactErasedEventSchema,
    ContactMergedEventSchema,
    ContactUnmergedEventSchema,
    ProviderErrorEventSchema,
    ProviderUnsupportedEventSchema,
  ])
  .meta({
    id: 'HubEvent',
    title: 'Switchboard event',
    description: 'A CloudEvents 1.0 event from Switchboard.',
  });
export type HubEvent = z.infer<typeof HubEventSchema>;

/** The event of a given type, narrowed. */
export type HubEventOf<T extends EventType> = Extract<HubEvent, { type: T }>;

export type MessageStatusData = z.infer<typeof MessageStatusDataSchema>;
export type ReactionData = z.infer<typeof ReactionDataSchema>;
export type SendFailedData = z.infer<typeof SendFailedDataSchema>;
export type MessageEditedData = z.infer<typeof MessageEditedDataSchema>;
export type MessageDeletedData = z.infer<typeof MessageDeletedDataSchema>;
export type MediaStoredData = z.infer<typeof MediaStoredDataSchema>;
export type MediaFailedData = z.infer<typeof MediaFailedDataSchema>;
export type ConversationStateChangedData = z.infer<typeof ConversationStateChangedDataSchema>;
export type ResponseOverdueData = z.infer<typeof ResponseOverdueDataSchema>;
export type ContactErasedData = z.infer<typeof ContactErasedDataSchema>;
export type ContactMergeData = z.infer<typeof ContactMergeDataSchema>;
export type ConsentData = z.infer<typeof ConsentDataSchema>;
export type ConsentScope = ConsentData['scope'];
export type ReferralData = z.infer<typeof ReferralDataSchema>;
export type ProviderErrorData = z.infer<typeof ProviderErrorDataSchema>;
export type ProviderUnsupportedData = z.infer<typeof ProviderUnsupportedDataSchema>;
