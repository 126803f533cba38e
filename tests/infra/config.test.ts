import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHANNELS, LOG_RETENTION_DAYS, readConfig, unknownContextKeys } from '#infra/config.ts';

const fromContext =
  (context: Record<string, unknown>) =>
  (key: string): unknown =>
    context[key];

describe('deployment config from CDK context', () => {
  it('documents defaults that make a working hub without any context', () => {
    // Act
    const config = readConfig(fromContext({}));
    // Assess
    expect(config).toEqual({
      namePrefix: 'switchboard',
      channels: ['messenger', 'whatsapp', 'sms', 'email-mailgun'],
      ingress: 'http-api',
      webhookReservedConcurrency: 50,
      senderMaxConcurrency: 10,
      mediaFetcherMaxConcurrency: 10,
      whatsappNumberRate: 80,
      messengerReplyQuotes: true,
      mailgunRegion: 'us',
      logRetentionDays: 30,
      payloadRetentionDays: 30,
      messageRetentionDays: 30,
      production: false,
      customerManagedKey: false,
      helpdeskApi: false,
      responseTargetSeconds: { messenger: 900, whatsapp: 900, sms: 900, email: 14_400 },
      maxOverdueConversations: 0,
      maxIngestAgeSeconds: 300,
      maxOutboxAgeSeconds: 120,
      maxHelpdeskAgeSeconds: 3_600,
      maxMediaAgeSeconds: 900,
      webhook4xxRatePercent: 10,
      webhook5xxRatePercent: 1,
    });
  });

  it('reads alarm thresholds from -c strings and cdk.json numbers', () => {
    // Prepare
    const context = {
      maxOverdueConversations: '25',
      maxIngestAgeSeconds: '600',
      maxOutboxAgeSeconds: 300,
      maxHelpdeskAgeSeconds: '7200',
      maxMediaAgeSeconds: '1800',
      webhook4xxRatePercent: '25',
      webhook5xxRatePercent: '0.5',
      helpdeskApi: 'true',
      helpdeskApi5xxRatePercent: '0',
    };
    // Act
    const config = readConfig(fromContext(context));
    // Assess
    expect(config).toMatchObject({
      maxOverdueConversations: 25,
      maxIngestAgeSeconds: 600,
      maxOutboxAgeSeconds: 300,
      maxHelpdeskAgeSeconds: 7_200,
      maxMediaAgeSeconds: 1_800,
      webhook4xxRatePercent: 25,
      webhook5xxRatePercent: 0.5,
      helpdeskApi5xxRatePercent: 0,
    });
  });

  it.each([
    ['email=7200, sms=600', { messenger: 900, whatsapp: 900, sms: 600, email: 7200 }],
    [{ whatsapp: 300 }, { messenger: 900, whatsapp: 300, sms: 900, email: 14_400 }],
    ['', { messenger: 900, whatsapp: 900, sms: 900, email: 14_400 }],
  ] as const)('reads response targets %o over the defaults', (value, expected) => {
    // Act
    const config = readConfig(fromContext({ responseTargetSeconds: value }));
    // Assess
    expect(config.responseTargetSeconds).toEqual(expected);
  });

  it('reads -c strings: comma lists, booleans, numbers, an https base URL without trailing slash', () => {
    // Prepare
    const context = {
      channels: 'sms, email-ses',
      sesInboundDomain: 'support.example.com',
      production: 'true',
      customerManagedKey: 'false',
      logRetentionDays: '90',
      payloadRetentionDays: '45',
      messageRetentionDays: '90',
      publicBaseUrl: 'https://hooks.example.com/',
      alarmEmail: 'ops@example.com',
      namePrefix: 'acme-hub',
    };
    // Act
    const config = readConfig(fromContext(context));
    // Assess
    expect(config).toMatchObject({
      channels: ['sms', 'email-ses'],
      production: true,
      customerManagedKey: false,
      logRetentionDays: 90,
      payloadRetentionDays: 45,
      messageRetentionDays: 90,
      publicBaseUrl: 'https://hooks.example.com',
      alarmEmail: 'ops@example.com',
      namePrefix: 'acme-hub',
    });
  });

  it('reads JSON values from cdk.json as they are', () => {
    // Act
    const config = readConfig(
      fromContext({ channels: ['messenger'], production: true, logRetentionDays: 14 }),
    );
    // Assess
    expect(config).toMatchObject({ channels: ['messenger'], production: true, logRetentionDays: 14 });
  });

  it.each([
    ['http-api', 'http-api'],
    ['function-urls', 'function-urls'],
    ['', 'http-api'],
    [undefined, 'http-api'],
  ] as const)('reads ingress %o as %s', (value, expected) => {
    // Act
    const config = readConfig(fromContext({ ingress: value }));
    // Assess
    expect(config.ingress).toBe(expected);
  });

  it('keeps a public base URL with the HTTP API', () => {
    // Act
    const config = readConfig(
      fromContext({ ingress: 'http-api', publicBaseUrl: 'https://hooks.example.com' }),
    );
    // Assess
    expect(config).toMatchObject({ ingress: 'http-api', publicBaseUrl: 'https://hooks.example.com' });
  });

  it('reads browser origins for the presigned media URLs as a comma list', () => {
    // Act
    const config = readConfig(
      fromContext({
        helpdeskApi: 'true',
        mediaBrowserOrigins:
          'https://helpdesk.example.com, http://localhost:5173,https://desk.example.com:8443',
      }),
    );
    // Assess
    expect(config.mediaBrowserOrigins).toEqual([
      'https://helpdesk.example.com',
      'http://localhost:5173',
      'https://desk.example.com:8443',
    ]);
  });

  it('names the context keys that are no setting, with the one a misspelling most likely meant', () => {
    // Prepare: CDK's own keys (a feature flag, a cached lookup, two the CLI writes) beside two typos and a stranger
    const keys = [
      '@aws-cdk/core:checkSecretUsage',
      'availability-zones:account=123456789012:region=eu-west-1',
      'acknowledged-issue-numbers',
      'cli-telemetry',
      'channels',
      'channel',
      'alarmEmial',
      'somethingElse',
    ];
    // Act
    const unknown = unknownContextKeys(keys);
    // Assess
    expect(unknown).toEqual([
      { key: 'channel', meant: 'channels' },
      { key: 'alarmEmial', meant: 'alarmEmail' },
      { key: 'somethingElse' },
    ]);
  });

  it('treats empty strings as unset', () => {
    // Act
    const config = readConfig(
      fromContext({ publicBaseUrl: '', alarmEmail: '', sesInboundDomain: '', mediaBrowserOrigins: '' }),
    );
    // Assess
    expect(config.publicBaseUrl).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
    expect(config.sesInboundDomain).toBeUndefined();
    expect(config.mediaBrowserOrigins).toBeUndefined();
  });

  it.each([
    [{ channels: 'email-ses' }, 'sesInboundDomain: required when the email-ses channel is on'],
    [{ sesInboundDomain: 'mail.example.com' }, 'sesInboundDomain: set, but the email-ses channel is off'],
    [{ channels: 'fax' }, 'channels'],
    [{ channels: '' }, 'channels'],
    [{ logRetentionDays: '31' }, 'logRetentionDays'],
    [{ payloadRetentionDays: '0' }, 'payloadRetentionDays'],
    // Shorter than the queues keep a claim-checked event: its object would expire before it is read.
    [{ payloadRetentionDays: '28' }, 'payloadRetentionDays'],
    // Shorter than providers' retries: a retried webhook would be recorded twice.
    [{ messageRetentionDays: '7' }, 'messageRetentionDays'],
    [{ production: 'yes' }, 'production'],
    [{ publicBaseUrl: 'http://hooks.example.com' }, 'publicBaseUrl'],
    [{ ingress: 'lambda-urls' }, 'ingress'],
    [
      { ingress: 'function-urls', publicBaseUrl: 'https://hooks.example.com' },
      "publicBaseUrl: only with ingress 'http-api'",
    ],
    [{ publicBaseUrl: 'https://hooks.example.com/?x=1' }, 'publicBaseUrl'],
    [{ alarmEmail: 'not-an-address' }, 'alarmEmail'],
    [{ namePrefix: 'Bad_Prefix' }, 'namePrefix'],
    [{ responseTargetSeconds: 'fax=60' }, 'responseTargetSeconds'],
    [{ responseTargetSeconds: 'email=0' }, 'responseTargetSeconds.email'],
    [{ responseTargetSeconds: 'email' }, 'responseTargetSeconds.email'],
    [{ responseTargetSeconds: 'sms=soon' }, 'responseTargetSeconds.sms'],
    [{ helpdeskJwtScopePrefix: 'switchboard' }, 'helpdeskJwtScopePrefix: scopes are a JWT authorizer'],
    [
      {
        helpdeskJwtIssuer: 'https://idp.example.com/',
        helpdeskJwtAudience: 'helpdesk',
        helpdeskJwtScopePrefix: 'a scope',
      },
      'helpdeskJwtScopePrefix',
    ],
    [
      { mediaBrowserOrigins: 'https://helpdesk.example.com' },
      'mediaBrowserOrigins: the presigned media URLs',
    ],
    [{ helpdeskApi: 'true', mediaBrowserOrigins: '*' }, 'mediaBrowserOrigins.0'],
    [{ helpdeskApi: 'true', mediaBrowserOrigins: 'https://*.example.com' }, 'mediaBrowserOrigins.0'],
    [{ helpdeskApi: 'true', mediaBrowserOrigins: 'http://helpdesk.example.com' }, 'mediaBrowserOrigins.0'],
    [
      { helpdeskApi: 'true', mediaBrowserOrigins: 'https://a.example.com, https://b.example.com/app' },
      'mediaBrowserOrigins.1',
    ],
    [{ maxOverdueConversations: '-1' }, 'maxOverdueConversations'],
    [{ maxOverdueConversations: '2.5' }, 'maxOverdueConversations'],
    [{ maxIngestAgeSeconds: '0' }, 'maxIngestAgeSeconds'],
    [{ maxOutboxAgeSeconds: 'soon' }, 'maxOutboxAgeSeconds'],
    // No message waits longer than its queue keeps it (14 days): such an alarm could never fire.
    [{ maxHelpdeskAgeSeconds: '1209600' }, 'maxHelpdeskAgeSeconds: under 1209600'],
    [{ maxMediaAgeSeconds: '90.5' }, 'maxMediaAgeSeconds'],
    [{ webhook4xxRatePercent: '100' }, 'webhook4xxRatePercent: from 0 to under 100'],
    [{ webhook5xxRatePercent: '-1' }, 'webhook5xxRatePercent'],
    [{ webhook5xxRatePercent: 'one' }, 'webhook5xxRatePercent'],
    [{ helpdeskApi5xxRatePercent: '5' }, 'helpdeskApi5xxRatePercent: an alarm on the helpdesk API'],
  ])('rejects %o with a message naming the key', (context, expected) => {
    // Act
    const read = () => readConfig(fromContext(context));
    // Assess
    expect(read).toThrow(/Invalid Switchboard configuration/);
    expect(read).toThrow(expected);
  });

  it('accepts every log retention CloudWatch accepts and nothing in between', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4000 }), (days) => {
        // Act
        const read = () => readConfig(fromContext({ logRetentionDays: String(days) }));
        // Assess
        if ((LOG_RETENTION_DAYS as readonly number[]).includes(days))
          expect(read().logRetentionDays).toBe(days);
        else expect(read).toThrow(/logRetentionDays/);
      }),
    );
  });

  it('accepts any non-empty subset of channels in any order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...CHANNELS.filter((channel) => channel !== 'email-ses')), {
          minLength: 1,
        }),
        (channels) => {
          // Act
          const config = readConfig(fromContext({ channels: channels.join(',') }));
          // Assess
          expect(config.channels).toEqual(channels);
        },
      ),
    );
  });
});
