import { describe, expect, it } from 'vitest';
import { cachedChannelSecrets } from '#shared/aws/channel-secrets.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';

/*
 * A secret that does not match its schema is named by the paths of its wrong fields, never their
 * values. Under zod a wrong `accessTokens` entry was named down to its page id, every wrong entry
 * listed; the operator fixes the secret from this message alone.
 */

const readSecret = (secret: unknown) =>
  cachedChannelSecrets({
    reader: { getSecretValue: async () => ({ SecretString: JSON.stringify(secret) }) },
    secretId: 'switchboard-channels',
  })();

describe('a channel secret that does not match', () => {
  it('names each wrong access token by its page id, without the token', async () => {
    // Prepare
    const secret = {
      ...LOCAL_DEV_SECRETS,
      meta: { ...LOCAL_DEV_SECRETS.meta, accessTokens: { '1001': 'EAAB_SECRET', '1002': '', '1003': 42 } },
    };
    // Act
    const failure = await readSecret(secret).catch((error: unknown) => error as Error);
    // Assess
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe(
      'secret does not match ChannelSecretsSchema at: meta.accessTokens.1002, meta.accessTokens.1003',
    );
  });
});
