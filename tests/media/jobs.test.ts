import { describe, expect, it } from 'vitest';
import {
  type BusinessEndpoint,
  buildEvent,
  eventIdFor,
  hubMessageIdFor,
  type MessagePart,
} from '#shared/contract/index.ts';
import { keepsMediaOf, MAX_MEDIA_JOBS_PER_MESSAGE, mediaJobsFor, queuedPartOf } from '#shared/media/job.ts';

/*
 * Which parts of a recorded message the media fetcher copies: media the provider still holds, on an
 * endpoint whose media the hub keeps. The helpdesk API's download answers by the same rule.
 */

const providerImage: MessagePart = {
  type: 'media',
  kind: 'image',
  ref: { store: 'provider_media_id', mediaId: '771' },
};
const storedFile: MessagePart = {
  type: 'media',
  kind: 'file',
  ref: { store: 's3', key: 'attachments/abc/report.pdf' },
};

const recorded = (endpoint: BusinessEndpoint, parts: MessagePart[]) =>
  buildEvent('switchboard.message.received', eventIdFor('messenger', 'message', 'mid.1'), {
    channel: 'messenger',
    provider: 'meta',
    endpoint,
    contact: { identities: [{ type: 'psid', value: '4242' }] },
    conversationId: 'conv_jobs',
    hubMessageId: hubMessageIdFor('messenger', 'mid.1'),
    direction: 'inbound',
    providerMessageId: 'mid.1',
    providerTimestamp: null,
    receivedAt: '2026-11-22T12:00:00.000Z',
    parts,
  });

describe('media jobs of a recorded message', () => {
  it('copies media the provider holds, by part index, and not what is in the bucket already', () => {
    // Act
    const jobs = mediaJobsFor(
      recorded({ type: 'facebook_page', id: 'page-1' }, [
        { type: 'text', text: 'two files' },
        providerImage,
        storedFile,
      ]),
    );
    // Assess
    expect(jobs.map((job) => [job.partIndex, job.part.ref.store])).toEqual([[1, 'provider_media_id']]);
  });

  it("keeps no Instagram media: Meta's terms forbid a copy", () => {
    // Prepare
    const instagram: BusinessEndpoint = { type: 'instagram_account', id: 'ig-1' };
    // Act
    const jobs = mediaJobsFor(recorded(instagram, [providerImage]));
    // Assess
    expect(jobs).toEqual([]);
    expect(keepsMediaOf(instagram)).toBe(false);
    expect(keepsMediaOf({ type: 'facebook_page', id: 'page-1' })).toBe(true);
  });

  it("keeps a job within the queue's limits, with only what the fetcher needs when a part's texts are huge", () => {
    // Prepare: a signed webhook can make a caption, a file name or a type any length.
    const huge = 'c'.repeat(1_200_000);
    const hugeImage: MessagePart = { ...providerImage, caption: huge, filename: huge, mimeType: huge };
    // Act
    const jobs = mediaJobsFor(recorded({ type: 'facebook_page', id: 'page-1' }, [hugeImage, providerImage]));
    // Assess
    expect(jobs.map((job) => [job.partIndex, job.part])).toEqual([
      [0, providerImage],
      [1, providerImage],
    ]);
  });

  it("leaves a part whose very reference is huge as the provider's reference, without a job", () => {
    // Prepare
    const hugeReference: MessagePart = {
      type: 'media',
      kind: 'file',
      ref: { store: 'provider_url', url: `https://cdn.example/${'u'.repeat(100_000)}`, requiresAuth: false },
    };
    // Act
    const jobs = mediaJobsFor(
      recorded({ type: 'facebook_page', id: 'page-1' }, [hugeReference, providerImage]),
    );
    // Assess
    expect(jobs.map((job) => job.partIndex)).toEqual([1]);
  });

  it("copies an echo of the hub's app, never the files of a send the hub recorded itself", () => {
    // Prepare: the same message as the sender records its command, and as an echo the recorder keeps.
    const { data } = recorded({ type: 'facebook_page', id: 'page-1' }, [providerImage]);
    const sent = (fields: Record<string, unknown>) =>
      buildEvent('switchboard.message.sent', eventIdFor('messenger', 'message.sent', 'mid.1'), {
        ...data,
        direction: 'outbound',
        sentBy: 'hub',
        ...fields,
      });
    // Act
    const ofCommand = mediaJobsFor(sent({ commandId: 'cmd_1', idempotencyKey: 'k1' }));
    const ofEcho = mediaJobsFor(sent({ senderAppId: '1234567890' }));
    // Assess
    expect(ofCommand).toEqual([]);
    expect(queuedPartOf(sent({ commandId: 'cmd_1' }).data, 0)).toBeUndefined();
    expect(ofEcho.map((job) => job.partIndex)).toEqual([0]);
  });

  it('copies the first 100 attachments of a message, and the API says the rest are not kept', () => {
    // Prepare: a message of 150 files (more than any provider attaches).
    const parts: MessagePart[] = Array.from({ length: 150 }, (_, index) => ({
      type: 'media',
      kind: 'file',
      ref: { store: 'provider_media_id', mediaId: `file-${index}` },
    }));
    const endpoint = { type: 'facebook_page' as const, id: 'page-1' };
    // Act
    const jobs = mediaJobsFor(recorded(endpoint, [{ type: 'text', text: 'files' }, ...parts]));
    // Assess
    expect(jobs).toHaveLength(MAX_MEDIA_JOBS_PER_MESSAGE);
    expect(jobs.at(-1)?.partIndex).toBe(MAX_MEDIA_JOBS_PER_MESSAGE);
    const { data } = recorded(endpoint, [{ type: 'text', text: 'files' }, ...parts]);
    expect(queuedPartOf(data, 100)).toBe('whole');
    expect(queuedPartOf(data, 101)).toBeUndefined();
  });
});
