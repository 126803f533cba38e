import type { RuntimeConfig } from './runtime.ts';

/**
 * How long message records, their states, attachments' records and send bookkeeping are kept, in
 * seconds: SWITCHBOARD_MESSAGE_RETENTION_DAYS (DynamoDB TTL). The recorder, the media fetcher and
 * the sender each keep theirs for it, and the helpdesk API the upload references a send notes.
 */
export const messageRetentionSeconds = (
  config: Pick<RuntimeConfig, 'SWITCHBOARD_MESSAGE_RETENTION_DAYS'>,
): number => config.SWITCHBOARD_MESSAGE_RETENTION_DAYS * 86_400;
