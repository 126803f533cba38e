/**
 * The alarms' thresholds when a deployment sets none: the defaults of the context keys
 * (infra/config.ts) and of the Monitoring construct's props (infra/constructs/monitoring.ts).
 * Pure data, so the config reads it without loading the CDK.
 */
export const ALARM_THRESHOLDS = {
  /** `ConversationsOverdue`: more than this many conversations overdue at every sweep for 15 minutes. */
  maxOverdueConversations: 0,
  /** `IngestBacklogAge` and `IngestRecordAge`: an ingest message older than this, in seconds. */
  maxIngestAgeSeconds: 300,
  /** `OutboxBacklogAge` and `OutboxCommandAge`: an outbox command older than this, in seconds. */
  maxOutboxAgeSeconds: 120,
  /** `HelpdeskBacklogAge`: a helpdesk event unread for longer than this, in seconds (the queue keeps it 14 days). */
  maxHelpdeskAgeSeconds: 3_600,
  /** `MediaBacklogAge`: a media job older than this, in seconds. */
  maxMediaAgeSeconds: 900,
  /** `Webhook4xxRate`: more than this percentage of webhook requests refused (4xx) over 15 minutes. */
  webhook4xxRatePercent: 10,
  /** `Webhook5xxRate`: more than this percentage of webhook requests failed (5xx) in 5 minutes. */
  webhook5xxRatePercent: 1,
  /** `HelpdeskApi5xxRate`: more than this percentage of helpdesk API requests failed (5xx) in 5 minutes. */
  helpdeskApi5xxRatePercent: 1,
} as const;
