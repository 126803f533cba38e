import * as v from 'valibot';
import { lazily, looseObject } from '#shared/validation/schema.ts';

const field = v.optional(v.string());

/**
 * A Twilio Message SID as Twilio's API documents it: `SM`, or `MM` for a message with media, then 32
 * hexadecimal digits. Anchored at both ends, with no nested or open-ended repetition: linear in the
 * input's length, whatever a signed request puts there.
 */
const TWILIO_MESSAGE_SID = /^(?:SM|MM)[0-9a-fA-F]{32}$/;

/**
 * Whether `value` is a Twilio Message SID: the intake files a message or a status under no other id
 * (./normalize.ts), and the redactor asks Twilio about no other (../outbound/redact.ts).
 */
export const isTwilioMessageSid = (value: string): boolean => TWILIO_MESSAGE_SID.test(value);

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
