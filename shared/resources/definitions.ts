/**
 * One source of truth for the hub's stateful resources. The CDK app builds the real table, queues
 * and bucket from these; the local hub creates the same ones on its emulators. Change a key name or
 * a queue setting here and both follow.
 */

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

export interface QueueDefinition {
  readonly name: string;
  readonly fifo: true;
  /** Bytes. SQS defaults to 256 KiB; events can be larger, so it is always set. */
  readonly maximumMessageSizeBytes: number;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionPeriodSeconds: number;
  /** Receives after which a message is moved to the dead-letter queue. */
  readonly maxReceiveCount: number;
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

/** Webhooks → recorder. Group = conversation id, dedup id = event id. */
export const INGEST_QUEUE: QueueDefinition = {
  name: 'switchboard-ingest.fifo',
  fifo: true,
  maximumMessageSizeBytes: ONE_MIB,
  // Six times the recorder's timeout, as AWS recommends for SQS event sources.
  visibilityTimeoutSeconds: 180,
  retentionPeriodSeconds: FOURTEEN_DAYS,
  maxReceiveCount: 5,
  deadLetterQueue: { name: 'switchboard-ingest-dlq.fifo', retentionPeriodSeconds: FOURTEEN_DAYS },
};

/** Recorder → helpdesk. The documented stream a helpdesk consumes. */
export const HELPDESK_QUEUE: QueueDefinition = {
  name: 'switchboard-helpdesk.fifo',
  fifo: true,
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
 * visibility timeout; the sender gives up on a provider after 10 minutes (send_failed), well before
 * the receives run out.
 */
export const OUTBOX_QUEUE: QueueDefinition = {
  name: 'switchboard-outbox.fifo',
  fifo: true,
  maximumMessageSizeBytes: ONE_MIB,
  visibilityTimeoutSeconds: 60,
  retentionPeriodSeconds: FOURTEEN_DAYS,
  maxReceiveCount: 50,
  deadLetterQueue: { name: 'switchboard-outbox-dlq.fifo', retentionPeriodSeconds: FOURTEEN_DAYS },
};

export const QUEUES = [INGEST_QUEUE, HELPDESK_QUEUE, OUTBOX_QUEUE] as const;

/** Raw e-mail, attachments and bodies too large for an event. */
export const PAYLOAD_BUCKET = {
  name: 'switchboard-payloads',
  /** Prefixes, so lifecycle rules and IAM can be scoped. */
  prefixes: {
    rawEmail: 'raw/email/',
    attachments: 'attachments/',
    bodies: 'bodies/',
    sesInbound: 'ses-inbound/',
  },
  /** Events too large for one queue message, stored as claim checks (shared/aws/claim-check.ts); under `bodies/`. */
  claimCheckPrefix: 'bodies/events/',
} as const;

/**
 * Lambda entries in functions/ that are not a channel connector's (those are listed in
 * shared/channels/registry.ts).
 */
export const CORE_FUNCTIONS = ['recorder', 'sender', 'email-ses-events', 'helpdesk-api'] as const;

/** Recorder settings the CDK app and the local poller share. */
export const RECORDER = {
  batchSize: 10,
  timeoutSeconds: 30,
} as const;

/** Sender settings the CDK app and the local poller share. */
export const SENDER = {
  batchSize: 10,
  timeoutSeconds: 30,
  /** A provider that has not answered by then may still act on the request: the sender reconciles. */
  providerTimeoutMs: 8_000,
} as const;
