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

  it('names a number listed under two Twilio accounts by its place in the second, never the number', async () => {
    // Prepare: the same SMS number under both further accounts, written two ways
    const shop = `AC${'1'.repeat(32)}`;
    const clinic = `AC${'2'.repeat(32)}`;
    const secret = {
      ...LOCAL_DEV_SECRETS,
      twilio: {
        ...LOCAL_DEV_SECRETS.twilio,
        accounts: {
          [shop]: { authToken: 'shop-token', numbers: ['+14155550111', 'whatsapp:+14155550111'] },
          [clinic]: { authToken: 'clinic-token', numbers: ['+14155550122', '+1 415 555 0111'] },
        },
      },
    };
    // Act
    const failure = await readSecret(secret).catch((error: unknown) => error as Error);
    // Assess
    expect((failure as Error).message).toBe(
      `secret does not match ChannelSecretsSchema at: twilio.accounts.${clinic}.numbers.1`,
    );
    expect((failure as Error).message).not.toMatch(/555|token/);
  });

  it("names a further Twilio account keyed by no account SID (by its place: the key may be a pasted token), or by the main account's, and an address that is none or not as Twilio posts it", async () => {
    // Prepare
    const main = LOCAL_DEV_SECRETS.twilio.accountSid ?? '';
    const secrets = [
      {
        [`AC${'3'.repeat(32)}`]: { authToken: 't', numbers: ['+14155550133'] },
        'pasted-token-value': { authToken: 'shop-token', numbers: ['+14155550111'] },
      },
      { [main]: { authToken: 'shop-token', numbers: ['+14155550111'] } },
      { [`AC${'1'.repeat(32)}`]: { authToken: 'shop-token', numbers: ['messenger:+14155550111'] } },
      // Without its `+` a number never matches what Twilio posts (E.164): refused, not silently unlisted.
      { [`AC${'1'.repeat(32)}`]: { authToken: 'shop-token', numbers: ['12345', '14155550111'] } },
    ].map((accounts) => ({ ...LOCAL_DEV_SECRETS, twilio: { ...LOCAL_DEV_SECRETS.twilio, accounts } }));
    // Act
    const messages = await Promise.all(
      secrets.map((secret) => readSecret(secret).catch((error: unknown) => (error as Error).message)),
    );
    // Assess
    expect(messages).toEqual([
      'secret does not match ChannelSecretsSchema at: twilio.accounts.(account 2)',
      `secret does not match ChannelSecretsSchema at: twilio.accounts.${main}`,
      `secret does not match ChannelSecretsSchema at: twilio.accounts.AC${'1'.repeat(32)}.numbers.0`,
      `secret does not match ChannelSecretsSchema at: twilio.accounts.AC${'1'.repeat(32)}.numbers.1`,
    ]);
  });
});
