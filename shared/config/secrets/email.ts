import * as v from 'valibot';
import { lazily, object } from '#shared/validation/schema.ts';
import type { SectionParsing } from './sections.ts';

/** The e-mail section: the key of the hub's reply addresses, whichever provider carries the mail. */
export const EmailSectionSchema = lazily(() =>
  object({
    /**
     * Keys the tag of `reply+<tag>@…` addresses (an HMAC of the conversation id): only a tag the hub
     * made places an inbound e-mail in a conversation. At least 32 random characters.
     */
    replyTagKey: v.pipe(v.string(), v.minLength(32)),
  }),
);
export type EmailSection = v.InferOutput<typeof EmailSectionSchema>;

/** The e-mail section's development default for the local hub and the replay kit. Public, so never valid in production. */
export const LOCAL_DEV_EMAIL: EmailSection = {
  replyTagKey: 'local-reply-tag-key-public-and-only-for-development',
};

/** How the e-mail section is read (the Mailgun webhook and the SES intake read it). */
export const EMAIL_SECRET: SectionParsing<'email'> = {
  schema: EmailSectionSchema,
  localInput: (env) => ({ replyTagKey: env.SWITCHBOARD_EMAIL_REPLY_TAG_KEY ?? LOCAL_DEV_EMAIL.replyTagKey }),
};
