import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  parseRuntimeConfig,
  RuntimeConfigError,
  requireConfig,
  resetRuntimeConfig,
  responseTargetsText,
  runtimeConfig,
} from '#shared/config/runtime.ts';

describe('parseRuntimeConfig', () => {
  it('parses the variables with defaults, treating empty values as unset', () => {
    // Prepare
    const env = {
      SWITCHBOARD_INGEST_QUEUE_URL:
        'https://sqs.eu-west-1.amazonaws.com/123456789012/switchboard-ingest.fifo',
      SWITCHBOARD_PAYLOAD_BUCKET: 'payloads',
      SWITCHBOARD_PUBLIC_BASE_URL: '',
    };
    // Act
    const config = parseRuntimeConfig(env);
    // Assess
    expect(config).toEqual({
      SWITCHBOARD_INGEST_QUEUE_URL: env.SWITCHBOARD_INGEST_QUEUE_URL,
      SWITCHBOARD_PAYLOAD_BUCKET: 'payloads',
      SWITCHBOARD_S3_FORCE_PATH_STYLE: false,
      SWITCHBOARD_LOG_LEVEL: 'info',
      SWITCHBOARD_GRAPH_API_URL: 'https://graph.facebook.com',
      SWITCHBOARD_GRAPH_API_VERSION: 'v23.0',
      SWITCHBOARD_TWILIO_API_URL: 'https://api.twilio.com',
      SWITCHBOARD_MAILGUN_API_URL: 'https://api.mailgun.net',
      SWITCHBOARD_EMAIL_PROVIDER: 'ses',
      SWITCHBOARD_MESSAGE_RETENTION_DAYS: 30,
      SWITCHBOARD_MESSENGER_REPLY_QUOTES: true,
      SWITCHBOARD_METRICS_NAMESPACE: 'Switchboard',
      SWITCHBOARD_RESPONSE_TARGET_SECONDS: { messenger: 900, whatsapp: 900, sms: 900, email: 14_400 },
    });
  });

  it('reads response targets as the CDK app writes them, and a partial override over the defaults', () => {
    // Act
    const full = parseRuntimeConfig({
      SWITCHBOARD_RESPONSE_TARGET_SECONDS: responseTargetsText({
        messenger: 60,
        whatsapp: 120,
        sms: 180,
        email: 3600,
      }),
    });
    const partial = parseRuntimeConfig({ SWITCHBOARD_RESPONSE_TARGET_SECONDS: 'whatsapp=1' });
    // Assess
    expect(full.SWITCHBOARD_RESPONSE_TARGET_SECONDS).toEqual({
      messenger: 60,
      whatsapp: 120,
      sms: 180,
      email: 3600,
    });
    expect(partial.SWITCHBOARD_RESPONSE_TARGET_SECONDS).toEqual({
      messenger: 900,
      whatsapp: 1,
      sms: 900,
      email: 14_400,
    });
    expect(() => parseRuntimeConfig({ SWITCHBOARD_RESPONSE_TARGET_SECONDS: 'telegram=60' })).toThrow(
      /SWITCHBOARD_RESPONSE_TARGET_SECONDS/,
    );
  });

  it('names an invalid variable without quoting its value', () => {
    // Prepare
    const env = { SWITCHBOARD_LOG_LEVEL: 'verbose', SWITCHBOARD_INGEST_QUEUE_URL: 'not a url s3cr3t' };
    // Act
    const parse = () => parseRuntimeConfig(env);
    // Assess
    expect(parse).toThrow(RuntimeConfigError);
    expect(parse).toThrow(/SWITCHBOARD_LOG_LEVEL/);
    expect(parse).toThrow(/SWITCHBOARD_INGEST_QUEUE_URL/);
    expect(parse).not.toThrow(/s3cr3t/);
  });
});

describe('runtimeConfig, read lazily', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetRuntimeConfig();
  });

  it('parses each variable on its first read: a function is stopped only by a bad variable it reads', () => {
    // Prepare: a webhook's variables valid, a sender's setting invalid
    vi.stubEnv(
      'SWITCHBOARD_INGEST_QUEUE_URL',
      'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest.fifo',
    );
    vi.stubEnv('SWITCHBOARD_SENDER_CONCURRENCY', 'many s3cr3t');
    resetRuntimeConfig();
    // Act
    const { SWITCHBOARD_INGEST_QUEUE_URL } = requireConfig('SWITCHBOARD_INGEST_QUEUE_URL');
    const readConcurrency = () => runtimeConfig().SWITCHBOARD_SENDER_CONCURRENCY;
    // Assess
    expect(SWITCHBOARD_INGEST_QUEUE_URL).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/ingest.fifo');
    expect(runtimeConfig().SWITCHBOARD_MESSAGE_RETENTION_DAYS).toBe(30);
    expect(readConcurrency).toThrow(RuntimeConfigError);
    expect(readConcurrency).toThrow(/SWITCHBOARD_SENDER_CONCURRENCY/);
    expect(readConcurrency).not.toThrow(/s3cr3t/);
  });

  it.each([
    ['1000', 1_000],
    ['0', 'refused'],
    ['1001', 'refused'],
    ['80.5', 'refused'],
  ] as const)("reads a WhatsApp number's rate %s as %s (1 to 1,000 messages/s)", (value, expected) => {
    // Prepare
    vi.stubEnv('SWITCHBOARD_WHATSAPP_NUMBER_RATE', value);
    resetRuntimeConfig();
    // Act
    const read = () => runtimeConfig().SWITCHBOARD_WHATSAPP_NUMBER_RATE;
    // Assess
    if (expected === 'refused') expect(read).toThrow(/SWITCHBOARD_WHATSAPP_NUMBER_RATE/);
    else expect(read()).toBe(expected);
  });

  it('keeps a parsed value for the life of the process, like the whole config before', () => {
    // Prepare
    vi.stubEnv('SWITCHBOARD_LOG_LEVEL', 'debug');
    resetRuntimeConfig();
    const first = runtimeConfig().SWITCHBOARD_LOG_LEVEL;
    // Act: a later change of the environment is not seen until a reset
    vi.stubEnv('SWITCHBOARD_LOG_LEVEL', 'error');
    const kept = runtimeConfig().SWITCHBOARD_LOG_LEVEL;
    resetRuntimeConfig();
    const afterReset = runtimeConfig().SWITCHBOARD_LOG_LEVEL;
    // Assess
    expect([first, kept, afterReset]).toEqual(['debug', 'debug', 'error']);
  });
});
