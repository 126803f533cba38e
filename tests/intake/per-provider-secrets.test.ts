import { afterEach, describe, expect, it } from 'vitest';
import {
  cachedChannelSecrets,
  processChannelSecrets,
  resetChannelSecrets,
  SECRETS_CACHE_TTL_MS,
  type SecretValueReader,
  UNREADABLE_RETRY_MS,
} from '#shared/aws/channel-secrets.ts';
import { resetRuntimeConfig } from '#shared/config/runtime.ts';
import {
  LOCAL_DEV_SECRETS,
  requireSections,
  SECRET_PLACEHOLDER_TEMPLATE,
  SecretSectionUnreadableError,
  sectionOf,
} from '#shared/config/secrets.ts';
import { createLogger, type Logger } from '#shared/observability/logger.ts';
import { createSenderFor } from '#shared/outbound/senders.ts';
import { testSenderSettings } from '#tests/support/sender-settings.ts';

/*
 * Each provider's credentials in a secret of its own: a function reads only the sections it was
 * given, a provider the deployment does not use keeps its placeholder, and one provider's broken
 * secret does not stop the others.
 */

const ARN = {
  meta: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/channel-secrets/meta-AbCdEf',
  twilio: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/channel-secrets/twilio-AbCdEf',
  mailgun: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/channel-secrets/mailgun-AbCdEf',
  email: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/channel-secrets/email-AbCdEf',
} as const;

const PLACEHOLDER = JSON.stringify({ ...SECRET_PLACEHOLDER_TEMPLATE, placeholder: 'q8Zr2VtYp0' });

/** A Secrets Manager stand-in holding `values` by secret id, counting reads. */
const secretsHolding = (values: Readonly<Record<string, string>>) => {
  const reads: string[] = [];
  const reader: SecretValueReader = {
    getSecretValue: async ({ SecretId }) => {
      reads.push(SecretId);
      const value = values[SecretId];
      if (value === undefined)
        throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
      return { SecretString: value };
    },
  };
  return { reader, reads };
};

/** Twilio's secret alone, read through the cache on a clock the test moves. */
const twilioOnClock = (logger?: Logger) => {
  const clock = { now: 0 };
  const values: Record<string, string> = { [ARN.twilio]: JSON.stringify(LOCAL_DEV_SECRETS.twilio) };
  const { reader } = secretsHolding(values);
  const secrets = cachedChannelSecrets({
    reader,
    sectionSecretIds: { twilio: ARN.twilio },
    now: () => clock.now,
    ...(logger ? { logger } : {}),
  });
  return { clock, values, secrets };
};

describe('per-provider channel secrets', () => {
  it('reads only the sections a function was given, each from its own secret', async () => {
    // Prepare
    const { reader, reads } = secretsHolding({
      [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta),
      [ARN.twilio]: JSON.stringify(LOCAL_DEV_SECRETS.twilio),
    });
    // Act
    const secrets = await cachedChannelSecrets({ reader, sectionSecretIds: { meta: ARN.meta } })();
    // Assess
    expect(reads).toEqual([ARN.meta]);
    expect(secrets).toEqual({ meta: { ...LOCAL_DEV_SECRETS.meta } });
  });

  it('reads a provider whose secret still holds the placeholder as no section, and refuses only its traffic', async () => {
    // Prepare
    const lines: string[] = [];
    const { reader } = secretsHolding({
      [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta),
      [ARN.mailgun]: PLACEHOLDER,
    });
    // Act
    const secrets = await cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, mailgun: ARN.mailgun },
      logger: createLogger({ write: (line) => lines.push(line) }),
    })();
    // Assess
    expect(Object.keys(secrets)).toEqual(['meta']);
    expect(() => requireSections(secrets, ['mailgun'])).toThrow('no credentials for section(s): mailgun');
    expect(lines).toEqual([]);
  });

  it('leaves out a section that does not parse, naming it and its wrong paths but no value, and serves the rest', async () => {
    // Prepare
    const lines: string[] = [];
    const { reader } = secretsHolding({
      [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta),
      [ARN.twilio]: JSON.stringify({ authToken: '', accountSid: 'AC-visible-only-as-a-path' }),
      [ARN.email]: '{"replyTagKey": "too-short-key-0123456789"',
    });
    // Act
    const secrets = await cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, twilio: ARN.twilio, email: ARN.email },
      logger: createLogger({ write: (line) => lines.push(line) }),
    })();
    // Assess
    expect(Object.keys(secrets)).toEqual(['meta']);
    const reasons = lines.map((line) => (JSON.parse(line) as { reason?: string }).reason);
    expect(reasons.sort()).toEqual([
      'email secret is not valid JSON',
      'twilio secret does not match its schema at: authToken',
    ]);
    expect(lines.join('\n')).not.toMatch(/visible-only|too-short-key/);
  });

  it('leaves out a Twilio secret listing a number under two accounts, naming the place, and serves the rest', async () => {
    // Prepare
    const lines: string[] = [];
    const accounts = {
      [`AC${'1'.repeat(32)}`]: { authToken: 'shop-token', numbers: ['whatsapp:+14155550111'] },
      [`AC${'2'.repeat(32)}`]: { authToken: 'clinic-token', numbers: ['whatsapp:+1 (415) 555-0111'] },
    };
    const { reader } = secretsHolding({
      [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta),
      [ARN.twilio]: JSON.stringify({ ...LOCAL_DEV_SECRETS.twilio, accounts }),
    });
    // Act
    const secrets = await cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, twilio: ARN.twilio },
      logger: createLogger({ write: (line) => lines.push(line) }),
    })();
    // Assess
    expect(Object.keys(secrets)).toEqual(['meta']);
    expect(lines.map((line) => (JSON.parse(line) as { reason?: string }).reason)).toEqual([
      `twilio secret does not match its schema at: accounts.AC${'2'.repeat(32)}.numbers.0`,
    ]);
    expect(lines.join('\n')).not.toMatch(/555|token/);
  });

  it('keeps serving the other providers when one secret cannot be read, and refuses that one as retryable', async () => {
    // Prepare: Twilio's secret is gone (deleted, or its key denied), Meta's reads fine
    const lines: string[] = [];
    const { reader } = secretsHolding({ [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta) });
    // Act
    const secrets = await cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, twilio: ARN.twilio },
      logger: createLogger({ write: (line) => lines.push(line) }),
    })();
    // Assess: Meta serves; Twilio throws a retryable error (503, a retried send), not "no credentials"
    expect(sectionOf(secrets, 'meta')?.appSecret).toBe(LOCAL_DEV_SECRETS.meta.appSecret);
    expect(() => sectionOf(secrets, 'twilio')).toThrow(SecretSectionUnreadableError);
    expect(() => requireSections(secrets, ['meta', 'twilio'])).toThrow(
      'could not read the secret of section(s): twilio (ResourceNotFoundException)',
    );
    expect(requireSections(secrets, ['meta']).meta.verifyToken).toBe(LOCAL_DEV_SECRETS.meta.verifyToken);
    expect(lines.map((line) => (JSON.parse(line) as { reason?: string }).reason)).toEqual([
      'twilio; its traffic waits for the next read',
    ]);
  });

  it("lets the sender send through a provider whose secret was read while another's cannot be", async () => {
    // Prepare: Mailgun's secret cannot be read, Meta's can
    const { reader } = secretsHolding({ [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta) });
    const secrets = cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, mailgun: ARN.mailgun },
    });
    const senderFor = createSenderFor(testSenderSettings(secrets));
    const endpoint = { type: 'whatsapp_phone_number', id: '1234567890' } as const;
    // Act
    const whatsapp = await senderFor({ provider: 'meta', channel: 'whatsapp', endpoint });
    const mailgun = senderFor({
      provider: 'mailgun',
      channel: 'email',
      endpoint: { type: 'email_address', id: 'support@acme.example' },
    });
    // Assess: WhatsApp sends; a Mailgun reply is retried (it throws), not ended `credentials` (undefined)
    expect(whatsapp).toBeDefined();
    await expect(mailgun).rejects.toThrow(SecretSectionUnreadableError);
  });

  it('reads an unreadable secret again after seconds, not a cache period, and keeps a section it had', async () => {
    // Prepare
    const clock = { now: 0 };
    const values: Record<string, string> = { [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta) };
    const { reader, reads } = secretsHolding(values);
    const secrets = cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, twilio: ARN.twilio },
      now: () => clock.now,
    });
    await secrets();
    values[ARN.twilio] = JSON.stringify(LOCAL_DEV_SECRETS.twilio);
    // Act: within the retry wait, then after it; then Meta's secret fails at the period's refresh
    clock.now = UNREADABLE_RETRY_MS - 1;
    const waiting = await secrets();
    clock.now = UNREADABLE_RETRY_MS;
    const recovered = await secrets();
    delete values[ARN.meta];
    clock.now = UNREADABLE_RETRY_MS + SECRETS_CACHE_TTL_MS;
    const refreshed = await secrets();
    // Assess
    expect(() => sectionOf(waiting, 'twilio')).toThrow(SecretSectionUnreadableError);
    expect(sectionOf(recovered, 'twilio')?.accountSid).toBe(LOCAL_DEV_SECRETS.twilio.accountSid);
    expect(sectionOf(refreshed, 'meta')?.appSecret).toBe(LOCAL_DEV_SECRETS.meta.appSecret);
    expect(reads.filter((id) => id === ARN.twilio)).toHaveLength(3);
  });

  it('reads a kept section again after seconds too, so a rotation is not served stale for a period', async () => {
    // Prepare: Twilio's refresh is refused at the period, and the token is rotated meanwhile
    const { clock, values, secrets } = twilioOnClock();
    await secrets();
    delete values[ARN.twilio];
    clock.now = SECRETS_CACHE_TTL_MS;
    const kept = await secrets();
    values[ARN.twilio] = JSON.stringify({ ...LOCAL_DEV_SECRETS.twilio, authToken: 'rotated-token' });
    // Act
    clock.now = SECRETS_CACHE_TTL_MS + UNREADABLE_RETRY_MS;
    const rotated = await secrets();
    // Assess
    expect(kept.twilio?.authToken).toBe(LOCAL_DEV_SECRETS.twilio.authToken);
    expect(rotated.twilio?.authToken).toBe('rotated-token');
  });

  it('waits twice as long before each read again while a secret stays unreadable, up to the period', async () => {
    // Prepare: Mailgun's secret is gone for good
    const clock = { now: 0 };
    const { reader, reads } = secretsHolding({ [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta) });
    const secrets = cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, mailgun: ARN.mailgun },
      now: () => clock.now,
    });
    // Act: a call every second for half an hour
    for (clock.now = 0; clock.now <= 30 * 60_000; clock.now += 1000) await secrets();
    // Assess: read at 0, 10, 30, 70, 150 and 310 s, then every 300 s (610 … 1510): 10 reads, not 181
    expect(reads.filter((id) => id === ARN.mailgun)).toHaveLength(10);
  });

  it('keeps serving a section whose refreshed secret does not parse (a slip while rotating), saying so', async () => {
    // Prepare
    const lines: string[] = [];
    const { clock, values, secrets } = twilioOnClock(createLogger({ write: (line) => lines.push(line) }));
    await secrets();
    values[ARN.twilio] = '{"authToken": "half-pasted';
    clock.now = SECRETS_CACHE_TTL_MS;
    // Act
    const refreshed = await secrets();
    // Assess
    expect(refreshed.twilio?.authToken).toBe(LOCAL_DEV_SECRETS.twilio.authToken);
    expect(lines.map((line) => (JSON.parse(line) as { reason?: string }).reason)).toEqual([
      'twilio secret is not valid JSON; serving its previous value',
    ]);
    expect(lines.join('\n')).not.toContain('half-pasted');
  });

  it('caches every section together: one read of each per cache period', async () => {
    // Prepare
    const clock = { now: 0 };
    const { reader, reads } = secretsHolding({
      [ARN.meta]: JSON.stringify(LOCAL_DEV_SECRETS.meta),
      [ARN.twilio]: JSON.stringify(LOCAL_DEV_SECRETS.twilio),
    });
    const secrets = cachedChannelSecrets({
      reader,
      sectionSecretIds: { meta: ARN.meta, twilio: ARN.twilio },
      now: () => clock.now,
    });
    // Act
    await Promise.all([secrets(), secrets()]);
    clock.now = SECRETS_CACHE_TTL_MS - 1;
    await secrets();
    clock.now = SECRETS_CACHE_TTL_MS;
    await secrets();
    // Assess
    expect(reads.sort()).toEqual([ARN.meta, ARN.meta, ARN.twilio, ARN.twilio].sort());
  });
});

describe("a function's secrets from its environment", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    resetRuntimeConfig();
    resetChannelSecrets();
  });

  it('reads the section secrets it was given, not the legacy one secret', async () => {
    // Prepare
    process.env.SWITCHBOARD_TWILIO_SECRET_ARN = ARN.twilio;
    process.env.SWITCHBOARD_SECRET_ARN =
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/channel-secrets-AbCdEf';
    resetRuntimeConfig();
    resetChannelSecrets();
    const { reader, reads } = secretsHolding({ [ARN.twilio]: JSON.stringify(LOCAL_DEV_SECRETS.twilio) });
    // Act
    const secrets = await processChannelSecrets(() => reader)();
    // Assess
    expect(reads).toEqual([ARN.twilio]);
    expect(secrets.twilio?.authToken).toBe(LOCAL_DEV_SECRETS.twilio.authToken);
  });

  it('stays on the local development secrets with a section ARN left exported in the shell', async () => {
    // Prepare
    process.env.SWITCHBOARD_SECRET_ARN = 'local';
    process.env.SWITCHBOARD_TWILIO_SECRET_ARN = ARN.twilio;
    resetRuntimeConfig();
    resetChannelSecrets();
    const { reader, reads } = secretsHolding({});
    // Act
    const secrets = await processChannelSecrets(() => reader)();
    // Assess
    expect(reads).toEqual([]);
    expect(secrets.twilio?.authToken).toBe(LOCAL_DEV_SECRETS.twilio.authToken);
  });

  it('gives a function named no secret no credentials, refusing by section whatever asks for one', async () => {
    // Prepare
    for (const variable of Object.keys(process.env))
      if (/_SECRET_ARN$/.test(variable)) delete process.env[variable];
    resetRuntimeConfig();
    resetChannelSecrets();
    const { reader, reads } = secretsHolding({});
    // Act
    const secrets = await processChannelSecrets(() => reader)();
    // Assess
    expect(reads).toEqual([]);
    expect(() => requireSections(secrets, ['twilio'])).toThrow('no credentials for section(s): twilio');
  });

  it('still reads the legacy one secret when no section secret is named', async () => {
    // Prepare
    const legacy = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:switchboard/channel-secrets-AbCdEf';
    for (const variable of Object.keys(process.env))
      if (/_SECRET_ARN$/.test(variable)) delete process.env[variable];
    process.env.SWITCHBOARD_SECRET_ARN = legacy;
    resetRuntimeConfig();
    resetChannelSecrets();
    const { reader, reads } = secretsHolding({ [legacy]: JSON.stringify(LOCAL_DEV_SECRETS) });
    // Act
    const secrets = await processChannelSecrets(() => reader)();
    // Assess
    expect(reads).toEqual([legacy]);
    expect(Object.keys(secrets).sort()).toEqual(['email', 'mailgun', 'meta', 'twilio']);
  });
});
