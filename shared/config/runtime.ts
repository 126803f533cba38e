import * as v from 'valibot';
import { MAILGUN_API_BASE_URLS } from '#shared/channels/email/outbound/mailgun-api.ts';
import { METRICS_NAMESPACE } from '#shared/observability/metric-names.ts';
import { ATTENTION_SWEEPER } from '#shared/resources/definitions.ts';
import {
  finiteNumber,
  int,
  lazily,
  nonEmptyString,
  object,
  strictObject,
  url,
} from '#shared/validation/schema.ts';

export const LogLevelSchema = lazily(() => v.picklist(['debug', 'info', 'warn', 'error']));
export type LogLevel = v.InferOutput<typeof LogLevelSchema>;

/** Response targets by channel, in seconds (ATTENTION_SWEEPER.responseTargetSeconds has the defaults). */
export type ResponseTargets = Readonly<Record<keyof typeof ATTENTION_SWEEPER.responseTargetSeconds, number>>;

/** From a second (tests) to 30 days. */
const targetSeconds = () => v.pipe(int(), v.minValue(1), v.maxValue(30 * 24 * 3600));

/** `messenger=600, email=7200` → `{ messenger: 600, email: 7200 }`; a pair without `=` is refused (NaN). */
const pairsOf = (text: string): Record<string, number> =>
  Object.fromEntries(
    text
      .split(',')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        return at === -1 ? [pair, Number.NaN] : [pair.slice(0, at).trim(), Number(pair.slice(at + 1))];
      }),
  );

/**
 * Response targets as `channel=seconds` pairs, comma-separated (CDK context, the function's
 * environment) or an object (cdk.json); a channel left out keeps its default.
 */
const ResponseTargetSecondsSchema = lazily(() =>
  v.pipe(
    v.unknown(),
    v.transform((value: unknown) => (typeof value === 'string' ? pairsOf(value) : value)),
    strictObject({
      messenger: v.optional(targetSeconds()),
      whatsapp: v.optional(targetSeconds()),
      sms: v.optional(targetSeconds()),
      email: v.optional(targetSeconds()),
    }),
    v.transform((targets): ResponseTargets => ({ ...ATTENTION_SWEEPER.responseTargetSeconds, ...targets })),
  ),
);

/**
 * The setting as the CDK app and the function read it: left out, every channel's default (a copy,
 * made by the rule's last step, so no reader holds the shared defaults).
 */
export const responseTargetsSetting = () =>
  v.optional(ResponseTargetSecondsSchema, ATTENTION_SWEEPER.responseTargetSeconds);

/** The form the CDK app hands the function (every channel named). */
export const responseTargetsText = (targets: ResponseTargets): string =>
  Object.entries(targets)
    .map(([channel, seconds]) => `${channel}=${seconds}`)
    .join(',');

/**
 * Every variable any Switchboard Lambda reads, each schema built when its variable is first read.
 * Resource names are optional here because each function needs a different subset: a function
 * names what it needs with `requireConfig`, which fails with the names of the missing variables
 * instead of a dump of validation issues.
 */
const SETTINGS = {
  SWITCHBOARD_TABLE_NAME: () => v.optional(nonEmptyString()),
  SWITCHBOARD_INGEST_QUEUE_URL: () => v.optional(url()),
  SWITCHBOARD_HELPDESK_QUEUE_URL: () => v.optional(url()),
  SWITCHBOARD_PAYLOAD_BUCKET: () => v.optional(nonEmptyString()),
  /**
   * One Secrets Manager secret (ARN or name) holding every section, as deployments before the
   * per-provider secrets had it; `local` means the development defaults (`localSecretsOf`, of the
   * sections the function reads). Read only when no
   * `SWITCHBOARD_<SECTION>_SECRET_ARN` is set.
   */
  SWITCHBOARD_SECRET_ARN: () => v.optional(nonEmptyString()),
  /**
   * Each provider's credentials in a secret of its own (shared/aws/section-secrets.ts): a function
   * gets the ARNs of the sections it uses and may read only those.
   */
  SWITCHBOARD_META_SECRET_ARN: () => v.optional(nonEmptyString()),
  SWITCHBOARD_TWILIO_SECRET_ARN: () => v.optional(nonEmptyString()),
  SWITCHBOARD_MAILGUN_SECRET_ARN: () => v.optional(nonEmptyString()),
  SWITCHBOARD_EMAIL_SECRET_ARN: () => v.optional(nonEmptyString()),
  /**
   * The pseudonym key's secret (ARN or name), for the functions that read or write kept opt-outs;
   * `local` means the local key (shared/aws/pseudonym-key.ts).
   */
  SWITCHBOARD_PSEUDONYM_KEY_ARN: () => v.optional(nonEmptyString()),
  SWITCHBOARD_PUBLIC_BASE_URL: () => v.optional(url()),
  /** The recorder leaves each recorded attachment here for the media fetcher. */
  SWITCHBOARD_MEDIA_QUEUE_URL: () => v.optional(url()),
  /** The helpdesk API puts commands here. */
  SWITCHBOARD_OUTBOX_QUEUE_URL: () => v.optional(url()),
  /** Local hub only: the development bearer token of the helpdesk API (API Gateway authenticates in AWS). */
  SWITCHBOARD_API_DEV_TOKEN: () => v.optional(v.pipe(v.string(), v.minLength(16))),
  /** The recorder moves an event still failing at its give-up receive here, with the reason. */
  SWITCHBOARD_INGEST_DLQ_URL: () => v.optional(url()),
  /** The sender moves commands no event can be made of here, with the reason. */
  SWITCHBOARD_OUTBOX_DLQ_URL: () => v.optional(url()),
  /** Provider APIs the sender calls: the real ones by default, local simulators in development. */
  SWITCHBOARD_GRAPH_API_URL: () => v.optional(url(), 'https://graph.facebook.com'),
  SWITCHBOARD_GRAPH_API_VERSION: () =>
    v.optional(v.pipe(v.string(), v.regex(/^v\d{1,3}\.\d{1,2}$/)), 'v23.0'),
  SWITCHBOARD_TWILIO_API_URL: () => v.optional(url(), 'https://api.twilio.com'),
  /** The API of the sending domain's Mailgun region (the deployment's `mailgunRegion`). */
  SWITCHBOARD_MAILGUN_API_URL: () => v.optional(url(), MAILGUN_API_BASE_URLS.us),
  /** Where Twilio posts the statuses of the hub's sends: the SMS webhook's exact public URL (Twilio signs it). */
  SWITCHBOARD_TWILIO_STATUS_CALLBACK_URL: () => v.optional(url()),
  /** SES configuration set whose event destination reports delivery, bounces and complaints. */
  SWITCHBOARD_SES_CONFIGURATION_SET: () => v.optional(nonEmptyString()),
  /** How long the sender waits for a provider's answer (default SENDER.providerTimeoutMs); tests shorten it. */
  SWITCHBOARD_PROVIDER_TIMEOUT_MS: () =>
    v.optional(v.pipe(finiteNumber(), v.safeInteger(), v.minValue(100), v.maxValue(25_000))),
  /** Sender environments that may run at once (the outbox event source's maximum concurrency). */
  SWITCHBOARD_SENDER_CONCURRENCY: () =>
    v.optional(v.pipe(finiteNumber(), v.safeInteger(), v.minValue(1), v.maxValue(1_000))),
  /**
   * Messages per second the sender gives each WhatsApp Cloud API number, all its environments
   * together (default SENDER.endpointRatesPerSecond.whatsapp, 80; 1,000 once Meta upgrades a number).
   */
  SWITCHBOARD_WHATSAPP_NUMBER_RATE: () =>
    v.optional(v.pipe(finiteNumber(), v.safeInteger(), v.minValue(1), v.maxValue(1_000))),
  /**
   * `false` leaves `reply_to` off Messenger and Instagram replies (default `true`: a reply quotes the
   * customer message its command names). The Graph API's Page messages reference lists `reply_to`;
   * the Send API guide does not describe it, so a deployment whose replies Meta refuses for it can
   * turn it off (CDK context `messengerReplyQuotes`).
   */
  SWITCHBOARD_MESSENGER_REPLY_QUOTES: () =>
    v.pipe(
      v.optional(v.picklist(['true', 'false']), 'true'),
      v.transform((value) => value === 'true'),
    ),
  /** The attention sweeper's response targets (`messenger=900,whatsapp=900,sms=900,email=14400`). */
  SWITCHBOARD_RESPONSE_TARGET_SECONDS: responseTargetsSetting,
  /**
   * Days message records, their states and the hub's send bookkeeping are kept (DynamoDB TTL). At
   * least 8: the record is also the dedup marker that must outlive Meta's 7 days of webhook retries.
   */
  SWITCHBOARD_MESSAGE_RETENTION_DAYS: () =>
    v.optional(v.pipe(finiteNumber(), v.safeInteger(), v.minValue(8), v.maxValue(3_650)), 30),
  /** The e-mail provider for conversations recorded before the hub kept each conversation's provider. */
  SWITCHBOARD_EMAIL_PROVIDER: () => v.optional(v.picklist(['ses', 'mailgun']), 'ses'),
  /**
   * Comma-separated paths a webhook answers, set when it sits behind its own function URL (which
   * passes every path through); behind the HTTP API its routes already decide, and it is unset.
   */
  SWITCHBOARD_WEBHOOK_PATHS: () =>
    v.pipe(
      v.optional(v.string()),
      v.transform((paths) => paths?.split(',').map((path) => path.trim())),
    ),
  SWITCHBOARD_S3_FORCE_PATH_STYLE: () =>
    v.pipe(
      v.optional(v.picklist(['true', 'false']), 'false'),
      v.transform((value) => value === 'true'),
    ),
  SWITCHBOARD_LOG_LEVEL: () => v.optional(LogLevelSchema, 'info'),
  /** The hub's metrics namespace (shared/observability/metric-names.ts metricsNamespaceFor). */
  SWITCHBOARD_METRICS_NAMESPACE: () => v.optional(nonEmptyString(), METRICS_NAMESPACE),
} as const satisfies Record<string, () => v.GenericSchema>;

type Settings = typeof SETTINGS;
const SETTING_NAMES = Object.keys(SETTINGS) as Array<keyof Settings>;

/** The whole environment at once: HubFunction checks a deployment's literal values with it at synth. */
export const RuntimeConfigSchema = lazily(() =>
  object(
    Object.fromEntries(SETTING_NAMES.map((name) => [name, SETTINGS[name]()])) as {
      [K in keyof Settings]: ReturnType<Settings[K]>;
    },
  ),
);
export type RuntimeConfig = v.InferOutput<typeof RuntimeConfigSchema>;
export type RuntimeSetting = keyof RuntimeConfig;

/** The environment a deployment gives a function: every variable above, as a string, when set. */
export type RuntimeEnvironment = { readonly [K in RuntimeSetting]?: string };

export class RuntimeConfigError extends Error {
  override readonly name = 'RuntimeConfigError';
}

/**
 * The settings' values in an environment, and nothing else (credentials stay out). Infrastructure
 * templates often set an unused variable to ''; that means "not set".
 */
const settingValues = (env: NodeJS.ProcessEnv): Record<string, string> => {
  const values: Record<string, string> = {};
  for (const name of SETTING_NAMES) {
    const value = env[name];
    if (value !== undefined && value !== '') values[name] = value;
  }
  return values;
};

/** Parses an environment; errors name the variables, never their values. */
export const parseRuntimeConfig = (env: NodeJS.ProcessEnv): RuntimeConfig => {
  const parsed = v.safeParse(RuntimeConfigSchema, settingValues(env));
  if (parsed.success) return parsed.output;
  const names = [...new Set(parsed.issues.map((issue) => String(issue.path?.[0]?.key)))];
  throw new RuntimeConfigError(`invalid environment variable(s): ${names.join(', ')}`);
};

/**
 * An environment read lazily: each variable is parsed by its own schema on its first read and then
 * kept, so a function builds and checks only the variables it reads (a webhook reads five of about
 * thirty: the rest would be a cold start's work for nothing). An invalid variable fails the read
 * that needs it, with its name and never its value.
 */
const lazyRuntimeConfig = (env: NodeJS.ProcessEnv): RuntimeConfig => {
  const values = settingValues(env);
  const config = {};
  for (const name of SETTING_NAMES) {
    Object.defineProperty(config, name, {
      enumerable: true,
      configurable: true,
      get: () => {
        const parsed = v.safeParse(SETTINGS[name](), values[name]);
        if (!parsed.success) throw new RuntimeConfigError(`invalid environment variable(s): ${name}`);
        Object.defineProperty(config, name, { value: parsed.output, enumerable: true });
        return parsed.output;
      },
    });
  }
  return config as RuntimeConfig;
};

let cached: RuntimeConfig | undefined;

/** The process environment, each variable parsed on its first read and then kept for the life of the execution environment. */
export const runtimeConfig = (): RuntimeConfig => {
  cached ??= lazyRuntimeConfig(process.env);
  return cached;
};

/** The config with the named settings guaranteed present, or an error naming every missing one. */
export const requireConfig = <K extends RuntimeSetting>(
  ...settings: readonly K[]
): RuntimeConfig & { [P in K]-?: NonNullable<RuntimeConfig[P]> } => {
  const config = runtimeConfig();
  const missing = settings.filter((setting) => config[setting] === undefined);
  if (missing.length > 0) {
    throw new RuntimeConfigError(`missing environment variable(s): ${missing.join(', ')}`);
  }
  return config as RuntimeConfig & { [P in K]-?: NonNullable<RuntimeConfig[P]> };
};

/** Tests and the local hub change the environment between runs; Lambda never needs this. */
export const resetRuntimeConfig = (): void => {
  cached = undefined;
};
