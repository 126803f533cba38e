import { z } from 'zod';
import { SHOWN_CHARACTER, WELL_FORMED } from '#shared/validation/shown-text.ts';
import { CONTACT_ID_PATTERN } from './ids.ts';

/** The four channels Switchboard normalizes. */
export const ChannelSchema = z.enum(['messenger', 'whatsapp', 'sms', 'email']).meta({
  description: 'The messaging channel the event belongs to.',
});
export type Channel = z.infer<typeof ChannelSchema>;

/** Who delivered the webhook to us. Meta serves both Messenger and WhatsApp. */
export const ProviderSchema = z.enum(['meta', 'twilio', 'ses', 'mailgun']).meta({
  description: 'The provider whose webhook carried the event.',
});
export type Provider = z.infer<typeof ProviderSchema>;

/**
 * A string of at most `max` characters with at least one that shows (not whitespace, a format or
 * control character, or an invisible filler: shared/validation/shown-text.ts), checked as given (so
 * the published pattern and the bound say the same as the code).
 */
export const nonBlankText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(
      SHOWN_CHARACTER,
      'must contain a character that shows (not only whitespace, zero-width, format or control characters)',
    );

/** What a string with an unpaired UTF-16 surrogate is refused with (wellFormed, and a refinement of it). */
export const NOT_WELL_FORMED = 'must not hold an unpaired UTF-16 surrogate (half of a character)';

/**
 * A string with no unpaired UTF-16 surrogate (shared/validation/shown-text.ts), for text a command
 * shows the customer: it has no UTF-8 form, so it would reach the provider as a `\ud83d` escape in
 * JSON or a U+FFFD in a form or a mail. Published as a pattern.
 */
export const wellFormed = (schema: z.ZodString) => schema.regex(WELL_FORMED, NOT_WELL_FORMED);

/** ISO 8601 timestamp with offset, always produced in UTC with millisecond precision. */
export const TimestampSchema = z.iso.datetime({ offset: true }).meta({
  description: 'ISO 8601 date-time (UTC, milliseconds).',
});
export type Timestamp = z.infer<typeof TimestampSchema>;

/**
 * The business side of a conversation: the page, WhatsApp number, Twilio number or inbound
 * address the customer wrote to.
 */
export const BusinessEndpointSchema = z
  .object({
    type: z.enum([
      'facebook_page',
      'instagram_account',
      'whatsapp_phone_number',
      'phone_number',
      'email_address',
    ]),
    /** Page id, WhatsApp phone-number id, E.164 number (or short code), or lower-cased e-mail address. */
    id: z.string().min(1),
    /** Human-readable form when the provider sends one (e.g. WhatsApp `display_phone_number`). */
    displayName: z.string().optional(),
    /** WhatsApp Business Account id, Twilio account SID, Mailgun/SES domain… when known. */
    accountId: z.string().optional(),
  })
  .meta({ id: 'BusinessEndpoint', description: 'The business endpoint the event came through.' });
export type BusinessEndpoint = z.infer<typeof BusinessEndpointSchema>;

export const IdentityTypeSchema = z.enum([
  'psid',
  'igsid',
  'wa_id',
  'bsuid',
  'phone',
  'short_code',
  'alphanumeric',
  'email',
]);
export type IdentityType = z.infer<typeof IdentityTypeSchema>;

export const ChannelIdentitySchema = z
  .object({
    type: IdentityTypeSchema,
    /** Exactly as the channel addresses the contact: E.164 for phones, lower-cased for e-mail. */
    value: z.string().min(1),
  })
  .meta({ id: 'ChannelIdentity' });
export type ChannelIdentity = z.infer<typeof ChannelIdentitySchema>;

/**
 * The customer side. `identities[0]` is the primary identity, the one the conversation id is
 * derived from; the others (a WhatsApp business-scoped user id next to a wa_id, for example)
 * let a helpdesk find the same person by any of them.
 */
export const ContactSchema = z
  .object({
    identities: z.array(ChannelIdentitySchema).min(1),
    displayName: z.string().optional(),
    username: z.string().optional(),
  })
  .meta({ id: 'Contact', description: "The customer's identities on this channel." });
export type Contact = z.infer<typeof ContactSchema>;

/** The hub's id of a person across channels: `ct_` and 32 hex digits (shared/domain/contact-identity.ts). */
export const ContactIdSchema = z
  .string()
  .length(35)
  .regex(CONTACT_ID_PATTERN)
  .meta({ id: 'ContactId', description: "The hub's id of a person across channels." });

/** Error details a provider attaches to a message, status or webhook. */
export const ProviderErrorSchema = z
  .object({
    code: z.string(),
    title: z.string().optional(),
    message: z.string().optional(),
    details: z.string().optional(),
  })
  .meta({ id: 'ProviderError' });
export type ProviderError = z.infer<typeof ProviderErrorSchema>;
