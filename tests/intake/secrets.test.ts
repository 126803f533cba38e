import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ChannelSecretsError,
  createChannelSecretsProvider,
  SECRETS_CACHE_TTL_MS,
} from '#shared/aws/secrets.ts';
import { LOCAL_DEV_SECRETS } from '#shared/config/secrets.ts';
import { createLogger } from '#shared/observability/logger.ts';

const secretsMock = mockClient(SecretsManagerClient);
const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard-channels';

const withToken = (authToken: string) => JSON.stringify({ ...LOCAL_DEV_SECRETS, twilio: { authToken } });

const providerAt = (clock: { now: number }, logLines: string[] = []) =>
  createChannelSecretsProvider({
    client: new SecretsManagerClient({ region: 'eu-west-1' }),
    secretId: SECRET_ID,
    now: () => clock.now,
    logger: createLogger({ write: (line) => logLines.push(line) }),
  });

describe('channel secrets cache', () => {
  beforeEach(() => {
    secretsMock.reset();
  });

  it('calls Secrets Manager once for many invocations, concurrent ones included', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: withToken('first') });
    const clock = { now: 0 };
    const secrets = providerAt(clock);
    // Act
    const concurrent = await Promise.all([secrets(), secrets(), secrets()]);
    clock.now = SECRETS_CACHE_TTL_MS - 1;
    const later = await secrets();
    // Assess
    expect(secretsMock).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: SECRET_ID });
    expect([...concurrent, later].map((value) => value.twilio?.authToken)).toEqual([
      'first',
      'first',
      'first',
      'first',
    ]);
  });

  it('picks up a rotated secret once the cache time has passed', async () => {
    // Prepare
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: withToken('before-rotation') })
      .resolvesOnce({ SecretString: withToken('after-rotation') });
    const clock = { now: 0 };
    const secrets = providerAt(clock);
    await secrets();
    // Act
    clock.now = SECRETS_CACHE_TTL_MS;
    const refreshed = await secrets();
    // Assess
    expect(refreshed.twilio?.authToken).toBe('after-rotation');
    expect(secretsMock).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('keeps serving the cached value when a refresh fails, without logging the secret', async () => {
    // Prepare
    secretsMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: withToken('cached-token') })
      .rejectsOnce(new Error('throttled'));
    const clock = { now: 0 };
    const logLines: string[] = [];
    const secrets = providerAt(clock, logLines);
    await secrets();
    // Act
    clock.now = SECRETS_CACHE_TTL_MS + 1;
    const value = await secrets();
    // Assess
    expect(value.twilio?.authToken).toBe('cached-token');
    expect(logLines).toHaveLength(1);
    expect(logLines.join('')).not.toContain('cached-token');
  });

  it('fails without quoting the secret when it is not valid JSON', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'hunter2-not-json' });
    const secrets = providerAt({ now: 0 });
    // Act
    const loading = secrets();
    // Assess
    await expect(loading).rejects.toBeInstanceOf(ChannelSecretsError);
    await expect(loading).rejects.not.toThrow(/hunter2/);
  });

  it('names the missing field, not its value, when the JSON has the wrong shape', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ ...LOCAL_DEV_SECRETS, mailgun: {} }),
    });
    const secrets = providerAt({ now: 0 });
    // Act
    const loading = secrets();
    // Assess
    await expect(loading).rejects.toThrow('mailgun.signingKey');
  });
});
