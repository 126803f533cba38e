import type { ChannelSecrets } from '#shared/config/secrets.ts';
import type { PseudonymKeySource } from '#shared/store/suppressions.ts';

/*
 * Secrets Manager for the functions that read a secret on some requests only (a consent event, an
 * erasure, a redaction due, a media job): ./secrets.ts, and with it the SDK client, is loaded on the
 * first read, not at every cold start. esbuild then wraps it for lazy evaluation; a static import of
 * it anywhere in the same bundle would evaluate it at import again (tests/infra/lazy-s3-bundle.test.ts).
 */

/** The channel secrets for this process (./secrets.ts channelSecrets), loaded on the first read. */
export const lazyChannelSecrets = async (): Promise<ChannelSecrets> =>
  (await import('./secrets.ts')).channelSecrets();

/** The pseudonym key for this process (./secrets.ts pseudonymKey), loaded on the first read. */
export const lazyPseudonymKey: PseudonymKeySource = async (options) =>
  (await import('./secrets.ts')).pseudonymKey(options);
