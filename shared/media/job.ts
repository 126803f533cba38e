import { z } from 'zod';
import {
  type BusinessEndpoint,
  BusinessEndpointSchema,
  ChannelSchema,
  ProviderSchema,
} from '#shared/contract/common.ts';
import type { HubEventOf } from '#shared/contract/events.ts';
import { stableHash } from '#shared/contract/ids.ts';
import type { Message } from '#shared/contract/message.ts';
import { MediaPartSchema, type MessagePart } from '#shared/contract/parts.ts';
import { PAYLOAD_BUCKET } from '#shared/resources/definitions.ts';

/**
 * One attachment to copy into the payload bucket: what the recorder puts on the media queue for
 * each media part of a message it recorded, and all the fetcher needs (it reads nothing else).
 */
export const MediaJobSchema = z.object({
  hubMessageId: z.string().min(1),
  conversationId: z.string().min(1),
  channel: ChannelSchema,
  provider: ProviderSchema,
  endpoint: BusinessEndpointSchema,
  /** The part's position in the message's `parts`. */
  partIndex: z.number().int().nonnegative(),
  part: MediaPartSchema,
});
export type MediaJob = z.infer<typeof MediaJobSchema>;

type RecordedMessage = HubEventOf<'switchboard.message.received' | 'switchboard.message.sent'>;

/**
 * Whether the hub copies a business endpoint's media into its bucket: not Instagram's, which Meta's
 * platform terms do not let the hub keep (README: Attachments); they stay the provider's reference.
 */
export const keepsMediaOf = (endpoint: BusinessEndpoint): boolean => endpoint.type !== 'instagram_account';

/**
 * Far above a real job (about 1 KB), and ten of them stay within a SendMessageBatch's 1 MiB. A
 * signed webhook can make a caption, a file name or a type any length: a job carrying them whole
 * would be refused by the queue every time the recorder tries, and its message never recorded.
 */
const MAX_JOB_BYTES = 64 * 1024;
/**
 * What a part's reference may take of a job: the rest (ids the intake bounds, the endpoint) stays
 * far below the other half.
 */
const MAX_REF_BYTES = MAX_JOB_BYTES / 2;
/**
 * Media parts of one message the fetcher copies: far more than any provider attaches to one message
 * (WhatsApp 1, Twilio 10), and few enough that the recorder queues them well within its time.
 */
export const MAX_MEDIA_JOBS_PER_MESSAGE = 100;

/**
 * A message the hub sent itself, as the sender records it (with its command): its media parts are
 * the files the helpdesk gave, by key (already in the bucket) or by its own URL, which the fetcher
 * never copies. An echo of a hub send that the recorder keeps (Messenger's, with the provider's CDN
 * URL) carries no command and is copied like any other message.
 */
export const isHubSend = (message: Pick<Message, 'direction' | 'sentBy' | 'commandId'>): boolean =>
  message.direction === 'outbound' && message.sentBy === 'hub' && message.commandId !== undefined;

/** Whether the fetcher copies any part of a message: not Instagram's (`keepsMediaOf`), not a hub send's. */
const fetchesMediaOf = (message: Pick<Message, 'endpoint' | 'direction' | 'sentBy' | 'commandId'>): boolean =>
  keepsMediaOf(message.endpoint) && !isHubSend(message);

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

type QueuedPart = 'whole' | 'reference';

/** A part the fetcher may copy: media still at the provider, not a file already in the bucket. */
const isProviderMedia = (part: MessagePart | undefined): part is Extract<MessagePart, { type: 'media' }> =>
  part?.type === 'media' && part.ref.store !== 's3';

/**
 * How a provider media part goes to the fetcher, given how many such parts came before it in its
 * message: whole, by its reference only (its caption, name or type too large for a job: the message
 * event carries them whole), or not at all (a reference too large to queue, or a part past the first
 * MAX_MEDIA_JOBS_PER_MESSAGE).
 */
const queuedAs = (
  part: Extract<MessagePart, { type: 'media' }>,
  earlierMedia: number,
): QueuedPart | undefined => {
  const { type, kind, ref } = part;
  if (earlierMedia >= MAX_MEDIA_JOBS_PER_MESSAGE || bytesOf({ type, kind, ref }) > MAX_REF_BYTES)
    return undefined;
  return bytesOf(part) <= MAX_REF_BYTES ? 'whole' : 'reference';
};

/**
 * How the media part at `partIndex` goes to the fetcher (`queuedAs`), or not at all: media the hub
 * does not keep (`keepsMediaOf`), a hub send's parts (`isHubSend`), parts already in the bucket
 * (e-mail attachments), and what `queuedAs` leaves out. Those stay the reference they are; the
 * helpdesk API's download answers by this rule.
 */
export const queuedPartOf = (
  message: Pick<Message, 'endpoint' | 'direction' | 'sentBy' | 'commandId' | 'parts'>,
  partIndex: number,
): QueuedPart | undefined => {
  const { parts } = message;
  const part = parts[partIndex];
  if (!fetchesMediaOf(message) || !isProviderMedia(part)) return undefined;
  return queuedAs(part, parts.slice(0, partIndex).filter(isProviderMedia).length);
};

/**
 * The jobs of a recorded message: one per media part that goes to the fetcher (`queuedPartOf`),
 * counted in one pass over the parts.
 */
export const mediaJobsFor = (event: RecordedMessage): MediaJob[] => {
  const { data } = event;
  if (!fetchesMediaOf(data)) return [];
  const jobs: MediaJob[] = [];
  let earlierMedia = 0;
  for (const [partIndex, part] of data.parts.entries()) {
    if (!isProviderMedia(part)) continue;
    const queued = queuedAs(part, earlierMedia++);
    if (queued === undefined) continue;
    const { type, kind, ref } = part;
    jobs.push({
      hubMessageId: data.hubMessageId,
      conversationId: data.conversationId,
      channel: data.channel,
      provider: data.provider,
      endpoint: data.endpoint,
      partIndex,
      part: queued === 'whole' ? part : { type, kind, ref },
    });
  }
  return jobs;
};

/**
 * Where an attachment is stored: under its conversation and message, so erasure (which reaches the
 * message's partition and the `{store: 's3', key}` recorded there) and lifecycle rules find it.
 */
export const mediaObjectKey = (
  job: Pick<MediaJob, 'conversationId' | 'hubMessageId' | 'partIndex'>,
): string =>
  `${PAYLOAD_BUCKET.prefixes.attachments}${job.conversationId}/${job.hubMessageId}/${job.partIndex}`;

/** The media queue's deduplication id and message group: one per part (parts download side by side). */
export const mediaJobId = (job: Pick<MediaJob, 'hubMessageId' | 'partIndex'>): string =>
  `media_${stableHash('media', job.hubMessageId, String(job.partIndex))}`;
