import { z } from 'zod';
import {
  BusinessEndpointSchema,
  ChannelSchema,
  ContactSchema,
  ProviderSchema,
  TimestampSchema,
} from './common.ts';

export const ConversationStatusSchema = z.enum(['open', 'pending', 'snoozed', 'resolved']);
export type ConversationStatus = z.infer<typeof ConversationStatusSchema>;

/** Hours a business may answer freely after the customer's last message, per channel; null = no window. */
export const REPLY_WINDOW_HOURS: Readonly<Record<'messenger' | 'whatsapp' | 'sms' | 'email', number | null>> =
  {
    messenger: 24,
    whatsapp: 24,
    sms: null,
    email: null,
  };

export const ConversationStateSchema = z
  .object({
    conversationId: z.string().min(1),
    channel: ChannelSchema,
    /** The provider the conversation runs through (WhatsApp: Meta or Twilio; e-mail: SES or Mailgun): replies go through it. Absent on conversations recorded before it was kept. */
    provider: ProviderSchema.optional(),
    endpoint: BusinessEndpointSchema,
    contact: ContactSchema,
    status: ConversationStatusSchema,
    createdAt: TimestampSchema,
    /** Provider time of the newest message either way. */
    lastMessageAt: TimestampSchema.nullable(),
    /** Provider time of the newest customer message. */
    lastInboundAt: TimestampSchema.nullable(),
    replyWindow: z.object({
      /** False on channels without a window (SMS, e-mail). */
      applies: z.boolean(),
      /** When free-form replies stop being allowed; null when no window applies or no inbound yet. */
      closesAt: TimestampSchema.nullable(),
    }),
    /** Customer messages since the business last answered. */
    unreadCount: z.number().int().nonnegative(),
    messageCount: z.number().int().nonnegative(),
    firstResponseAt: TimestampSchema.nullable(),
    /** Seconds from the first customer message to the first business answer. */
    firstResponseSeconds: z.number().nonnegative().nullable(),
    /** Monotonic per conversation: consumers keep the state with the highest version. */
    version: z.number().int().positive(),
  })
  .meta({ id: 'ConversationState', description: "A conversation's state after an event was applied." });
export type ConversationState = z.infer<typeof ConversationStateSchema>;
