import { DEFAULT_NAME_PREFIX } from '#shared/resources/definitions.ts';

/**
 * The metrics the hub emits (CloudWatch embedded metric format, through Powertools Metrics), named
 * once for the code that emits them and the alarms that watch them (infra/constructs/monitoring.ts).
 * Pure data: the CDK app reads it without loading Powertools.
 */
export const METRICS_NAMESPACE = 'Switchboard';

/**
 * The namespace of one hub's metrics: METRICS_NAMESPACE for a hub under the default name prefix,
 * `Switchboard/<prefix>` for one under another, so two hubs in one account and region never share
 * a metric, nor so an alarm (before 2026-12-05 every hub wrote to `Switchboard`, and one hub's
 * failures raised the other's alarms). The CDK app hands it to the functions as
 * SWITCHBOARD_METRICS_NAMESPACE and points the alarms at it.
 */
export const metricsNamespaceFor = (namePrefix: string): string =>
  namePrefix === DEFAULT_NAME_PREFIX ? METRICS_NAMESPACE : `${METRICS_NAMESPACE}/${namePrefix}`;

/** Powertools puts the service name in the `service` dimension of every metric. */
export const METRIC_SERVICES = {
  recorder: 'recorder',
  sender: 'sender',
  attentionSweeper: 'attention-sweeper',
  mediaFetcher: 'media-fetcher',
  ingestSpillDrain: 'ingest-spill-drain',
} as const;

export const SPILL_METRICS = {
  /** Seconds since the oldest spill object was written, at each drain run (a gauge an alarm watches; 0 when none). */
  oldestSpillAge: 'OldestSpillAge',
  /** Spill objects a run queued and deleted. */
  spillObjectsDrained: 'SpillObjectsDrained',
  /** Spill objects a run left for the next because a read, publish or delete failed. */
  spillObjectsFailed: 'SpillObjectsFailed',
} as const;

export const MEDIA_METRICS = {
  /** Attachments stored in the payload bucket. */
  stored: 'MediaStored',
  /** Attachments that ended `media_failed` (dimension `reason`). */
  failed: 'MediaFailed',
  /** Downloads a provider refused for the hub's own credentials (each retried; a person must fix the secret). */
  credentialsRefused: 'MediaCredentialsRefused',
  /**
   * Media jobs that failed unexpectedly (not a retry the fetcher chose: a part another fetcher holds,
   * a provider's backoff): reported failed in the batch, which never raises Lambda's Errors; retried,
   * then ended media_failed at the give-up receive or dead-lettered.
   */
  jobErrors: 'MediaJobErrors',
} as const;

export const RECORDER_METRICS = {
  /** Ingest messages the recorder reported failed in a batch (retried, then dead-lettered). */
  recordFailures: 'RecordFailures',
  /** Ingest messages recorded. */
  recorded: 'Recorded',
  /** Seconds the oldest message of an invocation's batch had waited on the ingest queue (shared/observability/record-age.ts). */
  oldestRecordAge: 'OldestRecordAge',
} as const;

export const SENDER_METRICS = {
  /** Send commands that ended `message.sent`. */
  sent: 'CommandsSent',
  /** Send commands that ended `send_failed` (dimension `reason`). */
  sendFailed: 'CommandsFailed',
  /**
   * Commands that failed unexpectedly (not a wait for a provider): retried, then dead-lettered; and
   * commands that ended with their endpoint's pause refused, kept in one environment's memory.
   */
  commandErrors: 'CommandErrors',
  /** A business endpoint paused: its provider refused the credentials or the business account. */
  endpointPaused: 'EndpointsPaused',
  /** Seconds the oldest command of an invocation's batch had waited on the outbox (shared/observability/record-age.ts). */
  oldestRecordAge: 'OldestRecordAge',
} as const;

export const ATTENTION_METRICS = {
  /** Conversations whose customer has waited past the channel's response target, at each sweep (a gauge). */
  conversationsOverdue: 'ConversationsOverdue',
  /** `response_overdue` events a sweep published (one per wait). */
  responsesOverdue: 'ResponsesOverdue',
  /** Snoozes a sweep woke. */
  snoozesWoken: 'SnoozesWoken',
  /** Conversation items a sweep skipped because it could not read them (another version's format). */
  conversationsUnreadable: 'ConversationsUnreadable',
} as const;

/**
 * The pseudonym key refused by the table's check item (shared/store/pseudonym-key-check.ts): the
 * fixed error line each function that reads the key logs, and the metric a log metric filter on
 * those functions' log groups counts it into (the helpdesk API emits no metrics of its own).
 */
export const PSEUDONYM_KEY_MISMATCH = {
  logMessage: 'pseudonym key refused: it does not match the check item in the table',
  metricName: 'PseudonymKeyMismatches',
} as const;

/**
 * The `reason` dimension value of the send failures that need a person (credentials refused or
 * missing, or the business account refused: WhatsApp's locked account, unregistered number, payment).
 */
export const SEND_FAILURE_NEEDING_A_PERSON = 'credentials';
