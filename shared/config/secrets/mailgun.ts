import * as v from 'valibot';
import { lazily, nonEmptyString, object, record } from '#shared/validation/schema.ts';
import type { SectionParsing } from './sections.ts';

/** Mailgun's section: its webhooks' signing key and the replies' API keys. */
export const MailgunSectionSchema = lazily(() =>
  object({
    /** The HTTP webhook signing key. */
    signingKey: nonEmptyString(),
    /** Sending: the private API key (HTTP basic auth as `api`). */
    apiKey: v.optional(nonEmptyString()),
    /** Sending: a domain sending key per sending domain, preferred over `apiKey` for that domain. */
    apiKeys: v.optional(record(nonEmptyString())),
  }),
);
export type MailgunSection = v.InferOutput<typeof MailgunSectionSchema>;

/** A sending domain's own key (a domain sending key) when given, else the private API key. */
export const mailgunApiKeyFor = (mailgun: MailgunSection | undefined, domain: string): string | undefined => {
  const wanted = domain.toLowerCase();
  const own = Object.entries(mailgun?.apiKeys ?? {}).find(([name]) => name.toLowerCase() === wanted);
  return own?.[1] ?? mailgun?.apiKey;
};

/** Mailgun's development defaults for the local hub and the replay kit. Public, so never valid in production. */
export const LOCAL_DEV_MAILGUN: MailgunSection = {
  signingKey: 'local-mailgun-signing-key',
  apiKey: 'local-mailgun-api-key',
};

/** How the Mailgun section is read (the Mailgun webhook reads it and the e-mail one). */
export const MAILGUN_SECRET: SectionParsing<'mailgun'> = {
  schema: MailgunSectionSchema,
  localInput: (env) => ({
    signingKey: env.SWITCHBOARD_MAILGUN_SIGNING_KEY ?? LOCAL_DEV_MAILGUN.signingKey,
    apiKey: env.SWITCHBOARD_MAILGUN_API_KEY ?? LOCAL_DEV_MAILGUN.apiKey,
  }),
};
