import * as v from 'valibot';
import { lazily, looseObject } from '#shared/validation/schema.ts';

const field = v.optional(v.string());

/**
 * The Programmable Messaging parameters the adapter reads, from the incoming-message webhook and
 * the status callback. Loose: Twilio adds parameters without notice and they must not break
 * parsing. A known name sent twice fails the parse on purpose, so the request is kept raw instead
 * of silently picking one value.
 */
export const TwilioMessagingParamsSchema = lazily(() =>
  looseObject({
    MessageSid: field,
    SmsMessageSid: field,
    SmsSid: field,
    AccountSid: field,
    MessagingServiceSid: field,
    From: field,
    To: field,
    Body: field,
    NumMedia: field,
    NumSegments: field,
    MessageStatus: field,
    SmsStatus: field,
    ErrorCode: field,
    ErrorMessage: field,
    OptOutType: field,
    MessageType: field,
    ProfileName: field,
    WaId: field,
    Forwarded: field,
    FrequentlyForwarded: field,
    ButtonText: field,
    ButtonPayload: field,
    /** A twilio/list-picker item the customer chose: its id (not shown to them) and title. */
    ListId: field,
    ListTitle: field,
    Latitude: field,
    Longitude: field,
    Address: field,
    Label: field,
    OriginalRepliedMessageSid: field,
    OriginalRepliedMessageSender: field,
    ReferralSourceType: field,
    ReferralSourceId: field,
    ReferralSourceUrl: field,
    ReferralHeadline: field,
    ReferralBody: field,
    ReferralCtwaClid: field,
  }),
);
export type TwilioMessagingParams = v.InferOutput<typeof TwilioMessagingParamsSchema>;
