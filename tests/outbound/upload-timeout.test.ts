import { describe, expect, it } from 'vitest';
import type { ChannelSender, MediaUpload } from '#shared/outbound/channel-sender.ts';
import { SENDER } from '#shared/resources/definitions.ts';
import {
  HARNESS_LIMITS,
  openCustomerConversation,
  putUpload,
  receivedCommand,
  sendCommand,
  useOutboundHarness,
} from './harness.ts';

/*
 * A WhatsApp upload of a stored file (a 100 MB document, say) takes longer than a message call.
 * Before 2026-12-06 every upload was given the message calls' provider timeout (8 s), whatever the
 * file; now it gets what the invocation has left past the time its message's call needs
 * (`minRemainingMs`), at most SENDER.maxUploadMs.
 */

const CUSTOMERS = { prefix: '49151777', tag: 'uptime' };
const MIN_REMAINING_MS = 12_000;

describe('the time a WhatsApp upload of a stored file is given', () => {
  const hub = useOutboundHarness();

  const uploadTimeoutWith = async (n: number, remainingMs: number): Promise<number | undefined> => {
    const { conversationId } = await openCustomerConversation(hub, CUSTOMERS, n);
    const s3Key = `media/outbound/${'b'.repeat(31)}${n}/file.pdf`;
    await putUpload(hub, s3Key, new TextEncoder().encode('%PDF-1.7 catalogue'), 'application/pdf');
    const command = sendCommand(conversationId, `catalogue-${n}`, [
      { type: 'text', text: 'Our catalogue:' },
      { type: 'media', kind: 'file', source: { s3Key }, filename: 'catalogue.pdf' },
    ]);
    const provider = hub.provider.sender as { -readonly [K in keyof ChannelSender]: ChannelSender[K] };
    const uploads: MediaUpload[] = [];
    provider.uploadMedia = async (_target, file) => {
      uploads.push(file);
      return { mediaId: `media-${n}` };
    };
    try {
      await hub
        .sender(undefined, { limits: { ...HARNESS_LIMITS, minRemainingMs: MIN_REMAINING_MS } })
        .handleSqsEvent({ Records: [receivedCommand(command, 1)] }, () => remainingMs);
    } finally {
      delete provider.uploadMedia;
    }
    expect(uploads).toHaveLength(1);
    return uploads[0]?.timeoutMs;
  };

  it("is the invocation's time left past its message call's, not the 8 s of a message", async () => {
    // Act: 29 s left of the invocation
    const timeoutMs = await uploadTimeoutWith(1, 29_000);
    // Assess
    expect(timeoutMs).toBe(29_000 - MIN_REMAINING_MS);
    expect(timeoutMs).toBeGreaterThan(SENDER.providerTimeoutMs);
  });

  it('is at most SENDER.maxUploadMs, however long the invocation', async () => {
    // Act: a function given 15 minutes
    const timeoutMs = await uploadTimeoutWith(2, 900_000);
    // Assess
    expect(timeoutMs).toBe(SENDER.maxUploadMs);
  });
});
