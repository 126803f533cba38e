import * as v from 'valibot';
import { z } from 'zod';
import { MAILGUN_REGIONS } from '#shared/channels/email/outbound/mailgun-api.ts';
import { CONNECTOR_IDS, type ConnectorId } from '#shared/channels/registry.ts';
import { responseTargetsSetting } from '#shared/config/runtime.ts';
import {
  DEFAULT_NAME_PREFIX,
  HELPDESK_QUEUE,
  INGEST_QUEUE,
  MEDIA_FETCHER,
  MEDIA_QUEUE,
  OUTBOX_QUEUE,
  type QueueDefinition,
  SENDER,
} from '#shared/resources/definitions.ts';
import { ALARM_THRESHOLDS } from './alarm-thresholds.ts';

/**
 * Channel connectors a deployment can switch on (the `channels` context key): each is one channel
 * through one provider, with webhook routes or, for SES, a receipt rule (shared/channels/registry.ts).
 */
export const CHANNELS = CONNECTOR_IDS;

/**
 * How providers reach the webhook functions: one API Gateway HTTP API, or a public Lambda function
 * URL per webhook function (see `ingress` below for the trade-offs).
 */
const INGRESS_KINDS = ['http-api', 'function-urls'] as const;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json. */
const booleanFromContext = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true') return true;
  if (normalized === 'false') return false;
  return value;
}, z.boolean());

const positiveIntFromContext = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
  z.number().int().positive(),
);

/** An SQS event source's maximum concurrency: 2 to 1,000 environments (Lambda's range). */
const eventSourceConcurrencyFromContext = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
  z.number().int().min(2).max(1_000),
);

/** A number from the command line (`-c key=2.5`), or the one `cdk.json` holds. */
const numberFromContext = (schema: z.ZodNumber) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value), schema);

/**
 * An alarm's percentage of failed requests: it fires above it, so 0 fires on any failure (and 100
 * would never fire).
 */
const percentFromContext = numberFromContext(
  z.number().min(0, 'from 0 to under 100').lt(100, 'from 0 to under 100'),
);

/**
 * An age alarm's threshold in seconds, under the time the queue keeps a message (one no older can
 * ever be seen).
 */
const queueAgeFromContext = (queue: QueueDefinition) =>
  positiveIntFromContext.refine((seconds) => seconds < queue.retentionPeriodSeconds, {
    message: `under ${queue.retentionPeriodSeconds} (the ${queue.name} queue keeps a message ${queue.retentionPeriodSeconds / 86_400} days)`,
  });

/** A comma-separated list from the command line (`-c key=a,b`), or the array `cdk.json` holds. */
const commaList = (value: unknown): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : value;

const listFromContext = z.preprocess(commaList, z.array(z.enum(CHANNELS)).min(1));

/** An empty string from the command line means "not set". */
const optionalString = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/**
 * Deployment configuration, read from CDK context (`cdk.json` or `npx cdk deploy -c key=value`).
 * Credentials are not configuration: they live in the channel secret (see shared/config/secrets.ts).
 */
export const SwitchboardConfigSchema = z
  .object({
    /**
     * Prefix for physical names (stack, queues, table, secret, rule set, managed policy). Use a
     * different prefix to run two hubs in one account and region.
     * @default DEFAULT_NAME_PREFIX ('switchboard')
     */
    namePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, 'lower-case letters, digits and dashes, 2–31 characters')
      .default(DEFAULT_NAME_PREFIX),
    /**
     * Channels to switch on, as a comma-separated list or a JSON array.
     * @default ['messenger', 'whatsapp', 'sms', 'email-mailgun']
     */
    channels: listFromContext.default(['messenger', 'whatsapp', 'sms', 'email-mailgun']),
    /**
     * Domain SES receives mail for (the receipt rule's recipient). Required when `email-ses` is on,
     * rejected otherwise.
     * @default none
     */
    sesInboundDomain: optionalString(
      z.string().regex(/^(?!-)[a-z0-9-]+(\.[a-z0-9-]+)+$/i, 'a domain name such as support.example.com'),
    ),
    /**
     * How providers reach the webhooks.
     *
     * - `'http-api'`: one API Gateway HTTP API (stage throttling, JSON access logs, custom domain
     *   through `publicBaseUrl`). Costs $1.00 per million requests on top of Lambda.
     * - `'function-urls'`: each webhook function gets its own public Lambda function URL (auth
     *   NONE: every request is still authenticated in the function by the provider's signature).
     *   No charge beyond the Lambda invocation, and the same payload format 2.0 event. Trade-offs:
     *   no stage throttling (cap a function with reserved concurrency instead), no custom domain
     *   without putting CloudFront in front yourself (so `publicBaseUrl` is rejected), no API access
     *   logs (the function logs remain), one hostname per function (each provider gets its own
     *   URL), and not offered in every region. Request bodies are limited to Lambda's 6 MB
     *   invocation payload in both modes.
     *
     * Webhook URLs keep the route path in both modes (`<function URL>webhooks/messenger`), so the
     * registration steps and the stack outputs stay the same.
     * @default 'http-api'
     */
    ingress: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.enum(INGRESS_KINDS).default('http-api'),
    ),
    /**
     * Reserved concurrency of each webhook function with `ingress: 'function-urls'`, where it is the
     * only brake (the HTTP API's stage throttling is gone) and what lets the throttle alarm fire: a
     * provider burst beyond it gets 429 and retries instead of taking the account's concurrency
     * from the recorder. Each webhook reserves this much of the account's concurrency, and Lambda
     * keeps at least 100 unreserved: an account whose concurrent-executions quota is under 100 plus
     * the webhooks' reservations (four webhooks at 50: 300) fails the deploy. Lower this, or raise
     * the quota.
     * @default 50
     */
    webhookReservedConcurrency: positiveIntFromContext.default(50),
    /**
     * Most sender environments at once (the outbox event source's maximum concurrency, 2–1,000).
     * Each paces its share of every business number's or page's rate, so more of them send faster
     * only over several numbers or pages; the scale model (`npm run bench -- --only=scale`) names
     * the least that keeps the sender under half of its load. `OutboxCommandAge` warns when it is
     * too few. Above 20, a 10/s endpoint's (SMS, WhatsApp through Twilio) turns in one environment
     * are further apart than SENDER.maxRateWaitMs: an environment waits one such spacing, and sends
     * further commands back to the queue until their turns (shared/outbound/endpoint-rate.ts).
     * @default SENDER.maxConcurrency (10)
     */
    senderMaxConcurrency: eventSourceConcurrencyFromContext.default(SENDER.maxConcurrency),
    /**
     * Most media fetcher environments at once (the media queue's event source, 2–1,000): each copies
     * one attachment at a time. `MediaBacklogAge` warns when it is too few.
     * @default MEDIA_FETCHER.maxConcurrency (10)
     */
    mediaFetcherMaxConcurrency: eventSourceConcurrencyFromContext.default(MEDIA_FETCHER.maxConcurrency),
    /**
     * Messages per second the sender gives each WhatsApp Cloud API business number (1–1,000), all its
     * environments together. Meta starts a number at 80 and upgrades it to 1,000 when it qualifies:
     * set the lowest rate of the deployment's numbers (a number sent faster than Meta allows answers
     * 130429, and the sender backs off).
     * @default SENDER.endpointRatesPerSecond.whatsapp (80)
     */
    whatsappNumberRate: positiveIntFromContext
      .refine((rate) => rate <= 1_000, { message: "at most 1,000 (Meta's highest number throughput)" })
      .default(SENDER.endpointRatesPerSecond.whatsapp),
    /**
     * Quote the customer message a Messenger or Instagram reply answers (`reply_to`). The Graph
     * API's Page messages reference lists it; the Send API guide does not describe it: `false`
     * turns it off for a deployment whose replies Meta refuses for it.
     * @default true
     */
    messengerReplyQuotes: booleanFromContext.default(true),
    /**
     * The Mailgun region of the sending domain (`us` or `eu`): its messages API answers only in its
     * own region, so an EU domain's replies need `eu`.
     * @default 'us'
     */
    mailgunRegion: z.enum(MAILGUN_REGIONS).default('us'),
    /**
     * Public base URL when the HTTP API sits behind a custom domain (for example
     * `https://hooks.example.com`). Twilio signs the exact URL it called, so the SMS webhook needs it.
     * Only with `ingress: 'http-api'`: function URLs each have their own hostname, which the SMS
     * webhook reads from the request.
     * @default the API's execute-api URL
     */
    publicBaseUrl: optionalString(
      z
        .url({ protocol: /^https$/ })
        .transform((url) => url.replace(/\/+$/, ''))
        .refine((url) => !/[?#]/.test(url), 'no query or fragment'),
    ),
    /**
     * Retention of every log group (function logs, API access logs if any), in days; one of the values
     * CloudWatch Logs accepts.
     * @default 30
     */
    logRetentionDays: positiveIntFromContext
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(30),
    /**
     * Days after which stored payloads (raw e-mail, attachments, bodies, SES inbound mail, files uploaded to send) expire;
     * at least 29, as an event too large for a queue message waits as a claim check under `bodies/events/` for as long
     * as its queue and dead-letter queue keep it (14 + 14 days), and one whose object expired first is lost.
     * @default 30
     */
    payloadRetentionDays: positiveIntFromContext
      .refine((days) => days >= 29, { message: 'at least 29: queued claim-checked events would be lost' })
      .default(30),
    /**
     * Days message records, message states and send bookkeeping are kept (DynamoDB TTL); at least 8,
     * as the record is the recorder's dedup marker against providers' retries (Meta: 7 days). A send
     * record is kept at least 29 days whatever this says (shared/store/sends.ts): its command can wait
     * 28 days on the outbox and its dead-letter queue, and one taken again would be sent again.
     * @default 30
     */
    messageRetentionDays: positiveIntFromContext
      .refine((days) => days >= 8 && days <= 3_650, { message: 'from 8 to 3650' })
      .default(30),
    /**
     * Address subscribed to the alarm topic (the recipient must confirm the subscription e-mail).
     * @default none (alarms still publish to the topic)
     */
    alarmEmail: optionalString(z.email()),
    /**
     * `ConversationsOverdue` fires when more than this many conversations were overdue at every sweep
     * for 15 minutes: raise it to the backlog your helpdesk considers normal.
     * @default 0
     */
    maxOverdueConversations: numberFromContext(z.number().int().nonnegative()).default(
      ALARM_THRESHOLDS.maxOverdueConversations,
    ),
    /**
     * Seconds: `IngestBacklogAge` fires when the oldest ingest message is older (3 of 5 minutes),
     * `IngestRecordAge` when the recorder takes one older.
     * @default 300
     */
    maxIngestAgeSeconds: queueAgeFromContext(INGEST_QUEUE).default(ALARM_THRESHOLDS.maxIngestAgeSeconds),
    /**
     * Seconds: `OutboxBacklogAge` fires when the oldest outbox command is older (3 minutes running),
     * `OutboxCommandAge` when the sender takes one older (a reply that waited that long).
     * @default 120
     */
    maxOutboxAgeSeconds: queueAgeFromContext(OUTBOX_QUEUE).default(ALARM_THRESHOLDS.maxOutboxAgeSeconds),
    /**
     * Seconds: `HelpdeskBacklogAge` fires when the oldest helpdesk event is older (3 of 5 minutes):
     * the helpdesk consumer is not reading, and the queue drops events after 14 days.
     * @default 3600
     */
    maxHelpdeskAgeSeconds: queueAgeFromContext(HELPDESK_QUEUE).default(
      ALARM_THRESHOLDS.maxHelpdeskAgeSeconds,
    ),
    /**
     * Seconds: `MediaBacklogAge` fires when the oldest media job is older (3 of 5 minutes).
     * @default 900
     */
    maxMediaAgeSeconds: queueAgeFromContext(MEDIA_QUEUE).default(ALARM_THRESHOLDS.maxMediaAgeSeconds),
    /**
     * `Webhook4xxRate` fires when more than this percentage of webhook requests were refused (4xx)
     * in three five-minute periods running.
     * @default 10
     */
    webhook4xxRatePercent: percentFromContext.default(ALARM_THRESHOLDS.webhook4xxRatePercent),
    /**
     * `Webhook5xxRate` fires when more than this percentage of webhook requests failed (5xx) in five
     * minutes.
     * @default 1
     */
    webhook5xxRatePercent: percentFromContext.default(ALARM_THRESHOLDS.webhook5xxRatePercent),
    /**
     * `HelpdeskApi5xxRate` fires when more than this percentage of helpdesk API requests failed (5xx)
     * in five minutes. Needs `helpdeskApi`.
     * @default 1 (ALARM_THRESHOLDS.helpdeskApi5xxRatePercent)
     */
    helpdeskApi5xxRatePercent: optionalString(percentFromContext),
    /**
     * Production: deletion protection on the table, RETAIN on every stateful resource and log group.
     * Off, everything is destroyed with the stack (a non-empty bucket must be emptied first).
     * @default false
     */
    production: booleanFromContext.default(false),
    /**
     * Encrypt queues, table and secret with one customer-managed KMS key (rotated yearly) instead of
     * AWS-managed encryption; the payload bucket stays on S3-managed keys. Costs one key a month;
     * lets you control and audit key use.
     * @default false
     */
    customerManagedKey: booleanFromContext.default(false),
    /**
     * Deploy the helpdesk HTTP API (its own HTTP API, IAM-authorized unless a JWT issuer is set).
     * Off by default until it has run against a real account.
     * @default false
     */
    helpdeskApi: booleanFromContext.default(false),
    /**
     * Web origins of a helpdesk front end in the browser, whose pages call the helpdesk API and use
     * its presigned media URLs with `fetch` (uploading a file to send, or reading one): comma-separated,
     * each `https://host` with an optional port (`http://` only for localhost), no path and no
     * wildcard. Becomes the payload bucket's CORS rule and the helpdesk API's CORS preflight; needs
     * `helpdeskApi`.
     * @default none (no CORS rule: `<img src>` and download links work, `fetch` from a page does not)
     */
    mediaBrowserOrigins: optionalString(
      z.preprocess(
        commaList,
        z
          .array(
            z
              .string()
              .regex(
                /^(?:https:\/\/[a-z0-9.-]+|http:\/\/(?:localhost|127\.0\.0\.1))(?::\d{1,5})?$/i,
                'an origin such as https://helpdesk.example.com (http:// only for localhost), no path or wildcard',
              ),
          )
          .min(1)
          .max(20),
      ),
    ),
    /**
     * OIDC issuer URL of a JWT authorizer on the helpdesk API (with `helpdeskJwtAudience`). Without
     * it the helpdesk API takes AWS IAM (SigV4) callers only.
     * @default none
     */
    helpdeskJwtIssuer: optionalString(z.url({ protocol: /^https$/ })),
    /**
     * Audiences the JWT must name, comma-separated (with `helpdeskJwtIssuer`).
     * @default none
     */
    helpdeskJwtAudience: optionalString(z.preprocess(commaList, z.array(z.string().min(1)).min(1))),
    /**
     * With a JWT authorizer, require scopes: each route wants `<prefix>/read` (reads of conversations
     * and messages), `<prefix>/write` (changes, sends) or `<prefix>/people` (a person's export,
     * erasure, merges), as `API_ROUTES` classifies it. Without it any valid token may call every route.
     * @default none
     */
    helpdeskJwtScopePrefix: optionalString(z.string().regex(/^[A-Za-z0-9._:/-]{1,100}$/)),
    /**
     * How long a customer may wait for an answer before the hub emits
     * `switchboard.conversation.response_overdue`, per channel, in seconds: `channel=seconds` pairs,
     * comma-separated (`-c responseTargetSeconds=email=7200,sms=600`), or an object in cdk.json.
     * Channels left out keep their default.
     * @default ATTENTION_SWEEPER.responseTargetSeconds (messenger, whatsapp, sms 900; email 14400)
     */
    responseTargetSeconds: z.unknown().transform((value, context) => {
      // The functions' own (valibot) rule, so the CDK context and the environment read the same pairs.
      const parsed = v.safeParse(responseTargetsSetting(), value);
      if (parsed.success) return parsed.output;
      for (const issue of parsed.issues)
        context.addIssue({
          code: 'custom',
          path: issue.path?.map((item) => String(item.key)) ?? [],
          message: issue.message,
        });
      return z.NEVER;
    }),
  })
  .superRefine((config, context) => {
    const sesOn = config.channels.includes('email-ses');
    if (sesOn && !config.sesInboundDomain) {
      context.addIssue({
        code: 'custom',
        path: ['sesInboundDomain'],
        message: 'required when the email-ses channel is on',
      });
    }
    if (!sesOn && config.sesInboundDomain) {
      context.addIssue({
        code: 'custom',
        path: ['sesInboundDomain'],
        message: 'set, but the email-ses channel is off: add email-ses to channels',
      });
    }
    if ((config.helpdeskJwtIssuer === undefined) !== (config.helpdeskJwtAudience === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['helpdeskJwtAudience'],
        message: 'helpdeskJwtIssuer and helpdeskJwtAudience go together',
      });
    }
    if (config.mediaBrowserOrigins !== undefined && !config.helpdeskApi) {
      context.addIssue({
        code: 'custom',
        path: ['mediaBrowserOrigins'],
        message: 'the presigned media URLs come from the helpdesk API: set helpdeskApi=true too',
      });
    }
    if (config.helpdeskApi5xxRatePercent !== undefined && !config.helpdeskApi) {
      context.addIssue({
        code: 'custom',
        path: ['helpdeskApi5xxRatePercent'],
        message: 'an alarm on the helpdesk API: set helpdeskApi=true too',
      });
    }
    if (config.helpdeskJwtScopePrefix !== undefined && config.helpdeskJwtIssuer === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['helpdeskJwtScopePrefix'],
        message: "scopes are a JWT authorizer's: set helpdeskJwtIssuer and helpdeskJwtAudience too",
      });
    }
    if (config.ingress === 'function-urls' && config.publicBaseUrl) {
      context.addIssue({
        code: 'custom',
        path: ['publicBaseUrl'],
        message:
          "only with ingress 'http-api': each function URL has its own hostname, which the webhooks read from the request",
      });
    }
  });

export type SwitchboardConfig = z.output<typeof SwitchboardConfigSchema>;

/** Keys read from context; anything else in cdk.json (feature flags) is left alone. */
const CONFIG_KEYS = Object.keys(SwitchboardConfigSchema.shape) as ReadonlyArray<keyof SwitchboardConfig>;

/** Parses the config from a context reader (`app.node.tryGetContext`); throws one readable error. */
export const readConfig = (tryGetContext: (key: string) => unknown): SwitchboardConfig => {
  const raw = Object.fromEntries(CONFIG_KEYS.map((key) => [key, tryGetContext(key)]));
  const parsed = SwitchboardConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  - ${issue.path.join('.') || '(config)'}: ${issue.message}`,
    );
    throw new Error(`Invalid Switchboard configuration (CDK context):\n${problems.join('\n')}`);
  }
  return parsed.data;
};

/** Keys the CDK CLI writes into cdk.context.json itself (`cdk acknowledge`, `cdk cli-telemetry`), passed to every app. */
const CDK_CLI_CONTEXT_KEYS: readonly string[] = ['acknowledged-issue-numbers', 'cli-telemetry'];

/**
 * Context keys given that are none of the config's: a misspelt one (`-c channel=sms`) would
 * otherwise deploy the default silently (all four channels; no alarm e-mail for `alarmEmial`).
 * CDK's own keys are left alone: feature flags (`@aws-cdk/…`) and those with a colon (`aws:cdk:…`,
 * the lookups cdk.context.json caches) and those the CLI writes there. Each with the config key it most likely meant, if any.
 */
export const unknownContextKeys = (
  keys: readonly string[],
): ReadonlyArray<{ readonly key: string; readonly meant?: string }> =>
  keys
    .filter(
      (key) =>
        !key.startsWith('@') &&
        !key.includes(':') &&
        !CDK_CLI_CONTEXT_KEYS.includes(key) &&
        !(CONFIG_KEYS as readonly string[]).includes(key),
    )
    .map((key) => {
      const meant = CONFIG_KEYS.find((known) =>
        editDistanceAtMost(key.toLowerCase(), known.toLowerCase(), 2),
      );
      return meant === undefined ? { key } : { key, meant };
    });

/** Whether two short strings are within `limit` edits (insert, delete, substitute) of each other. */
const editDistanceAtMost = (a: string, b: string, limit: number): boolean => {
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return (previous[b.length] ?? limit + 1) <= limit;
};

export const isChannelOn = (config: SwitchboardConfig, channel: ConnectorId): boolean =>
  config.channels.includes(channel);
