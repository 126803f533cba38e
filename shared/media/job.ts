import { z } from 'zod';
import {
  type BusinessEndpoint,
  BusinessEndpointSchema,
  ChannelSchema,
  ProviderSchema,
} from '#shared/contract/common.ts';
import type { HubEventOf } from '#shared/contract/events.ts';
import { stableHash } from '#shared/contract/ids.ts';
import { MediaPartSchema } from '#shared/contract/parts.ts';
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

const jobBytes = (job: MediaJob): number => Buffer.byteLength(JSON.stringify(job), 'utf8');

/**
 * The job within MAX_JOB_BYTES: whole when it fits, else with only what the fetcher needs of the
 * part (the message event carries the rest whole); none when even its reference is that large (the
 * part stays the provider's reference, as on a deployment without the media queue).
 */
const boundedJob = (job: MediaJob): MediaJob[] => {
  if (jobBytes(job) <= MAX_JOB_BYTES) return [job];
  const { type, kind, ref } = job.part;
  const reduced = { ...job, part: { type, kind, ref } };
  return jobBytes(reduced) <= MAX_JOB_BYTES ? [reduced] : [];
};

/**
 * The jobs of a recorded message: one per media part the provider still holds. Not fetched: parts
 * already in the bucket (e-mail attachments), and media the hub does not keep (`keepsMediaOf`).
 */
export const mediaJobsFor = (event: RecordedMessage): MediaJob[] => {
  const { data } = event;
  if (!keepsMediaOf(data.endpoint)) return [];
  return data.parts.flatMap((part, partIndex) =>
    part.type === 'media' && part.ref.store !== 's3'
      ? boundedJob({
          hubMessageId: data.hubMessageId,
          conversationId: data.conversationId,
          channel: data.channel,
          provider: data.provider,
          endpoint: data.endpoint,
          partIndex,
          part,
        })
      : [],
  );
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
