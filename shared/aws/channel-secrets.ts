import { CHANNEL_SECRET_SECTIONS } from '#shared/config/secrets.ts';
import {
  type CachedChannelSecretsOptions,
  type ChannelSecretsProvider,
  cachedSectionSecrets,
  processSectionSecrets,
  type SecretValueReader,
} from './section-secrets.ts';

/*
 * Every section of the channel credentials, read and cached by ./section-secrets.ts: the functions
 * that read several providers' sections (on the SDK client: ./secrets.ts). A webhook reads its own
 * sections alone through ./section-secrets.ts (shared/intake/wiring.ts), without this module.
 */

export {
  ChannelSecretsError,
  type ChannelSecretsProvider,
  resetChannelSecrets,
  SECRETS_CACHE_TTL_MS,
  type SecretValueReader,
  UNREADABLE_RETRY_MS,
} from './section-secrets.ts';

/** Every section, cached (see cachedSectionSecrets). */
export const cachedChannelSecrets = (options: CachedChannelSecretsOptions): ChannelSecretsProvider =>
  cachedSectionSecrets(CHANNEL_SECRET_SECTIONS, options);

/** Every section for this process (see processSectionSecrets). */
export const processChannelSecrets = (reader: () => SecretValueReader): ChannelSecretsProvider =>
  processSectionSecrets(CHANNEL_SECRET_SECTIONS, reader);
