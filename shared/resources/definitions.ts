/**
 * One source of truth for the hub's stateful resources. The CDK app builds the real table, queues
 * and bucket from these; the local hub creates the same ones on its emulators. Change a key name or
 * a queue setting here and both follow.
 */

import type { SecretSection } from '#shared/channels/registry.ts';

/** The physical names' prefix when a deployment sets none (CDK context `namePrefix`). */
export const DEFAULT_NAME_PREFIX = 'switchboard';

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /**
   * `KEYS_ONLY` when readers fetch the items themselves: an update that leaves the index keys alone
   * then costs no index write at all. `ALL` when the index alone must answer the query.
   */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  /** Logical name; deployments prefix it with the stack name. */
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
  /** Items carry an epoch-seconds expiry here; readers must also filter on it (TTL deletion is lazy). */
  readonly timeToLiveAttribute: string;
}

/**
 * SQS FIFO throughput mode. High throughput is deduplication per message group with the throughput
 * quota per message group: the queue is then limited by the account's regional quota per API action
 * (tens of thousands of calls a second), each message group by its partition's, instead of the whole
 * queue sharing 300 calls a second per action.
 */
export interface FifoThroughput {
  readonly deduplicationScope: 'messageGroup' | 'queue';
  readonly fifoThroughputLimit: 'perMessageGroupId' | 'perQueue';
}

/**
 * Every hub queue's mode. A message group is one conversation, so SQS now drops a repeated
 * MessageDeduplicationId only within its conversation: every producer's id is unique per group
 * (event ids hash the occurrence, which fixes its conversation; command ids are scoped to their
 * conversation), so nothing that was deduplicated before gets through now (README: Guarantees).
 */
export const HIGH_THROUGHPUT_FIFO: FifoThroughput = {
  deduplicationScope: 'messageGroup',
  fifoThroughputLimit: 'perMessageGroupId',
};

export interface QueueDefinition {
  readonly name: string;
  readonly fifo: true;
  /** For the queue and its dead-letter queue. */
  readonly throughput: FifoThroughput;
  /** Bytes. SQS defaults to 256 KiB; events can be larger, so it is always set. */
  readonly maximumMessageSizeBytes: number;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionPeriodSeconds: number;
  /** Receives after which a message is moved to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * The receive at which the consumer itself ends a record still without an outcome (in an event,
   * not the dead-letter queue). A record received more often than that had a receive end without
   * finishing it (the function crashed, timed out, or could not end it): it is ended before anything
   * else is tried. `maxReceiveCount`, above it, remains the net for a record even that cannot end.
   * Absent: the consumer never gives up on its own.
   */
  readonly consumerGivesUpAtReceive?: number;
  readonly deadLetterQueue: {
    readonly name: string;
    readonly retentionPeriodSeconds: number;
  };
}

const FOURTEEN_DAYS = 14 * 24 * 60 * 60;
const ONE_MIB = 1_048_576;

export const HUB_TABLE: TableDefinition = {
  name: 'switchboard-hub',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    {
      // Conversations by status, newest activity first to the hour (shared/store/keys.ts). Every
      // message updates its conversation: with only keys projected, and keys that move at most once an
      // hour, those updates cost the index nothing.
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      projection: 'KEYS_ONLY',
    },
    {
      // A conversation's messages in time order; the listing is served from the index alone.
      indexName: 'gsi2',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
      projection: 'ALL',
    },
    {
      // A contact's conversations (the journey, and what erasure starts from). Keys set when a
      // conversation is created and never changed: its later updates cost the index nothing.
      indexName: 'gsi3',
      partitionKey: { name: 'gsi3pk', type: 'S' },
      sortKey: { name: 'gsi3sk', type: 'S' },
      projection: 'KEYS_ONLY',
    },
    {
      // Sparse: conversations waiting for an answer (by how long) and snoozed ones (by when they
      // wake), shared/store/keys.ts. Keys move only when a wait starts or ends or a snooze is set.
      indexName: 'gsi4',
      partitionKey: { name: 'gsi4pk', type: 'S' },
      sortKey: { name: 'gsi4sk', type: 'S' },
      projection: 'KEYS_ONLY',
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};

/**
 * Webhooks → recorder. Group = conversation id, dedup id = event id. An event still failing at its
 * 5th receive is moved to the dead-letter queue by the recorder itself (with its reason), and the
 * later events of its conversation are recorded in the same invocation; had they gone on failing
 * behind it, their receive counts would have risen with its own and the queue's redrive would have
 * moved them all. One whose 5th receive died with its function is tried once more at the 6th, then
 * moved the same way; only what even that cannot end is left to the redrive (`maxReceiveCount`).
 */
export const INGEST_QUEUE: QueueDefinition = {
  name: 'switchboard-ingest.fifo',
  fifo: true,
  throughput: HIGH_THROUGHPUT_FIFO,
  maximumMessageSizeBytes: ONE_MIB,
  // Six times the recorder's timeout, as AWS recommends for SQS event sources.
  visibilityTimeoutSeconds: 180,
  retentionPeriodSeconds: FOURTEEN_DAYS,
  maxReceiveCount: 6,
  consumerGivesUpAtReceive: 5,
  deadLetterQueue: { name: 'switchboard-ingest-dlq.fifo', retentionPeriodSeconds: FOURTEEN_DAYS },
};

/** Recorder → helpdesk. The documented stream a helpdesk consumes. */
export const HELPDESK_QUEUE: QueueDefinition = {
  name: 'switchboard-helpdesk.fifo',
  fifo: true,
  throughput: HIGH_THROUGHPUT_FIFO,
  maximumMessageSizeBytes: ONE_MIB,
  visibilityTimeoutSeconds: 60,
  retentionPeriodSeconds: FOURTEEN_DAYS,
  maxReceiveCount: 10,
  deadLetterQueue: { name: 'switchboard-helpdesk-dlq.fifo', retentionPeriodSeconds: FOURTEEN_DAYS },
};

/**
 * Helpdesk → sender: send, mark-read and typing commands (shared/contract/commands.ts). Group =
 * conversation id, so a conversation's commands go out in order; a command waiting on a throttled
 * or silent provider holds back only its own conversation. A failed delivery comes back after the
 * visibility timeout; the sender gives up on a provider after 10 minutes (send_failed). A command
 * still without an outcome at its 50th receive (one waiting on a rate, or behind an earlier command
 * of its conversation) ends in send_failed there; one whose 50th receive died with its function
 * (a crash, a timeout) ends at the next, before anything else is tried. The dead-letter queue gets
 * only what cannot be attributed to a conversation, and what could not be ended in 10 receives more.
 * The visibility timeout is twice the sender's, not the six times AWS suggests for event sources:
 * a reply whose delivery died should be tried again within a minute, not three; a receive lost to
 * Lambda throttling costs one of the 50 (a minute each), so does each return from a wait for an
 * endpoint's turn (seconds: the limiter spaces them out, shared/outbound/endpoint-rate.ts), and the event source's
 * maximum concurrency keeps it from invoking more environments than the sender has (fewer throttled receives).
 */
export const OUTBOX_QUEUE: QueueDefinition = {
  name: 'switchboard-outbox.fifo',
  fifo: true,
  throughput: HIGH_THROUGHPUT_FIFO,
  maximumMessageSizeBytes: ONE_MIB,
  visibilityTimeoutSeconds: 60,
  retentionPeriodSeconds: FOURTEEN_DAYS,
  maxReceiveCount: 60,
  consumerGivesUpAtReceive: 50,
  deadLetterQueue: { name: 'switchboard-outbox-dlq.fifo', retentionPeriodSeconds: FOURTEEN_DAYS },
};

/**
 * The longest a command can wait before the sender takes it, or come back after it did: its time
 * on the outbox and then on the outbox's dead-letter queue (one redrive, which sends it anew).
 * Worked out by a call marked pure, so a bundle that never reads it (a webhook's) leaves the outbox
 * queue's definition out: esbuild keeps any top-level sum of properties, read or not.
 */
export const OUTBOX_LONGEST_WAIT_SECONDS = /* @__PURE__ */ (() =>
  OUTBOX_QUEUE.retentionPeriodSeconds + OUTBOX_QUEUE.deadLetterQueue.retentionPeriodSeconds)();

/**
 * Recorder → media fetcher: one job per attachment of a recorded message (shared/media/job.ts),
 * so a webhook's answer and the recorder never wait on a download. Group and dedup id = the part
 * (a message's attachments download side by side). The visibility timeout is three times the
 * fetcher's; a failing provider's job comes back after its backoff (the fetcher sets the
 * visibility), a part another fetcher holds after its claim goes stale. A part still without an
 * outcome at its job's 20th receive (its claims or publishes kept failing, or its receives died)
 * ends in `media_failed` there, or at the first receive after it.
 */
export const MEDIA_QUEUE: QueueDefinition = {
  name: 'switchboard-media.fifo',
  fifo: true,
  throughput: HIGH_THROUGHPUT_FIFO,
  maximumMessageSizeBytes: ONE_MIB,
  visibilityTimeoutSeconds: 360,
  retentionPeriodSeconds: FOURTEEN_DAYS,
  maxReceiveCount: 25,
  consumerGivesUpAtReceive: 20,
  deadLetterQueue: { name: 'switchboard-media-dlq.fifo', retentionPeriodSeconds: FOURTEEN_DAYS },
};

export const QUEUES = [INGEST_QUEUE, HELPDESK_QUEUE, OUTBOX_QUEUE, MEDIA_QUEUE] as const;

/** Raw e-mail, attachments and bodies too large for an event. */
export const PAYLOAD_BUCKET = {
  name: 'switchboard-payloads',
  /** Prefixes, so lifecycle rules and IAM can be scoped. */
  prefixes: {
    rawEmail: 'raw/email/',
    attachments: 'attachments/',
    bodies: 'bodies/',
    sesInbound: 'ses-inbound/',
    /** Files the helpdesk uploads to send (`POST /v1/media` hands out the keys). */
    outboundMedia: 'media/outbound/',
    /**
     * Events a webhook could not queue, kept until the spill drain queues them (shared/intake/spill.ts):
     * `<conversationId>/` (erasure lists them by it) or `unscoped/`.
     */
    spill: 'spill/',
  },
  /**
   * Events too large for one queue message, stored as claim checks (keys: shared/aws/claim-check-keys.ts) under
   * `<conversationId>/` (erasure lists them by it) or `unscoped/`; under `bodies/`.
   */
  claimCheckPrefix: 'bodies/events/',
} as const;

/**
 * Lambda entries in functions/ that are not a channel connector's (those are listed in
 * shared/channels/registry.ts).
 */
export const CORE_FUNCTIONS = [
  'recorder',
  'sender',
  'email-ses-events',
  'helpdesk-api',
  'attention-sweeper',
  'media-fetcher',
  'channel-secret-upgrade',
  'ingest-spill-drain',
] as const;

/**
 * The provider credentials (sections of shared/config/secrets.ts) each core function reads; the
 * CDK app lets it read those secrets and no others. A webhook's are its connector's
 * (shared/channels/registry.ts); a function not named here reads none.
 */
export const CORE_FUNCTION_SECRET_SECTIONS = {
  /** Sends on every provider, and signs e-mail reply tags. */
  sender: ['meta', 'twilio', 'mailgun', 'email'],
  /** Downloads WhatsApp media through the Graph API and Twilio media with the account's credentials. */
  'media-fetcher': ['meta', 'twilio'],
  /** Erasure redacts the person's messages at Twilio and deletes WhatsApp uploads (the API, then the sweeper's retries). */
  'helpdesk-api': ['meta', 'twilio'],
  'attention-sweeper': ['meta', 'twilio'],
} as const satisfies Partial<Record<(typeof CORE_FUNCTIONS)[number], readonly SecretSection[]>>;

/** Recorder settings the CDK app and the local poller share. */
export const RECORDER = {
  batchSize: 10,
  timeoutSeconds: 30,
  memoryMb: 512,
} as const;

/**
 * The helpdesk API function (functions/helpdesk-api.ts). An erasure, an export page or a merge runs
 * within the request (provider redactions included): up to API Gateway's 30 s integration limit, not
 * Lambda's 10 s default. What runs inside a request is bounded by it (the provider erasure's budget,
 * shared/outbound/provider-erasure.ts), and what waits for a request to have ended waits longer (a
 * pending announcement's grace, shared/store/pending-announcements.ts).
 */
export const HELPDESK_API = {
  timeoutSeconds: 29,
  memoryMb: 512,
} as const;

/** Sender settings the CDK app and the local poller share. */
export const SENDER = {
  batchSize: 10,
  timeoutSeconds: 30,
  memoryMb: 512,
  /** A provider that has not answered by then may still act on the request: the sender reconciles. */
  providerTimeoutMs: 8_000,
  /** Sender environments at once (the outbox event source's maximum concurrency). */
  maxConcurrency: 10,
  /**
   * Requests per second one business endpoint (phone number, page, sending domain) may receive,
   * all the sender's environments together; each environment takes its share
   * (rate / maxConcurrency). WhatsApp: 80 per number by default; Messenger: 40 per page or
   * Instagram account (Meta's rate-limiting page: past "more than 40 messages per second" a page
   * "cannot send new messages until the volume decreases"; its 300 calls/s is the API's ceiling for
   * text, and audio or video 10/s, not paced apart; 300 until 2026-12-06, found by a review); SMS:
   * Twilio queues beyond a sender's own rate (a US long code sends one segment per second);
   * e-mail: SES's starting production send rate (Mailgun documents none per domain). By channel, or
   * `<provider>:<channel>` where a provider's rate for a channel is its own: WhatsApp through Twilio,
   * 10 text messages per second per sender (50 on request; media 1.5/s, not paced apart;
   * twilio.com/docs/whatsapp/best-practices-and-faqs), where the Cloud API's 80 would overrun it.
   */
  endpointRatesPerSecond: { whatsapp: 80, messenger: 40, sms: 10, email: 14, 'twilio:whatsapp': 10 },
  /** Longest wait for an endpoint's turn inside one invocation; beyond it the command waits on the queue until its turn. */
  maxRateWaitMs: 2_000,
  /**
   * A message the provider took nothing of (throttled, refused for now, unreachable) comes back after
   * the provider's stated wait plus a full-jitter share of `baseMs · 2^n` (n: its earlier waits), the
   * share at most `capMs`: 0–2 s, 0–4 s, … 0–5 min, about ten tries in the 10-minute give-up, spread
   * so that an endpoint's throttled conversations do not all come back at once (the sender sets the
   * record's visibility; shared/outbound/send-command.ts).
   */
  // 5 minutes, written out: esbuild keeps an object holding a product (`5 * 60_000`) in every bundle of this file.
  backoff: { baseMs: 2_000, capMs: 300_000 },
  /**
   * Tries of a message whose request never reached the provider (connection refused, name not
   * resolved) before it ends `provider_error`: a network blip passes in seconds; what persists is
   * an outage or a wrong URL, which waiting out the throttling give-up would not mend.
   */
  unreachableTries: 3,
  /**
   * A provider's definite "took nothing" (throttled, refused, credentials refused) is only worth
   * something once the send record says so: while DynamoDB refuses that write past the SDK's own
   * retries, it is tried up to 5 times, 200 ms · 2^n apart (half jittered: 1.5–3 s of waits in all),
   * keeping the invocation's last 3 s for the rest of the batch. Still refused, it is kept in the
   * execution environment and written before its next command (shared/outbound/send-command.ts).
   */
  answerWrites: { tries: 5, baseMs: 200, reserveMs: 3_000 },
  /**
   * The bytes of files an environment's sends hold at once (shared/outbound/staging-budget.ts): an
   * e-mail reads its files whole and holds them with the composed MIME and the provider's request
   * body until the provider answers. Measured through the real SES sender and SDK client (one
   * process under tsx, which adds to the base): at rest 84–92 MiB; one reply with 27 MiB peaked at
   * 270 MiB, 2, 3, 4 at once at 395, 490, 607, ten with 10 MiB at once at 582 (4.2–4.6 times the
   * files in flight past a base of about 157). Sends following one another through the budget
   * peaked higher for what was in flight, as the memory of finished ones is freed late: up to
   * 160 + 7.5 times it (2 × 22 MiB: 492; 3 × 20 MiB: 532). So `baseMb` 160 for the environment and
   * the first send's own overhead, and `memoryPerFileByte` 10 (the review's 275 MB for 27 MiB),
   * a margin over the 7.5: at 512 MB, (512 − 160) / 10 ≈ 35 MiB of files in flight (one of 27
   * MiB, three of 10 MiB; measured up to 363 MiB with 40 MiB in flight). A file larger than the
   * budget is sent alone. `assumedMemoryMb`: the Sender construct's default, where the environment
   * does not say (the local hub).
   */
  stagedFiles: { baseMb: 160, memoryPerFileByte: 10, assumedMemoryMb: 512 },
  /**
   * The longest a WhatsApp upload of a stored file may take (`POST /{phone-number-id}/media`): a
   * 100 MB document at under 1 MB/s. Each upload gets what the invocation has left past the
   * `minRemainingMs` its message call needs (shared/outbound/send-command.ts), at most this; under
   * the function's 30 s that is at most 18 s, so this bound holds only for a longer timeout.
   * Message calls keep `providerTimeoutMs`.
   */
  maxUploadMs: 120_000,
} as const;

/**
 * The media fetcher (functions/media-fetcher.ts): copies inbound attachments into the payload
 * bucket. One job per invocation: a download holds at most one part of memory (8 MiB) however
 * large the file, so the function's memory bounds it whatever arrives together.
 */
export const MEDIA_FETCHER = {
  batchSize: 1,
  timeoutSeconds: 120,
  memoryMb: 256,
  /** One download, lookup included; the rest of the timeout is the last part's upload and the event's. */
  downloadTimeoutMs: 100_000,
  /** A claim this old is a dead fetcher's (past the function's timeout): a redelivery may take it. */
  staleClaimSeconds: 150,
  /**
   * Downloads per part before `provider_error`, the job coming back after 30 s, 1, 2, 4, 8… minutes
   * (at most 15): about half an hour, well inside the shortest provider life (WhatsApp webhook media
   * ids, 7 days; each attempt asks for a fresh download URL).
   */
  maxAttempts: 6,
  backoffSeconds: (attempts: number): number => Math.min(900, 30 * 2 ** (attempts - 1)),
  /** Fetcher environments at once (the media event source's maximum concurrency). */
  maxConcurrency: 10,
} as const;

/**
 * The attention sweeper (functions/attention-sweeper.ts): wakes snoozes whose time has come and
 * emits `switchboard.conversation.response_overdue` for customers waiting past their channel's
 * target, from the sparse attention index (gsi4). The CDK app runs it on a schedule, the local hub
 * on a timer.
 */
export const ATTENTION_SWEEPER = {
  /** The schedule's rate: a snooze wakes, and an overdue answer is seen, within this. */
  intervalMinutes: 1,
  /** The local hub's timer (tests shorten it). */
  localIntervalMs: 5_000,
  /**
   * Under the interval, so a sweep has ended when the next is due (a sweep reads at most a few
   * thousand index keys and items, and the redaction retry has a 5-second provider budget).
   */
  timeoutSeconds: 50,
  /**
   * A sweep starts handling conversations (a few at a time) only within this from its start; the
   * rest it leaves to the next sweep, as it does past its limits. The timeout's other 20 s are for the
   * calls in flight (the SDK's retries included) and the redaction retry's 5-second provider budget.
   */
  budgetSeconds: 30,
  /**
   * How long a customer may wait for an answer before `response_overdue`, per channel, in seconds:
   * 15 minutes on the chat channels and SMS, 4 hours on e-mail. A deployment overrides any of them
   * with the `responseTargetSeconds` context key; the function reads SWITCHBOARD_RESPONSE_TARGET_SECONDS.
   */
  responseTargetSeconds: { messenger: 900, whatsapp: 900, sms: 900, email: 14_400 },
  /** Index keys one round of Queries reads (keys only: about 100 bytes each), divided among a kind's shards. */
  keysPerPage: 1_000,
  /** Index keys one sweep takes at most, per kind (`SNOOZED`; `WAITING`, over all its shards). */
  maxKeysPerSweep: 10_000,
  /** Conversation items one sweep reads at most (BatchGetItem, 100 a call), per partition. */
  maxItemsPerSweep: 1_000,
} as const;

/**
 * The spill drain (functions/ingest-spill-drain.ts): queues the events webhooks kept in the payload
 * bucket's spill when the ingest queue refused them (shared/intake/spill.ts). The CDK app runs it on
 * a schedule, the local hub on a timer.
 */
export const INGEST_SPILL_DRAIN = {
  /** The schedule's rate: a spilled event is queued within about this. */
  intervalMinutes: 1,
  /** The local hub's timer (tests shorten it). */
  localIntervalMs: 5_000,
  /** Under the interval, so a run has ended when the next is due. */
  timeoutSeconds: 50,
  /** A run begins objects only within this from its start; the rest of the timeout is for the calls in flight. */
  budgetSeconds: 30,
  /** Spill objects one run lists at most (a sustained outage's backlog drains over several runs). */
  maxListed: 10_000,
} as const;
