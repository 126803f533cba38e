/**
 * The alarms' thresholds when a deployment sets none: the defaults of the context keys
 * (infra/config.ts) and of the Monitoring construct's props (infra/constructs/monitoring.ts); and
 * SES's reputation levels, which are AWS's and no key sets. Pure data, so the config reads it
 * without loading the CDK.
 */
export const ALARM_THRESHOLDS = {
  /** `ConversationsOverdue`: more than this many conversations overdue at every sweep for 15 minutes. */
  maxOverdueConversations: 0,
  /** `IngestBacklogAge` and `IngestRecordAge`: an ingest message older than this, in seconds. */
  maxIngestAgeSeconds: 300,
  /**
   * `SpillAge`: a spill object (events a webhook kept when SQS refused them) older than this, in
   * seconds: the drain, every minute, has failed to queue it several times.
   */
  maxSpillAgeSeconds: 300,
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
  /**
   * `SesBounceRate`: the hub's configuration set's `Reputation.BounceRate` (a fraction, 0 to 1) at or
   * above this. SES puts an account under review at a bounce rate of 5 % and may pause its sending at
   * 10 % (Amazon SES Developer Guide: Reputation metrics messages; Creating reputation monitoring
   * alarms using CloudWatch).
   */
  sesBounceRate: 0.05,
  /**
   * `SesComplaintRate`: the hub's configuration set's `Reputation.ComplaintRate` at or above this.
   * SES puts an account under review at a complaint rate of 0.1 % and may pause its sending at 0.5 %.
   */
  sesComplaintRate: 0.001,
} as const;
