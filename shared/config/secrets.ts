import type { SecretSection } from '#shared/channels/registry.ts';
import { EMAIL_SECRET, LOCAL_DEV_EMAIL } from './secrets/email.ts';
import { LOCAL_DEV_MAILGUN, MAILGUN_SECRET } from './secrets/mailgun.ts';
import { LOCAL_DEV_META, META_SECRET } from './secrets/meta.ts';
import {
  localSecretsOf,
  type SecretsWith,
  type SectionParsers,
  secretsSchemaOf,
} from './secrets/sections.ts';
import { LOCAL_DEV_TWILIO, TWILIO_SECRET } from './secrets/twilio.ts';

/**
 * Channel credentials, every section composed: what the functions that read several providers'
 * sections use (the sender, the media fetcher, the helpdesk API, the attention sweeper, the local
 * hub, the CLIs). In AWS each section lives in a Secrets Manager secret of its own (JSON of its
 * section's shape; deployments before that kept them all in one secret of this whole shape);
 * locally they come from environment variables with development defaults. Never logged.
 *
 * One section per provider, each defined in a module of its own (./secrets/<section>.ts: schema,
 * helpers, local defaults), so a webhook, which reads its own provider's section alone, imports that
 * module and not this one. A deployment needs only the sections of the connectors it switches on
 * (each connector names its sections in shared/channels/registry.ts, and its function refuses to
 * run, answering 503, while one is missing).
 */

/**
 * Every section, in registry order, with its parsing: each section's schema (`.schema`) is the JSON
 * of its own secret and its key in the legacy one-secret form.
 */
export const CHANNEL_SECRET_SECTIONS = {
  meta: META_SECRET,
  twilio: TWILIO_SECRET,
  mailgun: MAILGUN_SECRET,
  email: EMAIL_SECRET,
} as const satisfies SectionParsers;

/** Every section, as the legacy one secret held them (and the shape the functions are handed). */
export const ChannelSecretsSchema = secretsSchemaOf(CHANNEL_SECRET_SECTIONS);

export type AllChannelSecrets = SecretsWith<SecretSection>;

/** Development defaults for the local hub and the replay kit. Public, so never valid in production. */
export const LOCAL_DEV_SECRETS: AllChannelSecrets = {
  meta: LOCAL_DEV_META,
  twilio: LOCAL_DEV_TWILIO,
  mailgun: LOCAL_DEV_MAILGUN,
  email: LOCAL_DEV_EMAIL,
};

/** Local secrets, each overridable by an environment variable. */
export const localSecretsFromEnv = (env: NodeJS.ProcessEnv = process.env): AllChannelSecrets =>
  localSecretsOf(CHANNEL_SECRET_SECTIONS, env);

/**
 * The pseudonym key (shared/aws/pseudonym-key.ts) of the local hub, the replay kit and the tests:
 * fixed, so a local data directory's kept opt-outs stay found across restarts, and public, so it
 * protects nothing (local data is development data). Overridable by SWITCHBOARD_PSEUDONYM_KEY.
 */
const LOCAL_DEV_PSEUDONYM_KEY = 'local-pseudonym-key-public-and-only-for-development';

/** The local pseudonym key: the environment's, else the development default. */
export const localPseudonymKeyFromEnv = (env: NodeJS.ProcessEnv = process.env): string =>
  env.SWITCHBOARD_PSEUDONYM_KEY ?? LOCAL_DEV_PSEUDONYM_KEY;

/* The names the multi-section functions and the tests take from here; each has its home beside this file. */
export { mailgunApiKeyFor } from './secrets/mailgun.ts';
export { metaAccessTokenFor } from './secrets/meta.ts';
export {
  type ChannelSecrets,
  isSecretPlaceholder,
  requireSections,
  SECRET_PLACEHOLDER_TEMPLATE,
  SecretSectionUnreadableError,
  type SecretsWith,
  sectionOf,
  sectionSecretVariable,
} from './secrets/sections.ts';
export {
  twilioAccountFor,
  twilioAccountOf,
  twilioLogin,
} from './secrets/twilio.ts';
