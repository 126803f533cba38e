import * as v from 'valibot';
import type { SecretSection } from '#shared/channels/registry.ts';
import { lazily, object, parseOrThrow } from '#shared/validation/schema.ts';
import type { EmailSection } from './email.ts';
import type { MailgunSection } from './mailgun.ts';
import type { MetaSection } from './meta.ts';
import type { TwilioSection } from './twilio.ts';

/*
 * What the sections of the channel credentials share, whichever of them a function reads. Each
 * section is a module of its own (./meta.ts, ./twilio.ts, ./mailgun.ts, ./email.ts: its schema, its
 * helpers, its local defaults); ../secrets.ts composes all four for the functions that read several
 * (the sender, the media fetcher, the helpdesk API, the attention sweeper, the local hub, the CLIs),
 * while a webhook imports its own sections' modules alone, so its bundle holds no other provider's
 * schema (since 2026-12-05).
 */

/** Each section's credentials, as its schema gives them. */
interface SectionValues {
  readonly meta: MetaSection;
  readonly twilio: TwilioSection;
  readonly mailgun: MailgunSection;
  readonly email: EmailSection;
}

/** How one section is read: its schema, and its value in the local hub's environment. */
export interface SectionParsing<S extends SecretSection> {
  /** The JSON of the section's own secret, and of its key in the legacy one secret. */
  readonly schema: v.GenericSchema<unknown, SectionValues[S]>;
  /**
   * The local hub's input for the section (its environment variables over the development
   * defaults), which `schema` then parses. Throws, naming the variable, on one it cannot read.
   */
  readonly localInput: (env: NodeJS.ProcessEnv) => unknown;
}

/** The sections a function reads, each with its parsing: it reads and validates these and no other. */
export type SectionParsers<S extends SecretSection = SecretSection> = {
  readonly [K in S]: SectionParsing<K>;
};

/** The sections of a set of parsers, in its order. */
export const sectionsOf = <S extends SecretSection>(parsers: SectionParsers<S>): S[] =>
  Object.keys(parsers) as S[];

/** The channel credentials a function holds: each section it read, when its secret had one. */
export type ChannelSecrets = { [S in SecretSection]?: SectionValues[S] | undefined };

/** The channel secret with the named sections guaranteed present. */
export type SecretsWith<S extends SecretSection> = { readonly [K in S]: NonNullable<ChannelSecrets[K]> };

type OptionalSections<S extends SecretSection> = {
  [K in S]: v.OptionalSchema<v.GenericSchema<unknown, SectionValues[K]>, undefined>;
};

/** The schema of the legacy one secret restricted to the sections `S`. */
export type SecretsSchema<S extends SecretSection> = v.LazySchema<
  ReturnType<typeof object<OptionalSections<S>>>
>;

const composed = new WeakMap<object, SecretsSchema<never>>();

/**
 * The sections of `parsers` as the legacy one secret held them: an object of each, optional,
 * anything else left out. One schema per set of parsers, built on its first parse.
 */
export const secretsSchemaOf = <S extends SecretSection>(parsers: SectionParsers<S>): SecretsSchema<S> => {
  const known = composed.get(parsers) as SecretsSchema<S> | undefined;
  if (known) return known;
  const schema = lazily(() =>
    object(
      Object.fromEntries(
        sectionsOf(parsers).map((section) => [section, v.optional(parsers[section].schema)]),
      ) as OptionalSections<S>,
    ),
  );
  composed.set(parsers, schema as unknown as SecretsSchema<never>);
  return schema;
};

export class MissingSecretSectionError extends Error {
  override readonly name = 'MissingSecretSectionError';
}

/**
 * A section whose secret could not be read just now (throttled, deleted, its key denied) with no
 * earlier value to serve: whatever needs that provider is retried or answered 503, while the other
 * providers' sections, read fine, keep working.
 */
export class SecretSectionUnreadableError extends Error {
  override readonly name = 'SecretSectionUnreadableError';
}

/** Per secrets object read, the sections whose secret could not be read, with the error's name. */
const unreadableSections = new WeakMap<ChannelSecrets, ReadonlyMap<SecretSection, string>>();

/** Marks sections of a freshly read secrets object as unreadable this time (see sectionOf). */
export const withUnreadableSections = (
  secrets: ChannelSecrets,
  unreadable: ReadonlyMap<SecretSection, string>,
): ChannelSecrets => {
  if (unreadable.size > 0) unreadableSections.set(secrets, unreadable);
  return secrets;
};

const throwIfUnreadable = (secrets: ChannelSecrets, sections: readonly SecretSection[]): void => {
  const unreadable = unreadableSections.get(secrets);
  const failed = sections.filter((section) => unreadable?.has(section));
  if (failed.length > 0) {
    throw new SecretSectionUnreadableError(
      `could not read the secret of section(s): ${failed.map((section) => `${section} (${unreadable?.get(section)})`).join(', ')}`,
    );
  }
};

/**
 * One provider's credentials: undefined when the deployment has none (no secret, the placeholder,
 * invalid); throws SecretSectionUnreadableError when its secret could not be read just now, so the
 * caller retries instead of taking a passing error for a missing provider.
 */
export const sectionOf = <S extends SecretSection>(
  secrets: ChannelSecrets,
  section: S,
): ChannelSecrets[S] => {
  throwIfUnreadable(secrets, [section]);
  return secrets[section];
};

/** The secret narrowed to the sections a connector needs, or an error naming the missing ones. */
export const requireSections = <S extends SecretSection>(
  secrets: ChannelSecrets,
  sections: readonly S[],
): SecretsWith<S> => {
  throwIfUnreadable(secrets, sections);
  const missing = sections.filter((section) => secrets[section] === undefined);
  if (missing.length > 0) {
    throw new MissingSecretSectionError(
      `no credentials for section(s): ${missing.join(', ')} (each section's secret, <prefix>/channel-secrets/<section>, is unset, still the placeholder or invalid)`,
    );
  }
  return secrets as SecretsWith<S>;
};

/**
 * The local hub's credentials of the sections of `parsers`, each overridable by an environment
 * variable (the development defaults otherwise: public, so never valid in production).
 */
export const localSecretsOf = <S extends SecretSection>(
  parsers: SectionParsers<S>,
  env: NodeJS.ProcessEnv = process.env,
): SecretsWith<S> => {
  const sections = sectionsOf(parsers);
  const input = Object.fromEntries(sections.map((section) => [section, parsers[section].localInput(env)]));
  return requireSections(parseOrThrow(secretsSchemaOf(parsers), input) as ChannelSecrets, sections);
};

/**
 * The environment variable holding the ARN of a section's own secret
 * (`SWITCHBOARD_META_SECRET_ARN`…, shared/config/runtime.ts). The CDK app sets it only on the
 * functions it lets read that secret.
 */
export const sectionSecretVariable = <S extends SecretSection>(
  section: S,
): `SWITCHBOARD_${Uppercase<S>}_SECRET_ARN` =>
  `SWITCHBOARD_${section.toUpperCase() as Uppercase<S>}_SECRET_ARN`;

/**
 * What the deploy puts in a credentials secret until the operator replaces it (with a random
 * `placeholder` field beside it): a section secret holding it is read as no section, so an
 * unconfigured provider's functions answer 503 and the rest run.
 */
export const SECRET_PLACEHOLDER_TEMPLATE = { replaceMe: true } as const;

/** Whether a parsed secret is still the deploy's placeholder. */
export const isSecretPlaceholder = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && (json as { replaceMe?: unknown }).replaceMe === true;
